"""Verifying a signed report or certificate PDF, or a certificate's QR code.

A document is valid only if the plant issued it: its PDF is signed by the plant document
key (its certificate says so: services/_plant_keys.py), chained to the plant root, and it
carries what it states as embedded content inside the signed revision (domain/documents.py).

On a station the embedded content is compared with the database: the signing key is the
plant's document key and was in force when it signed; the embedded record hashes as the
database's record does now; the document row exists with that number, kind and inspection,
and a signed audit event records issuing exactly this content; the audit trail still holds
the head the document was issued at; a certificate was not superseded.

Without a database (``--trust`` the plant's public keys file, `qcstation keys public`), the
signature and its chain to the root are checked, the key's state as that file gives it,
and the facts the document states are printed, for a person to compare with the paper.

Documents of the old format (before qcstation 0.2: signed by the exporter's own key, the
record named only in the signature's reason) are said to be exactly that: intact or not,
signed by whom, but not bound to the record; they are not valid proof, and are reissued.

A result with problems means "invalid" (exit 1); `Unverifiable` means the input could
not be checked at all: missing, cut off, not a PDF, no QR code in the image (exit 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.accounts import keys
from qcstation.domain import certificates
from qcstation.domain.certificate_claims import from_data
from qcstation.domain.certificates import CertificateClaim, PayloadError
from qcstation.domain.documents import DocumentContentError, DocumentFacts
from qcstation.reports import qr
from qcstation.reports.pdfsign import CONTENT_FILE
from qcstation.reports.pdfverify import PdfSignatureCheck, UnreadablePdf, check_pdf, embedded_file
from qcstation.services import _keyring, records
from qcstation.services import audit as audit_service
from qcstation.services import document_content as dc
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.services.public_keys import PublishedKey, parse
from qcstation.store import anchors
from qcstation.store import audit as chain
from qcstation.store.models import AuditEntry, DocumentRow, PlantKeyExposureRow, SigningKeyRow

_REASON = re.compile(
    r"qcstation (report|certificate) (\S+); inspection (\S+); record sha256 ([0-9a-f]{64})"
)
REISSUE = "reissue it (`qcstation report export ID`, `qcstation certificate reissue ID`)"


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


def _published(files: Sequence[Path], what: str) -> list[PublishedKey]:
    found: list[PublishedKey] = []
    for path in files:
        try:
            found += parse(path.read_text("ascii", errors="replace"))
        except (OSError, keys.KeyFileError, ValueError) as exc:
            raise Unverifiable(f"cannot use {path} as {what}: {exc}") from None
    return found


def _station_keys(s: Session) -> list[PublishedKey]:
    """The plant's certificates as the database holds them, with their state."""
    exposed = {
        i: r
        for i, r in s.execute(
            select(PlantKeyExposureRow.signing_key_id, PlantKeyExposureRow.reason)
        )
    }
    out = []
    for row in s.scalars(
        select(SigningKeyRow).where(
            SigningKeyRow.kind.in_((_keyring.ROOT, _keyring.SEAL, _keyring.DOCUMENT)),
            SigningKeyRow.certificate.is_not(None),
        )
    ):
        try:
            cert = keys.load_certs_pem(row.certificate or "")[0]
        except keys.KeyFileError:
            continue
        ended = row.revoked_at or row.retired_at
        how = "revoked" if row.revoked_at else "retired" if row.retired_at else ""
        out.append(PublishedKey(row.kind, cert, row.key_id, ended, how, exposed.get(row.id, "")))
    return out


def _pinned(station: Station, s: Session) -> str | None:
    """Why the database's plant root is not the one this station pinned, or None."""
    root = _keyring.plant_row(s, _keyring.ROOT)
    if root is None or not root.certificate:
        return None
    chain_id = chain.chain_head(s)[0]
    saved = anchors.load(audit_service.anchor_path(station)).chains.get(chain_id)
    if saved is None or saved.root_sha256 is None:
        return None
    found = audit_service.fingerprint(keys.load_certs_pem(root.certificate)[0])
    if found != saved.root_sha256:
        return (
            f"the plant root in this database ({found[:16]}…) is not the one this station "
            f"pinned ({saved.root_sha256[:16]}…): the plant's keys were replaced"
        )
    return None


