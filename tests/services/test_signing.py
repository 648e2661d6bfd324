"""Electronic signatures, signing keys and corrections, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from qcstation.domain.inspections import Answer, Outcome, Status
from qcstation.domain.signing import KeyStatus, Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role, User
from qcstation.services import accounts, audit, corrections, inspections, keys, signing
from qcstation.services.accounts import MAX_FAILED_LOGINS
from qcstation.services.context import Station
from qcstation.services.errors import (
    Conflict,
    InvalidInput,
    LoginFailed,
    PermissionDenied,
    SigningRefused,
)
from qcstation.store.models import SignatureRow

from ..tampering import as_owner
from .conftest import finish


def _signature_count(station: Station) -> int:
    with station.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(SignatureRow)) or 0)


def test_init_makes_the_plant_root_and_issues_the_admin(station: Station) -> None:
    by_kind = {(k.kind, k.username): k for k in keys.list_keys(station)}
    assert by_kind[("root", None)].status is KeyStatus.ACTIVE
    assert by_kind[("seal", None)].algorithm == "ed25519"
    admin_key = by_kind[("user", "alice")]
    assert admin_key.status is KeyStatus.ACTIVE and admin_key.can_seal
    assert "BEGIN CERTIFICATE" in keys.plant_certificates(station)


def test_the_audit_trail_keeps_sealed_keys_as_digests(station: Station) -> None:
    with station.db.read() as s:
        news = s.execute(text("SELECT new FROM audit_log WHERE entity = 'signing_keys'")).scalars()
        for new in news:
            row = json.loads(new)
            assert row["encrypted_key"].startswith("sha256:")
    assert audit.verify(station).ok


def test_sign_performed_binds_the_manifest_to_the_record(
    station: Station, inspector: User, completed: str, password: str
) -> None:
    sig = signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    m = sig.manifest
    assert (m.meaning, m.printed_name, m.role, m.username) == (
        Meaning.PERFORMED,
        "Ines Inspector",
        "inspector",
        "ines",
    )
    assert m.signed_at.tzinfo is not None and "T" in m.local_time
    (check,) = signing.check(station, completed)
    assert check.ok, check.problems
    assert check.signature.manifest.record_hash == m.record_hash
    assert audit.verify(station).ok


def test_a_wrong_password_signs_nothing_and_counts_toward_the_lockout(
    station: Station, inspector: User, completed: str, password: str
) -> None:
    with pytest.raises(LoginFailed, match="nothing was signed"):
        signing.sign(station, inspector, completed, Meaning.PERFORMED, "not the password")
    assert _signature_count(station) == 0
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(LoginFailed):
            signing.sign(station, inspector, completed, Meaning.PERFORMED, "still wrong")
    # Locked: the right password is refused too, in the same words as a wrong one.
    with pytest.raises(LoginFailed, match=r"wrong password.*nothing was signed"):
        signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    assert accounts.is_locked(station, "ines")
    assert _signature_count(station) == 0


def test_who_may_sign_with_which_meaning(
    station: Station, inspector: User, supervisor: User, completed: str, password: str
) -> None:
    with pytest.raises(PermissionDenied, match="only the inspector who performed it"):
        signing.sign(station, supervisor, completed, Meaning.PERFORMED, password)
    with pytest.raises(PermissionDenied):
        signing.sign(station, inspector, completed, Meaning.APPROVED, password)
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    with pytest.raises(Conflict, match="signed as approved already"):
        signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    checks = signing.check(station, completed)
    assert [c.signature.meaning for c in checks] == [Meaning.PERFORMED, Meaning.APPROVED]
    assert all(c.ok for c in checks)


def test_an_open_inspection_cannot_be_signed(
    station: Station, inspector: User, issued: None, password: str
) -> None:
    ins = finish(station, inspector, complete=False)
    with pytest.raises(Conflict, match="complete it before signing"):
        signing.sign(station, inspector, ins, Meaning.PERFORMED, password)


def test_a_revoked_user_cannot_sign(
    station: Station, admin: User, inspector: User, completed: str, password: str
) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        keys.revoke(station, admin, "ines", "")
    assert keys.revoke(station, admin, "ines", "left the company").count == 1
    with pytest.raises(SigningRefused, match="revoked"):
        signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    assert _signature_count(station) == 0


def test_a_signature_dated_after_the_revocation_fails_its_check(
    station: Station, admin: User, inspector: User, completed: str, password: str
) -> None:
    sig = signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    real = station.clock
    station.clock = lambda: sig.manifest.signed_at.replace(year=2020)  # revoked before it
    try:
        keys.revoke(station, admin, "ines", "key compromised in 2020")
    finally:
        station.clock = real
    (check,) = signing.check(station, completed)
    assert not check.ok and "revoked" in check.problems[0]


def test_a_pending_key_is_issued_later(station: Station, admin: User, password: str) -> None:
    accounts.create_user(station, admin, "ivan", password, Role.INSPECTOR, "Ivan")
    ivan = accounts.login(station, "ivan", password)  # a pending key still records
    ins = finish(station, ivan)
    with pytest.raises(SigningRefused, match="not issued yet"):
        signing.sign(station, ivan, ins, Meaning.PERFORMED, password)
    with pytest.raises(InvalidInput, match="wrong root passphrase"):
        keys.issue_pending(station, admin, "not the root passphrase")
    issued = keys.issue_pending(station, admin, password)
    assert [k.username for k in issued] == ["ivan"]
    assert signing.sign(station, ivan, ins, Meaning.PERFORMED, password).manifest.username == "ivan"


def test_create_user_with_the_root_passphrase_issues_at_once(
    station: Station, admin: User, password: str
) -> None:
    accounts.create_user(
        station, admin, "ivan", password, Role.INSPECTOR, "Ivan", root_passphrase=password
    )
    (k,) = [k for k in keys.list_keys(station) if k.username == "ivan"]
    assert k.status is KeyStatus.ACTIVE and not k.can_seal  # an inspector issues nothing
    accounts.create_user(
        station, admin, "sue", password, Role.SUPERVISOR, "Sue", root_passphrase=password
    )
    (k,) = [k for k in keys.list_keys(station) if k.username == "sue"]
    assert k.status is KeyStatus.ACTIVE and k.can_seal  # a supervisor holds the plant keys
    with pytest.raises(InvalidInput, match="wrong root passphrase"):
        accounts.create_user(station, admin, "ivy", password, Role.INSPECTOR, root_passphrase="x")
    assert "ivy" not in {u.username for u in accounts.list_users(station)}


def test_a_password_change_reseals_the_signing_key(
    station: Station, inspector: User, completed: str, password: str
) -> None:
    assert accounts.change_password(station, inspector, password, "a new long password") == 1
    with pytest.raises(LoginFailed):
        signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, inspector, completed, Meaning.PERFORMED, "a new long password")


def test_the_admins_password_change_carries_the_root_along(
    station: Station, admin: User, password: str
) -> None:
    accounts.change_password(station, admin, password, "admin's new password")
    ivan = accounts.create_user(station, admin, "ivan", password, Role.INSPECTOR)
    with pytest.raises(InvalidInput, match="wrong root passphrase"):
        keys.issue_pending(station, admin, password)
    assert keys.issue_pending(station, admin, "admin's new password")[0].username == ivan.username


def test_a_new_key_after_revocation(
    station: Station, admin: User, inspector: User, completed: str, password: str
) -> None:
    keys.revoke(station, admin, "ines", "badge lost")
    k = keys.request_key(station, inspector, password)
    assert k.status is KeyStatus.PENDING
    keys.issue_pending(station, admin, password)
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    states = sorted(k.status.value for k in keys.list_keys(station) if k.username == "ines")
    assert states == ["active", "revoked"]


def test_a_row_changed_behind_the_apps_back_breaks_the_signature_check(
    station: Station, inspector: User, completed: str, password: str
) -> None:
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE answers SET note = 'edited later' WHERE inspection_id = :i"),
            {"i": completed},
        )
    (check,) = signing.check(station, completed)
    assert any("record changed after it was signed" in p for p in check.problems)
    report = audit.verify(station)
    assert not report.ok and report.findings[0].entity == "answers"


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(
    station: Station, inspector: User, supervisor: User, completed: str, password: str
) -> None:
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    before = inspections.get(station, completed)
    with pytest.raises(InvalidInput, match="reason"):
        corrections.correct(station, inspector, completed, "")
    new = corrections.correct(station, inspector, completed, "wrong serial typed")
    assert new.id != completed and new.status is Status.IN_PROGRESS
    assert new.answers.keys() == before.answers.keys()
    # the old version is unchanged, still signed, and can neither be signed again nor corrected
    assert inspections.get(station, completed) == before
    assert all(c.ok for c in signing.check(station, completed))
    with pytest.raises(Conflict, match="corrected by"):
        signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    with pytest.raises(Conflict, match="corrected already"):
        corrections.correct(station, supervisor, completed, "again")
    inspections.record_answer(
        station, inspector, new.id, Answer("finished-photo", outcome=Outcome.PASS, note="redone")
    )
    inspections.complete(station, inspector, new.id)
    sig = signing.sign(station, inspector, new.id, Meaning.PERFORMED, password)
    assert (
        sig.manifest.record_hash
        != signing.check(station, completed)[0].signature.manifest.record_hash
    )
    with station.db.read() as s:
        reasons = (
            s.execute(text("SELECT reason FROM audit_log WHERE entity = 'corrections'"))
            .scalars()
            .all()
        )
    assert reasons == ["correction: wrong serial typed"]
    assert audit.verify(station).ok


def test_an_open_inspection_is_edited_not_corrected(
    station: Station, inspector: User, issued: None
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT", "SKU")
    with pytest.raises(Conflict, match="only a completed one"):
        corrections.correct(station, inspector, ins.id, "typo")


def test_a_company_pki_identity_signs_once_an_admin_approves_it(
    station: Station,
    admin: User,
    supervisor: User,
    inspector: User,
    completed: str,
    password: str,
    tmp_path: Path,
) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from qcstation.accounts import keys as crypto
    from qcstation.services import documents, verify

    now = datetime.now(timezone.utc)
    ca_key = crypto.new_signing_key()
    ca = crypto.make_root(ca_key, "Company PKI", now)
    key = crypto.new_signing_key()
    cert = crypto.issue(ca_key, ca, key.public_key(), "Sam Supervisor", now)
    p12 = pkcs12.serialize_key_and_certificates(
        b"sam", key, cert, [ca], BestAvailableEncryption(b"p12-pass")
    )
    with pytest.raises(InvalidInput, match="wrong passphrase"):
        keys.import_pkcs12(station, supervisor, password, p12, "wrong")
    info = keys.import_pkcs12(station, supervisor, password, p12, "p12-pass")
    assert (info.origin, info.status) == ("imported", KeyStatus.PENDING)
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    with pytest.raises(SigningRefused, match="not issued yet"):
        signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    keys.issue_pending(station, admin, password)
    sig = signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    # Taken as a leaf: the plant root certifies the key; the company's CA is trusted nowhere.
    assert sig.certificate_subject == "CN=Sam Supervisor, O=qcstation plant, OU=sam"
    assert all(c.ok for c in signing.check(station, completed))
    out = tmp_path / "r.pdf"
    documents.export_report(station, supervisor, password, completed, out)
    result = verify.verify_pdf(out, station)
    assert result.ok, result.problems
    # issued with the plant document key his approved identity opened, and named as issuer
    assert any("by Sam Supervisor (supervisor)" in line for line in result.lines)
