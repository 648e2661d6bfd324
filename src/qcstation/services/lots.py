"""Lot inspection by ISO 2859-1: plan a lot, draw its sample, record the counts and verdict.

The switching state of every stream (a supplier at receiving, a SKU at a production
stage) lives in the database, one row per severity class, and moves only through the
domain state machine (:func:`qcstation.domain.sampling.record_lot`) when a verdict is
recorded. Every change goes through the audit chain like any other record.

A rejected lot may be resubmitted (:func:`resubmit`): a lot of its own, on tightened
inspection unless a supervisor decides on normal, whose verdict leaves the switching state
alone. A stream's switching state as it stands, its history, and a supervisor's decisions
on it by hand live in :mod:`qcstation.services.lot_streams`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain import lots as dlots
from qcstation.domain import sampling
from qcstation.domain.defects import Severity
from qcstation.domain.stages import Stage
from qcstation.domain.users import Permission, User
from qcstation.services import lot_streams
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store.models import LotRow, SwitchingStateRow, UserRow
from qcstation.store.models import Station as StationRow


@dataclass(frozen=True)
class ClassPlanView:
    severity: Severity
    aql: str
    mode: sampling.InspectionMode
    code_letter: str
    plan_letter: str
    sample_size: int
    accept: int
    reject: int
    hundred_percent: bool
    pieces: tuple[int, ...]  # sorted piece numbers this class inspects
    count: int | None = None  # nonconforming found, once recorded
    accepted: bool | None = None


@dataclass(frozen=True)
class LotInfo:
    id: str
    job_ticket: str
    sku: str
    supplier: str
    stage: Stage
    stream: dlots.Stream
    lot_size: int
    level: str
    plans: tuple[ClassPlanView, ...]
    sample_size: int
    seed: int
    sample: tuple[int, ...]  # in draw order
    status: str  # planned | decided
    verdict: dlots.LotVerdict | None
    created_at: datetime
    decided_at: datetime | None
    switching: tuple[lot_streams.StreamState, ...]  # the stream's state now
    resubmission_of: str | None = None  # the rejected lot this one inspects again
    resubmitted_as: str | None = None  # this lot's resubmission, once planned

    @property
    def hundred_percent(self) -> bool:
        return self.sample_size == self.lot_size

    @property
    def original(self) -> bool:
        """An original lot: the only kind the switching rules count (clause 9)."""
        return self.resubmission_of is None

    @property
    def can_resubmit(self) -> bool:
        return self.verdict is dlots.LotVerdict.REJECTED and self.resubmitted_as is None


def _stream(row: LotRow) -> dlots.Stream:
    return dlots.Stream(dlots.StreamKind(row.stream_kind), row.stream_key, Stage(row.stage))


def _info(s: Session, row: LotRow) -> LotInfo:
    stream = _stream(row)
    states = lot_streams.state_rows(s, stream)
    counts = row.counts or {}
    plans = []
    for sev in dlots.SEVERITY_ORDER:
        p = row.plans.get(sev.value)
        if p is None:
            continue
        count = counts.get(sev.value)
        plans.append(
            ClassPlanView(
                severity=sev,
                aql=p["aql"],
                mode=sampling.InspectionMode(p["mode"]),
                code_letter=p["code_letter"],
                plan_letter=p["plan_letter"],
                sample_size=p["sample_size"],
                accept=p["accept"],
                reject=p["reject"],
                hundred_percent=p["hundred_percent"],
                pieces=tuple(dlots.pieces_for(tuple(row.sample), p["sample_size"])),
                count=count,
                accepted=None if count is None else count < p["reject"],
            )
        )
    return LotInfo(
        id=row.id,
        job_ticket=row.job_ticket,
        sku=row.sku,
        supplier=row.supplier,
        stage=stream.stage,
        stream=stream,
        lot_size=row.lot_size,
        level=row.level,
        plans=tuple(plans),
        sample_size=row.sample_size,
        seed=row.seed,
        sample=tuple(row.sample),
        status=row.status,
        verdict=dlots.LotVerdict(row.verdict) if row.verdict else None,
        created_at=row.created_at,
        decided_at=row.decided_at,
        switching=tuple(
            lot_streams.state_view(stream, sev, states.get(sev))
            for sev in dlots.SEVERITY_ORDER
            if sev.value in row.plans
        ),
        resubmission_of=row.resubmission_of,
        resubmitted_as=s.scalars(
            select(LotRow.id).where(LotRow.resubmission_of == row.id).limit(1)
        ).first(),
    )


def _station_row(s: Session, station: Station) -> StationRow:
    row = s.scalars(select(StationRow).where(StationRow.name == station.name)).first()
    if row is None:
        row = StationRow(name=station.name, created_at=station.now())
        s.add(row)
        s.flush()
    return row


def plan_lot(
    station: Station,
    actor: User,
    *,
    stage: Stage,
    job_ticket: str,
    sku: str,
    lot_size: int,
    aqls: Mapping[Severity, float | str | None] | Mapping[str, float | str | None],
    level: str = "II",
    supplier: str = "",
    seed: int | None = None,
) -> LotInfo:
    """Plan a lot on its stream's current severity per class, draw the sample and record it."""
    job_ticket, sku, supplier = job_ticket.strip(), sku.strip(), supplier.strip()
    if not job_ticket or not sku:
        raise InvalidInput("a job ticket and a SKU are needed to inspect a lot")
    try:
        level_ = sampling.parse_level(level)
        aqls_ = dlots.parse_aqls(aqls)
        stream = dlots.Stream.for_lot(stage, sku, supplier)
        # Table I is checked before the database is touched: bad input loses nothing.
        sampling.code_letter(lot_size, level_)
    except sampling.SamplingError as exc:
        raise InvalidInput(str(exc)) from None
    with station.db.write(actor, station.name, reason="plan lot") as s:
        user_row = require(s, actor, Permission.INSPECT)
        states = lot_streams.state_rows(s, stream)
        stopped = [sev.value for sev in aqls_ if states.get(sev) and states[sev].discontinued]
        if stopped:
            raise Conflict(
                f"acceptance inspection of {stream.label()} is discontinued for "
                f"{', '.join(stopped)} (5 lots rejected on tightened inspection): a supervisor "
                "resumes it once the cause is corrected"
            )
        modes = {sev: lot_streams.state(states.get(sev)).mode for sev in aqls_}
        plans = dlots.class_plans(lot_size, level_, aqls_, modes)
        sample_size = max(p.plan.sample_size for p in plans)
        seed_ = secrets.randbelow(2**31 - 1) if seed is None else seed
        row = _planned(
            s, station, user_row, plans, lot_size, sample_size, seed_,
            job_ticket=job_ticket, sku=sku, supplier=supplier, stage=stage.value,
            stream_kind=stream.kind.value, stream_key=stream.key, level=level_.value,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _info(s, row)


def record_result(
    station: Station,
    actor: User,
    lot_id: str,
    counts: Mapping[Severity, int] | Mapping[str, int],
    *,
    production_steady: bool = True,
    approve_reduced: bool = False,
) -> LotInfo:
    """Judge the lot from the nonconforming counts per class and move the switching state.

    ``approve_reduced`` is the responsible authority's approval for reduced inspection
    (clause 9.3.3): only a supervisor may give it; without it a stream stays on normal
    inspection however high its switching score.
    """
    with station.db.write(actor, station.name, reason="lot verdict") as s:
        user_row = require(s, actor, Permission.INSPECT)
        if approve_reduced and not actor.can(Permission.REVIEW):
            raise PermissionDenied("only a supervisor may approve reduced inspection")
        row = s.get(LotRow, lot_id)
        if row is None:
            raise NotFound(f"no lot {lot_id}")
        if row.status != "planned":
            raise Conflict(f"lot {lot_id} has its verdict already ({row.verdict})")
        stream = _stream(row)
        level = sampling.parse_level(row.level)
        plans = tuple(
            dlots.ClassPlan(
                Severity(sev),
                sampling.plan(row.lot_size, p["aql"], level, p["mode"]),
            )
            for sev, p in row.plans.items()
        )
        try:
            given = dlots.check_counts(plans, counts)
        except sampling.SamplingError as exc:
            raise InvalidInput(str(exc)) from None
        states = lot_streams.state_rows(s, stream, lock=True)
        now = station.now()
        resubmitted = row.resubmission_of is not None
        for cp in plans:
            state_row = states.get(cp.severity)
            state = lot_streams.state(state_row)
            if resubmitted:
                # not an original lot: the switching rules do not count it (clause 9)
                try:
                    sampling.record_lot(state, cp.plan, given[cp.severity], resubmitted=True)
                except sampling.SamplingError as exc:
                    raise Conflict(f"{stream.label()}, {cp.severity.value}: {exc}") from None
                continue
            if state.mode is not cp.plan.mode:
                raise Conflict(
                    f"{stream.label()} switched to {state.mode.value} inspection for "
                    f"{cp.severity.value} since this lot was planned on {cp.plan.mode.value}: "
                    "plan the lot again so its sample size and Ac/Re are right"
                )
            new = sampling.record_lot(
                state,
                cp.plan,
                given[cp.severity],
                production_steady=production_steady,
                authority_approves_reduced=approve_reduced,
            )
            if state_row is None:
                state_row = SwitchingStateRow(
                    stream_kind=stream.kind.value,
                    stream_key=stream.key,
                    stage=stream.stage.value,
                    severity=cp.severity.value,
                    lots=0,
                )
                s.add(state_row)
            lot_streams.store_state(state_row, new, now)
            state_row.lots = (state_row.lots or 0) + 1
        row.counts = {sev.value: n for sev, n in given.items()}
        row.verdict = dlots.verdict(plans, given).value
        row.status = "decided"
        row.decided_at = now
        row.decided_by_id = user_row.id
        s.flush()
        return _info(s, row)


def get(station: Station, lot_id: str) -> LotInfo:
    with station.db.read() as s:
        row = s.get(LotRow, lot_id)
        if row is None:
            raise NotFound(f"no lot {lot_id}")
        return _info(s, row)


def find(
    station: Station,
    *,
    sku: str | None = None,
    supplier: str | None = None,
    stage: Stage | None = None,
    limit: int = 200,
) -> list[LotInfo]:
    """Newest first."""
    with station.db.read() as s:
        q = select(LotRow).order_by(LotRow.created_at.desc(), LotRow.id).limit(limit)
        if sku:
            q = q.where(LotRow.sku == sku)
        if supplier:
            q = q.where(LotRow.supplier == supplier)
        if stage:
            q = q.where(LotRow.stage == stage.value)
        return [_info(s, r) for r in s.scalars(q)]


def resubmit(
    station: Station,
    actor: User,
    lot_id: str,
    *,
    mode: sampling.InspectionMode | str | None = None,
    lot_size: int | None = None,
    seed: int | None = None,
) -> LotInfo:
    """Plan the resubmission of a rejected lot (ISO 2859-1 7.6, ANSI/ASQ Z1.4 6.4).

    The lot comes back after its nonconforming items were removed or corrected: the same
    job, SKU, supplier, classes, AQLs and level, ``lot_size`` items (the original size if
    not given, never more). It is inspected on tightened inspection unless the responsible
    authority -- a supervisor -- decides on normal (``mode``); reduced is refused. Its
    verdict does not move the stream's switching state: it is not an original lot.
    """
    try:
        mode_ = sampling.resubmission_mode(mode)
    except sampling.SamplingError as exc:
        raise InvalidInput(str(exc)) from None
    with station.db.write(actor, station.name, reason="resubmit lot") as s:
        user_row = require(s, actor, Permission.INSPECT)
        if mode_ is not sampling.RESUBMISSION_MODE and not actor.can(Permission.REVIEW):
            raise PermissionDenied(
                "a resubmitted lot is inspected on tightened inspection; only a "
                "supervisor (the responsible authority) may decide on normal"
            )
        original = s.get(LotRow, lot_id)
        if original is None:
            raise NotFound(f"no lot {lot_id}")
        if original.verdict != dlots.LotVerdict.REJECTED.value:
            state = original.verdict or "has no verdict yet"
            raise Conflict(
                f"lot {original.job_ticket} ({lot_id}) {state}: only a rejected lot is resubmitted"
            )
        again = s.scalars(select(LotRow.id).where(LotRow.resubmission_of == lot_id)).first()
        if again is not None:
            raise Conflict(f"lot {lot_id} is resubmitted already, as lot {again}")
        size = original.lot_size if lot_size is None else lot_size
        if (
            isinstance(size, bool)
            or not isinstance(size, int)
            or not 2 <= size <= original.lot_size
        ):
            raise InvalidInput(
                f"lot size {size!r}: a resubmitted lot has from 2 to {original.lot_size} items "
                "(the original lot, less what was removed)"
            )
        stream = _stream(original)
        aqls = {Severity(sev): p["aql"] for sev, p in original.plans.items()}
        states = lot_streams.state_rows(s, stream)
        stopped = [sev.value for sev in aqls if states.get(sev) and states[sev].discontinued]
        if stopped:
            raise Conflict(
                f"acceptance inspection of {stream.label()} is discontinued for "
                f"{', '.join(stopped)}: a resubmitted lot waits until a supervisor resumes it"
            )
        try:
            plans = dlots.class_plans(
                size,
                original.level,
                {sev: sampling.parse_aql(a) for sev, a in aqls.items()},
                dict.fromkeys(aqls, mode_),
            )
        except sampling.SamplingError as exc:
            raise InvalidInput(str(exc)) from None
        sample_size = max(p.plan.sample_size for p in plans)
        seed_ = secrets.randbelow(2**31 - 1) if seed is None else seed
        row = _planned(
            s, station, user_row, plans, size, sample_size, seed_,
            job_ticket=original.job_ticket, sku=original.sku, supplier=original.supplier,
            stage=original.stage, stream_kind=original.stream_kind,
            stream_key=original.stream_key, level=original.level,
            resubmission_of=original.id,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _info(s, row)


def _planned(
    s: Session,
    station: Station,
    user_row: UserRow,
    plans: Sequence[dlots.ClassPlan],
    lot_size: int,
    sample_size: int,
    seed_: int,
    **identity: Any,
) -> LotRow:
    """A new lot row, planned and not yet counted: its sample drawn from ``seed_``;
    ``identity`` names the job, SKU, supplier, stage, stream and level (and what it
    resubmits)."""
    return LotRow(
        id=str(uuid.uuid4()),
        lot_size=lot_size,
        plans={p.severity.value: p.as_dict() for p in plans},
        sample_size=sample_size,
        seed=seed_,
        sample=list(dlots.draw_sample(lot_size, sample_size, seed_)),
        status="planned",
        counts=None,
        verdict=None,
        inspector_id=user_row.id,
        station_id=_station_row(s, station).id,
        created_at=station.now(),
        decided_at=None,
        decided_by_id=None,
        **identity,
    )
