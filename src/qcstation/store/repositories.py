"""Reading rows back as domain objects, and the queries the services share."""

from __future__ import annotations

from datetime import datetime, time, timezone
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session
from typing_extensions import Unpack

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, SubjectKind, Verdict
from qcstation.domain.specs import Frozen
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import InspectionSummary, SearchFilter, TemplateInfo, end_of_day
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.users import Role, User
from qcstation.store.models import (
    AnswerRow,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    ReviewRow,
    Station,
    TemplateRow,
    UserRow,
)
from qcstation.store.text_match import contains


def position_in(db_position: int) -> int | None:
    return db_position or None


def position_out(position: int | None) -> int:
    return position or 0


def user(row: UserRow) -> User:
    return User(row.id, row.username, row.full_name, Role(row.role), row.active)


# Parsed templates by content hash: a version never changes once imported, and parsing
# one is most of the cost of answering an item.
_TEMPLATES: dict[str, ChecklistTemplate] = {}


def template(row: TemplateRow) -> ChecklistTemplate:
    cached = _TEMPLATES.get(row.sha256)
    if cached is None:
        cached = ChecklistTemplate.model_validate(row.content)
        if len(_TEMPLATES) > 256:
            _TEMPLATES.clear()
        _TEMPLATES[row.sha256] = cached
    return cached


# Hashes of templates read along with another row in this session (holds.locked reads
# the inspection's with its lock): the parsed template is then found with no read of its own.
_SHAS = "qc_template_shas"


def note_template_sha(session: Session, template_id: int, sha: str) -> None:
    session.info.setdefault(_SHAS, {})[template_id] = sha


def template_by_id(session: Session, template_id: int) -> ChecklistTemplate:
    """The parsed template, reading its content only when not parsed before."""
    sha = session.info.get(_SHAS, {}).get(template_id) or session.scalar(
        select(TemplateRow.sha256).where(TemplateRow.id == template_id)
    )
    cached = _TEMPLATES.get(sha or "")
    return cached if cached is not None else template(session.get_one(TemplateRow, template_id))


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
        instrument=row.instrument,
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


def answers_by_key(session: Session, inspection_id: str) -> dict[tuple[str, int], AnswerRow]:
    rows = session.scalars(select(AnswerRow).where(AnswerRow.inspection_id == inspection_id))
    return {(a.item_id, a.position): a for a in rows}


def defects_of(session: Session, inspection_id: str) -> list[Defect]:
    rows = session.scalars(
        select(DefectRow).where(DefectRow.inspection_id == inspection_id).order_by(DefectRow.id)
    )
    return [defect(d) for d in rows]


def inspection(
    session: Session,
    row: InspectionRow,
    tpl: ChecklistTemplate | None = None,
    photos: dict[tuple[str | None, int], int] | None = None,
    answer_rows: dict[tuple[str, int], AnswerRow] | None = None,
    names: bool = True,
    defects: list[Defect] | None = None,
) -> Inspection:
    """The whole inspection with its template version, answers and defects.

    A caller that has some parts loaded already passes them in; ``names=False`` skips
    looking up the inspector's and the station's names (not needed to judge it). Given
    every part and ``names=False``, nothing is read from the database.
    """
    frozen = Frozen.from_json(row.spec) if row.spec is not None else None
    tpl = (tpl or template_by_id(session, row.template_id)).with_frozen(frozen)
    photos = photo_counts(session, row.id) if photos is None else photos
    rows = answers_by_key(session, row.id) if answer_rows is None else answer_rows
    answers = {}
    for a in rows.values():
        ans = answer(a, photos.get((a.item_id, a.position), 0))
        answers[(ans.item_id, ans.position)] = ans
    inspector = session.get_one(UserRow, row.inspector_id).username if names else ""
    station = session.get_one(Station, row.station_id).name if names else ""
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
        defects=defects_of(session, row.id) if defects is None else defects,
        status=Status(row.status),
        inspector=inspector,
        station=station,
        started_at=row.started_at,
        completed_at=row.completed_at,
        verdict=Verdict(row.verdict) if row.verdict else None,
        spec=frozen,
    )


def inspection_template(session: Session, row: InspectionRow) -> ChecklistTemplate:
    """The template as this inspection uses it: its frozen specification values filled in."""
    frozen = Frozen.from_json(row.spec) if row.spec is not None else None
    return template_by_id(session, row.template_id).with_frozen(frozen)


_SUMMARY_FIELDS = (
    InspectionRow.id,
    InspectionRow.job_ticket,
    InspectionRow.sku,
    InspectionRow.serial,
    InspectionRow.stage,
    InspectionRow.subject,
    InspectionRow.template_key,
    InspectionRow.template_version,
    InspectionRow.status,
    InspectionRow.verdict,
    UserRow.username,
    Station.name,
    InspectionRow.started_at,
    InspectionRow.completed_at,
    InspectionRow.lot_size,
    # the review's decision, per row shown (a page), so History says ACCEPTED ON REVIEW
    select(ReviewRow.decision)
    .where(ReviewRow.inspection_id == InspectionRow.id)
    .correlate(InspectionRow)
    .scalar_subquery(),
)


