"""Corrective actions (8D-like): opened from a defect or a trend, driven to a verified close.

Each call is one audited transaction. Who may do what is checked here: a supervisor (or
anyone allowed to manage corrective actions) opens and edits them, an action's owners may
work on it, and only a supervisor signs off the close, with evidence that it worked.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.domain.corrective import (
    CapaError,
    CapaStatus,
    CorrectiveAction,
    EvidenceFile,
    RootCauseCategory,
    check_transition,
    sort_key,
)
from qcstation.domain.inspections import Status
from qcstation.domain.summaries import end_of_day
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.models import (
    AuditEntry,
    CapaDetailRow,
    CorrectionRow,
    CorrectiveActionRow,
    DefectCode,
    DefectRow,
    InspectionRow,
    UserRow,
)

MAX_WHYS = 7


@dataclass(frozen=True)
class CapaEdit:
    """The fields a person edits on the form (owners by user name)."""

    title: str
    problem: str
    containment: str = ""
    root_cause_category: RootCauseCategory | None = None
    root_cause: str = ""
    why_chain: tuple[str, ...] = ()
    corrective: str = ""
    owner: str = ""
    due: date | None = None
    preventive: str = ""
    preventive_owner: str = ""
    preventive_due: date | None = None


@dataclass(frozen=True)
class Change:
    """One audited change of a corrective action, as the audit trail holds it."""

    at: datetime
    actor: str
    reason: str
    status: str  # the status after the change ("" when the change left no status)


@dataclass(frozen=True)
class NewFile:
    name: str
    data: bytes
    media_type: str = "application/octet-stream"


def _text(value: str, what: str, limit: int | None = None) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the corrective action needs {what}")
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"{what} takes at most {limit} characters")
    return value


def _user_id(s: Session, username: str, role: str) -> int | None:
    username = username.strip()
    if not username:
        return None
    row = s.scalars(select(UserRow).where(UserRow.username == username)).first()
    if row is None or not row.active:
        raise InvalidInput(f"the {role} {username!r} is not an active user of this station")
    return row.id


def _names(s: Session, *ids: int | None) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(s.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted))).all())


def _action(s: Session, row: CorrectiveActionRow, d: CapaDetailRow) -> CorrectiveAction:
    names = _names(s, row.owner_id, row.opened_by_id, d.preventive_owner_id, d.verified_by_id)
    return CorrectiveAction(
        id=row.id,
        title=row.title,
        problem=row.problem,
        status=CapaStatus(row.status),
        defect_id=row.defect_id,
        containment=row.containment,
        root_cause_category=RootCauseCategory(row.root_cause_category)
        if row.root_cause_category
        else None,
        root_cause=row.root_cause,
        corrective=row.corrective,
        preventive=row.preventive,
        owner=names.get(row.owner_id or 0, ""),
        due=row.due,
        effectiveness_evidence=row.effectiveness_evidence,
        trend_code=d.trend_code,
        trend_from=d.trend_from,
        trend_to=d.trend_to,
        why_chain=tuple(str(w) for w in d.why_chain),
        preventive_owner=names.get(d.preventive_owner_id or 0, ""),
        preventive_due=d.preventive_due,
        evidence_files=tuple(EvidenceFile(**f) for f in d.evidence_files),
        opened_by=names.get(row.opened_by_id, ""),
        opened_at=row.opened_at,
        verified_by=names.get(d.verified_by_id or 0, ""),
        closed_at=row.closed_at,
    )


def _load(s: Session, capa_id: int) -> tuple[CorrectiveActionRow, CapaDetailRow]:
    row = s.get(CorrectiveActionRow, capa_id)
    if row is None:
        raise NotFound(f"no corrective action {capa_id}")
    detail = s.get(CapaDetailRow, capa_id)
    if detail is None:  # one made before 0004 (by hand or an import): give it its details
        detail = CapaDetailRow(capa_id=capa_id, why_chain=[], evidence_files=[])
        s.add(detail)
    return row, detail


def open_action(
    station: Station,
    actor: User,
    title: str,
    problem: str,
    defect_id: int | None = None,
    trend: tuple[str, date, date] | None = None,
) -> CorrectiveAction:
    """Open from one defect, or from a trend: a defect code over a period (from, to)."""
    title = _text(title, "a title", 200)
    problem = _text(problem, "a problem statement")
    if (defect_id is None) == (trend is None):
        raise InvalidInput(
            "open a corrective action from a defect or from a trend (a defect code and a period)"
        )
    with station.db.write(actor, station.name, reason="open corrective action") as s:
        user = require(s, actor, Permission.MANAGE_CORRECTIVE_ACTIONS)
        if defect_id is not None and s.get(DefectRow, defect_id) is None:
            raise NotFound(f"no defect {defect_id}")
        code, start, end = trend if trend else (None, None, None)
        if code is not None:
            if s.get(DefectCode, code) is None:
                raise InvalidInput(f"{code!r} is not in the defect catalog")
            if start is None or end is None or start > end:
                raise InvalidInput("the trend's period must start on or before its end")
        row = CorrectiveActionRow(
            defect_id=defect_id,
            title=title,
            problem=problem,
            status=CapaStatus.OPEN.value,
            containment="",
            root_cause_category=None,
            root_cause="",
            corrective="",
            preventive="",
            owner_id=None,
            due=None,
            effectiveness_evidence="",
            opened_at=station.now(),
            opened_by_id=user.id,
            closed_at=None,
        )
        s.add(row)
        s.flush()
        detail = CapaDetailRow(
            capa_id=row.id,
            trend_code=code,
            trend_from=start,
            trend_to=end,
            why_chain=[],
            preventive_owner_id=None,
            preventive_due=None,
            evidence_files=[],
            verified_by_id=None,
            verified_at=None,
        )
        s.add(detail)
        s.flush()
        return _action(s, row, detail)


def _may_work(s: Session, actor: User, row: CorrectiveActionRow, d: CapaDetailRow) -> UserRow:
    """A manager of corrective actions, or one of this action's owners."""
    user = require(
        s,
        actor,
        Permission.INSPECT if actor.id in _owners(row, d) else Permission.MANAGE_CORRECTIVE_ACTIONS,
    )
    return user


