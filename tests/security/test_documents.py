"""Attacks on reports and certificates by insiders who know the code (docs/security.md D1-D12).

Each test is the attack: an inspector who seals a QR code with the plant seal her key used
to hold, a hand-made PDF signed with her own (root-certified) key carrying the reference
and even the embedded record of a real report, a genuine QR code inside someone else's web
address or with its date changed, a supervisor's copy of the plant keys used after they
were rotated or he was revoked, a record changed after it was signed, a certificate number
asked to speak for another statement. Each runs on SQLite and on the real PostgreSQL, with
the project's own functions used by the attacker, and asserts the refusal's words.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from reportlab.pdfgen import canvas
from sqlalchemy import select, text

from qcstation.accounts import keys as crypto
from qcstation.accounts import sealing
from qcstation.domain import certificates
from qcstation.domain.certificates import CertificateClaim
from qcstation.domain.defects import Severity
from qcstation.domain.documents import DocumentFacts
from qcstation.domain.inspections import Decision
from qcstation.domain.records import canonical_json
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role, User
from qcstation.domain.verdicts import FinalVerdict
from qcstation.reports.pdfsign import CONTENT_FILE, SigningIdentity, sign_pdf
from qcstation.reports.pdfverify import embedded_file
from qcstation.services import (
    _keyring,
    _plant_keys,
    accounts,
    audit,
    documents,
    inspections,
    keys,
    review,
    signing,
    upgrades,
    verify,
)
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, PermissionDenied, SigningRefused
from qcstation.store.models import DocumentRow, PlantKeyWrapRow, SigningKeyRow, UserRow

from ..services.conftest import finish
from ..tampering import as_owner

MIGRATION = Path(__file__).parents[2] / "src/qcstation/store/migrations/versions"


@pytest.fixture
def issued(station: Station, admin: User, inspector: User, supervisor: User, password: str) -> None:
    keys.issue_pending(station, admin, password)


def approved(
    station: Station, inspector: User, supervisor: User, password: str, serial: str
) -> str:
    """A final QC inspection, all passed, performed by ines and approved by sam."""
    ins = finish(station, inspector, serial=serial)
    signing.sign(station, inspector, ins, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, ins, Meaning.APPROVED, password)
    return ins


def failed(station: Station, inspector: User, password: str) -> str:
    ins = finish(station, inspector, serial="SN-FAIL", complete=False)
    inspections.raise_defect(station, inspector, ins, "FQC-STAMP", severity=Severity.CRITICAL)
    inspections.complete(station, inspector, ins)
    signing.sign(station, inspector, ins, Meaning.PERFORMED, password)
    return ins


def public_keys(station: Station, tmp_path: Path, name: str = "plant-keys.pem") -> Path:
    path = tmp_path / name
    path.write_text(keys.plant_certificates(station))
    return path


def her_key(station: Station, user: User, password: str) -> _keyring.Identity:
    """What an inspector opens with her own password, with the project's own code."""
    with station.db.read() as s:
        return _keyring.unlock(s, s.get_one(UserRow, user.id), password)


def his_hands(station: Station, user: User, password: str) -> _plant_keys.Hands:
    """What a supervisor opens with his password: his copy of the plant's issuing keys."""
    with station.db.read() as s:
        me = s.get_one(UserRow, user.id)
        ident = _keyring.unlock(s, me, password)
        return _plant_keys.open_hands(s, me, ident.key_id, ident.private_key)


def seal_qr(
    seal: ed25519.Ed25519PrivateKey,
    number: str,
    record_hash: str,
    verdict: FinalVerdict,
    issued: date,
    claims: tuple[certificates.Claim, ...] = (),
) -> str:
    tag = bytes.fromhex(crypto.key_id(seal.public_key()))[:4]
    claim = CertificateClaim(number, record_hash, verdict, issued, tag, claims)
    return certificates.encode(claim, seal.sign(claim.body()))


def hand_made_pdf(
    signer: Any, chain: tuple[Any, ...], text_: str, reason: str, content: bytes | None
) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica-Bold", 28)
    c.drawString(72, 720, text_)
    c.save()
    identity = SigningIdentity(
        crypto.private_der(signer[0]),
        signer[1].public_bytes(serialization.Encoding.DER),
        tuple(x.public_bytes(serialization.Encoding.DER) for x in chain),
    )
    return sign_pdf(
        buf.getvalue(), identity, None, reason, "bench 3", "%(signer)s", content=content
    )