# --- PDFs ------------------------------------------------------------------------------


def verify_pdf(path: Path, station: Station | None, trust: Sequence[Path] = ()) -> Verification:
    data = _read(path)
    given = _published(trust, "a trusted certificate")
    result = Verification()
    if station is None:
        _check_pdf(data, None, given, result)
    else:
        with station.db.read() as s:
            problem = _pinned(station, s)
            if problem:
                result.problems.append(problem)
                _check_pdf(data, s, given, result)
            else:
                _check_pdf(data, s, given + _station_keys(s), result)
    return result


def _check_pdf(
    data: bytes, s: Session | None, known: list[PublishedKey], result: Verification
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    roots = [k.certificate.public_bytes(Encoding.DER) for k in known if k.kind == _keyring.ROOT]
    try:
        checks = check_pdf(data, roots)
        content = embedded_file(data, CONTENT_FILE)
    except UnreadablePdf as exc:
        # Complete (header and end marker present) yet unreadable: damaged or altered.
        result.problems.append(f"the file is damaged or was altered: it {exc}")
        return
    if not checks:
        result.problems.append("the PDF carries no digital signature")
    if not roots:
        result.problems.append(
            "no plant root certificate to check the signer against: run this on a station, "
            "or pass --trust PLANT-KEYS.pem (from `qcstation keys public`)"
        )
    for c in checks:
        _check_signature(c, content, s, known, bool(roots), result)


def _when(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC" if at else "an unknown time"


def _check_signature(
    c: PdfSignatureCheck,
    content: bytes | None,
    s: Session | None,
    known: list[PublishedKey],
    have_roots: bool,
    result: Verification,
) -> None:
    kind = "time-stamped (B-T)" if c.timestamped else "signer's clock (B-B)"
    result.lines.append(f"PDF signature by {_name(c)}, {_when(c.signing_time)}, {kind}")
    if not c.intact or not c.valid:
        result.problems.append(
            "the document was changed after it was signed: its bytes no longer match the signature"
        )
    elif not c.trusted and have_roots:
        result.problems.append("the signer's certificate does not chain to the plant root")
    if c.intact and not c.whole_file:
        result.problems.append("something was appended to the file after it was signed")
    try:
        cert = x509.load_der_x509_certificate(c.signer_certificate)
        signer_key = keys.key_id(keys.certificate_public_key(cert))
    except (ValueError, keys.KeyFileError):
        return  # no readable signer certificate: the signature is flagged already
    if not keys.is_document_certificate(cert):
        _not_the_plants(c, s, result)
        return
    if content is None:
        result.problems.append(
            "it carries no embedded record: not a document this plant issued with qcstation"
        )
        return
    try:
        facts = DocumentFacts.from_content(content)
    except DocumentContentError as exc:
        result.problems.append(str(exc))
        return
    result.lines += facts.lines()
    if not facts.record_intact:
        result.problems.append(
            "the embedded record does not hash to the record SHA-256 the document names"
        )
    key = next((k for k in known if k.key_id == signer_key), None)
    if key is not None and key.kind == _keyring.DOCUMENT:
        _key_in_force(key, c.signing_time, result)
    elif s is None:
        result.lines.append(
            "the plant document key's state is not known here: pass the plant's public keys "
            "file (`qcstation keys public`) with --trust to check it was in force"
        )
    if s is not None:
        _against_database(s, signer_key, facts, result)


def _name(c: PdfSignatureCheck) -> str:
    """The signer's common name (and unit), as a person reads it."""
    try:
        cert = x509.load_der_x509_certificate(c.signer_certificate)
    except ValueError:
        return c.signer
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    unit = keys.certificate_unit(cert)
    if not cn:
        return c.signer
    return f"{cn[0].value!s}" + (f" ({unit})" if unit and unit not in str(cn[0].value) else "")


def _key_in_force(key: PublishedKey, signed_at: datetime | None, result: Verification) -> None:
    # A PDF signing time has whole seconds: the second it ended counts as after it.
    if key.retired_at is not None and (
        signed_at is None or signed_at >= key.retired_at.replace(microsecond=0)
    ):
        result.problems.append(
            f"signed with the plant document key {key.ended} on {_when(key.retired_at)}: "
            "nothing it signed after that is the plant's"
        )
    elif key.retired_at is not None:
        result.lines.append(f"plant document key, {key.ended} since {_when(key.retired_at)}")
    else:
        result.lines.append("signed by the plant document key in force")


def _not_the_plants(c: PdfSignatureCheck, s: Session | None, result: Verification) -> None:
    """A PDF not signed by the plant document key: an old-format document, or a forgery."""
    match = _REASON.search(c.reason)
    if match is None:
        result.problems.append(
            f"not signed by the plant's document key (signed by {_name(c)}): "
            "not a document this plant issued"
        )
        return
    kind, number, inspection_id, digest = match.groups()
    result.lines.append(
        f"names {kind} {number} of inspection {inspection_id}, record SHA-256 {digest}"
    )
    issued = False
    if s is not None:
        doc = s.scalars(select(DocumentRow).where(DocumentRow.number == number)).first()
        issued = (
            doc is not None
            and doc.kind == kind
            and doc.inspection_id == inspection_id
            and (doc.details or {}).get("format") != 2
        )
    proven = "intact and" if c.intact and c.valid else "damaged, but"
    result.problems.append(
        f"an old-format qcstation document{' this station issued' if issued else ''}: its "
        f"signature is {proven} was made by {_name(c)} with their own key on "
        f"{_when(c.signing_time)}; what it says is not bound to the record and the plant's "
        f"document key did not sign it, so it is not valid proof of the inspection: {REISSUE}"
    )


def _against_database(
    s: Session, signer_key: str, facts: DocumentFacts, result: Verification
) -> None:
    key = s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id == signer_key)).first()
    if key is None or key.kind != _keyring.DOCUMENT:
        result.problems.append("signed by a key that is not this plant's document key")
        return
    doc = s.scalars(select(DocumentRow).where(DocumentRow.number == facts.number)).first()
    if doc is None or doc.inspection_id != facts.inspection_id or doc.kind != facts.kind:
        result.problems.append(
            f"this database has issued no {facts.kind} {facts.number} for that inspection"
        )
        return
    issuer = dc.issuer_name(s, doc)
    if issuer != facts.issued_by.username or doc.issued_at != facts.issued_at:
        result.problems.append(
            f"the database issued {facts.number} on {_when(doc.issued_at)} by {issuer}, not "
            f"as the document says"
        )
    if not _issue_recorded(s, doc.id, facts.sha256):
        result.problems.append(
            f"this database holds no record of issuing this content as {facts.number}: it was "
            "not made by this plant's qcstation"
        )
    _trail_holds(s, facts, result)
    try:
        record = records.load(s, facts.inspection_id)
    except InvalidInput as exc:
        result.problems.append(str(exc))
        return
    if record.record_hash != facts.record_sha256:
        result.problems.append(
            f"the record in the database differs from the signed one (now SHA-256 "
            f"{record.record_hash}): it was changed after signing, or behind the application's "
            "back; run `qcstation audit verify` to see what"
        )
    else:
        result.lines.append("record hash equals the database's record")
    verdict = dc.settled_verdict(record.inspection.verdict, dc.review(s, facts.inspection_id))
    if verdict is not facts.verdict:
        result.problems.append(f"the database's verdict is now {verdict.label}")
    if facts.kind == "certificate":
        _still_in_force(s, doc, result)
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


