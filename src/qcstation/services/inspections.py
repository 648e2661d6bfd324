"""Running an inspection: start, answer, attach evidence, log defects, complete, find.

Every call is its own committed transaction, so a crash or power cut loses at most the
answer being typed. A completed or abandoned inspection no longer changes here, and one in
progress changes only at the station (and for the user) holding it (services/holds.py).
Each change locks the inspection first; one that lost a race with another station's
writer is run again (store/retry.py).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.holds import HoldState
from qcstation.domain.inspections import (
    Answer,
    AnswerError,
    Inspection,
    Missing,
    Status,
    SubjectKind,
    evaluate,
    positions_of,
)
from qcstation.domain.numbers import MAX_MAGNITUDE, format_reading
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import AnswerOutcome, Completion, InspectionSummary, SearchFilter
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    MeasurementItem,
    step_label,
)
from qcstation.domain.users import Permission, User
from qcstation.services import holds, specs
from qcstation.services.accounts import require, require_row
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.evidence import StoredFile
from qcstation.store.models import (
    AnswerRow,
    DefectCode,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    TemplateRow,
)
from qcstation.store.retry import transient

if TYPE_CHECKING:  # imaging pulls in OpenCV: not for every command that lists inspections
    from qcstation.imaging.capture import Evidence


class Incomplete(InvalidInput):
    """What still stands between an inspection and its completion, each item named by its
    prompt (as the inspector sees it on the checklist), with what it needs."""

    def __init__(self, missing: list[Missing], template: ChecklistTemplate | None = None):
        self.missing = missing

        def where(m: Missing) -> str:
            if template is None:
                return str(m)
            return f"{step_label(template.item(m.item_id), m.position)} — {m.reason}"

        lines = "\n".join(f"  {where(m)}" for m in missing[:20])
        more = f"\n  … and {len(missing) - 20} more" if len(missing) > 20 else ""
        super().__init__(f"the inspection cannot be completed yet:\n{lines}{more}")


@dataclass(frozen=True)
class EvidenceInfo:
    id: int
    sha256: str
    size: int
    media_type: str
    item_id: str | None
    position: int | None


def _open_inspection(
    session: Session, station: Station, actor: User, inspection_id: str
) -> InspectionRow:
    """The inspection, locked for this change, if the actor may change it here and now."""
    row, actor_row = holds.locked_for(session, inspection_id, actor)
    if row is None:
        require(session, actor, Permission.INSPECT)  # who asks is refused before what is missing
        raise NotFound(f"no inspection {inspection_id}")
    user_row = require_row(actor_row, actor, Permission.INSPECT)
    holds.require_in_progress(session, station, row)
    if not holds.may_work_on(user_row, row):
        raise PermissionDenied("only the inspector who started it or a supervisor may change it")
    holds.check(session, station, actor, row)
    return row


def _template(session: Session, row: InspectionRow) -> ChecklistTemplate:
    """The checklist as this inspection uses it (its frozen specification values in)."""
    return repo.inspection_template(session, row)


def _item(template: ChecklistTemplate, item_id: str) -> ChecklistItem:
    try:
        return template.item(item_id)
    except KeyError:
        raise InvalidInput(f"the checklist {template.key} has no item {item_id!r}") from None


def _check_readings(item: ChecklistItem, readings: tuple[float, ...]) -> None:
    """The window asks about an implausible reading; whatever the caller, nothing that no
    instrument could read (not a number, infinite, beyond MAX_MAGNITUDE) is stored."""
    for r in readings:
        if not (isinstance(r, (int, float)) and math.isfinite(r) and abs(r) <= MAX_MAGNITUDE):
            shown = f"{r:.10g}" if isinstance(r, (int, float)) else repr(r)
            raise InvalidInput(
                f"{item.prompt}: {shown} cannot be a reading "
                f"(a finite number no larger than {format_reading(MAX_MAGNITUDE)} is)"
            )


INSTRUMENT_NAME = 120  # answers.instrument's length


def _check_instrument(item: ChecklistItem, answer: Answer) -> None:
    """An instrument is named only for readings of a measurement, in a name the record holds."""
    if answer.instrument is None:
        return
    if not isinstance(item, MeasurementItem) or not answer.readings:
        raise InvalidInput(
            f"{item.prompt}: only a measurement's readings come from an instrument "
            f"({answer.instrument!r} was named for an answer without readings)"
        )
    if not answer.instrument.strip() or len(answer.instrument) > INSTRUMENT_NAME:
        raise InvalidInput(
            f"{item.prompt}: an instrument's name is 1 to {INSTRUMENT_NAME} characters, "
            f"not {answer.instrument!r}"
        )


def _check_position(item: ChecklistItem, counts: dict[str, Any], position: int | None) -> None:
    if position not in positions_of(item, counts):
        allowed = positions_of(item, counts)
        raise InvalidInput(
            f"item {item.id!r} has no position {position}"
            + (f"; positions are 1..{allowed[-1]}" if allowed != [None] else "")
        )


@transient  # a station's first inspection registers it: two at once meet on its name
def start(
    station: Station,
    actor: User,
    stage: Stage,
    job_ticket: str,
    sku: str,
    serial: str = "",
    subject: SubjectKind = SubjectKind.PIECE,
    lot_size: int | None = None,
    sample_size: int | None = None,
    position_counts: dict[str, int] | None = None,
    template: tuple[str, int] | None = None,
) -> Inspection:
    """Open an inspection on the stage's active checklist (or a named version)."""
    job_ticket, sku, serial = job_ticket.strip(), sku.strip(), serial.strip()
    if not job_ticket or not sku:
        raise InvalidInput("a job ticket and a SKU are needed to start an inspection")
    if subject is SubjectKind.LOT and (lot_size is None or lot_size < 2):
        raise InvalidInput("a lot inspection needs the lot size (2 or more)")
    if sample_size is not None and lot_size is not None and not 1 <= sample_size <= lot_size:
        raise InvalidInput(f"the sample size must be between 1 and the lot size {lot_size}")
    with station.db.write(actor, station.name, reason="start inspection") as s:
        user_row = require(s, actor, Permission.INSPECT)
        q = select(TemplateRow)
        if template:
            q = q.where(TemplateRow.template_key == template[0], TemplateRow.version == template[1])
        else:
            q = q.where(TemplateRow.stage == stage.value, TemplateRow.active)
        trow = s.scalars(q).first()
        if trow is None:
            raise NotFound(
                f"no checklist {template[0]}@{template[1]}"
                if template
                else f"no active checklist for {stage.label}: import one first"
            )
        tpl = repo.template(trow)
        if tpl.stage is not stage:
            raise InvalidInput(f"{tpl.key} is a {tpl.stage.label} checklist, not {stage.label}")
        if subject.value not in tpl.subjects:
            raise InvalidInput(f"{tpl.key} is not for a {subject.value}")
        counts = _position_counts(tpl, position_counts or {})
        # The specification's values, looked up once and kept: a later revision changes
        # nothing about this inspection (domain/specs.py).
        frozen = specs.frozen_for(s, tpl, sku, job_ticket)
        specs.check_startable(tpl, frozen)
        row = InspectionRow(
            id=str(uuid.uuid4()),
            job_ticket=job_ticket,
            sku=sku,
            serial=serial,
            subject=subject.value,
            lot_size=lot_size,
            sample_size=sample_size,
            stage=stage.value,
            template_id=trow.id,
            template_key=tpl.template,
            template_version=tpl.version,
            position_counts=counts,
            status=Status.IN_PROGRESS.value,
            verdict=None,
            inspector_id=user_row.id,
            station_id=holds.station_row(s, station).id,
            started_at=station.now(),
            completed_at=None,
            notes="",
            spec=frozen.to_json() if frozen is not None else None,
        )
        s.add(row)
        s.flush()
        holds.record(s, station, user_row, row, HoldState.HELD, at=row.started_at)
        return repo.inspection(s, row)


