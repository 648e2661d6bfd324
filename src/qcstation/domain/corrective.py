"""Corrective actions (8D-like): the life cycle a supervisor drives to a verified close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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

    def overdue(self, today: date) -> bool:
        return self.status is not CapaStatus.CLOSED and self.due is not None and self.due < today


def check_transition(action: CorrectiveAction, to: CapaStatus) -> None:
    """Raise CapaError when the move is not allowed, naming what is missing."""
    if to not in _NEXT[action.status]:
        raise CapaError(f"a corrective action cannot go from {action.status.value} to {to.value}")
    if to is CapaStatus.AWAITING_VERIFICATION and not (action.root_cause and action.corrective):
        raise CapaError("record the root cause and the corrective action before verification")
    if to is CapaStatus.CLOSED and not action.effectiveness_evidence.strip():
        raise CapaError("closing needs evidence that the action was effective")
