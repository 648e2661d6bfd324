"""Nonconforming items and what is decided for them; the rework chain of a piece or lot.

A defect found on a completed inspection is a nonconforming item until someone decides
its disposition. Rework sends the piece back and opens a re-inspection of the same stage
that points at the inspection it reworks; following those links from the first failure
gives the chain that ends in the final verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.inspections import Verdict
from qcstation.domain.stages import Stage

# The words the command line and the keys use, and the disposition each means.
DISPOSITION_WORDS: dict[str, Disposition] = {
    "rework": Disposition.REWORK,
    "scrap": Disposition.SCRAP,
    "use-as-is": Disposition.USE_AS_IS,
    "return": Disposition.RETURN_TO_SUPPLIER,
}

MIN_REASON = 3


class DispositionError(ValueError):
    pass


def check_disposition(disposition: Disposition, reason: str, may_approve: bool) -> None:
    """Raise DispositionError when this decision cannot be made as given.

    Use as is accepts a nonconforming piece: only someone who may approve (a supervisor)
    decides it, and always with a reason, since it is the one that ships a defect.
    """
    if disposition is Disposition.PENDING:
        raise DispositionError("choose a disposition: " + ", ".join(w for w in DISPOSITION_WORDS))
    if disposition is Disposition.USE_AS_IS:
        if not may_approve:
            raise DispositionError("use as is needs a supervisor's approval: ask a supervisor")
        if len(reason.strip()) < MIN_REASON:
            raise DispositionError(
                "use as is needs the reason the piece is acceptable (kept in the audit trail)"
            )


@dataclass(frozen=True)
class Nonconformance:
    """One defect of a completed inspection, with where it was found and its disposition."""

    defect_id: int
    inspection_id: str
    job_ticket: str
    sku: str
    serial: str
    subject: str  # piece | lot
    lot_size: int | None
    stage: Stage
    item_id: str | None
    position: int | None
    code: str
    name: str
    severity: Severity
    note: str
    found_by: str
    found_at: datetime
    photos: tuple[str, ...]  # SHA-256 of the evidence taken at this item and position
    disposition: Disposition
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = ""
    rework_inspection_id: str | None = None
    item_label: str = ""  # what people call the item ("Prong 2: Prong intact, …")

    @property
    def where(self) -> str:
        if self.item_id is None:
            return ""
        return self.item_label or self.item_id + (f" #{self.position}" if self.position else "")

    @property
    def subject_label(self) -> str:
        if self.subject == "lot":
            return f"lot of {self.lot_size}" if self.lot_size else "lot"
        return self.serial or "piece"


@dataclass(frozen=True)
class ChainStep:
    """One inspection in a rework chain, with the dispositions decided on it."""

    inspection_id: str
    stage: Stage
    started_at: datetime
    status: str
    verdict: Verdict | None
    inspector: str
    dispositions: tuple[tuple[str, Disposition], ...]  # (defect code, disposition)


@dataclass(frozen=True)
class ReworkChain:
    steps: tuple[ChainStep, ...]

    @property
    def final(self) -> ChainStep:
        return self.steps[-1]

    def describe(self) -> str:
        """First failure to final verdict, e.g. 'fail (SET-PRONG: rework) → pass'."""
        parts = []
        for step in self.steps:
            verdict = step.verdict.value.replace("_", " ") if step.verdict else "in progress"
            decided = ", ".join(
                f"{code}: {d.value.replace('_', ' ')}" for code, d in step.dispositions
            )
            parts.append(f"{verdict} ({decided})" if decided else verdict)
        return " → ".join(parts)
