"""Assembling what a report or certificate shows, from the database, in one session."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain.check_counts import count_checks
from qcstation.domain.corrective import CapaStatus, CorrectiveAction, RootCauseCategory
from qcstation.domain.inspections import Verdict
from qcstation.domain.templates import PhotoItem
from qcstation.domain.verdicts import FinalVerdict, final_verdict
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
    DocumentReissueRow,
    DocumentRow,
    ReviewRow,
    SkuRow,
    UserRow,
)
from qcstation.store.models import Station as StationRow

IMAGE_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/bmp", "image/webp")


def number_prefix(station_name: str) -> str:
    return numbering.base_prefix(station_name)


def new_document(
    session: Session,
    station: Station,
    kind: str,
    record: Record,
    actor_id: int,
    details: dict[str, Any],
) -> DocumentRow:
    """A newly numbered report or certificate of this inspection (numbers are never reused)."""
    numbering.lock(session)
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
        inspection_id=record.inspection.id,
        record_hash=record.record_hash,
        details=details,
        issued_at=station.now(),
        issued_by_id=actor_id,
    )
    session.add(row)
    session.flush()
    return row


def current_document(session: Session, kind: str, inspection_id: str) -> DocumentRow | None:
    """The inspection's report, or its certificate in force (not replaced by a reissue)."""
    numbering.lock(session)  # before looking: two exports of one inspection get one number
    replaced = select(DocumentReissueRow.document_id)
    return session.scalars(
        select(DocumentRow)
        .where(
            DocumentRow.kind == kind,
            DocumentRow.inspection_id == inspection_id,
            DocumentRow.id.not_in(replaced),
        )
        .order_by(DocumentRow.id.desc())
    ).first()


def reissue_of(session: Session, document_id: int) -> tuple[DocumentReissueRow, DocumentRow] | None:
    """The reissue that replaced this document, with the document that replaced it."""
    found = session.execute(
        select(DocumentReissueRow, DocumentRow)
        .join(DocumentRow, DocumentRow.id == DocumentReissueRow.replaced_by_id)
        .where(DocumentReissueRow.document_id == document_id)
    ).first()
    return (found[0], found[1]) if found else None


def sku_record(session: Session, sku: str) -> tuple[str, str]:
    """(description, material) of the SKU, as its record holds them ("" when none)."""
    row = session.get(SkuRow, sku)
    return (row.description, row.material) if row is not None else ("", "")


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


def settled_verdict(verdict: Verdict | None, decided: Review | None) -> FinalVerdict:
    """The verdict a document states: the inspection's, settled by its review."""
    final = final_verdict(verdict, decided.decision if decided else None)
    if final is None:
        raise NotFound("the inspection has no verdict yet")
    return final


def summary(record: Record) -> list[str]:
    """A customer's view of what was checked: counts of checks (a photo is evidence, not a
    check), defects and dispositions."""
    ins = record.inspection
    counts = count_checks(ins)
    lines = [f"{ins.template.name} (version {ins.template.version}): {counts.describe()}"]
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


def issuer_name(session: Session, doc: DocumentRow) -> str:
    row = session.get(UserRow, doc.issued_by_id)
    return row.username if row is not None else "?"