def _issue_recorded(s: Session, document_id: int, content_sha256: str) -> bool:
    """A signed audit event says this station issued (or copied) exactly this content."""
    for text in s.scalars(
        select(AuditEntry.new).where(
            AuditEntry.entity == chain.EVENT, AuditEntry.entity_id == f"documents/{document_id}"
        )
    ):
        try:
            if json.loads(text or "{}").get("content_sha256") == content_sha256:
                return True
        except ValueError:
            continue
    return False


def _trail_holds(s: Session, facts: DocumentFacts, result: Verification) -> None:
    head = facts.audit_head
    chain_id, last_id, _last_hash = chain.chain_head(s)
    if head.chain != chain_id:
        result.problems.append(
            f"issued on another audit trail (chain {head.chain[:8]}) than this database's "
            f"({chain_id[:8]})"
        )
        return
    if head.id > last_id:
        result.problems.append(
            f"the audit trail ends at entry #{last_id}, but this document was issued at entry "
            f"#{head.id}: entries were cut off, or an older copy of the database was put back"
        )
        return
    if head.id == 0:
        return
    stored = s.scalar(select(AuditEntry.hash).where(AuditEntry.id == head.id))
    if stored != head.hash:
        result.problems.append(
            f"the audit trail's entry #{head.id} is not the one this document was issued at: "
            "the trail was rewritten; run `qcstation audit verify`"
        )
    else:
        result.lines.append(f"the audit trail still holds entry #{head.id} as issued")