def _position_counts(tpl: ChecklistTemplate, given: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in tpl.items():
        if item.positions is None:
            if item.id in given:
                raise InvalidInput(f"item {item.id!r} has no positions to count")
            continue
        n = given.get(item.id, item.positions.default)
        if not item.positions.min <= n <= item.positions.max:
            raise InvalidInput(
                f"{item.positions.label} count for {item.id!r} must be "
                f"{item.positions.min}..{item.positions.max}, not {n}"
            )
        counts[item.id] = n
    unknown = set(given) - {i.id for i in tpl.items()}
    if unknown:
        raise InvalidInput(f"the checklist has no items {sorted(unknown)}")
    return counts


@transient
def record_answer(
    station: Station, actor: User, inspection_id: str, answer: Answer, reason: str = ""
) -> AnswerOutcome:
    """Judge and store one answer (replacing an earlier one for the same item and position)."""
    with station.db.write(actor, station.name, reason=reason) as s:
        row = _open_inspection(s, station, actor, inspection_id)
        tpl = _template(s, row)
        item = _item(tpl, answer.item_id)
        _check_position(item, row.position_counts, answer.position)
        pos = repo.position_out(answer.position)
        photos = repo.photo_counts(s, inspection_id)
        given = replace(answer, item_id=item.id, photos=photos.get((item.id, pos), 0))
        _check_readings(item, answer.readings)
        _check_instrument(item, answer)
        try:
            ev = evaluate(item, given)
        except AnswerError as exc:
            raise InvalidInput(str(exc)) from None
        rows = repo.answers_by_key(s, inspection_id)
        arow = rows.get((item.id, pos))
        if arow is None:
            arow = AnswerRow(inspection_id=inspection_id, item_id=item.id, position=pos)
            s.add(arow)
            rows[(item.id, pos)] = arow
        arow.outcome = ev.outcome.value
        arow.readings = list(answer.readings)
        arow.mean = ev.mean
        arow.value = answer.value
        arow.note = answer.note
        arow.instrument = answer.instrument
        arow.answered_at = station.now()
        arow.answered_by_id = actor.id
        s.flush()
        # Judge the whole from what is loaded already: no second read of the answers.
        current = repo.inspection(s, row, tpl, photos, rows, names=False)
        answered, total = current.progress()
        return AnswerOutcome(
            ev,
            answered,
            total,
            current.current_verdict(),
            tuple(current.missing()),
            current.answers[(item.id, answer.position)],
        )


@transient
def attach_evidence(
    station: Station,
    actor: User,
    inspection_id: str,
    data: bytes,
    media_type: str,
    item_id: str | None = None,
    position: int | None = None,
    original_name: str = "",
    meta: dict[str, Any] | None = None,
) -> EvidenceInfo:
    """Store the file durably first, then the row that points at it."""
    if not data:
        raise InvalidInput("the evidence file is empty")
    check_before_files(station, actor, inspection_id)
    stored = station.evidence.put(data)
    with station.db.write(actor, station.name, reason="attach evidence") as s:
        row = _open_inspection(s, station, actor, inspection_id)
        if item_id is not None:
            _check_position(_item(_template(s, row), item_id), row.position_counts, position)
        erow = evidence_row(
            station,
            actor,
            inspection_id,
            stored,
            media_type,
            item_id,
            position,
            original_name,
            meta,
        )
        s.add(erow)
        s.flush()
        return evidence_info(erow)


def evidence_row(
    station: Station,
    actor: User,
    inspection_id: str,
    stored: StoredFile,
    media_type: str,
    item_id: str | None,
    position: int | None,
    original_name: str,
    meta: dict[str, Any] | None,
) -> EvidenceRow:
    """The row for a file already durable in the evidence store (never before it is)."""
    return EvidenceRow(
        inspection_id=inspection_id,
        item_id=item_id,
        position=repo.position_out(position),
        sha256=stored.sha256,
        media_type=media_type,
        size_bytes=stored.size,
        original_name=original_name[:255],
        meta=meta or {},
        captured_at=station.now(),
        captured_by_id=actor.id,
    )


def evidence_info(row: EvidenceRow) -> EvidenceInfo:
    return EvidenceInfo(
        row.id,
        row.sha256,
        row.size_bytes,
        row.media_type,
        row.item_id,
        repo.position_in(row.position),
    )


@transient
def raise_defect(
    station: Station,
    actor: User,
    inspection_id: str,
    code: str,
    item_id: str | None = None,
    position: int | None = None,
    severity: Severity | None = None,
    disposition: Disposition = Disposition.PENDING,
    note: str = "",
) -> Defect:
    """Log a defect from the catalog; its severity defaults to the catalog's."""
    return log_defect(
        station, actor, inspection_id, code, item_id, position, severity, disposition, note
    ).defect


@dataclass(frozen=True)
class LoggedDefect:
    defect: Defect
    photo: EvidenceInfo | None  # the photo committed with it, if one was given


@transient
def log_defect(
    station: Station,
    actor: User,
    inspection_id: str,
    code: str,
    item_id: str | None = None,
    position: int | None = None,
    severity: Severity | None = None,
    disposition: Disposition = Disposition.PENDING,
    note: str = "",
    photo: Evidence | None = None,
) -> LoggedDefect:
    """A defect and its photo, together or not at all.

    The photo's file is made durable first (a file no row points at is harmless: the store
    is named by content), then the defect row and the evidence row go in one transaction,
    so a refusal or a failed write leaves neither. The photo's meta names its defect."""
    stored: StoredFile | None = None
    if photo is not None:
        check_before_files(station, actor, inspection_id)  # fail early, before the file
        with station.db.read() as s:
            found = s.get(InspectionRow, inspection_id)
            if found is not None:
                _check_defect(s, actor, found, code, item_id, position, disposition)
        stored = station.evidence.put(photo.data)
    with station.db.write(actor, station.name, reason="log defect") as s:
        row = _open_inspection(s, station, actor, inspection_id)
        entry = _check_defect(s, actor, row, code, item_id, position, disposition)
        drow = DefectRow(
            inspection_id=inspection_id,
            item_id=item_id,
            position=repo.position_out(position),
            code=code,
            severity=(severity or Severity(entry.severity)).value,
            disposition=disposition.value,
            note=note,
            created_at=station.now(),
            created_by_id=actor.id,
        )
        s.add(drow)
        s.flush()
        info = None
        if photo is not None and stored is not None:
            erow = evidence_row(
                station,
                actor,
                inspection_id,
                stored,
                photo.media_type,
                item_id,
                position,
                f"defect-{code}.png",
                photo.meta | {"defect_id": drow.id},
            )
            s.add(erow)
            s.flush()
            info = evidence_info(erow)
        return LoggedDefect(repo.defect(drow), info)


def _check_defect(
    s: Session,
    actor: User,
    row: InspectionRow,
    code: str,
    item_id: str | None,
    position: int | None,
    disposition: Disposition,
) -> DefectCode:
    entry = s.get(DefectCode, code)
    if entry is None or not entry.active:
        raise InvalidInput(f"{code!r} is not in the defect catalog")
    if row.stage not in entry.stages:
        raise InvalidInput(
            f"{code} ({entry.name}) is not a defect of the {Stage(row.stage).label} stage"
        )
    if item_id is not None:
        _check_position(_item(_template(s, row), item_id), row.position_counts, position)
    if disposition is Disposition.USE_AS_IS:
        require(s, actor, Permission.REVIEW)
    return entry


@transient
def complete(station: Station, actor: User, inspection_id: str) -> Completion:
    """Close the inspection with its derived verdict, if nothing is missing."""
    with station.db.write(actor, station.name, reason="complete inspection") as s:
        row = _open_inspection(s, station, actor, inspection_id)
        current = repo.inspection(s, row)
        missing = current.missing()
        if missing:
            raise Incomplete(missing, current.template)
        verdict = current.current_verdict()
        row.status = Status.COMPLETED.value
        row.verdict = verdict.value
        row.completed_at = station.now()
        me = require(s, actor, Permission.INSPECT)
        holds.record(s, station, me, row, HoldState.COMPLETED, at=row.completed_at)
        return Completion(row.id, verdict, row.completed_at)


def get(station: Station, inspection_id: str) -> Inspection:
    with station.db.read() as s:
        row = s.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection {inspection_id}")
        return repo.inspection(s, row)


def search(station: Station, f: SearchFilter) -> list[InspectionSummary]:
    with station.db.read() as s:
        return repo.search(s, f)


def unfinished(station: Station, actor: User) -> list[InspectionSummary]:
    """In-progress inspections this station holds for this user: reopened after a restart.
    (Parked ones and ones held elsewhere are listed by holds.unfinished.)"""
    return [u.summary for u in holds.unfinished(station, actor, mine_here=True)]


def check_before_files(station: Station, actor: User, inspection_id: str) -> None:
    """Fail early, before evidence files are written for a change that would be refused."""
    with station.db.read() as s:
        user_row = require(s, actor, Permission.INSPECT)
        row = s.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection {inspection_id}")
        if row.status == Status.IN_PROGRESS.value and holds.may_work_on(user_row, row):
            holds.check(s, station, actor, row)


def evidence_of(station: Station, inspection_id: str) -> list[EvidenceInfo]:
    with station.db.read() as s:
        rows = s.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.inspection_id == inspection_id)
            .order_by(EvidenceRow.id)
        )
        return [evidence_info(r) for r in rows]


def read_evidence(station: Station, sha256: str) -> bytes:
    return station.evidence.read(sha256)


def suggest_next(station: Station, job_ticket: str) -> tuple[Stage, str, str] | None:
    """For a scanned job ticket: the stage after its latest inspection, with its SKU and serial."""
    with station.db.read() as s:
        row = s.scalars(
            select(InspectionRow)
            .where(InspectionRow.job_ticket == job_ticket.strip())
            .order_by(InspectionRow.started_at.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        stage = Stage(row.stage)
        if row.status == Status.COMPLETED.value and row.verdict != "fail":
            stages = list(Stage)
            stage = stages[min(stage.order + 1, len(stages) - 1)]
        return stage, row.sku, row.serial
