"""Holding an unfinished inspection: at one station at a time, parked, taken over, abandoned.

Every change to an inspection (services/inspections.py and the imaging services) locks its
row first (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers queue at BEGIN IMMEDIATE)
and then checks the hold, so a change and a hand-over never cross. Each hand-over is an
audited change of the inspection's row in inspection_holds, with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import Session, aliased

from qcstation.domain.holds import Hold, HoldState, Unfinished, check_reason, refusal
from qcstation.domain.inspections import Inspection, Status
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.models import HoldRow, InspectionRow, TemplateRow, UserRow
from qcstation.store.models import Station as StationRow
from qcstation.store.retry import transient


class NotHeld(Conflict):
    """This station and user do not hold the inspection; the message says who does."""

    def __init__(self, message: str, inspection_id: str, hold: Hold):
        super().__init__(message)
        self.inspection_id = inspection_id
        self.hold = hold


def station_row(session: Session, station: Station) -> StationRow:
    """This station's row, registered on first use."""
    row = session.scalars(select(StationRow).where(StationRow.name == station.name)).first()
    if row is None:
        row = StationRow(name=station.name, created_at=station.now())
        session.add(row)
        session.flush()
    return row


def locked(session: Session, inspection_id: str) -> InspectionRow | None:
    """The inspection's row, locked until commit: changes and hand-overs take turns."""
    return locked_for(session, inspection_id, None)[0]


def locked_for(
    session: Session, inspection_id: str, actor: User | None
) -> tuple[InspectionRow | None, UserRow | None]:
    """The inspection's row, locked, and the actor's row, in one round trip. The actor's
    is read as fresh as a read of its own before the lock would be. The checklist
    version's hash comes along too (a version never changes once imported), for
    repo.template_by_id."""
    query = (
        select(InspectionRow, TemplateRow.sha256)
        .join(TemplateRow, TemplateRow.id == InspectionRow.template_id)
        .where(InspectionRow.id == inspection_id)
        .with_for_update(of=InspectionRow)
        .execution_options(populate_existing=True)
    )
    if actor is not None:
        query = query.add_columns(UserRow).outerjoin(UserRow, UserRow.id == actor.id)
    found = session.execute(query).first()
    if found is None:
        return None, None
    got: tuple[Any, ...] = tuple(found)  # the actor's row last, where asked for
    repo.note_template_sha(session, got[0].template_id, got[1])
    return got[0], got[2] if actor is not None else None


def may_work_on(user_row: UserRow, row: InspectionRow) -> bool:
    return row.inspector_id == user_row.id or repo.user(user_row).can(Permission.REVIEW)


def _name(session: Session, model: Any, key: int | None, attr: str) -> str | None:
    if key is None:
        return None
    return str(getattr(session.get_one(model, key), attr))


_ENDED = {Status.COMPLETED.value: HoldState.COMPLETED, Status.ABANDONED.value: HoldState.ABANDONED}


def current(session: Session, row: InspectionRow) -> Hold:
    """Who holds the inspection now (read after locking it)."""
    h = session.identity_map.get(session.identity_key(HoldRow, row.id))
    if h is None:
        # The holding station comes with the hold, in one statement after the lock (joined
        # into the locking SELECT, the hold would be as it was before a hand-over that
        # statement waited for); its name is then read from the session, as the holder's.
        found = session.execute(
            select(HoldRow, StationRow)
            .outerjoin(StationRow, StationRow.id == HoldRow.station_id)
            .where(HoldRow.inspection_id == row.id)
        ).first()
        h = found[0] if found is not None else None
    if h is None:  # started before holds existed: held where it was started, by its inspector
        return Hold(
            row.id,
            _ENDED.get(row.status, HoldState.HELD),
            _name(session, StationRow, row.station_id, "name") or "",
            _name(session, UserRow, row.inspector_id, "username") or "",
            row.started_at,
        )
    return Hold(
        row.id,
        HoldState(h.state),
        _name(session, StationRow, h.station_id, "name") or "",
        _name(session, UserRow, h.user_id, "username") or "",
        h.since,
        h.reason,
        _name(session, StationRow, h.taken_from_station_id, "name"),
        _name(session, UserRow, h.taken_from_user_id, "username"),
    )