def _still_in_force(s: Session, doc: DocumentRow, result: Verification) -> None:
    replaced = dc.reissue_of(s, doc.id)
    if replaced is not None:
        reissue, by = replaced
        result.problems.append(
            f"certificate {doc.number} was superseded by certificate {by.number} on "
            f"{reissue.reissued_at:%Y-%m-%d} ({reissue.reason}): it is no longer valid"
        )


# --- QR codes --------------------------------------------------------------------------


def verify_qr(
    given: str,
    station: Station | None,
    public_keys: Sequence[Path] = (),
    url_pattern: str | None = None,
) -> Verification:
    """Check a certificate's QR code: its text (the bare payload, or the plant's
    verification URL holding it) or an image file of the code."""
    text = given
    path = Path(given)
    if _image_file(given):
        try:
            found = qr.decode_file(path)
        except ValueError as exc:
            raise Unverifiable(str(exc)) from None
        codes = [t for t in found if certificates.PREFIX in t]
        if not codes:
            raise Unverifiable(f"no qcstation QR code found in {path}")
        text = codes[0]
    pattern = station.location.settings.certificate_verify_url if station else url_pattern
    try:
        certificates.find_payload(text)
    except PayloadError as exc:
        raise Unverifiable(str(exc)) from None
    result = Verification()
    try:
        payload, url_number = certificates.extract(text, pattern)
    except PayloadError as exc:
        result.problems.append(str(exc))
        return result
    given_keys = _published(public_keys, "the plant's public keys")
    if station is None:
        _check_qr(payload, url_number, None, given_keys, result)
    else:
        with station.db.read() as s:
            _check_qr(payload, url_number, s, given_keys + _station_keys(s), result)
    return result


def _image_file(given: str) -> bool:
    """The text names an image file (not a payload or a web address)."""
    if given.strip().startswith(certificates.PREFIX) or "://" in given:
        return False
    try:
        return bool(Path(given).suffix) and Path(given).is_file()
    except OSError:  # a name too long for the file system: text, not a file
        return False


def verify_qr_image(
    image: NDArray[Any], station: Station | None, public_keys: Sequence[Path] = ()
) -> Verification:
    """Check the certificate QR code in a camera frame (numpy, BGR or grey).

    Raises Unverifiable when the frame holds no qcstation QR code: the caller (the
    window's scan mode) simply tries the next frame.
    """
    codes = [t for t in qr.decode_image(image) if certificates.PREFIX in t]
    if not codes:
        raise Unverifiable("no qcstation QR code in view: hold the certificate steady, closer")
    return verify_qr(codes[0], station, public_keys)


