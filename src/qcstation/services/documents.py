"""Exporting signed inspection reports and customer certificates as PDF files.

The exporter re-enters the password (wrong ones count toward the lockout): it unseals
the key that signs the PDF (PAdES B-B; B-T when settings.timestamp_url names a server)
and, for certificates, the plant seal that signs the QR payload. The number is given
in a short write transaction; the PDF is built and signed outside it (no lock held),
then written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import serialization

from qcstation.accounts import keys
from qcstation.domain import certificates
from qcstation.domain.certificates import CertificateClaim
from qcstation.domain.inspections import Status
from qcstation.domain.users import Permission, User
from qcstation.reports.certificate import build_certificate
from qcstation.reports.inspection_report import build_report
from qcstation.reports.model import CertificateContent, ReportContent
from qcstation.reports.pdfsign import (
    SigningIdentity,
    TimestampUnavailable,
    sign_pdf,
    timestamper_for,
)
from qcstation.services import _keyring, records
from qcstation.services import document_content as dc
from qcstation.services.accounts import login, require
from qcstation.services.context import Station
from qcstation.services.document_content import CertificateDetails
from qcstation.services.errors import Conflict, InvalidInput, LoginFailed, SigningRefused

__all__ = [
    "CertificateDetails",
    "Exported",
    "export_certificate",
    "export_report",
    "export_reports",
]


@dataclass(frozen=True)
class Exported:
    kind: str
    number: str
    inspection_id: str
    path: Path
    sha256: str
    record_hash: str
    timestamped: bool


def _identity(ident: _keyring.Identity) -> SigningIdentity:
    return SigningIdentity(
        keys.private_der(ident.private_key),
        ident.certificate.public_bytes(serialization.Encoding.DER),
        tuple(c.public_bytes(serialization.Encoding.DER) for c in ident.chain),
    )


def _login(station: Station, actor: User, password: str) -> User:
    """The exporter signed in again: the password is re-entered, and the key it opens
    signs what the export records."""
    try:
        return login(station, actor.username, password)
    except LoginFailed as exc:
        raise LoginFailed(f"{exc}; nothing was exported") from None


def write_atomically(path: Path, data: bytes) -> None:
    target = path.expanduser().resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".qcstation-", suffix=".pdf", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from None


def _stamp(kind: str, number: str, plant: str) -> str:
    """The visible signature's text; pyHanko fills in %(signer)s and %(ts)s."""
    tail = f"{plant} · {kind} {number}".replace("%", "%%")
    return f"Digitally signed by %(signer)s\nDate: %(ts)s\n{tail}"


def _sign(
    station: Station,
    pdf: bytes,
    ident: _keyring.Identity,
    area: Any,
    kind: str,
    number: str,
    record: records.Record,
    timestamper: Any,
    font: int = 7,
) -> bytes:
    ts = (
        timestamper
        if timestamper is not None
        else timestamper_for(station.location.settings.timestamp_url)
    )
    ins, digest = record.inspection.id, record.record_hash
    reason = f"qcstation {kind} {number}; inspection {ins}; record sha256 {digest}"
    try:
        return sign_pdf(
            pdf,
            _identity(ident),
            area,
            reason,
            station.name,
            _stamp(kind, number, station.location.settings.plant_name),
            ts,
            font,
        )
    except TimestampUnavailable as exc:
        raise SigningRefused(
            f"the time-stamp server {station.location.settings.timestamp_url or ''} did not "
            f"answer ({exc}): check the network, or clear the time-stamp server in the "
            f"settings to sign without one (PAdES B-B); {kind} {number} was not written"
        ) from None


def export_reports(
    station: Station,
    actor: User,
    password: str,
    inspection_ids: Sequence[str],
    out_dir: Path,
    timestamper: Any = None,
) -> list[Exported]:
    """Batch export: one password, one file per inspection named by its report number."""
    actor = _login(station, actor, password)
    done = []
    for ins_id in inspection_ids:
        content, ident, record, number = _report_content(station, actor, password, ins_id)
        done.append(
            _finish_report(station, content, ident, record, number, None, out_dir, timestamper)
        )
    return done


def export_report(
    station: Station,
    actor: User,
    password: str,
    inspection_id: str,
    out: Path,
    timestamper: Any = None,
) -> Exported:
    actor = _login(station, actor, password)
    content, ident, record, number = _report_content(station, actor, password, inspection_id)
    return _finish_report(station, content, ident, record, number, out, None, timestamper)


def _report_content(
    station: Station, actor: User, password: str, inspection_id: str
) -> tuple[ReportContent, _keyring.Identity, records.Record, str]:
    with station.db.write(actor, station.name, reason="export report") as s:
        me = require(s, actor, Permission.INSPECT)
        record = records.load(s, inspection_id)
        if record.inspection.status is not Status.COMPLETED:
            raise Conflict(f"inspection {inspection_id} is not completed: complete it first")
        ident = _keyring.unlock(s, me, password)
        doc = dc.document(s, station, "report", record, me.id)
        content = ReportContent(
            number=doc.number,
            plant=station.location.settings.plant_name,
            station=record.inspection.station,
            inspection=record.inspection,
            record_hash=record.record_hash,
            issued_at=station.now(),
            issued_by=me.full_name,
            defect_names=dc.defect_names(s),
            actions=dc.actions(s, inspection_id),
            photos=dc.photos(station, record),
            signatures=[sig for sig, _ in records.signatures(s, inspection_id)],
            correction=record.correction,
            superseded_by=record.superseded_by,
            review=dc.review(s, inspection_id),
            paper=station.location.settings.paper_size,
        )
        return content, ident, record, doc.number


