"""Signed reports and certificates: pyHanko and poppler agree, tampering and truncation are
caught, every layout renders, and the certificate's QR survives print-to-pixels."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from qcstation.accounts import keys as crypto
from qcstation.config import Settings
from qcstation.domain.signing import Meaning
from qcstation.domain.users import User
from qcstation.reports import qr
from qcstation.services import audit, documents, keys, signing, verify
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, LoginFailed, PermissionDenied, SigningRefused
from qcstation.services.verify import Unverifiable

from ..tampering import as_owner
from .conftest import finish

needs_poppler = pytest.mark.usefixtures("poppler")  # tests/conftest.py: fails in CI if missing


@pytest.fixture
def signed(
    station: Station, inspector: User, supervisor: User, completed: str, password: str
) -> str:
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    signing.sign(station, supervisor, completed, Meaning.APPROVED, password)
    return completed


def pdfsig(path: Path) -> str:
    proc = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


def render(pdf: Path, dpi: int = 60) -> list[Path]:
    prefix = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, timeout=120
    )
    pages = sorted(pdf.parent.glob(f"{prefix.name}-*.png"))
    assert pages and all(p.stat().st_size > 2000 for p in pages)
    return pages


def flip_a_byte_in_the_signed_content(data: bytes) -> bytes:
    at = data.index(b"stream", len(data) // 3) + 40  # inside a content or image stream
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@needs_poppler
def test_a_signed_report_validates_in_pyhanko_and_poppler(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    e = documents.export_report(station, supervisor, password, signed, out)
    assert e.number.endswith("-R000001") and not e.timestamped
    result = verify.verify_pdf(out, station)
    assert result.ok, result.problems
    assert "record hash equals the database's record" in result.lines
    assert any("e-signature performed by Ines Inspector: valid" in x for x in result.lines)
    assert "Signature is Valid." in pdfsig(out)
    # one changed byte: both say so
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(flip_a_byte_in_the_signed_content(out.read_bytes()))
    assert "Digest Mismatch" in pdfsig(bad)
    result = verify.verify_pdf(bad, station)
    assert not result.ok and "changed after it was signed" in result.problems[0]
    # a re-export keeps the report's number
    again = documents.export_report(station, supervisor, password, signed, tmp_path / "2.pdf")
    assert again.number == e.number


def test_any_changed_byte_makes_the_report_invalid(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    documents.export_report(station, supervisor, password, signed, out)
    data = out.read_bytes()
    bad = tmp_path / "bad.pdf"
    for at in range(0, len(data) - 16, len(data) // 23):
        bad.write_bytes(data[:at] + bytes([data[at] ^ 0x04]) + data[at + 1 :])
        try:
            result = verify.verify_pdf(bad, station)
        except Unverifiable as exc:  # only the header itself may make it "not a PDF"
            assert at < 5 and "not a PDF" in str(exc)
            continue
        assert not result.ok, f"byte {at} changed, yet valid"


def test_a_truncated_or_foreign_file_is_an_error_not_a_verdict(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    documents.export_report(station, supervisor, password, signed, out)
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    with pytest.raises(Unverifiable, match="truncated"):
        verify.verify_pdf(cut, station)
    other = tmp_path / "notes.pdf"
    other.write_text("just some text")
    with pytest.raises(Unverifiable, match="not a PDF"):
        verify.verify_pdf(other, station)
    with pytest.raises(Unverifiable, match="cannot read"):
        verify.verify_pdf(tmp_path / "missing.pdf", station)


def test_a_row_changed_behind_the_apps_back_is_named_by_verify_and_audit(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    documents.export_report(station, supervisor, password, signed, out)
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE inspections SET serial = 'SN-FORGED' WHERE id = :i"), {"i": signed}
        )
    result = verify.verify_pdf(out, station)
    assert any("record in the database differs from the signed one" in p for p in result.problems)
    assert not audit.verify(station).ok
    offline = verify.verify_pdf(out, None, [_root_pem(station, tmp_path)])
    assert offline.ok, offline.problems  # the file itself is intact


def _root_pem(station: Station, tmp_path: Path) -> Path:
    path = tmp_path / "plant.pem"
    path.write_text(keys.plant_certificates(station))
    return path


def test_offline_without_the_plant_root_is_not_valid(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    documents.export_report(station, supervisor, password, signed, out)
    result = verify.verify_pdf(out, None)
    assert any("--trust" in p for p in result.problems)


def test_export_needs_the_password_and_a_completed_record(
    station: Station,
    inspector: User,
    supervisor: User,
    signed: str,
    password: str,
    tmp_path: Path,
) -> None:
    with pytest.raises(LoginFailed, match="nothing was exported"):
        documents.export_report(station, supervisor, "wrong", signed, tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()
    open_one = finish(station, inspector, complete=False)
    with pytest.raises(Conflict, match="complete it first"):
        documents.export_report(station, supervisor, password, open_one, tmp_path / "r.pdf")
    for export in (documents.export_report, documents.export_certificate):
        with pytest.raises(PermissionDenied, match="issued by a supervisor or an admin"):
            export(station, inspector, password, signed, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_certificate_needs_a_supervisors_approval(
    station: Station,
    inspector: User,
    supervisor: User,
    completed: str,
    password: str,
    tmp_path: Path,
) -> None:
    with pytest.raises(Conflict, match="no supervisor has approved"):
        documents.export_certificate(station, supervisor, password, completed, tmp_path / "c.pdf")
    signing.sign(station, inspector, completed, Meaning.PERFORMED, password)
    with pytest.raises(Conflict, match="no supervisor has approved"):
        documents.export_certificate(station, supervisor, password, completed, tmp_path / "c.pdf")
    signing.sign(station, supervisor, completed, Meaning.REVIEWED, password)
    with pytest.raises(Conflict, match="no supervisor has approved"):
        documents.export_certificate(station, supervisor, password, completed, tmp_path / "c.pdf")
    assert not (tmp_path / "c.pdf").exists()


@needs_poppler
@pytest.mark.parametrize("size", ["a4", "letter", "card"])
def test_certificate_layouts_render_and_their_qr_verifies_from_pixels(
    station: Station,
    supervisor: User,
    signed: str,
    password: str,
    tmp_path: Path,
    size: str,
) -> None:
    out = tmp_path / f"cert-{size}.pdf"
    e = documents.export_certificate(
        station,
        supervisor,
        password,
        signed,
        out,
        size,  # type: ignore[arg-type]
    )
    assert "-C" in e.number
    assert verify.verify_pdf(out, station).ok
    assert "Signature is Valid." in pdfsig(out)
    pages = render(out, dpi=200 if size == "card" else 150)
    assert len(pages) == (2 if size == "card" else 1)  # the card's claims are on its back
    page = pages[0]
    texts = qr.decode_file(page)
    assert texts and texts[0].startswith("QC1.")
    result = verify.verify_qr(str(page), station)
    assert result.ok, result.problems
    import cv2

    assert verify.verify_qr_image(cv2.imread(str(page)), station).ok  # as a camera frame
    with pytest.raises(Unverifiable, match="no qcstation QR code in view"):
        verify.verify_qr_image(cv2.imread(str(page))[:50, :50], station)
    assert f"certificate {e.number}, issued" in result.lines[0]
    assert "matches the database's record" in result.lines


def test_the_qr_payload_verifies_offline_and_detects_changes(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    out = tmp_path / "c.pdf"
    documents.export_certificate(station, supervisor, password, signed, out, "a4")
    payload = _payload_of(station, supervisor, signed, password, tmp_path)
    plant = _root_pem(station, tmp_path)
    assert verify.verify_qr(payload, None, [plant]).ok
    forged = payload[:-70] + ("A" if payload[-70] != "A" else "B") + payload[-69:]
    assert not verify.verify_qr(forged, None, [plant]).ok
    with pytest.raises(Unverifiable, match="public key"):
        verify.verify_qr(payload, None)
    with pytest.raises(Unverifiable, match="no qcstation certificate payload"):
        verify.verify_qr("https://example.com/hello", station)
    # the database's record changes: the QR still verifies offline, not against the database
    with as_owner(station.db.engine) as conn:
        conn.execute(text("UPDATE inspections SET verdict = 'fail' WHERE id = :i"), {"i": signed})
    problems = verify.verify_qr(payload, station).problems
    assert any("differs from the certified one" in p for p in problems)


def _payload_of(station: Station, user: User, ins: str, password: str, tmp: Path) -> str:
    out = tmp / "again.pdf"
    documents.export_certificate(station, user, password, ins, out, "a4")
    (page,) = render(out, dpi=150)
    return qr.decode_file(page)[0]


def test_a_verification_url_pattern_goes_into_the_qr(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    station.location = station.location.__class__(
        station.location.data_dir,
        station.location.database_url,
        Settings(
            station_name=station.name,
            certificate_verify_url="https://verify.example.com/c/{number}?p={payload}",
        ),
    )
    out = tmp_path / "c.pdf"
    e = documents.export_certificate(station, supervisor, password, signed, out, "a4")
    (page,) = render(out, dpi=150)
    (found,) = qr.decode_file(page)
    assert found.startswith(f"https://verify.example.com/c/{e.number}?p=QC1.")
    assert verify.verify_qr(found, station).ok


@needs_poppler
def test_report_layouts_render_on_a4_and_letter(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    for paper in ("a4", "letter"):
        station.location = station.location.__class__(
            station.location.data_dir,
            station.location.database_url,
            Settings(station_name=station.name, paper_size=paper),  # type: ignore[arg-type]
        )
        out = tmp_path / f"report-{paper}.pdf"
        documents.export_report(station, supervisor, password, signed, out)
        pages = render(out)
        info = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
        assert f"Page {len(pages)} of {len(pages)}" in info.stdout
        assert "Electronic signatures" in info.stdout and "Sam Supervisor" in info.stdout


def test_batch_export_names_files_by_number(
    station: Station,
    inspector: User,
    supervisor: User,
    signed: str,
    password: str,
    tmp_path: Path,
) -> None:
    other = finish(station, inspector, serial="SN2")
    done = documents.export_reports(station, supervisor, password, [signed, other], tmp_path)
    assert [d.path.name for d in done] == [f"{d.number}.pdf" for d in done]
    assert len({d.number for d in done}) == 2
    assert all(verify.verify_pdf(d.path, station).ok for d in done)


def test_a_stolen_user_key_issues_nothing_before_or_after_revocation(
    station: Station,
    admin: User,
    supervisor: User,
    signed: str,
    password: str,
    tmp_path: Path,
) -> None:
    import io

    from reportlab.pdfgen import canvas

    from qcstation.reports.pdfsign import SigningIdentity, sign_pdf
    from qcstation.services import _keyring
    from qcstation.store.models import UserRow

    before = tmp_path / "before.pdf"
    documents.export_report(station, supervisor, password, signed, before)
    with station.db.read() as s:  # a thief with sam's password unseals his own key...
        stolen = _keyring.unlock(s, s.get_one(UserRow, supervisor.id), password)
    keys.revoke(station, admin, "sam", "laptop stolen")
    with pytest.raises(SigningRefused, match="revoked"):
        documents.export_report(station, supervisor, password, signed, tmp_path / "x.pdf")
    buf = io.BytesIO()  # ...and signs a report of his own outside the application
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "forged report")
    c.save()
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(
        sign_pdf(
            buf.getvalue(),
            SigningIdentity(
                crypto.private_der(stolen.private_key),
                stolen.certificate.public_bytes(serialization.Encoding.DER),
                tuple(x.public_bytes(serialization.Encoding.DER) for x in stolen.chain),
            ),
            None,
            "qcstation report X-R000001; inspection i; record sha256 " + "0" * 64,
            "elsewhere",
            "%(signer)s",
        )
    )
    result = verify.verify_pdf(forged, station)
    assert any("not valid proof" in p for p in result.problems), result.problems
    assert verify.verify_pdf(before, station).ok  # issued by the plant: still valid


def test_pades_b_t_with_a_time_stamp_authority(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    """The B-T code path, with pyHanko's in-process TSA (no network in tests)."""
    stamper, tsa_root = _test_tsa()
    out = tmp_path / "bt.pdf"
    e = documents.export_report(station, supervisor, password, signed, out, timestamper=stamper)
    assert e.timestamped
    trust = tmp_path / "tsa.pem"
    trust.write_text(crypto.cert_pem(tsa_root))
    result = verify.verify_pdf(out, station, [trust])
    assert result.ok, result.problems
    assert any("time-stamped (B-T)" in line for line in result.lines)