def _owners(row: CorrectiveActionRow, d: CapaDetailRow) -> set[int]:
    return {i for i in (row.owner_id, d.preventive_owner_id) if i is not None}


def update(station: Station, actor: User, capa_id: int, edit: CapaEdit) -> CorrectiveAction:
    """Save the form: problem, containment, root cause and why-chain, actions, owners, dues."""
    title = _text(edit.title, "a title", 200)
    problem = _text(edit.problem, "a problem statement")
    whys = tuple(w.strip() for w in edit.why_chain if w.strip())
    if len(whys) > MAX_WHYS:
        raise InvalidInput(f"a why-chain has at most {MAX_WHYS} whys; summarise the root cause")
    with station.db.write(actor, station.name, reason="edit corrective action") as s:
        row, d = _load(s, capa_id)
        _may_work(s, actor, row, d)
        if row.status == CapaStatus.CLOSED.value:
            raise Conflict(f"corrective action {capa_id} is closed; open a new one to change more")
        row.title, row.problem = title, problem
        row.containment = edit.containment.strip()
        row.root_cause_category = (
            edit.root_cause_category.value if edit.root_cause_category else None
        )
        row.root_cause = edit.root_cause.strip()
        row.corrective = edit.corrective.strip()
        row.preventive = edit.preventive.strip()
        row.owner_id = _user_id(s, edit.owner, "owner of the corrective action")
        row.due = edit.due
        d.why_chain = list(whys)
        d.preventive_owner_id = _user_id(s, edit.preventive_owner, "owner of the preventive action")
        d.preventive_due = edit.preventive_due
        s.flush()
        return _action(s, row, d)


def advance(
    station: Station, actor: User, capa_id: int, to: CapaStatus, reason: str = ""
) -> CorrectiveAction:
    """Move the status one step (or back to in progress when verification finds it lacking)."""
    if to is CapaStatus.CLOSED:
        raise InvalidInput("closing needs effectiveness evidence and a sign-off: use close")
    reason = reason.strip()
    with station.db.write(actor, station.name, reason=reason or f"status {to.value}") as s:
        row, d = _load(s, capa_id)
        user = _may_work(s, actor, row, d)
        current = _action(s, row, d)
        if current.status is CapaStatus.AWAITING_VERIFICATION and to is CapaStatus.IN_PROGRESS:
            if not repo.user(user).can(Permission.REVIEW):
                raise PermissionDenied("only a supervisor sends an action back from verification")
            if len(reason) < 3:
                raise InvalidInput("say what verification found lacking (kept in the audit trail)")
        try:
            check_transition(current, to)
        except CapaError as exc:
            raise Conflict(str(exc)) from None
        row.status = to.value
        s.flush()
        return _action(s, row, d)


