"""Issuing signed inspection reports and customer certificates as PDF files.

Only the plant issues documents. Every report and certificate PDF is signed with the plant
document key, and every certificate's QR code with the plant seal; both are unwrapped with
the issuer's own key, which only supervisors and administrators hold them for
(services/_plant_keys.py). The issuer re-enters the password (wrong ones count toward the
lockout) and is named inside the document and in the audit trail.

Content bound to the record: the PDF carries, as a file embedded in the revision the
signature covers, the record's canonical data with the document's own facts (number,
kind, issued at and by, plant, the settled verdict, the certificate's claims, the audit
trail's head at the issue: domain/documents.py). Each issue and each copy is a signed
audit event naming that content's SHA-256, so the station can tell what it made.

A certificate is only for a completed, passing (PASS, or accepted on review), approved
inspection of a stage the administrator allows (settings.certificate_stages, by default
final QC and packaging). Its claims come from the record (domain/certificate_claims.py),
never from text typed at export. Its number is issued once: printing it again prints the
same certificate, and a different one (another verdict, other claims) needs an explicit
reissue with a reason, which gets a new number and supersedes the old one.

The number is given in a short write transaction; the PDF is built and signed outside it
(no lock held), then written atomically (temporary file, fsync, rename). These steps,
the same for both documents, are services/document_issue.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain import certificates
from qcstation.domain.certificate_claims import (
    ClaimTooLong,
    as_data,
    as_rows,
    claims_from_record,
    from_data,
)
from qcstation.domain.certificates import CertificateClaim, Claim
from qcstation.domain.inspections import Status
from qcstation.domain.signing import Meaning, SignatureCheck
from qcstation.domain.users import Role, User
from qcstation.domain.verdicts import FinalVerdict
from qcstation.reports.certificate import LayoutOverflow, build_certificate
from qcstation.reports.inspection_report import build_report
from qcstation.reports.model import CertificateContent, ReportContent
from qcstation.services import document_content as dc
from qcstation.services import document_issue as di
from qcstation.services import records
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput
from qcstation.store import repositories as repo
from qcstation.store.models import DocumentReissueRow, DocumentRow

__all__ = [
    "export_certificate",
    "export_report",
    "export_reports",
    "reissue_certificate",
]

FORMAT = 2  # documents.details["format"]: bound to the record, signed by the plant


# --- reports ---------------------------------------------------------------------------


def export_reports(
    station: Station,
    actor: User,
    password: str,
    inspection_ids: Sequence[str],
    out_dir: Path,
    timestamper: Any = None,
    check: Callable[[], None] | None = None,
) -> list[di.Exported]:
    """Batch export: one password, one file per inspection named by its report number.
    ``check`` is called before each report and before each file is written (see
    ``export_report``)."""
    actor = di.login_again(station, actor, password)
    done = []
    for ins_id in inspection_ids:
        if check is not None:
            check()
        prepared = _prepare_report(station, actor, password, ins_id)
        path = out_dir / f"{prepared.number}.pdf"
        done.append(_finish_report(station, prepared, path, timestamper, check))
    return done


def export_report(
    station: Station,
    actor: User,
    password: str,
    inspection_id: str,
    out: Path,
    timestamper: Any = None,
    check: Callable[[], None] | None = None,
) -> di.Exported:
    """The signed report. The number is issued in a short transaction; the signing and
    the time-stamp server's answer (which may take seconds) come after it, with none open.
    ``check`` is called once signed, before the file is written, and may raise to stop:
    then no file is written (the number stays issued, as when the time-stamp server does
    not answer)."""
    actor = di.login_again(station, actor, password)
    prepared = _prepare_report(station, actor, password, inspection_id)
    return _finish_report(station, prepared, out, timestamper, check)


def _prepare_report(
    station: Station, actor: User, password: str, inspection_id: str
) -> di.Prepared:
    before = di.before_issue(station, actor, password, inspection_id, certificate=False)
    with station.db.write(actor, station.name, reason="issue report") as s:
        me = di.issuer(s, actor)
        record = di.locked_record(s, inspection_id)
        if record.inspection.status is not Status.COMPLETED:
            raise Conflict(f"inspection {inspection_id} is not completed: complete it first")
        checks = di.signatures_hold(s, record)
        hands = di.still_as_before(s, station, record, before)
        head = di.chain_head(s)
        review = dc.review(s, inspection_id)
        verdict = dc.settled_verdict(record.inspection.verdict, review)
        doc = dc.current_document(s, "report", inspection_id)
        new = doc is None
        if doc is None:
            details = {"format": FORMAT, "key_id": hands.document_key_id}
            doc = dc.new_document(s, station, "report", record, me.id, details)
        facts = di.facts(s, station, doc, record, me, verdict, (), head, new)
        di.record_issue(s, doc, facts, new)
        copy = "" if new else f"made {facts.made_at:%Y-%m-%d %H:%M} UTC by {facts.made_by}"
        content = ReportContent(
            number=doc.number,
            plant=station.location.settings.plant_name,
            station=record.inspection.station,
            inspection=record.inspection,
            record_hash=record.record_hash,
            issued_at=doc.issued_at,
            issued_by=str(facts.issued_by),
            defect_names=dc.defect_names(s),
            actions=dc.actions(s, inspection_id),
            photos=list(before.photos),
            signatures=[c.signature for c in checks],
            correction=record.correction,
            superseded_by=record.superseded_by,
            review=review,
            paper=station.location.settings.paper_size,
            verdict=verdict.label,
            copy=copy,
        )
        return di.Prepared("report", doc.number, record, facts, hands, report=content)


def _finish_report(
    station: Station,
    prepared: di.Prepared,
    path: Path,
    timestamper: Any,
    check: Callable[[], None] | None = None,
) -> di.Exported:
    assert prepared.report is not None
    buf = io.BytesIO()
    area = build_report(prepared.report, buf)
    signed = di.sign(station, prepared, buf.getvalue(), area, timestamper)
    if check is not None:
        check()
    di.write_atomically(path, signed)
    return di.exported(station, prepared, path, signed, timestamper)


# --- certificates ----------------------------------------------------------------------


def export_certificate(
    station: Station,
    actor: User,
    password: str,
    inspection_id: str,
    out: Path,
    size: Literal["a4", "letter", "card"] | None = None,
    timestamper: Any = None,
    check: Callable[[], None] | None = None,
) -> di.Exported:
    """The customer certificate of a completed, passing, approved inspection of a stage
    that may be certified. Printed again, it is the same certificate (same number, date,
    verdict and claims); a different one needs ``reissue_certificate``. ``check``: as
    for ``export_report``."""
    actor = di.login_again(station, actor, password)
    prepared = _prepare_certificate(station, actor, password, inspection_id, None)
    return _finish_certificate(station, prepared, out, size, timestamper, check)


def reissue_certificate(
    station: Station,
    actor: User,
    password: str,
    inspection_id: str,
    reason: str,
    out: Path,
    size: Literal["a4", "letter", "card"] | None = None,
    timestamper: Any = None,
) -> di.Exported:
    """A new certificate, with a new number, replacing the one in force: the old number
    then verifies as superseded. The reason is kept with the reissue."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("give the reason for the reissue (it is kept with the certificate)")
    actor = di.login_again(station, actor, password)
    prepared = _prepare_certificate(station, actor, password, inspection_id, reason)
    return _finish_certificate(station, prepared, out, size, timestamper)


