"""Assembling what a report or certificate shows, from the database, in one session."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain.certificates import CertificateVerdict
from qcstation.domain.corrective import CapaStatus, CorrectiveAction, RootCauseCategory
from qcstation.domain.inspections import Decision, Verdict
from qcstation.domain.templates import PhotoItem
from qcstation.reports.model import Photo, Review
from qcstation.services import numbering
from qcstation.services.context import Station
from qcstation.services.errors import NotFound
from qcstation.services.records import Record
from qcstation.store.evidence import EvidenceError
from qcstation.store.models import (
    CorrectiveActionRow,
    DefectCode,
    DefectRow,
    DocumentRow,
    ReviewRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp")


@dataclass(frozen=True)
class CertificateDetails:
    """What the certificate says about the piece, beyond the inspection record."""

    description: str = ""
    metal: str = ""
    fineness: str = ""
    weight: str = ""
    stones: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def number_prefix(station_name: str) -> str:
    return numbering.base_prefix(station_name)


def document(
    session: Session,
    station: Station,
    kind: str,
    record: Record,
    actor_id: int,
    details: dict[str, str] | None = None,
) -> DocumentRow:
    """The inspection's numbered report or certificate: the existing one, or the next number."""
    ins = record.inspection
    numbering.lock(session)  # before looking: two exports of one inspection get one number
    row = session.scalars(
        select(DocumentRow).where(DocumentRow.kind == kind, DocumentRow.inspection_id == ins.id)
    ).one_or_none()
    if row is not None:
        if details and details != row.details:
            row.details = details
        return row
    st = session.scalars(select(StationRow).where(StationRow.name == station.name)).first()
    if st is None:
        st = StationRow(name=station.name, created_at=station.now())
        session.add(st)
        session.flush()
    number, seq = numbering.next_number(session, st, kind)
    row = DocumentRow(
        kind=kind,
        number=number,
        station_id=st.id,
        sequence=seq,
        inspection_id=ins.id,
        record_hash=record.record_hash,
        details=details or {},
        issued_at=station.now(),
        issued_by_id=actor_id,
    )
    session.add(row)
    session.flush()
    return row


def checked_path(station: Station, sha256: str) -> Path:
    """The evidence file's path, after checking (streaming) that it still has its hash."""
    path = station.evidence.path_for(sha256)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise EvidenceError(
            f"evidence file {sha256} is missing from {station.evidence.root}"
        ) from None
    if digest.hexdigest() != sha256:
        raise EvidenceError(f"evidence file {path} is damaged or was replaced (hash mismatch)")
    return path


def photos(station: Station, record: Record) -> list[Photo]:
    ins = record.inspection
    out = []
    for e in record.evidence:
        if e.ref.media_type not in IMAGE_TYPES:
            continue
        where = "general"
        if e.ref.item_id:
            try:
                where = ins.template.item(e.ref.item_id).prompt
            except KeyError:
                where = e.ref.item_id
            if e.ref.position:
                where += f" — #{e.ref.position}"
        shows = e.meta.get("shows")
        caption = where + (f" ({shows})" if isinstance(shows, str) and shows != "piece" else "")
        out.append(
            Photo(checked_path(station, e.ref.sha256), e.ref.media_type, e.ref.sha256, caption)
        )
    return out


def piece_photo(station: Station, record: Record) -> Photo | None:
    """The photo for a certificate: a photo item's (the finished piece), else the first."""
    ins = record.inspection
    images = [e for e in record.evidence if e.ref.media_type in IMAGE_TYPES]
    for e in images:
        try:
            if e.ref.item_id and isinstance(ins.template.item(e.ref.item_id), PhotoItem):
                images = [e]
                break
        except KeyError:
            continue
    if not images:
        return None
    e = images[0]
    return Photo(checked_path(station, e.ref.sha256), e.ref.media_type, e.ref.sha256, "piece")


def defect_names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(DefectCode.code, DefectCode.name))}


def actions(session: Session, inspection_id: str) -> list[CorrectiveAction]:
    rows = session.execute(
        select(CorrectiveActionRow, UserRow.username)
        .join(DefectRow, DefectRow.id == CorrectiveActionRow.defect_id)
        .outerjoin(UserRow, UserRow.id == CorrectiveActionRow.owner_id)
        .where(DefectRow.inspection_id == inspection_id)
        .order_by(CorrectiveActionRow.id)
    ).all()
    return [
        CorrectiveAction(
            id=r.id,
            title=r.title,
            problem=r.problem,
            status=CapaStatus(r.status),
            defect_id=r.defect_id,
            containment=r.containment,
            root_cause_category=RootCauseCategory(r.root_cause_category)
            if r.root_cause_category
            else None,
            root_cause=r.root_cause,
            corrective=r.corrective,
            preventive=r.preventive,
            owner=owner or "",
            due=r.due,
            effectiveness_evidence=r.effectiveness_evidence,
        )
        for r, owner in rows
    ]


def review(session: Session, inspection_id: str) -> Review | None:
    found = session.execute(
        select(ReviewRow, UserRow.username)
        .join(UserRow, UserRow.id == ReviewRow.reviewer_id)
        .where(ReviewRow.inspection_id == inspection_id)
    ).first()
    if found is None:
        return None
    row, name = found
    return Review(row.decision, name, row.reason, row.reviewed_at)


def certificate_verdict(verdict: Verdict | None, decided: Review | None) -> CertificateVerdict:
    if verdict is None:
        raise NotFound("the inspection has no verdict yet")
    if verdict is Verdict.NEEDS_REVIEW and decided is not None:
        return (
            CertificateVerdict.ACCEPTED
            if decided.decision == Decision.ACCEPTED.value
            else CertificateVerdict.REJECTED
        )
    return {
        Verdict.PASS: CertificateVerdict.PASS,
        Verdict.FAIL: CertificateVerdict.FAIL,
        Verdict.NEEDS_REVIEW: CertificateVerdict.NEEDS_REVIEW,
    }[verdict]


def summary(record: Record) -> list[str]:
    """A customer's view of what was checked: counts of checks, defects and dispositions."""
    ins = record.inspection
    try:
        outcomes = [ev.outcome for ev in ins.evaluations()]
    except ValueError:  # an answer no longer fits its item: say nothing rather than guess
        outcomes = []
    passed = sum(o.value == "pass" for o in outcomes)
    failed = sum(o.value == "fail" for o in outcomes)
    lines = [
        f"{ins.template.name} (version {ins.template.version}): {passed + failed} checks, "
        f"{passed} passed, {failed} failed",
        f"{len(record.evidence)} evidence photo(s) on record",
    ]
    if ins.defects:
        kinds = ", ".join(
            sorted({f"{d.code} ({d.disposition.value.replace('_', ' ')})" for d in ins.defects})
        )
        lines.append(f"{len(ins.defects)} defect(s): {kinds}")
    else:
        lines.append("no defects found")
    if record.correction:
        lines.append(f"revision {record.correction.revision}: {record.correction.reason}")
    return lines
