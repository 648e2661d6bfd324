"""Attacks through signing keys: a self-made CA smuggled in with a PKCS#12, a routine approval
that vouches for what nobody looked at, and e-signatures made in someone else's name."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from sqlalchemy import select

from qcstation import cli
from qcstation.accounts import keys as crypto
from qcstation.domain.signing import Manifest, Meaning
from qcstation.domain.users import User
from qcstation.reports.pdfsign import SigningIdentity, sign_pdf
from qcstation.reports.pdfverify import check_pdf
from qcstation.services import audit, documents, keys, records, signing, verify
from qcstation.services.context import Station
from qcstation.store.models import SignatureRow, SigningKeyRow

from ..services.conftest import finish


def _her_ca_identity(name: str) -> tuple[bytes, object, object, object]:
    """A CA the inspector made herself, and a leaf it issued: what she can put in a PKCS#12."""
    now = datetime.now(timezone.utc)
    ca_key = crypto.new_signing_key()
    ca = crypto.make_root(ca_key, "Ines Trust Services", now)
    key = crypto.new_signing_key()
    leaf = crypto.issue(ca_key, ca, key.public_key(), name, now)
    p12 = pkcs12.serialize_key_and_certificates(
        b"ines", key, leaf, [ca], BestAvailableEncryption(b"p12-pass")
    )
    return p12, ca_key, ca, key


def _where(station: Station) -> list[str]:
    args = ["--data-dir", str(station.location.data_dir)]
    if not station.location.is_sqlite:
        args += ["--database-url", station.location.database_url]
    return args


def test_k1_an_approval_shows_what_it_approves_and_issues_only_what_is_named(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p12, *_ = _her_ca_identity("Ines Inspector")
    info = keys.import_pkcs12(station, inspector, password, p12, "p12-pass")
    monkeypatch.setenv("QCSTATION_PASSWORD", password)
    monkeypatch.setenv("QCSTATION_ROOT_PASSPHRASE", password)
    base = ["keys", "issue", "--user", "alice", *_where(station)]
    # Not at a terminal and nothing named: it shows the key and refuses to guess.
    assert cli.main(base) == 2
    out, err = capsys.readouterr()
    assert info.key_id in out and "issued by CN=Ines Trust Services quality root" in out
    assert "--approve FINGERPRINT" in err
    assert [k.key_id for k in keys.pending(station)] == [info.key_id]
    assert cli.main([*base, "--approve", info.key_id[:16]]) == 0
    assert keys.pending(station) == []


def test_k2_her_own_ca_never_becomes_trusted(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    tmp_path: Path,
) -> None:
    p12, ca_key, ca, _key = _her_ca_identity("Ines Inspector")
    info = keys.import_pkcs12(station, inspector, password, p12, "p12-pass")
    keys.issue_pending(station, admin, password, [info.key_id])  # a routine approval
    with station.db.read() as s:
        row = s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id == info.key_id)).one()
    # The approved key got the plant's certificate; her CA stays a note in the chain.
    cert = crypto.load_certs_pem(row.certificate or "")[0]
    assert "quality root" in cert.issuer.rfc4514_string() and "Ines Trust" not in (
        cert.issuer.rfc4514_string()
    )
    # A real report, issued by the supervisor...
    keys.issue_pending(station, admin, password)
    ins = finish(station, inspector)
    signing.sign(station, inspector, ins, Meaning.PERFORMED, password)
    genuine = tmp_path / "genuine.pdf"
    documents.export_report(station, supervisor, password, ins, genuine)
    reason = next(c.reason for c in check_pdf(genuine.read_bytes(), []))
    # ...and a PDF she made, signed by a second certificate from her CA, with the same reference.
    forger = crypto.new_signing_key()
    forged_cert = crypto.issue(
        ca_key, ca, forger.public_key(), "Sam Supervisor", datetime.now(timezone.utc)
    )
    from cryptography.hazmat.primitives.serialization import Encoding
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    page = Canvas(buf)
    page.drawString(72, 720, "Inspection report: PASS")
    page.save()
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(
        sign_pdf(
            buf.getvalue(),
            SigningIdentity(
                crypto.private_der(forger),
                forged_cert.public_bytes(Encoding.DER),
                (ca.public_bytes(Encoding.DER),),
            ),
            None,
            reason,
            "bench",
            "%(signer)s",
        )
    )
    result = verify.verify_pdf(forged, station)
    assert not result.ok
    assert any("does not chain to the plant root" in p for p in result.problems), result.problems


def test_k3_an_e_signature_in_the_supervisors_name_made_with_her_key_fails(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
) -> None:
    keys.issue_pending(station, admin, password)
    ins = finish(station, inspector)
    signing.sign(station, inspector, ins, Meaning.PERFORMED, password)
    assert inspector.credential is not None and supervisor.credential is not None
    # She builds the "approved by Sam" row with the project's own classes, signs the manifest
    # with her own key, and writes it through her own (signed-in) session.
    with station.db.read() as s:
        record = records.load(s, ins)
        her_key = s.scalars(
            select(SigningKeyRow).where(SigningKeyRow.key_id == inspector.credential.key_id)
        ).one()
    manifest = Manifest(
        ins,
        record.record_hash,
        Meaning.APPROVED,
        "sam",
        "Sam Supervisor",
        "supervisor",
        datetime.now(timezone.utc),
        "",
        her_key.key_id,
    )
    with station.db.write(inspector, station.name, reason="approve") as s:
        s.add(
            SignatureRow(
                inspection_id=ins,
                meaning="approved",
                signer_id=supervisor.id,
                signing_key_id=her_key.id,
                record_hash=record.record_hash,
                manifest=manifest.encoded().decode(),
                signature=base64.b64encode(inspector.credential.sign(manifest.encoded())).decode(),
                signed_at=datetime.now(timezone.utc),
            )
        )
    checks = {c.signature.meaning: c for c in signing.check(station, ins)}
    assert checks[Meaning.PERFORMED].ok
    approved = checks[Meaning.APPROVED]
    assert not approved.ok
    assert any("made with ines's key, not with the key of sam" in p for p in approved.problems)
    report = audit.verify(station)
    assert any("names sam as its author, but ines wrote it" in str(f) for f in report.findings)