def qr_of(station: Station, supervisor: User, password: str, ins: str, tmp_path: Path) -> str:
    """The certificate's QR text, as a scanner reads it off the paper."""
    from qcstation.reports import qr
    from qcstation.reports.raster import render_pages

    out = tmp_path / f"c-{ins[:6]}.pdf"
    documents.export_certificate(station, supervisor, password, ins, out, "a4")
    page = next(render_pages(out.read_bytes(), 150)).rgb[:, :, ::-1].copy()
    (found,) = qr.decode_image(page)
    return found


# --- D1: the inspector's copy of the plant seal ----------------------------------------------


def test_d1_an_inspector_holds_no_plant_key_to_seal_or_sign_with(
    station: Station, admin: User, inspector: User, supervisor: User, password: str, issued: None
) -> None:
    mine = her_key(station, inspector, password)
    with (
        station.db.read() as s,
        pytest.raises(SigningRefused, match=r"ines \(inspector\) does not"),
    ):
        _plant_keys.open_hands(s, s.get_one(UserRow, inspector.id), mine.key_id, mine.private_key)
    with station.db.read() as s:
        wraps = s.scalars(select(PlantKeyWrapRow)).all()
        holders = {s.get_one(SigningKeyRow, w.holder_key_id).user_id for w in wraps}
        assert holders == {admin.id, supervisor.id}  # alice and sam, nobody else
        for w in wraps:  # not one envelope in the database opens with her key
            plant_key = s.get_one(SigningKeyRow, w.plant_key_id).key_id
            with pytest.raises(sealing.WrongPassphrase):
                sealing.unwrap(
                    w.envelope,
                    mine.private_key,
                    f"qcstation-plant-key:{plant_key}:for:{mine.key_id}",
                )
    assert not any(k.can_seal for k in keys.list_keys(station) if k.username == "ines")


def _upgrade_takes_the_seal_back(station: Station) -> None:
    """Migration 0011's data step, as `db upgrade` runs it on a database of qcstation 0.1."""
    spec = importlib.util.spec_from_file_location("m0011", MIGRATION / "0011_plant_documents.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with station.db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module._take_the_seal_back()


def test_d1_the_seal_every_user_held_is_taken_back_named_exposed_and_its_forgeries_refused(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    issued: None,
    tmp_path: Path,
) -> None:
    # qcstation 0.1 wrapped the seal to every user key; she unwrapped her copy and kept it.
    with station.db.read() as s:
        plant = _keyring.unlock_plant(s, password)
    mine = her_key(station, inspector, password)
    legacy = sealing.wrap(
        crypto.private_der(plant.seal_key),
        mine.private_key.public_key(),
        f"qcstation-seal-for:{mine.key_id}",
    )
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE signing_keys SET sealed_plant_key = :w WHERE key_id = :k"),
            {"w": legacy, "k": mine.key_id},
        )
    kept = crypto.load_private_der(
        sealing.unwrap(legacy, mine.private_key, f"qcstation-seal-for:{mine.key_id}")
    )
    assert isinstance(kept, ed25519.Ed25519PrivateKey)

    _upgrade_takes_the_seal_back(station)
    with station.db.read() as s:
        assert (
            s.scalar(
                select(SigningKeyRow.sealed_plant_key).where(SigningKeyRow.key_id == mine.key_id)
            )
            is None
        )
    said = upgrades.upgrade(station).describe()
    assert (
        "certificate seal" in said and "must be rotated" in said and "every user's key held" in said
    )
    assert audit.verify(station).ok  # emptying the old column is no change behind anyone's back
    assert any("keys rotate --root-passphrase" in w for w in keys.warnings(station))

    # her forgery: a failed inspection sealed as PASS, under a number never issued
    bad = failed(station, inspector, password)
    record = inspections.get(station, bad)
    from qcstation.services import records

    with station.db.read() as s:
        digest = records.load(s, bad).record_hash
    forged = seal_qr(kept, "BENCH-C999999", digest, FinalVerdict.PASS, date.today())
    before = public_keys(station, tmp_path, "before.pem")
    offline = verify.verify_qr(forged, None, [before])
    assert not offline.ok and any("proves nothing" in p for p in offline.problems), offline
    on_station = verify.verify_qr(forged, station)
    assert any("issued no certificate BENCH-C999999" in p for p in on_station.problems)
    assert record.verdict is not None and record.verdict.value == "fail"

    done = keys.rotate(station, admin, password)
    assert len(done.retired) == 2 and done.wraps == 4  # two keys for alice, two for sam
    assert keys.warnings(station) == []
    later = seal_qr(
        kept, "BENCH-C999999", digest, FinalVerdict.PASS, date.today() + timedelta(days=1)
    )
    after = public_keys(station, tmp_path, "after.pem")
    offline = verify.verify_qr(later, None, [after])
    assert any("yet dated" in p and "retired" in p for p in offline.problems), offline
    assert not verify.verify_qr(later, station).ok