def _certifiable(
    s: Session, station: Station, record: records.Record
) -> tuple[FinalVerdict, list[SignatureCheck]]:
    """The settled verdict and the signatures, or why this inspection gets no certificate."""
    ins = record.inspection
    if ins.status is not Status.COMPLETED:
        raise Conflict(f"inspection {ins.id} is not completed: complete it first")
    if record.superseded_by:
        raise Conflict(
            f"inspection {ins.id} was corrected by {record.superseded_by}: "
            "issue the certificate for the newest version"
        )
    stages = station.location.settings.certificate_stages
    if ins.template.stage not in stages:
        allowed = ", ".join(st.label for st in stages)
        raise Conflict(
            f"a certificate speaks of the finished piece: it is issued for {allowed} "
            f"inspections (an administrator's setting), not for {ins.template.stage.label}"
        )
    verdict = dc.settled_verdict(ins.verdict, dc.review(s, ins.id))
    if verdict is FinalVerdict.NEEDS_REVIEW:
        raise Conflict(
            "the inspection waits for a supervisor's review: accept or reject it first; a "
            "certificate is issued once it is accepted"
        )
    if not verdict.passing:
        raise Conflict(
            f"the inspection's verdict is {verdict.label}: a certificate states that the "
            "piece passed, so none is issued"
        )
    checks = di.signatures_hold(s, record)
    approved = [
        c
        for c in checks
        if c.signature.meaning is Meaning.APPROVED
        and c.signature.manifest.role in (Role.SUPERVISOR.value, Role.ADMIN.value)
    ]
    if not approved:
        raise Conflict(
            "no supervisor has approved this inspection: a supervisor signs it as approved "
            "first (Sign… with the meaning Approved by)"
        )
    return verdict, checks