def check(session: Session, station: Station, actor: User, row: InspectionRow) -> Hold:
    """Refuse, naming where and by whom it is held, unless this station holds it."""
    hold = current(session, row)
    if hold.held_at(station.name):
        return hold
    raise NotHeld(refusal(hold, station.name, station.now()) or "", row.id, hold)


def record(
    session: Session,
    station: Station,
    user_row: UserRow,
    row: InspectionRow,
    state: HoldState,
    reason: str = "",
    taken_from: Hold | None = None,
    at: datetime | None = None,
) -> HoldRow:
    """Set who has the inspection now (the audit hook records the change and its reason);
    ``at`` is the time of the change it goes with, when the caller has read the clock."""
    here = station_row(session, station).id
    from_station = from_user = None
    if taken_from is not None:
        from_station = session.scalar(
            select(StationRow.id).where(StationRow.name == taken_from.station)
        )
        from_user = session.scalar(select(UserRow.id).where(UserRow.username == taken_from.user))
    h = session.get(HoldRow, row.id)
    if h is None:
        h = HoldRow(inspection_id=row.id)
        session.add(h)
    h.state = state.value
    h.station_id = here
    h.user_id = user_row.id
    h.since = at or station.now()
    h.reason = reason
    h.taken_from_station_id = from_station
    h.taken_from_user_id = from_user
    session.flush()
    return h


def require_in_progress(session: Session, station: Station, row: InspectionRow) -> None:
    """Refuse a change to a completed or abandoned inspection, saying who ended it where."""
    if row.status != Status.IN_PROGRESS.value:
        hold = current(session, row)
        raise NotHeld(
            f"inspection {row.id} is {row.status.replace('_', ' ')}; it can no longer change "
            f"({hold.describe(station.now())})",
            row.id,
            hold,
        )


def _in_progress(
    session: Session, station: Station, actor: User, inspection_id: str
) -> tuple[UserRow, InspectionRow]:
    user_row = require(session, actor, Permission.INSPECT)
    row = locked(session, inspection_id)
    if row is None:
        raise NotFound(f"no inspection {inspection_id}")
    require_in_progress(session, station, row)
    if not may_work_on(user_row, row):
        raise PermissionDenied("only the inspector who started it or a supervisor may")
    return user_row, row


@transient
def resume(station: Station, actor: User, inspection_id: str) -> Inspection:
    """Continue an inspection here: one this station holds, or a parked one."""
    with station.db.write(actor, station.name, reason="resume inspection") as s:
        user_row, row = _in_progress(s, station, actor, inspection_id)
        hold = current(s, row)
        if not hold.held_by(station.name, actor.username):
            if not (hold.held_at(station.name) or hold.state is HoldState.PARKED):
                why = refusal(hold, station.name, station.now())
                raise NotHeld(why or "", row.id, hold)
            record(s, station, user_row, row, HoldState.HELD)
        return repo.inspection(s, row)


@transient
def take_over(station: Station, actor: User, inspection_id: str, reason: str) -> Inspection:
    """Take an inspection held at another station (or by another person) to this one."""
    reason = reason.strip()
    if (why := check_reason(reason, "take it over")) is not None:
        raise InvalidInput(why)
    with station.db.write(actor, station.name, reason=f"take over: {reason}") as s:
        user_row, row = _in_progress(s, station, actor, inspection_id)
        hold = current(s, row)
        if not hold.held_by(station.name, actor.username):
            elsewhere = hold.state is HoldState.HELD and not hold.held_at(station.name)
            record(s, station, user_row, row, HoldState.HELD, reason, hold if elsewhere else None)
        return repo.inspection(s, row)


@transient
def park(station: Station, actor: User, inspection_id: str, reason: str = "") -> Hold:
    """Put an inspection aside: nobody holds it until its inspector or a supervisor resumes
    it, at any station."""
    reason = reason.strip()
    with station.db.write(actor, station.name, reason=f"park: {reason}" if reason else "park") as s:
        user_row, row = _in_progress(s, station, actor, inspection_id)
        check(s, station, actor, row)
        record(s, station, user_row, row, HoldState.PARKED, reason)
        return current(s, row)


