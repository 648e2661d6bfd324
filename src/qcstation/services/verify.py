"""Verifying a signed report or certificate PDF, or a certificate's QR code.

Without a database, a PDF is checked against root certificates given as files and a QR
code against the plant's public key (`qcstation keys public`). On a station, the plant
keys come from the database and the signed record hash is compared with the record as
the database holds it now, so a row changed behind the application's back is named.

A result with problems means "invalid" (exit 1); `Unverifiable` means the input could
not be checked at all: missing, cut off, not a PDF, no QR code in the image (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain import certificates
from qcstation.domain.certificates import PayloadError
from qcstation.reports import qr
from qcstation.reports.pdfverify import UnreadablePdf, check_pdf
from qcstation.services import _keyring, records
from qcstation.services import document_content as dc
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.store.models import DocumentRow, SigningKeyRow

_REASON = re.compile(
    r"qcstation (report|certificate) (\S+); inspection (\S+); record sha256 ([0-9a-f]{64})"
)


class Unverifiable(InvalidInput):
    """The file or text could not be checked at all; the message says why."""


@dataclass
class Verification:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unverifiable(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.startswith(b"%PDF-"):
        raise Unverifiable(f"{path} is not a PDF file")
    if b"%%EOF" not in data[-2048:]:
        raise Unverifiable(
            f"{path} is truncated: it stops before the PDF's end marker "
            f"({len(data)} bytes); get the complete file again"
        )
    return data


def _trust_roots(session: Session | None, files: Sequence[Path]) -> list[bytes]:
    from cryptography.hazmat.primitives.serialization import Encoding

    certs = []
    for path in files:
        try:
            certs += keys.load_certs_pem(path.read_bytes())
        except (OSError, keys.KeyFileError) as exc:
            raise Unverifiable(f"cannot use {path} as a trusted certificate: {exc}") from None
    if session is not None:
        # The plant root only: an imported identity is certified by the plant itself when
        # approved, so no other CA (a company's, or one a user made) is ever trusted here.
        root = _keyring.plant_row(session, _keyring.ROOT)
        if root is not None:
            certs += keys.load_certs_pem(root.certificate or "")
    return [c.public_bytes(Encoding.DER) for c in certs]


def verify_pdf(path: Path, station: Station | None, trust: Sequence[Path] = ()) -> Verification:
    data = _read(path)
    result = Verification()
    if station is None:
        _check_pdf(data, None, trust, result, path)
    else:
        with station.db.read() as s:
            _check_pdf(data, s, trust, result, path)
    return result


def _check_pdf(
    data: bytes, s: Session | None, trust: Sequence[Path], result: Verification, path: Path
) -> None:
    roots = _trust_roots(s, trust)
    try:
        checks = check_pdf(data, roots)
    except UnreadablePdf as exc:
        # Complete (header and end marker present) yet unreadable: damaged or altered.
        result.problems.append(f"the file is damaged or was altered: it {exc}")
        return
    if not checks:
        result.problems.append("the PDF carries no digital signature")
    if not roots:
        result.problems.append(
            "no plant root certificate to check the signer against: run this on a station, "
            "or pass --trust ROOT.pem (from `qcstation keys public`)"
        )
    for c in checks:
        when = f"{c.signing_time:%Y-%m-%d %H:%M:%S} UTC" if c.signing_time else "unknown time"
        kind = "time-stamped (B-T)" if c.timestamped else "signer's clock (B-B)"
        result.lines.append(f"signature {c.field!r} by {c.signer}, {when}, {kind}")
        if not c.intact or not c.valid:
            result.problems.append(
                "the document was changed after it was signed: its bytes no longer match the "
                "signature"
            )
        elif not c.trusted and roots:
            result.problems.append("the signer's certificate does not chain to the plant root")
        if c.intact and not c.whole_file:
            result.problems.append("something was appended to the file after it was signed")
        match = _REASON.search(c.reason)
        if match is None:
            result.lines.append("not a qcstation document (no record reference in the signature)")
            continue
        kind_, number, inspection_id, signed_hash = match.groups()
        result.lines.append(f"{kind_} {number} of inspection {inspection_id}")
        result.lines.append(f"signed record SHA-256 {signed_hash}")
        if s is not None:
            _against_database(
                s,
                c.signer_certificate,
                c.signing_time,
                kind_,
                number,
                inspection_id,
                signed_hash,
                result,
            )


def _against_database(
    s: Session,
    cert_der: bytes,
    signed_at: datetime | None,
    kind: str,
    number: str,
    inspection_id: str,
    signed_hash: str,
    result: Verification,
) -> None:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(cert_der)
        key_id = keys.key_id(keys.certificate_public_key(cert))
    except (ValueError, keys.KeyFileError):
        key_id = ""  # no readable signer certificate: the signature is flagged already
    key = s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id == key_id)).first()
    # A PDF signing time has whole seconds: the second of the revocation counts as after it.
    revoked = key.revoked_at if key is not None else None
    if revoked is not None and (signed_at is None or signed_at >= revoked.replace(microsecond=0)):
        result.problems.append(
            f"signed with a key revoked on {revoked:%Y-%m-%d %H:%M:%S} UTC "
            f"({key.revocation_reason if key else ''})"
        )
    doc = s.scalars(select(DocumentRow).where(DocumentRow.number == number)).first()
    if doc is None or doc.inspection_id != inspection_id or doc.kind != kind:
        result.problems.append(f"this database has issued no {kind} {number} for that inspection")
        return
    try:
        record = records.load(s, inspection_id)
    except InvalidInput as exc:
        result.problems.append(str(exc))
        return
    if record.record_hash != signed_hash:
        result.problems.append(
            f"the record in the database differs from the signed one (now SHA-256 "
            f"{record.record_hash}): it was changed after signing, or behind the application's "
            "back; run `qcstation audit verify` to see what"
        )
    else:
        result.lines.append("record hash equals the database's record")
    for check in records.check(s, record):
        m = check.signature.manifest
        if check.ok:
            result.lines.append(f"e-signature {m.meaning.value} by {m.printed_name}: valid")
        else:
            result.problems += [
                f"e-signature {m.meaning.value} by {m.printed_name}: {p}" for p in check.problems
            ]
    if record.superseded_by:
        result.lines.append(f"note: this inspection was corrected by {record.superseded_by}")


def verify_qr(
    given: str, station: Station | None, public_keys: Sequence[Path] = ()
) -> Verification:
    """Check a QR payload (the text, a URL holding it, or an image file of the code)."""
    text = given
    path = Path(given)
    if len(given) < 400 and path.suffix and path.is_file():
        try:
            found = qr.decode_file(path)
        except ValueError as exc:
            raise Unverifiable(str(exc)) from None
        codes = [t for t in found if "QC1." in t]
        if not codes:
            raise Unverifiable(f"no qcstation QR code found in {path}")
        text = codes[0]
    try:
        certificates.find_payload(text)
    except PayloadError as exc:
        raise Unverifiable(str(exc)) from None
    result = Verification()
    if station is None:
        _check_qr(text, None, public_keys, result)
    else:
        with station.db.read() as s:
            _check_qr(text, s, public_keys, result)
    return result


def verify_qr_image(
    image: NDArray[Any], station: Station | None, public_keys: Sequence[Path] = ()
) -> Verification:
    """Check the certificate QR code in a camera frame (numpy, BGR or grey).

    Raises Unverifiable when the frame holds no qcstation QR code: the caller (the
    window's scan mode) simply tries the next frame.
    """
    codes = [t for t in qr.decode_image(image) if "QC1." in t]
    if not codes:
        raise Unverifiable("no qcstation QR code in view: hold the certificate steady, closer")
    return verify_qr(codes[0], station, public_keys)


def _seal_keys(s: Session | None, files: Sequence[Path]) -> list[keys.PublicKey]:
    out: list[keys.PublicKey] = []
    for path in files:
        try:
            data = path.read_bytes()
            if b"CERTIFICATE" in data:
                out += [keys.certificate_public_key(c) for c in keys.load_certs_pem(data)]
            else:
                out.append(keys.load_public_pem(data))
        except (OSError, ValueError) as exc:
            raise Unverifiable(f"cannot use {path} as the plant's public key: {exc}") from None
    if s is not None:
        for row in s.scalars(select(SigningKeyRow).where(SigningKeyRow.kind == _keyring.SEAL)):
            out.append(keys.load_public_pem(row.public_key))
    return out


def _check_qr(text: str, s: Session | None, files: Sequence[Path], result: Verification) -> None:
    try:
        claim, body, signature = certificates.decode(text)
    except PayloadError as exc:
        result.problems.append(f"the QR payload is damaged: {exc}")
        return
    result.lines += [
        f"certificate {claim.number}, issued {claim.issued:%Y-%m-%d}",
        f"verdict {claim.verdict.label}",
        f"record SHA-256 {claim.record_hash}",
    ]
    candidates = [
        k for k in _seal_keys(s, files) if bytes.fromhex(keys.key_id(k))[:4] == claim.key_tag
    ]
    if not _seal_keys(s, files):
        raise Unverifiable(
            "no plant public key to check against: run this on a station, or pass "
            "--public-key FILE (from `qcstation keys public`)"
        )
    if not candidates:
        result.problems.append("the QR code was signed by a key this plant does not know")
    elif not any(keys.verify(k, signature, body) for k in candidates):
        result.problems.append("the QR signature does not match its content: altered or forged")
    else:
        result.lines.append("signed by the plant seal: valid")
    if s is None:
        return
    doc = s.scalars(select(DocumentRow).where(DocumentRow.number == claim.number)).first()
    if doc is None or doc.kind != "certificate":
        result.problems.append(f"this database has issued no certificate {claim.number}")
        return
    record = records.load(s, doc.inspection_id)
    if record.record_hash != claim.record_hash:
        result.problems.append(
            "the record in the database differs from the certified one: changed after "
            "signing, or behind the application's back; run `qcstation audit verify`"
        )
    verdict = dc.certificate_verdict(record.inspection.verdict, dc.review(s, doc.inspection_id))
    if verdict is not claim.verdict:
        result.problems.append(f"the database's verdict is now {verdict.label}")
    if not result.problems:
        result.lines.append("matches the database's record")
    if record.superseded_by:
        result.lines.append(f"note: the inspection was corrected by {record.superseded_by}")