def _finish_report(
    station: Station,
    content: ReportContent,
    ident: _keyring.Identity,
    record: records.Record,
    number: str,
    out: Path | None,
    out_dir: Path | None,
    timestamper: Any,
) -> Exported:
    buf = io.BytesIO()
    area = build_report(content, buf)
    signed = _sign(station, buf.getvalue(), ident, area, "report", number, record, timestamper)
    path = out if out is not None else (out_dir or Path(".")) / f"{number}.pdf"
    write_atomically(path, signed)
    ts = timestamper is not None or bool(station.location.settings.timestamp_url)
    return Exported(
        "report",
        number,
        record.inspection.id,
        path,
        hashlib.sha256(signed).hexdigest(),
        record.record_hash,
        ts,
    )


def export_certificate(
    station: Station,
    actor: User,
    password: str,
    inspection_id: str,
    out: Path,
    size: Literal["a4", "letter", "card"] | None = None,
    details: CertificateDetails | None = None,
    timestamper: Any = None,
) -> Exported:
    """The customer certificate: needs a supervisor, a completed and signed newest version."""
    actor = _login(station, actor, password)
    settings = station.location.settings
    with station.db.write(actor, station.name, reason="issue certificate") as s:
        me = require(s, actor, Permission.REVIEW)
        record = records.load(s, inspection_id)
        ins = record.inspection
        if ins.status is not Status.COMPLETED:
            raise Conflict(f"inspection {inspection_id} is not completed: complete it first")
        if record.superseded_by:
            raise Conflict(
                f"inspection {inspection_id} was corrected by {record.superseded_by}: "
                "issue the certificate for the newest version"
            )
        checks = records.check(s, record)
        if not any(c.ok for c in checks):
            raise Conflict("the inspection carries no valid electronic signature: sign it first")
        ident = _keyring.unlock(s, me, password)
        if ident.seal_key is None or ident.seal_key_id is None:
            raise SigningRefused(
                f"{me.username}'s key does not hold the plant seal: an "
                "administrator must run `qcstation keys issue`"
            )
        given = details.as_dict() if details else None
        doc = dc.document(s, station, "certificate", record, me.id, given)
        shown = CertificateDetails(**doc.details)
        verdict = dc.certificate_verdict(ins.verdict, dc.review(s, inspection_id))
        claim = CertificateClaim(
            doc.number,
            record.record_hash,
            verdict,
            doc.issued_at.date(),
            bytes.fromhex(ident.seal_key_id)[:4],
        )
        payload = certificates.encode(claim, ident.seal_key.sign(claim.body()))
        qr_text = payload
        hint = "Checks offline with the plant's public key: <i>qcstation verify --qr</i>"
        if settings.certificate_verify_url:
            qr_text = settings.certificate_verify_url.format(payload=payload, number=doc.number)
            hint = "or at " + escape(settings.certificate_verify_url.split("{")[0])
        description = [("Article", shown.description)] if shown.description else []
        description.append(("SKU", ins.sku))
        description += [
            (k, v)
            for k, v in (
                ("Serial", ins.serial),
                ("Metal", shown.metal),
                ("Fineness", shown.fineness),
                ("Weight", shown.weight),
                ("Stones", shown.stones),
            )
            if v
        ]
        description += [
            ("Job ticket", ins.job_ticket),
            ("Inspection", f"{ins.template.stage.label}, checklist {ins.template.key}"),
            ("Inspected", f"{ins.completed_at:%Y-%m-%d} at {ins.station}"),
        ]
        content = CertificateContent(
            number=doc.number,
            plant=settings.plant_name,
            issued=doc.issued_at.date(),
            title=shown.description or f"{ins.sku} {ins.serial}".strip(),
            description=description,
            verdict=verdict.label,
            verdict_ok=verdict.value in ("P", "A"),
            signers=[c.signature for c in checks if c.ok],
            qr_text=qr_text,
            record_hash=record.record_hash,
            seal_key_id=ident.seal_key_id,
            photo=dc.piece_photo(station, record),
            verify_hint=hint,
            summary=dc.summary(record),
        )
    chosen = size or settings.paper_size
    buf = io.BytesIO()
    area = build_certificate(content, chosen, buf)
    signed = _sign(
        station,
        buf.getvalue(),
        ident,
        area,
        "certificate",
        doc.number,
        record,
        timestamper,
        font=4 if chosen == "card" else 7,
    )
    write_atomically(out, signed)
    return Exported(
        "certificate",
        doc.number,
        ins.id,
        out,
        hashlib.sha256(signed).hexdigest(),
        record.record_hash,
        timestamper is not None or bool(settings.timestamp_url),
    )