def _test_tsa():  # type: ignore[no-untyped-def]
    """pyHanko's in-process TSA with its own root (no network in tests)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.sign.timestamps import DummyTimeStamper

    now = datetime.now(timezone.utc)
    tsa_key = rsa.generate_private_key(65537, 2048)  # pyHanko's test TSA signs with RSA
    tsa_root_key = crypto.new_signing_key()
    tsa_root = crypto.make_root(tsa_root_key, "Test TSA", now)
    tsa_cert = _tsa_cert(tsa_root_key, tsa_root, tsa_key, now)
    stamper = DummyTimeStamper(
        asn1_x509.Certificate.load(tsa_cert.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(crypto.private_der(tsa_key)),
    )
    return stamper, tsa_root


def _tsa_cert(root_key, root, key, now):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )


def _with_timestamp_url(station: Station, url: str) -> None:
    station.location = station.location.__class__(
        station.location.data_dir,
        station.location.database_url,
        Settings(station_name=station.name, timestamp_url=url),
    )


def test_pades_b_t_through_a_configured_time_stamp_server_over_http(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    """settings.timestamp_url, the way a plant configures it: a real RFC 3161 exchange over
    HTTP with a TSA on this machine (pyHanko's test TSA behind http.server)."""
    import asyncio
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from asn1crypto import tsp

    stamper, tsa_root = _test_tsa()
    requests: list[str] = []

    class Tsa(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(self.headers.get("Content-Type", ""))
            req = tsp.TimeStampReq.load(body)
            answer = asyncio.run(stamper.async_request_tsa_response(req)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tsa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _with_timestamp_url(station, f"http://127.0.0.1:{server.server_address[1]}/tsa")
        out = tmp_path / "bt-http.pdf"
        e = documents.export_report(station, supervisor, password, signed, out)
    finally:
        server.shutdown()
        server.server_close()
    assert e.timestamped
    assert requests and set(requests) == {"application/timestamp-query"}
    trust = tmp_path / "tsa.pem"
    trust.write_text(crypto.cert_pem(tsa_root))
    result = verify.verify_pdf(out, station, [trust])
    assert result.ok, result.problems
    assert any("time-stamped (B-T)" in line for line in result.lines)


def test_an_unreachable_time_stamp_server_is_said_and_nothing_is_written(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _with_timestamp_url(station, f"http://127.0.0.1:{port}/tsa")
    out = tmp_path / "never.pdf"
    with pytest.raises(SigningRefused, match="time-stamp server"):
        documents.export_report(station, supervisor, password, signed, out)
    assert not out.exists()


@needs_poppler
def test_a_photo_is_evidence_not_a_passed_check_on_the_certificate_and_the_report(
    station: Station, supervisor: User, signed: str, password: str, tmp_path: Path
) -> None:
    """Final QC v3: 26 items, of which 3 are text (recorded) and 1 a photo: 22 checks. The
    SKU has no specification, so its weight, ring size and stone weight are N/A. The HUID
    recorded is printed on both."""
    cert = documents.export_certificate(station, supervisor, password, signed, tmp_path / "c.pdf")
    report = documents.export_report(station, supervisor, password, signed, tmp_path / "r.pdf")
    for pdf in (cert.path, report.path):
        printed = subprocess.run(
            ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        said = " ".join(printed.split())
        assert (
            "22 checks: 19 passed, 0 failed, 3 not applicable (3 recorded, 1 photo taken)" in said
        ), pdf
        assert "26 checks" not in said and "23 checks" not in said
        assert "AB12C3" in said, pdf  # the HUID as recorded


def test_upgrade_says_when_the_active_final_qc_records_no_claims(
    station: Station, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    from qcstation import content
    from qcstation.services import templates, upgrades

    shipped = (content.templates_dir() / "final_qc.yaml").read_text("utf-8")

    def version(n: int, claims: bool = True) -> Path:
        text = shipped.replace("version: 3", f"version: {n}")
        if not claims:
            text = re.sub(r"\n +claim: \w+", "", text)
        path = tmp_path / f"final_qc_v{n}.yaml"
        path.write_text(text, "utf-8")
        return path

    assert documents.claim_notes(station) == []  # the shipped final QC is the active one
    # a newer shipped version while the active one records the claims: nothing to say
    # (final QC 3 judged weights against specifications; a plant on 2 had its claims)
    monkeypatch.setattr(content, "shipped_templates", lambda: [version(4)])
    assert documents.claim_notes(station) == []
    # the active version records none (as version 1 did): the upgrade says so
    templates.import_files(station, admin, [version(4, claims=False)])
    newer = version(5)
    monkeypatch.setattr(content, "shipped_templates", lambda: [newer])
    said = upgrades.upgrade(station).describe()
    assert "the active Final QC checklist is version 4; version 5 records what" in said
    assert f"qcstation template import {newer}" in said