def _check_qr(
    payload: str,
    url_number: str | None,
    s: Session | None,
    known: list[PublishedKey],
    result: Verification,
) -> None:
    try:
        claim, body, signature = certificates.decode(payload)
    except PayloadError as exc:
        result.problems.append(f"the QR payload is damaged: {exc}")
        return
    result.lines += [
        f"certificate {claim.number}, issued {claim.issued:%Y-%m-%d}",
        f"verdict {claim.verdict.label}",
    ]
    result.lines += [f"claim: {c}" for c in claim.claims]
    result.lines.append(f"record SHA-256 {claim.record_hash}")
    if claim.version == 1:
        result.lines.append(
            "an older QR code (before qcstation 0.2): it does not carry the printed claims, "
            "so they are not covered by it"
        )
    if url_number is not None and url_number != claim.number:
        result.problems.append(
            f"the web address names certificate {url_number}, the sealed payload {claim.number}"
        )
    seals = [k for k in known if k.kind == _keyring.SEAL]
    seals += [k for k in known if k.kind == "other" and _is_seal_key(k)]
    if not seals:
        raise Unverifiable(
            "no plant public key to check against: run this on a station, or pass "
            "--public-key PLANT-KEYS.pem (from `qcstation keys public`)"
        )
    candidates = [k for k in seals if bytes.fromhex(k.key_id)[:4] == claim.key_tag]
    signer = next((k for k in candidates if keys.verify(k.public_key, signature, body)), None)
    if not candidates:
        result.problems.append("the QR code was sealed by a key this plant does not know")
    elif signer is None:
        result.problems.append("the QR signature does not match its content: altered or forged")
    else:
        result.lines.append("sealed by the plant's certificate seal: the signature is valid")
        _seal_state(signer, claim, s is None, result)
    if s is not None:
        _qr_against_database(s, claim, result)


def _is_seal_key(k: PublishedKey) -> bool:
    return keys.algorithm(k.public_key) == "ed25519"


def _seal_state(
    seal: PublishedKey, claim: CertificateClaim, offline: bool, result: Verification
) -> None:
    if seal.retired_at is not None and claim.issued > seal.retired_at.date():
        result.problems.append(
            f"sealed by a seal {seal.ended} on {seal.retired_at:%Y-%m-%d}, yet dated "
            f"{claim.issued:%Y-%m-%d}: a QR code dated after its seal was {seal.ended} is not "
            "the plant's"
        )
    if seal.exposed:
        if offline:
            result.problems.append(
                f"sealed with a seal that left the hands of those who issue certificates "
                f"({seal.exposed}): offline this QR code proves nothing; have the plant check "
                "it on a station, or ask for a reissued certificate"
            )
        else:
            result.lines.append(
                "note: this seal left the hands of those who issue certificates; the "
                "database decides whether the plant issued it"
            )


def _qr_against_database(s: Session, claim: CertificateClaim, result: Verification) -> None:
    doc = s.scalars(select(DocumentRow).where(DocumentRow.number == claim.number)).first()
    if doc is None or doc.kind != "certificate":
        result.problems.append(f"this database has issued no certificate {claim.number}")
        return
    if doc.issued_at.date() != claim.issued:
        result.problems.append(
            f"certificate {claim.number} was issued on {doc.issued_at:%Y-%m-%d}, not on "
            f"{claim.issued:%Y-%m-%d} as the QR code says"
        )
    record = records.load(s, doc.inspection_id)
    if record.record_hash != claim.record_hash or doc.record_hash != claim.record_hash:
        result.problems.append(
            "the record in the database differs from the certified one: changed after "
            "signing, or behind the application's back; run `qcstation audit verify`"
        )
    verdict = dc.settled_verdict(record.inspection.verdict, dc.review(s, doc.inspection_id))
    if verdict is not claim.verdict:
        result.problems.append(f"the database's verdict is now {verdict.label}")
    details = doc.details or {}
    certified = from_data(details.get("claims"))
    if claim.version >= 2 and details.get("format") == 2 and certified != claim.claims:
        result.problems.append(
            f"the QR code's claims differ from what the plant certified for {claim.number}"
        )
    _still_in_force(s, doc, result)
    if not result.problems:
        result.lines.append("matches the database's record")
    if record.superseded_by:
        result.lines.append(f"note: the inspection was corrected by {record.superseded_by}")
