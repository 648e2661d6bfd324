"""A lot stream's switching state (ISO 2859-1 clause 9): as it stands, its history, and a
supervisor's decisions on it.

Each severity class of a stream (a supplier at receiving, a SKU at a production stage) has
one row of switching state. A lot's verdict moves it
(:func:`qcstation.services.lots.record_result` reads and stores it through
:func:`state_rows`, :func:`state` and :func:`store_state`); a supervisor moves it by hand --
:func:`reinstate_normal`, :func:`start_tightened`, :func:`resume` -- always with a reason
kept in the audit trail; :func:`stream_history` shows the lots and those decisions.

It lives apart from services/lots.py (plan a lot, draw its sample, record its counts):
everything here acts on a stream, never on one lot, and the `qcstation sampling` commands
need nothing else. lots.py imports this module; this one does not import lots.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain import lots as dlots
from qcstation.domain import sampling
from qcstation.domain.defects import Severity
from qcstation.domain.stages import Stage
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput
from qcstation.store.models import AuditEntry, LotRow, SwitchingStateRow, UserRow


@dataclass(frozen=True)
class StreamState:
    """The switching state of one class of one stream, as the UI and CLI show it."""

    kind: dlots.StreamKind
    key: str
    stage: Stage
    severity: Severity
    mode: sampling.InspectionMode
    switching_score: int
    consecutive_accepted: int
    recent_results: str  # A / R, oldest first (normal inspection)
    rejected_while_tightened: int
    discontinued: bool
    lots: int
    updated_at: datetime | None

    @property
    def label(self) -> str:
        return dlots.Stream(self.kind, self.key, self.stage).label()


@dataclass(frozen=True)
class StreamEvent:
    """One line of a stream's history: a lot's verdict or a supervisor's decision."""

    at: datetime
    actor: str
    kind: str  # lot | resubmitted lot | decision
    text: str
    severity: Severity | None = None
    mode: sampling.InspectionMode | None = None  # the severity after a decision


def state(row: SwitchingStateRow | None) -> sampling.SwitchingState:
    if row is None:
        return sampling.SwitchingState()
    return sampling.SwitchingState(
        mode=sampling.InspectionMode(row.mode),
        consecutive_accepted=row.consecutive_accepted,
        recent_results=tuple(c == "A" for c in row.recent_results),
        switching_score=row.switching_score,
        rejected_while_tightened=row.rejected_while_tightened,
        discontinued=row.discontinued,
    )


def store_state(row: SwitchingStateRow, state: sampling.SwitchingState, now: datetime) -> None:
    row.mode = state.mode.value
    row.consecutive_accepted = state.consecutive_accepted
    row.recent_results = "".join("A" if ok else "R" for ok in state.recent_results)
    row.switching_score = state.switching_score
    row.rejected_while_tightened = state.rejected_while_tightened
    row.discontinued = state.discontinued
    row.updated_at = now


def state_view(
    stream: dlots.Stream, severity: Severity, row: SwitchingStateRow | None
) -> StreamState:
    st = state(row)
    return StreamState(
        kind=stream.kind,
        key=stream.key,
        stage=stream.stage,
        severity=severity,
        mode=st.mode,
        switching_score=st.switching_score,
        consecutive_accepted=st.consecutive_accepted,
        recent_results="".join("A" if ok else "R" for ok in st.recent_results),
        rejected_while_tightened=st.rejected_while_tightened,
        discontinued=st.discontinued,
        lots=row.lots if row else 0,
        updated_at=row.updated_at if row else None,
    )


def state_rows(
    s: Session, stream: dlots.Stream, lock: bool = False
) -> dict[Severity, SwitchingStateRow]:
    q = select(SwitchingStateRow).where(
        SwitchingStateRow.stream_kind == stream.kind.value,
        SwitchingStateRow.stream_key == stream.key,
        SwitchingStateRow.stage == stream.stage.value,
    )
    if lock:  # two stations recording lots of one supplier must not both read the old state
        q = q.with_for_update()
    return {Severity(r.severity): r for r in s.scalars(q)}


def stream_states(
    station: Station, *, key: str | None = None, stage: Stage | None = None
) -> list[StreamState]:
    """Every stream's switching state (or those of one supplier / SKU)."""
    with station.db.read() as s:
        q = select(SwitchingStateRow).order_by(
            SwitchingStateRow.stream_kind,
            SwitchingStateRow.stream_key,
            SwitchingStateRow.stage,
            SwitchingStateRow.id,
        )
        if key:
            q = q.where(SwitchingStateRow.stream_key == key)
        if stage:
            q = q.where(SwitchingStateRow.stage == stage.value)
        out = []
        for r in s.scalars(q):
            stream = dlots.Stream(dlots.StreamKind(r.stream_kind), r.stream_key, Stage(r.stage))
            out.append(state_view(stream, Severity(r.severity), r))
        order = {sev: i for i, sev in enumerate(dlots.SEVERITY_ORDER)}
        out.sort(key=lambda v: (v.kind.value, v.key, v.stage.order, order[v.severity]))
        return out