def _prepare_certificate(
    station: Station, actor: User, password: str, inspection_id: str, reissue: str | None
) -> di.Prepared:
    settings = station.location.settings
    before = di.before_issue(station, actor, password, inspection_id, certificate=True)
    with station.db.write(actor, station.name, reason="issue certificate") as s:
        me = di.issuer(s, actor)
        record = di.locked_record(s, inspection_id)
        ins = record.inspection
        verdict, checks = _certifiable(s, station, record)
        hands = di.still_as_before(s, station, record, before)
        head = di.chain_head(s)
        description, material = dc.sku_record(s, ins.sku)
        try:
            claims = claims_from_record(ins, description, material)
        except ClaimTooLong as exc:
            raise Conflict(f"{exc}; no certificate was issued") from None
        details = {
            "format": FORMAT,
            "verdict": verdict.value,
            "claims": as_data(claims),
            "key_id": hands.document_key_id,
            "seal_key_id": hands.seal_key_id,
        }
        current = dc.current_document(s, "certificate", inspection_id)
        supersedes = ""
        if reissue is None and current is not None:
            _same_certificate(current, record, verdict, claims)
            doc, new = current, False
        else:
            if reissue is not None and current is None:
                raise Conflict(
                    f"inspection {inspection_id} has no certificate to reissue: issue one first"
                )
            doc, new = dc.new_document(s, station, "certificate", record, me.id, details), True
            if current is not None:
                s.add(
                    DocumentReissueRow(
                        document_id=current.id,
                        replaced_by_id=doc.id,
                        reason=reissue or "",
                        reissued_at=station.now(),
                        reissued_by_id=me.id,
                    )
                )
                supersedes = current.number
        facts = di.facts(s, station, doc, record, me, verdict, claims, head, new)
        di.record_issue(s, doc, facts, new)
        seal_tag = bytes.fromhex(hands.seal_key_id)[:4]
        claim = CertificateClaim(
            doc.number, record.record_hash, verdict, doc.issued_at.date(), seal_tag, claims
        )
        payload = certificates.encode(claim, hands.seal_key.sign(claim.body()))
        qr_text = payload
        hint = "Checks offline with the plant's public keys: <i>qcstation verify --qr</i>"
        if settings.certificate_verify_url:
            qr_text = settings.certificate_verify_url.format(payload=payload, number=doc.number)
            hint = "or at " + escape(settings.certificate_verify_url.split("{")[0])
        rows = as_rows(claims)
        inspected = f"{ins.template.stage.label}, {ins.completed_at:%Y-%m-%d}"
        rows.append(("Inspection", inspected))
        content = CertificateContent(
            number=doc.number,
            plant=settings.plant_name,
            issued=doc.issued_at.date(),
            title=description or f"{ins.sku} {ins.serial}".strip(),
            description=rows,
            verdict=verdict.label,
            verdict_ok=verdict.passing,
            signers=[c.signature for c in checks],
            qr_text=qr_text,
            record_hash=record.record_hash,
            seal_key_id=hands.seal_key_id,
            photo=before.photos[0] if before.photos else None,
            verify_hint=hint,
            summary=dc.summary(record),
            issued_by=str(facts.issued_by),
        )
        return di.Prepared(
            "certificate",
            doc.number,
            record,
            facts,
            hands,
            certificate=content,
            supersedes=supersedes,
        )