def close(
    station: Station,
    actor: User,
    capa_id: int,
    evidence: str,
    files: Sequence[NewFile] = (),
) -> CorrectiveAction:
    """A supervisor's sign-off: the evidence that the action worked, then closed for good."""
    evidence = evidence.strip()
    if not evidence:
        raise InvalidInput(
            "closing needs evidence that the action was effective (what was checked)"
        )
    for f in files:
        if not f.data:
            raise InvalidInput(f"the evidence file {f.name!r} is empty")
    with station.db.read() as s:  # fail early, before writing files for nothing
        require(s, actor, Permission.REVIEW)
        if s.get(CorrectiveActionRow, capa_id) is None:
            raise NotFound(f"no corrective action {capa_id}")
    stored = [
        EvidenceFile(p.sha256, f.name[:255], f.media_type, p.size)
        for f in files
        for p in (station.evidence.put(f.data),)
    ]
    with station.db.write(actor, station.name, reason=f"close: {evidence}") as s:
        user = require(s, actor, Permission.REVIEW)
        row, d = _load(s, capa_id)
        current = replace(_action(s, row, d), effectiveness_evidence=evidence)
        try:
            check_transition(current, CapaStatus.CLOSED)
        except CapaError as exc:
            raise Conflict(str(exc)) from None
        now = station.now()
        row.effectiveness_evidence = evidence
        row.status = CapaStatus.CLOSED.value
        row.closed_at = now
        d.evidence_files = [*d.evidence_files, *(vars(f) for f in stored)]
        d.verified_by_id = user.id
        d.verified_at = now
        s.flush()
        return _action(s, row, d)


def get(station: Station, capa_id: int) -> CorrectiveAction:
    with station.db.read() as s:
        row = s.get(CorrectiveActionRow, capa_id)
        if row is None:
            raise NotFound(f"no corrective action {capa_id}")
        d = s.get(CapaDetailRow, capa_id) or CapaDetailRow(why_chain=[], evidence_files=[])
        return _action(s, row, d)


def list_actions(station: Station, include_closed: bool = True) -> list[CorrectiveAction]:
    """Overdue first (red on the page), then open ones by due date, closed ones last."""
    with station.db.read() as s:
        q = select(CorrectiveActionRow, CapaDetailRow).outerjoin(
            CapaDetailRow, CapaDetailRow.capa_id == CorrectiveActionRow.id
        )
        if not include_closed:
            q = q.where(CorrectiveActionRow.status != CapaStatus.CLOSED.value)
        actions = [
            _action(s, row, d or CapaDetailRow(why_chain=[], evidence_files=[]))
            for row, d in s.execute(q)
        ]
    today = station.now().date()
    return sorted(actions, key=lambda a: sort_key(a, today))


def trend_count(station: Station, code: str, start: date, end: date) -> int:
    """How often the code was logged on completed inspections in the period (corrected
    inspections count once: in their newest version)."""
    since = datetime.combine(start, time.min, tzinfo=timezone.utc)
    until = end_of_day(end)
    superseded = select(CorrectionRow.id).where(CorrectionRow.supersedes_id == InspectionRow.id)
    with station.db.read() as s:
        n = s.scalar(
            select(func.count())
            .select_from(DefectRow)
            .join(InspectionRow, InspectionRow.id == DefectRow.inspection_id)
            .where(
                DefectRow.code == code,
                InspectionRow.status == Status.COMPLETED.value,
                InspectionRow.started_at >= since,
                InspectionRow.started_at < until,
                ~superseded.exists(),
            )
        )
    return int(n or 0)


def history(station: Station, capa_id: int) -> list[Change]:
    """Every audited change of the action and its 8D details, oldest first."""
    with station.db.read() as s:
        rows = s.execute(
            select(
                AuditEntry.at,
                AuditEntry.actor,
                AuditEntry.reason,
                AuditEntry.entity,
                AuditEntry.new,
            )
            .where(
                AuditEntry.entity.in_(("corrective_actions", "capa_details")),
                AuditEntry.entity_id == str(capa_id),
            )
            .order_by(AuditEntry.id)
        ).all()
    out: list[Change] = []
    status = ""
    for at, actor, reason, entity, new in rows:
        if entity == "corrective_actions" and new:
            status = json.loads(new).get("status", status)
        last = out[-1] if out else None
        if (
            last is not None
            and (last.actor, last.reason) == (actor, reason)
            and at - last.at < timedelta(seconds=2)
        ):
            # the action and its details, written in one transaction: one change
            out[-1] = Change(last.at, actor, reason, status)
            continue
        out.append(Change(at, actor, reason, status))
    return out
