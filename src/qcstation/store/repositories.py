"""Reading rows back as domain objects, and the queries the services share."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, SubjectKind, Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import InspectionSummary, SearchFilter, TemplateInfo
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.users import Role, User
from qcstation.store.models import (
    AnswerRow,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    Station,
    TemplateRow,
    UserRow,
)


def position_in(db_position: int) -> int | None:
    return db_position or None


def position_out(position: int | None) -> int:
    return position or 0


def user(row: UserRow) -> User:
    return User(row.id, row.username, row.full_name, Role(row.role), row.active)


def template(row: TemplateRow) -> ChecklistTemplate:
    return ChecklistTemplate.model_validate(row.content)


def template_info(row: TemplateRow, inspections: int = 0) -> TemplateInfo:
    return TemplateInfo(
        row.template_key,
        row.version,
        Stage(row.stage),
        row.name,
        row.active,
        row.sha256,
        row.imported_at,
        inspections,
    )


def answer(row: AnswerRow, photos: int = 0) -> Answer:
    return Answer(
        item_id=row.item_id,
        position=position_in(row.position),
        outcome=Outcome(row.outcome)
        if row.outcome in (Outcome.PASS, Outcome.FAIL, Outcome.NA)
        else None,
        readings=tuple(float(r) for r in row.readings),
        value=row.value,
        note=row.note,
        photos=photos,
    )


def defect(row: DefectRow) -> Defect:
    return Defect(
        code=row.code,
        severity=Severity(row.severity),
        item_id=row.item_id,
        position=position_in(row.position),
        disposition=Disposition(row.disposition),
        note=row.note,
        id=row.id,
    )


def photo_counts(session: Session, inspection_id: str) -> dict[tuple[str | None, int], int]:
    rows = session.execute(
        select(EvidenceRow.item_id, EvidenceRow.position, func.count())
        .where(EvidenceRow.inspection_id == inspection_id)
        .group_by(EvidenceRow.item_id, EvidenceRow.position)
    ).all()
    return {(item_id, pos): n for item_id, pos, n in rows}


def inspection(session: Session, row: InspectionRow) -> Inspection:
    """The whole inspection with its template version, answers and defects."""
    tpl = template(session.get_one(TemplateRow, row.template_id))
    photos = photo_counts(session, row.id)
    answers = {}
    for a in session.scalars(select(AnswerRow).where(AnswerRow.inspection_id == row.id)):
        ans = answer(a, photos.get((a.item_id, a.position), 0))
        answers[(ans.item_id, ans.position)] = ans
    defects = [
        defect(d)
        for d in session.scalars(
            select(DefectRow).where(DefectRow.inspection_id == row.id).order_by(DefectRow.id)
        )
    ]
    inspector = session.get_one(UserRow, row.inspector_id).username
    station = session.get_one(Station, row.station_id).name
    return Inspection(
        id=row.id,
        template=tpl,
        job_ticket=row.job_ticket,
        sku=row.sku,
        serial=row.serial,
        subject=SubjectKind(row.subject),
        lot_size=row.lot_size,
        sample_size=row.sample_size,
        position_counts={str(k): int(v) for k, v in row.position_counts.items()},
        answers=answers,
        defects=defects,
        status=Status(row.status),
        inspector=inspector,
        station=station,
        started_at=row.started_at,
        completed_at=row.completed_at,
        verdict=Verdict(row.verdict) if row.verdict else None,
    )


def _summary_columns() -> Select[InspectionRow, str, str]:
    return (
        select(InspectionRow, UserRow.username, Station.name)
        .join(UserRow, UserRow.id == InspectionRow.inspector_id)
        .join(Station, Station.id == InspectionRow.station_id)
    )


def summary(row: InspectionRow, inspector: str, station: str) -> InspectionSummary:
    return InspectionSummary(
        id=row.id,
        job_ticket=row.job_ticket,
        sku=row.sku,
        serial=row.serial,
        stage=Stage(row.stage),
        subject=row.subject,
        template_key=row.template_key,
        template_version=row.template_version,
        status=row.status,
        verdict=Verdict(row.verdict) if row.verdict else None,
        inspector=inspector,
        station=station,
        started_at=row.started_at,
        completed_at=row.completed_at,
        lot_size=row.lot_size,
    )


def _day_start(d: Any) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def search_statement(f: SearchFilter) -> Select[InspectionRow, str, str]:
    """History search as one indexed query, newest first."""
    q = _summary_columns()
    if f.text:
        t = f.text.strip()
        q = q.where(
            or_(InspectionRow.job_ticket == t, InspectionRow.sku == t, InspectionRow.serial == t)
        )
    if f.sku:
        q = q.where(InspectionRow.sku == f.sku)
    if f.serial:
        q = q.where(InspectionRow.serial == f.serial)
    if f.job_ticket:
        q = q.where(InspectionRow.job_ticket == f.job_ticket)
    if f.stage:
        q = q.where(InspectionRow.stage == f.stage.value)
    if f.verdict:
        q = q.where(InspectionRow.verdict == f.verdict.value)
    if f.status:
        q = q.where(InspectionRow.status == f.status)
    if f.inspector:
        q = q.where(UserRow.username == f.inspector)
    if f.date_from:
        q = q.where(InspectionRow.started_at >= _day_start(f.date_from))
    if f.date_to:
        q = q.where(InspectionRow.started_at < _day_start(f.date_to + timedelta(days=1)))
    return (
        q.order_by(InspectionRow.started_at.desc(), InspectionRow.id)
        .limit(f.limit)
        .offset(f.offset)
    )


def search(session: Session, f: SearchFilter) -> list[InspectionSummary]:
    return [summary(row, name, st) for row, name, st in session.execute(search_statement(f))]
