"""Corrective actions (8D-like): the life cycle a supervisor drives to a verified close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum


class CapaStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    AWAITING_VERIFICATION = "awaiting_verification"
    CLOSED = "closed"


class RootCauseCategory(str, Enum):
    MATERIAL = "material"
    METHOD = "method"
    MACHINE = "machine"
    PEOPLE = "people"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"


# Status moves forward one step; work found lacking at verification goes back to in progress.
_NEXT: dict[CapaStatus, frozenset[CapaStatus]] = {
    CapaStatus.OPEN: frozenset({CapaStatus.IN_PROGRESS}),
    CapaStatus.IN_PROGRESS: frozenset({CapaStatus.AWAITING_VERIFICATION}),
    CapaStatus.AWAITING_VERIFICATION: frozenset({CapaStatus.CLOSED, CapaStatus.IN_PROGRESS}),
    CapaStatus.CLOSED: frozenset(),
}


class CapaError(ValueError):
    pass


@dataclass(frozen=True)
class CorrectiveAction:
    id: int | None
    title: str
    problem: str
    status: CapaStatus = CapaStatus.OPEN
    defect_id: int | None = None
    containment: str = ""
    root_cause_category: RootCauseCategory | None = None
    root_cause: str = ""
    corrective: str = ""
    preventive: str = ""
    owner: str = ""
    due: date | None = None
    effectiveness_evidence: str = ""
    # Opened from a trend: this defect code over this period (instead of one defect).
    trend_code: str | None = None
    trend_from: date | None = None
    trend_to: date | None = None
    why_chain: tuple[str, ...] = ()
    preventive_owner: str = ""
    preventive_due: date | None = None
    evidence_files: tuple[EvidenceFile, ...] = ()
    opened_by: str = ""
    opened_at: datetime | None = None
    verified_by: str = ""
    closed_at: datetime | None = None

    def dues(self) -> list[date]:
        return [d for d in (self.due, self.preventive_due) if d is not None]

    def overdue(self, today: date) -> bool:
        return self.status is not CapaStatus.CLOSED and any(d < today for d in self.dues())


@dataclass(frozen=True)
class EvidenceFile:
    """A file kept as evidence that a corrective action worked (in the evidence store)."""

    sha256: str
    name: str
    media_type: str
    size: int


def sort_key(action: CorrectiveAction, today: date) -> tuple[int, date, int]:
    """Overdue first (oldest due first), then open ones by due date, closed ones last."""
    rank = 0 if action.overdue(today) else (2 if action.status is CapaStatus.CLOSED else 1)
    return rank, min(action.dues(), default=date.max), action.id or 0


def next_statuses(status: CapaStatus) -> frozenset[CapaStatus]:
    return _NEXT[status]


def check_transition(action: CorrectiveAction, to: CapaStatus) -> None:
    """Raise CapaError when the move is not allowed, naming what is missing."""
    if to not in _NEXT[action.status]:
        raise CapaError(f"a corrective action cannot go from {action.status.value} to {to.value}")
    if to is CapaStatus.AWAITING_VERIFICATION:
        missing = [
            what
            for what, given in (
                ("the root cause category", action.root_cause_category is not None),
                ("the root cause", bool(action.root_cause.strip())),
                ("the corrective action", bool(action.corrective.strip())),
                ("the corrective action's owner", bool(action.owner)),
                ("the corrective action's due date", action.due is not None),
            )
            if not given
        ]
        if missing:
            raise CapaError(f"record {', '.join(missing)} before asking for verification")
    if to is CapaStatus.CLOSED and not action.effectiveness_evidence.strip():
        raise CapaError("closing needs evidence that the action was effective")