@transient
def abandon(station: Station, actor: User, inspection_id: str, reason: str) -> Hold:
    """Give an unfinished inspection up for good: it is never completed, signed or certified."""
    reason = reason.strip()
    if (why := check_reason(reason, "abandon it")) is not None:
        raise InvalidInput(why)
    with station.db.write(actor, station.name, reason=f"abandon: {reason}") as s:
        user_row, row = _in_progress(s, station, actor, inspection_id)
        if current(s, row).state is not HoldState.PARKED:
            check(s, station, actor, row)  # held elsewhere: taken over first, explicitly
        row.status = Status.ABANDONED.value
        record(s, station, user_row, row, HoldState.ABANDONED, reason)
        return current(s, row)


def hold_of(station: Station, inspection_id: str) -> Hold:
    with station.db.read() as s:
        row = s.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection {inspection_id}")
        return current(s, row)


_HS, _HU = aliased(StationRow), aliased(UserRow)
_FS, _FU = aliased(StationRow), aliased(UserRow)


def _held_here_by(station_id: Any, user_id: Any) -> Any:
    """Held by this station for this user (no hold row: where and by whom it started)."""
    return or_(
        and_(
            HoldRow.state == HoldState.HELD.value,
            HoldRow.station_id == station_id,
            HoldRow.user_id == user_id,
        ),
        and_(
            HoldRow.inspection_id.is_(None),
            InspectionRow.station_id == station_id,
            InspectionRow.inspector_id == user_id,
        ),
    )


def _unfinished_query(station: Station, actor: User | None, everyone: bool, mine_only: bool) -> Any:
    here = select(StationRow.id).where(StationRow.name == station.name).scalar_subquery()
    mine = _held_here_by(here, actor.id if actor is not None else -1)
    q = (
        repo.summaries()
        .add_columns(
            HoldRow.state,
            _HS.name,
            _HU.username,
            HoldRow.since,
            HoldRow.reason,
            _FS.name,
            _FU.username,
            mine,
        )
        .outerjoin(HoldRow, HoldRow.inspection_id == InspectionRow.id)
        .outerjoin(_HS, _HS.id == HoldRow.station_id)
        .outerjoin(_HU, _HU.id == HoldRow.user_id)
        .outerjoin(_FS, _FS.id == HoldRow.taken_from_station_id)
        .outerjoin(_FU, _FU.id == HoldRow.taken_from_user_id)
        .where(InspectionRow.status == Status.IN_PROGRESS.value)
    )
    if mine_only:
        q = q.where(mine)
    elif not everyone and actor is not None:
        q = q.where(InspectionRow.inspector_id == actor.id)
    order = case((mine, 0), (HoldRow.state == HoldState.PARKED.value, 1), else_=2)
    return q.order_by(order, InspectionRow.started_at.desc(), InspectionRow.id)


def unfinished(
    station: Station, actor: User | None, limit: int = 200, mine_here: bool = False
) -> list[Unfinished]:
    """The start page's list: what this station holds for the actor, then parked ones, then
    ones held elsewhere (an inspector sees their own; a supervisor, or no actor, everyone's).
    With mine_here, only what this station holds for the actor."""
    everyone = actor is None or actor.can(Permission.REVIEW)
    with station.db.read() as s:
        rows = s.execute(_unfinished_query(station, actor, everyone, mine_here).limit(limit)).all()
    out = []
    for r in rows:
        summary = repo.summary(r[: repo.SUMMARY_WIDTH])
        state, h_station, h_user, since, reason, f_station, f_user, mine = r[repo.SUMMARY_WIDTH :]
        hold = (
            Hold(summary.id, HoldState.HELD, summary.station, summary.inspector, summary.started_at)
            if state is None
            else Hold(
                summary.id,
                HoldState(state),
                h_station,
                h_user,
                since,
                reason,
                f_station,
                f_user,
            )
        )
        out.append(Unfinished(summary, hold, bool(mine)))
    return out