def _same_certificate(
    doc: DocumentRow, record: records.Record, verdict: FinalVerdict, claims: tuple[Claim, ...]
) -> None:
    """A certificate printed again states what it stated at its issue, or is refused."""
    d = doc.details or {}
    issued = f"certificate {doc.number} was issued on {doc.issued_at:%Y-%m-%d}"
    if d.get("format") != FORMAT:
        raise Conflict(
            f"{issued} by an older qcstation, signed with its exporter's own key and not "
            "bound to its record: reissue it with a reason (`qcstation certificate reissue`)"
        )
    same = (
        doc.record_hash == record.record_hash
        and d.get("verdict") == verdict.value
        and from_data(d.get("claims")) == claims
    )
    if not same:
        raise Conflict(
            f"{issued} for what the record said then, and the record (or the SKU's record) "
            "now says otherwise: a number never stands for two statements, so reissue it "
            "with a reason (`qcstation certificate reissue`); it gets a new number"
        )


def claim_note_templates(station: Station) -> list[str]:
    """The templates `claim_notes` speaks of (a note each is enough)."""
    return [key for key, _note in _claim_notes(station)]


def claim_notes(station: Station) -> list[str]:
    return [note for _key, note in _claim_notes(station)]


def _claim_notes(station: Station) -> list[tuple[str, str]]:
    """A certified stage's active checklist older than the shipped one that records the
    certificate's claims (a plant upgraded from before 0.2 still runs final QC version 1):
    its certificates state the SKU and serial only until the shipped version is imported."""
    from qcstation import content
    from qcstation.domain.yaml_files import ContentError, load_template
    from qcstation.store.models import TemplateRow

    stages = {st.value for st in station.location.settings.certificate_stages}
    with station.db.read() as s:
        # only the active versions that record no claims (final QC version 1): a newer
        # shipped version for other reasons is no reason to speak of claims
        active = {
            r.template_key: r.version
            for r in s.scalars(select(TemplateRow).where(TemplateRow.active))
            if r.stage in stages and not any(i.claim for i in repo.template(r).items())
        }
    out: list[tuple[str, str]] = []
    for path in content.shipped_templates():
        try:
            shipped = load_template(path)
        except (ContentError, OSError):
            continue
        running = active.get(shipped.template)
        if running is None or running >= shipped.version:
            continue
        if any(item.claim for item in shipped.items()):
            out.append(
                (
                    shipped.template,
                    f"the active {shipped.name} checklist is version {running}; version "
                    f"{shipped.version} records what certificates state (weight, metal, "
                    f"stones...): import it (`qcstation template import {path}`), until then "
                    "certificates state the SKU and serial only",
                )
            )
    return out


def old_format_notes(station: Station) -> list[str]:
    """What `db upgrade` says about documents issued before they were bound to the record."""
    with station.db.read() as s:
        old: dict[str, int] = {}
        for kind, details in s.execute(select(DocumentRow.kind, DocumentRow.details)):
            if (details or {}).get("format") != FORMAT:
                old[kind] = old.get(kind, 0) + 1
    if not old:
        return []
    counted = " and ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in sorted(old.items()))
    were = "was" if sum(old.values()) == 1 else "were"
    return [
        f"{counted} {were} issued by an older qcstation: signed with their exporter's own key, "
        "their content not bound to the record. `qcstation verify` says who signed them and "
        "whether they are intact, and that they are not valid proof: reissue the ones still "
        "in use (`qcstation report export ID`, `qcstation certificate reissue ID --reason`)"
    ]


def _finish_certificate(
    station: Station,
    prepared: di.Prepared,
    out: Path,
    size: Literal["a4", "letter", "card"] | None,
    timestamper: Any,
    check: Callable[[], None] | None = None,
) -> di.Exported:
    assert prepared.certificate is not None
    chosen = size or station.location.settings.paper_size
    buf = io.BytesIO()
    try:
        area = build_certificate(prepared.certificate, chosen, buf)
    except LayoutOverflow as exc:
        raise InvalidInput(
            f"certificate {prepared.number} was not written: {exc} (the number stays the "
            "certificate's; print it on another size)"
        ) from None
    font = 4 if chosen == "card" else 7
    signed = di.sign(station, prepared, buf.getvalue(), area, timestamper, font)
    if check is not None:
        check()
    di.write_atomically(out, signed)
    return di.exported(station, prepared, out, signed, timestamper)