# How many columns of a query's row are the summary's (queries may select more after them).
SUMMARY_WIDTH = len(_SUMMARY_FIELDS)


def summaries() -> Select[Unpack[tuple[Any, ...]]]:
    """Just the columns a list shows (no ORM objects): the cheap way to list thousands."""
    return (
        select(*_SUMMARY_FIELDS)
        .join(UserRow, UserRow.id == InspectionRow.inspector_id)
        .join(Station, Station.id == InspectionRow.station_id)
    )


def summary(row: Any) -> InspectionSummary:
    """One row of ``summaries()`` as the view object."""
    (
        id_,
        job,
        sku,
        serial,
        stage,
        subject,
        key,
        version,
        status,
        verdict,
        inspector,
        station,
        started,
        completed,
        lot_size,
        decision,
    ) = row
    return InspectionSummary(
        id_,
        job,
        sku,
        serial,
        Stage(stage),
        subject,
        key,
        version,
        status,
        Verdict(verdict) if verdict else None,
        inspector,
        station,
        started,
        completed,
        lot_size,
        decision,
    )


def _day_start(d: Any) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def _conditions(f: SearchFilter, people: list[int] | None = None) -> list[ColumnElement[bool]]:
    """Every filter but the free text, as WHERE terms on inspections (and the user).

    ``people``: the users the inspector box matched, looked up first (see ``search``).
    """
    terms: list[ColumnElement[bool]] = []
    for column, value in (
        (InspectionRow.sku, f.sku),
        (InspectionRow.serial, f.serial),
        (InspectionRow.job_ticket, f.job_ticket),
        (InspectionRow.stage, f.stage.value if f.stage else None),
        (InspectionRow.verdict, f.verdict.value if f.verdict else None),
        (InspectionRow.status, f.status),
    ):
        if value:
            terms.append(column == value)
    if f.inspector and f.inspector.strip():
        terms.append(_by_people(f.inspector.strip(), people))
    if f.date_from:
        terms.append(InspectionRow.started_at >= _day_start(f.date_from))
    if f.date_to:
        terms.append(InspectionRow.started_at < end_of_day(f.date_to))
    if f.after is not None:
        at, last_id = f.after
        terms.append(
            or_(
                InspectionRow.started_at < at,
                and_(InspectionRow.started_at == at, InspectionRow.id > last_id),
            )
        )
    return terms


NEWEST_FIRST = (InspectionRow.started_at.desc(), InspectionRow.id)


def _people(text: str) -> Select[Any]:
    """Users whose name or user name contains the text, whatever its case (a handful)."""
    return select(UserRow.id).where(
        or_(contains(UserRow.username, text), contains(UserRow.full_name, text))
    )


def _by_people(text: str, people: list[int] | None) -> ColumnElement[bool]:
    if people is None:
        return InspectionRow.inspector_id.in_(_people(text))
    if not people:
        return false()
    if len(people) == 1:
        # one person: equality keeps the (inspector_id, started_at) index in use, in order
        return InspectionRow.inspector_id == people[0]
    # several: "+ 0" keeps the planner on the newest-first walk, which stops at the
    # page's end, instead of collecting and sorting every inspection of all of them
    return (InspectionRow.inspector_id + 0).in_(people)


def search_statement(
    f: SearchFilter, people: list[int] | None = None
) -> Select[Unpack[tuple[Any, ...]]]:
    """History search, newest first.

    Free text is found anywhere in a job ticket, SKU, serial or the inspector's name,
    whatever its case, as people read it off a tag ("5529", "sn55", "rg-sol"). The
    search walks the started-at index newest first and stops at the page's last row,
    so a common text costs one page; a text few inspections contain costs one pass
    over the table (bench/history_search.py measures both). Keyset paging (``after``)
    starts the walk where the last page ended.
    """
    terms = _conditions(f, people)
    q = summaries().where(*terms)
    text = (f.text or "").strip()
    if text:
        q = q.where(
            or_(
                contains(InspectionRow.job_ticket, text),
                contains(InspectionRow.sku, text),
                contains(InspectionRow.serial, text),
                InspectionRow.inspector_id.in_(_people(text)),
            )
        )
    q = q.order_by(*NEWEST_FIRST).limit(f.limit)
    return q.offset(f.offset) if f.offset else q


def search(session: Session, f: SearchFilter) -> list[InspectionSummary]:
    people = None
    if f.inspector and f.inspector.strip():  # a handful of users: looked up first
        people = list(session.scalars(_people(f.inspector.strip())))
    return [summary(row) for row in session.execute(search_statement(f, people))]