def resume(
    station: Station, actor: User, stream: dlots.Stream, severity: Severity, reason: str
) -> StreamState:
    """After discontinuation and corrective action, a supervisor resumes on tightened (9.4)."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("say why inspection may resume (it is kept in the audit trail)")
    with station.db.write(actor, station.name, reason=reason) as s:
        require(s, actor, Permission.REVIEW)
        row = state_rows(s, stream, lock=True).get(severity)
        if row is None or not row.discontinued:
            raise Conflict(f"{stream.label()} is not discontinued for {severity.value}")
        store_state(row, sampling.resume_inspection(state(row)), station.now())
        s.flush()
        return state_view(stream, severity, row)


def _decide(
    station: Station,
    actor: User,
    stream: dlots.Stream,
    severity: Severity,
    reason: str,
    *,
    what: str,
    step: Callable[[sampling.SwitchingState], sampling.SwitchingState],
) -> StreamState:
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput(f"say why ({what}; the reason is kept in the audit trail)")
    with station.db.write(actor, station.name, reason=f"{what}: {reason}") as s:
        require(s, actor, Permission.REVIEW)
        row = state_rows(s, stream, lock=True).get(severity)
        try:
            new = step(state(row))
        except sampling.SamplingError as exc:
            raise Conflict(f"{stream.label()}, {severity.value}: {exc}") from None
        if row is None:
            row = SwitchingStateRow(
                stream_kind=stream.kind.value,
                stream_key=stream.key,
                stage=stream.stage.value,
                severity=severity.value,
                lots=0,
            )
            s.add(row)
        store_state(row, new, station.now())
        s.flush()
        return state_view(stream, severity, row)


REINSTATE_NORMAL = "reinstate normal inspection"
START_TIGHTENED = "start on tightened inspection"


def reinstate_normal(
    station: Station, actor: User, stream: dlots.Stream, severity: Severity, reason: str
) -> StreamState:
    """A supervisor returns a stream's class to normal inspection (from discontinued, from
    reduced, or from tightened once clause 9.3.2's condition is met), with a reason."""
    return _decide(
        station, actor, stream, severity, reason, what=REINSTATE_NORMAL,
        step=sampling.reinstate_normal,
    )  # fmt: skip


def start_tightened(
    station: Station, actor: User, stream: dlots.Stream, severity: Severity, reason: str
) -> StreamState:
    """A supervisor puts a stream's class on tightened inspection (clause 9.1), with a
    reason; it may be a stream with no lots yet."""
    return _decide(
        station, actor, stream, severity, reason, what=START_TIGHTENED,
        step=sampling.start_tightened,
    )  # fmt: skip


def stream_history(station: Station, stream: dlots.Stream, limit: int = 200) -> list[StreamEvent]:
    """The stream's lots (original or resubmitted) and supervisors' decisions, oldest first.

    Decisions come from the audit trail of the stream's switching state (every change but
    a lot's verdict: reinstate normal, start on tightened, resume), with who, when and why.
    """
    with station.db.read() as s:
        lot_rows = s.scalars(
            select(LotRow)
            .where(
                LotRow.stream_kind == stream.kind.value,
                LotRow.stream_key == stream.key,
                LotRow.stage == stream.stage.value,
                LotRow.status == "decided",
            )
            .order_by(LotRow.decided_at.desc(), LotRow.id)
            .limit(limit)
        ).all()
        users = _user_names(s, {r.decided_by_id for r in lot_rows if r.decided_by_id})
        events: list[StreamEvent] = []
        for r in lot_rows:
            assert r.decided_at is not None
            kind = "lot" if r.resubmission_of is None else "resubmitted lot"
            text = f"lot {r.job_ticket} of {r.lot_size}: {r.verdict}"
            if r.resubmission_of is not None:
                text += " (resubmitted: not counted in switching)"
            events.append(
                StreamEvent(r.decided_at, users.get(r.decided_by_id or 0, ""), kind, text)
            )
        states = {str(r.id): Severity(r.severity) for r in state_rows(s, stream).values()}
        if states:
            audit = s.execute(
                select(AuditEntry.at, AuditEntry.actor, AuditEntry.reason, AuditEntry.entity_id,
                       AuditEntry.new)
                .where(
                    AuditEntry.entity == SwitchingStateRow.__tablename__,
                    AuditEntry.entity_id.in_(tuple(states)),
                    AuditEntry.reason != "lot verdict",
                )
                .order_by(AuditEntry.id.desc())
                .limit(limit)
            ).all()  # fmt: skip
            for at, who, why, entity_id, new in audit:
                after = json.loads(new) if new else {}
                mode = sampling.InspectionMode(after["mode"]) if "mode" in after else None
                events.append(StreamEvent(at, who, "decision", why, states[entity_id], mode))
    events.sort(key=lambda e: e.at)
    return events[-limit:]


def _user_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(s.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(ids))).all())