# --- D2, D3: a genuine QR code with its date changed, or inside someone else's address --------


def test_d2_a_qr_whose_date_or_number_differs_from_the_certificate_is_refused(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D2")
    genuine = qr_of(station, supervisor, password, ins, tmp_path)
    assert verify.verify_qr(genuine, station).ok
    claim, _body, _sig = certificates.decode(genuine)
    hands = his_hands(station, supervisor, password)  # the seal, in a reviewer's hands
    redated = seal_qr(
        hands.seal_key,
        claim.number,
        claim.record_hash,
        claim.verdict,
        claim.issued - timedelta(days=30),
        claim.claims,
    )
    result = verify.verify_qr(redated, station)
    assert any(f"was issued on {claim.issued:%Y-%m-%d}, not on" in p for p in result.problems)
    more_stones = tuple(
        certificates.Claim("S", "3 stones, 1.50 ct total") if c.code == "S" else c
        for c in claim.claims
    )
    assert more_stones != claim.claims
    other = seal_qr(
        hands.seal_key, claim.number, claim.record_hash, claim.verdict, claim.issued, more_stones
    )
    result = verify.verify_qr(other, station)
    assert any("claims differ from what the plant certified" in p for p in result.problems)


def test_d3_a_genuine_qr_inside_someone_elses_web_address_is_refused(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D3")
    genuine = qr_of(station, supervisor, password, ins, tmp_path)
    for elsewhere in (
        f"https://verify-jewels.example.net/check?c={genuine}",
        f"{genuine} (scanned at https://example.net)",
    ):
        for where in (station, None):
            keys_file = [] if where is not None else [public_keys(station, tmp_path)]
            result = verify.verify_qr(elsewhere, where, keys_file)
            assert any("not the plant's verification address" in p for p in result.problems)


# --- D4: a hand-made PDF saying PASS, signed with the inspector's own key ---------------------


def test_d4_a_hand_made_pass_signed_with_her_own_key_is_refused_on_the_station_and_offline(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    real = approved(station, inspector, supervisor, password, "SN-REAL")
    genuine = tmp_path / "genuine.pdf"
    documents.export_report(station, supervisor, password, real, genuine)
    bad = failed(station, inspector, password)
    # she copies the genuine report's reference and embedded record, and makes it say PASS
    content = embedded_file(genuine.read_bytes(), CONTENT_FILE)
    assert content is not None
    facts = DocumentFacts.from_content(content)
    copied = facts.to_data() | {"verdict": {"code": "P", "label": "PASS"}, "inspection": bad}
    reason = next(
        line for line in verify.verify_pdf(genuine, station).lines if line.startswith("report ")
    )
    mine = her_key(station, inspector, password)  # certified by the plant root, OU=ines
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(
        hand_made_pdf(
            (mine.private_key, mine.certificate),
            mine.chain,
            f"PASS — inspection {bad}",
            f"qcstation report {facts.number}; inspection {bad}; record sha256 {facts.record_sha256}",
            canonical_json(copied).encode(),
        )
    )
    assert reason.startswith(f"report {facts.number}")
    on_station = verify.verify_pdf(forged, station)
    assert not on_station.ok
    assert any("Ines Inspector" in p and "not valid proof" in p for p in on_station.problems)
    offline = verify.verify_pdf(forged, None, [public_keys(station, tmp_path)])
    assert not offline.ok  # her certificate chains to the root, yet is not the plant's
    assert any("not valid proof" in p for p in offline.problems), offline.problems


# --- D5, D6: the plant keys after a rotation or a holder's revocation --------------------------


def test_d5_a_copy_of_the_document_key_signs_nothing_valid_after_it_was_retired(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    issued: None,
    tmp_path: Path,
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D5")
    before = tmp_path / "before.pdf"
    documents.export_report(station, supervisor, password, ins, before)
    content = embedded_file(before.read_bytes(), CONTENT_FILE)
    old = his_hands(station, supervisor, password)  # kept from before the rotation
    time.sleep(1.05)  # a PDF's signing time has whole seconds: the report's is before it
    keys.rotate(station, admin, password)
    forged = tmp_path / "after.pdf"
    forged.write_bytes(
        hand_made_pdf(
            (old.document_key, old.document), old.chain, "PASS", "qcstation report", content
        )
    )
    on_station = verify.verify_pdf(forged, station)
    assert any("document key retired on" in p for p in on_station.problems), on_station.problems
    offline = verify.verify_pdf(forged, None, [public_keys(station, tmp_path)])
    assert any("document key retired on" in p for p in offline.problems), offline.problems
    assert verify.verify_pdf(before, station).ok  # issued before the rotation: still valid
    assert verify.verify_pdf(before, None, [public_keys(station, tmp_path)]).ok


def test_d6_revoking_a_holder_says_rotate_and_rotates_with_the_root_passphrase(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    issued: None,
    tmp_path: Path,
) -> None:
    kept = his_hands(station, supervisor, password)
    accounts.create_user(station, admin, "sue", password, Role.SUPERVISOR, "Sue", password)
    done = keys.revoke(station, admin, "sam", "laptop stolen")
    assert done.held == ("document", "seal") and done.rotated is None
    assert "rotate them now with `qcstation keys rotate --root-passphrase`" in done.describe("sam")
    assert any("held by sam, whose key was revoked" in w for w in keys.warnings(station))
    done = keys.revoke(station, admin, "sue", "left", root_passphrase=password)
    assert done.rotated is not None and keys.warnings(station) == []
    forged = seal_qr(
        kept.seal_key,
        "BENCH-C000777",
        "ab" * 32,
        FinalVerdict.PASS,
        date.today() + timedelta(days=2),
    )
    result = verify.verify_qr(forged, None, [public_keys(station, tmp_path)])
    assert any("yet dated" in p for p in result.problems), result.problems


def test_d6_a_role_change_hands_the_plant_keys_over_and_takes_them_back(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    issued: None,
) -> None:
    up = accounts.set_role(station, admin, "ines", Role.SUPERVISOR)
    assert up.handed == 2  # from alice's own copy: no root passphrase needed
    assert any(k.can_seal for k in keys.list_keys(station) if k.username == "ines")
    down = accounts.set_role(station, admin, "sam", Role.INSPECTOR)
    assert down.taken == ("document", "seal") and "rotate them" in down.note
    assert not any(k.can_seal for k in keys.list_keys(station) if k.username == "sam")
    with pytest.raises(PermissionDenied, match="may not issue documents"):
        documents.export_report(station, supervisor, password, "x", Path("/nonexistent"))
    accounts.set_active(station, admin, "ines", False)  # she left: her copy is taken back
    assert not any(k.can_seal for k in keys.list_keys(station) if k.username == "ines")
    assert any("whose account was disabled" in w for w in keys.warnings(station))
    assert audit.verify(station).ok


# --- D7: a printed claim changed on the paper -----------------------------------------------


def test_d7_a_claim_changed_on_the_paper_shows_when_the_qr_is_verified(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D7")
    genuine = qr_of(station, supervisor, password, ins, tmp_path)
    result = verify.verify_qr(genuine, None, [public_keys(station, tmp_path)])
    assert result.ok and "claim: Serial: SN-D7" in result.lines  # printed for the customer
    raw = bytearray(base64.urlsafe_b64decode(genuine[4:] + "=" * (-len(genuine[4:]) % 4)))
    at = raw.index(b"SN-D7")
    raw[at + 4 : at + 5] = b"8"  # the serial of another piece, on a copied QR code
    altered = "QC1." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    result = verify.verify_qr(altered, None, [public_keys(station, tmp_path)])
    assert "claim: Serial: SN-D8" in result.lines
    assert any("does not match its content: altered or forged" in p for p in result.problems)


# --- D8: one number, one statement -------------------------------------------------------------


def test_d8_a_certificate_number_never_stands_for_another_statement(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    from qcstation.services import skus

    ins = approved(station, inspector, supervisor, password, "SN-D8")
    first = documents.export_certificate(station, supervisor, password, ins, tmp_path / "1.pdf")
    again = documents.export_certificate(station, supervisor, password, ins, tmp_path / "2.pdf")
    assert again.number == first.number  # the same certificate, printed again
    skus.set_sku(station, supervisor, "RG-SOL-0412", "platinum 950", "platinum solitaire")
    with pytest.raises(Conflict, match="a number never stands for two statements"):
        documents.export_certificate(station, supervisor, password, ins, tmp_path / "3.pdf")
    new = documents.reissue_certificate(
        station, supervisor, password, ins, "the SKU's record was corrected", tmp_path / "4.pdf"
    )
    assert new.number != first.number and new.supersedes == first.number
    old = verify.verify_pdf(tmp_path / "1.pdf", station)
    assert any(f"superseded by certificate {new.number}" in p for p in old.problems)
    assert verify.verify_pdf(tmp_path / "4.pdf", station).ok
    with station.db.read() as s:
        numbers = s.scalars(select(DocumentRow.number).where(DocumentRow.kind == "certificate"))
        assert sorted(numbers) == sorted({first.number, new.number})


# --- D9: a record changed after it was signed ---------------------------------------------


def test_d9_a_record_changed_after_signing_is_not_exported(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D9")
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE answers SET note = 'changed later' WHERE inspection_id = :i"), {"i": ins}
        )
    for export in (documents.export_report, documents.export_certificate):
        with pytest.raises(Conflict, match=r"e-signatures of inspection .* no longer match"):
            export(station, supervisor, password, ins, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


# --- D10: the audit trail a document was issued at ------------------------------------------


def test_d10_a_rewritten_trail_shows_against_the_head_a_document_carries(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    ins = approved(station, inspector, supervisor, password, "SN-D10")
    out = tmp_path / "r.pdf"
    documents.export_report(station, supervisor, password, ins, out)
    facts = DocumentFacts.from_content(embedded_file(out.read_bytes(), CONTENT_FILE) or b"")
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE audit_log SET hash = :h WHERE id = :i"),
            {"h": "0" * 64, "i": facts.audit_head.id},
        )
    result = verify.verify_pdf(out, station)
    assert any(f"entry #{facts.audit_head.id} is not the one" in p for p in result.problems)


# --- D11: documents made the old way ------------------------------------------------------


def test_d11_an_old_format_document_is_named_for_what_it_is_and_counted_at_upgrade(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    from qcstation.services import records

    ins = approved(station, inspector, supervisor, password, "SN-OLD")
    with station.db.write(supervisor, station.name, reason="export report") as s:
        record = records.load(s, ins)  # the row qcstation 0.1 made at export
        s.add(
            DocumentRow(
                kind="report",
                number="BENCH-R000042",
                station_id=1,
                sequence=42,
                inspection_id=ins,
                record_hash=record.record_hash,
                details={},
                issued_at=station.now(),
                issued_by_id=supervisor.id,
            )
        )
    mine = her_key(station, supervisor, password)  # the exporter's own key, as 0.1 signed
    old = tmp_path / "old.pdf"
    old.write_bytes(
        hand_made_pdf(
            (mine.private_key, mine.certificate),
            mine.chain,
            "Inspection report",
            f"qcstation report BENCH-R000042; inspection {ins}; record sha256 {record.record_hash}",
            None,
        )
    )
    result = verify.verify_pdf(old, station)
    (problem,) = [p for p in result.problems if "old-format" in p]
    assert "this station issued" in problem and "intact" in problem and "Sam Supervisor" in problem
    assert "not valid proof" in problem and "reissue it" in problem
    assert "1 report was issued by an older qcstation" in upgrades.upgrade(station).describe()
    redone = documents.export_report(station, supervisor, password, ins, tmp_path / "new.pdf")
    assert redone.number == "BENCH-R000042" and verify.verify_pdf(redone.path, station).ok


# --- D12: certificates only for what a certificate may say -------------------------------


def test_d12_certificates_only_for_completed_passing_approved_final_inspections(
    station: Station, inspector: User, supervisor: User, password: str, issued: None, tmp_path: Path
) -> None:
    out = tmp_path / "c.pdf"
    bad = failed(station, inspector, password)
    signing.sign(station, supervisor, bad, Meaning.APPROVED, password)
    with pytest.raises(Conflict, match="FAIL: a certificate states that the piece passed"):
        documents.export_certificate(station, supervisor, password, bad, out)
    casting = finish(station, inspector, Stage.CASTING, serial="SN-CAST")
    signing.sign(station, inspector, casting, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, casting, Meaning.APPROVED, password)
    with pytest.raises(Conflict, match="not for Casting"):
        documents.export_certificate(station, supervisor, password, casting, out)
    pending = finish(station, inspector, serial="SN-REVIEW", complete=False)
    inspections.raise_defect(station, inspector, pending, "POL-SCR", severity=Severity.MINOR)
    inspections.complete(station, inspector, pending)
    signing.sign(station, inspector, pending, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, pending, Meaning.APPROVED, password)
    with pytest.raises(Conflict, match="waits for a supervisor's review"):
        documents.export_certificate(station, supervisor, password, pending, out)
    assert not out.exists()
    review.decide(station, supervisor, pending, Decision.ACCEPTED, "hairline, inside the limit")
    done = documents.export_certificate(station, supervisor, password, pending, out)
    result = verify.verify_pdf(done.path, station)
    assert result.ok and "verdict: ACCEPTED ON REVIEW" in result.lines
