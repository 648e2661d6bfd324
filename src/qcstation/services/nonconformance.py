"""Nonconforming items: the open ones, deciding their disposition, and the rework chain.

The defect row is part of the inspection's signed record, so a disposition decided after
completion goes into its own row (audited) and leaves the defect, and every signature
over it, as it was. Rework opens the re-inspection in the same transaction, so there is
never a rework decision without the inspection that checks it; it waits parked, in the
list of every station, until its inspector (or a supervisor) resumes it.

Two people deciding at once take turns on the inspection's row: the second is told what
the first decided (and a race on PostgreSQL is retried, store/retry.py).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session, aliased
from typing_extensions import Unpack

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.holds import HoldState
from qcstation.domain.inspections import Status, Verdict
from qcstation.domain.nonconformance import (
    ChainStep,
    DispositionError,
    Nonconformance,
    ReworkChain,
    check_disposition,
)
from qcstation.domain.stages import Stage
from qcstation.domain.templates import ChecklistTemplate, label_of
from qcstation.domain.users import Permission, User
from qcstation.services import holds, records
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.corrections import SAME_SUBJECT
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.models import (
    CorrectionRow,
    DefectCode,
    DefectRow,
    DispositionRow,
    EvidenceRow,
    InspectionRow,
    ReworkRow,
    UserRow,
)
from qcstation.store.retry import transient

_FINDER = aliased(UserRow)
_DECIDER = aliased(UserRow)


@functools.cache  # a statement is immutable: build it once, not on every refresh
def _statement(decided_only: bool = False) -> Select[Unpack[tuple[Any, ...]]]:
    """The queue's query. With decided_only it is driven from the dispositions (newest first
    through their decided_at index) instead of scanning every defect."""
    q = (
        # plain columns, not ORM objects: a queue of hundreds is read in one cheap pass
        select(
            DefectRow.id,
            InspectionRow.id,
            InspectionRow.job_ticket,
            InspectionRow.sku,
            InspectionRow.serial,
            InspectionRow.subject,
            InspectionRow.lot_size,
            InspectionRow.stage,
            InspectionRow.template_id,
            DefectRow.item_id,
            DefectRow.position,
            DefectRow.code,
            DefectCode.name,
            DefectRow.severity,
            DefectRow.note,
            _FINDER.username,
            DefectRow.created_at,
            DefectRow.disposition,
            DispositionRow.disposition,
            _DECIDER.username,
            DispositionRow.decided_at,
            DispositionRow.reason,
            ReworkRow.inspection_id,
        )
    )
    if decided_only:
        q = q.select_from(DispositionRow).join(DefectRow, DefectRow.id == DispositionRow.defect_id)
    else:
        q = q.select_from(DefectRow).outerjoin(
            DispositionRow, DispositionRow.defect_id == DefectRow.id
        )
    return (
        q.join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
        .join(DefectCode, DefectCode.code == DefectRow.code)
        .join(_FINDER, _FINDER.id == DefectRow.created_by_id)
        .outerjoin(_DECIDER, _DECIDER.id == DispositionRow.decided_by_id)
        .outerjoin(ReworkRow, ReworkRow.reworks_id == InspectionRow.id)
        # "|| ''" keeps the planner off the status index: nearly every inspection is
        # completed, so walking it would visit them all; the defects are far fewer
        .where(InspectionRow.status.op("||")("") == Status.COMPLETED.value)
        # a corrected inspection's defects live on in its newest version
        .where(
            ~select(CorrectionRow.id)
            .where(CorrectionRow.supersedes_id == InspectionRow.id)
            .exists()
        )
    )


def _photos(
    session: Session, inspection_ids: set[str]
) -> dict[tuple[str, str | None, int], list[str]]:
    out: dict[tuple[str, str | None, int], list[str]] = defaultdict(list)
    if inspection_ids:
        for ins_id, item_id, pos, sha in session.execute(
            select(
                EvidenceRow.inspection_id,
                EvidenceRow.item_id,
                EvidenceRow.position,
                EvidenceRow.sha256,
            )
            .where(EvidenceRow.inspection_id.in_(inspection_ids))
            .order_by(EvidenceRow.id)
        ):
            out[(ins_id, item_id, pos)].append(sha)
    return out


def _items(session: Session, q: Select[Unpack[tuple[Any, ...]]]) -> list[Nonconformance]:
    rows = session.execute(q).all()
    photos = _photos(session, {r[1] for r in rows})
    templates: dict[int, ChecklistTemplate] = {}  # a queue uses a few checklist versions
    out = []
    for (
        defect_id,
        ins_id,
        job_ticket,
        sku,
        serial,
        subject,
        lot_size,
        stage,
        template_id,
        item_id,
        position,
        code,
        name,
        severity,
        note,
        finder,
        found_at,
        logged,
        decided_as,
        decider,
        decided_at,
        reason,
        rework_id,
    ) in rows:
        decided = decided_as is not None
        disposition = Disposition(decided_as if decided else logged)
        label = ""
        if item_id is not None:
            if template_id not in templates:
                templates[template_id] = repo.template_by_id(session, template_id)
            label = label_of(templates[template_id], item_id, repo.position_in(position))
        out.append(
            Nonconformance(
                defect_id=defect_id,
                inspection_id=ins_id,
                job_ticket=job_ticket,
                sku=sku,
                serial=serial,
                subject=subject,
                lot_size=lot_size,
                stage=Stage(stage),
                item_id=item_id,
                position=repo.position_in(position),
                code=code,
                name=name,
                severity=Severity(severity),
                note=note,
                found_by=finder,
                found_at=found_at,
                photos=tuple(photos.get((ins_id, item_id, position), ())),
                disposition=disposition,
                # decided when it was logged: by whoever logged it
                decided_by=decider
                if decided
                else (finder if disposition is not Disposition.PENDING else ""),
                decided_at=decided_at,
                reason=reason or "",
                rework_inspection_id=rework_id if disposition is Disposition.REWORK else None,
                item_label=label,
            )
        )
    return out


# Most severe first, in SQL, so a limit never cuts off a critical item behind older minors.
_SEVERITY_RANK = case(
    (DefectRow.severity == Severity.CRITICAL.value, 0),
    (DefectRow.severity == Severity.MAJOR.value, 1),
    else_=2,
)


def open_items(station: Station, limit: int = 500) -> list[Nonconformance]:
    """Nonconforming items nobody has decided yet: most severe first, then oldest first."""
    q = (
        _statement()
        .where(DispositionRow.id.is_(None), DefectRow.disposition == Disposition.PENDING.value)
        .order_by(_SEVERITY_RANK, DefectRow.created_at, DefectRow.id)
        .limit(limit)
    )
    with station.db.read() as s:
        return _items(s, q)


def recent_decisions(station: Station, limit: int = 100) -> list[Nonconformance]:
    """Dispositions decided after completion, newest first."""
    q = (
        _statement(decided_only=True)
        .order_by(DispositionRow.decided_at.desc(), DispositionRow.id.desc())
        .limit(limit)
    )
    with station.db.read() as s:
        return _items(s, q)


def get_item(station: Station, defect_id: int) -> Nonconformance:
    with station.db.read() as s:
        found = _items(s, _statement().where(DefectRow.id == defect_id))
        if not found:
            if s.get(DefectRow, defect_id) is None:
                raise NotFound(f"no defect {defect_id}")
            raise Conflict(
                f"defect {defect_id} is on an inspection that is not completed or was corrected: "
                "only the newest completed version's defects are dispositioned"
            )
        return found[0]


@transient
def decide(
    station: Station, actor: User, defect_id: int, disposition: Disposition, reason: str = ""
) -> Nonconformance:
    """Decide what happens to a nonconforming item; rework opens its re-inspection."""
    reason = reason.strip()
    word = disposition.value.replace("_", " ")
    with station.db.write(actor, station.name, reason=f"disposition {word}: {reason}") as s:
        user_row = require(s, actor, Permission.INSPECT)
        defect = s.get(DefectRow, defect_id)
        if defect is None:
            raise NotFound(f"no defect {defect_id}")
        ins = holds.locked(s, defect.inspection_id)  # deciders take turns per inspection
        assert ins is not None  # a defect's inspection is never deleted
        if ins.status != Status.COMPLETED.value:
            raise Conflict(
                f"inspection {ins.id} is {ins.status.replace('_', ' ')}: complete it first, "
                "dispositions are decided on the final record"
            )
        newer = records.superseded_by(s, ins.id)
        if newer:
            raise Conflict(
                f"inspection {ins.id} was corrected by {newer}: decide on the defect there"
            )
        earlier = s.scalars(
            select(DispositionRow).where(DispositionRow.defect_id == defect_id)
        ).first()
        if earlier is not None or defect.disposition != Disposition.PENDING.value:
            done = earlier.disposition if earlier else defect.disposition
            raise Conflict(f"defect {defect_id} was decided already: {done.replace('_', ' ')}")
        may_approve = repo.user(user_row).can(Permission.REVIEW)
        try:
            check_disposition(disposition, reason, may_approve)
        except DispositionError as exc:
            if disposition is Disposition.USE_AS_IS and not may_approve:
                raise PermissionDenied(f"{actor.username}: {exc}") from None
            raise InvalidInput(str(exc)) from None
        if ins.subject == "piece" and disposition is not Disposition.SCRAP:
            scrapped = _scrapped_with(s, ins.id)
            if scrapped is not None:
                raise Conflict(
                    f"the piece was scrapped already (defect {scrapped}): "
                    "its other defects can only be scrapped with it"
                )
        if disposition is Disposition.USE_AS_IS and ins.inspector_id == user_row.id:
            raise Conflict(
                "a supervisor cannot approve use as is on an inspection they performed: "
                "ask another supervisor"
            )
        s.add(
            DispositionRow(
                defect_id=defect_id,
                disposition=disposition.value,
                reason=reason,
                decided_by_id=user_row.id,
                decided_at=station.now(),
            )
        )
        if disposition is Disposition.REWORK:
            _reinspection(s, station, ins, user_row)
        s.flush()
        s.flush()
        return _items(s, _statement().where(DefectRow.id == defect_id))[0]


def _scrapped_with(s: Session, inspection_id: str) -> int | None:
    """A defect of this inspection whose piece went to scrap (then or when it was logged)."""
    return s.scalar(
        select(DefectRow.id)
        .outerjoin(DispositionRow, DispositionRow.defect_id == DefectRow.id)
        .where(
            DefectRow.inspection_id == inspection_id,
            (DispositionRow.disposition == Disposition.SCRAP.value)
            | (DefectRow.disposition == Disposition.SCRAP.value),
        )
        .limit(1)
    )


def _reinspection(s: Session, station: Station, old: InspectionRow, by: UserRow) -> str:
    """The re-inspection after rework; one per inspection, shared by all its reworked defects."""
    existing = s.scalar(select(ReworkRow.inspection_id).where(ReworkRow.reworks_id == old.id))
    if existing:
        return existing
    now = station.now()
    new = InspectionRow(
        id=str(uuid.uuid4()),
        **{name: getattr(old, name) for name in SAME_SUBJECT},
        status=Status.IN_PROGRESS.value,
        verdict=None,
        # the inspector who found it checks the reworked piece (a supervisor may too)
        inspector_id=old.inspector_id,
        station_id=old.station_id,
        started_at=now,
        completed_at=None,
        notes=f"re-inspection after rework of {old.id}",
    )
    s.add(new)
    s.flush()
    s.add(ReworkRow(inspection_id=new.id, reworks_id=old.id, created_at=now, created_by_id=by.id))
    waiting = f"waiting for re-inspection after rework of {old.id}"
    holds.record(s, station, by, new, HoldState.PARKED, waiting, at=now)
    return new.id


def chain(station: Station, inspection_id: str) -> ReworkChain:
    """The inspections of one piece linked by rework, first failure to final verdict."""
    with station.db.read() as s:
        if s.get(InspectionRow, inspection_id) is None:
            raise NotFound(f"no inspection {inspection_id}")
        first, seen = inspection_id, {inspection_id}
        while (prev := _linked(s, ReworkRow.reworks_id, ReworkRow.inspection_id, first)) and (
            prev not in seen
        ):
            seen.add(prev)
            first = prev
        ids, cur = [first], first
        while (nxt := _linked(s, ReworkRow.inspection_id, ReworkRow.reworks_id, cur)) and (
            nxt not in ids
        ):
            ids.append(nxt)
            cur = nxt
        return ReworkChain(tuple(_step(s, i) for i in ids))


def _linked(s: Session, want: Any, given: Any, inspection_id: str) -> str | None:
    return s.scalar(select(want).where(given == inspection_id))


def _step(s: Session, inspection_id: str) -> ChainStep:
    row = s.get_one(InspectionRow, inspection_id)
    decided = s.execute(
        select(DefectRow.code, DefectRow.disposition, DispositionRow.disposition)
        .outerjoin(DispositionRow, DispositionRow.defect_id == DefectRow.id)
        .where(DefectRow.inspection_id == inspection_id)
        .order_by(DefectRow.id)
    ).all()
    return ChainStep(
        inspection_id=row.id,
        stage=Stage(row.stage),
        started_at=row.started_at,
        status=row.status,
        verdict=Verdict(row.verdict) if row.verdict else None,
        inspector=s.get_one(UserRow, row.inspector_id).username,
        dispositions=tuple((code, Disposition(later or logged)) for code, logged, later in decided),
    )
