"""The supervisor's review queue: inspections completed as needs review, decided with a reason."""

from __future__ import annotations

from sqlalchemy import select

from qcstation.domain.inspections import Decision, Status, Verdict
from qcstation.domain.summaries import InspectionSummary
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound
from qcstation.store import repositories as repo
from qcstation.store.models import InspectionRow, ReviewRow


def queue(station: Station, limit: int = 200) -> list[InspectionSummary]:
    """Oldest first: what has waited longest is decided first."""
    with station.db.read() as s:
        q = (
            repo.summaries()
            .outerjoin(ReviewRow, ReviewRow.inspection_id == InspectionRow.id)
            .where(
                InspectionRow.status == Status.COMPLETED.value,
                InspectionRow.verdict == Verdict.NEEDS_REVIEW.value,
                ReviewRow.id.is_(None),
            )
            .order_by(InspectionRow.completed_at)
            .limit(limit)
        )
        return [repo.summary(r) for r in s.execute(q)]


def decide(
    station: Station, actor: User, inspection_id: str, decision: Decision, reason: str
) -> Decision:
    """Accept or reject; the reason is required and goes into the audit trail."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("give a reason for the decision (it is kept in the audit trail)")
    with station.db.write(actor, station.name, reason=reason) as s:
        reviewer = require(s, actor, Permission.REVIEW)
        row = s.get(InspectionRow, inspection_id)
        if row is None:
            raise NotFound(f"no inspection {inspection_id}")
        if row.status != Status.COMPLETED.value or row.verdict != Verdict.NEEDS_REVIEW.value:
            raise Conflict("only completed inspections whose verdict is needs review are reviewed")
        if s.scalars(select(ReviewRow).where(ReviewRow.inspection_id == inspection_id)).first():
            raise Conflict("this inspection was reviewed already")
        if row.inspector_id == reviewer.id:
            raise Conflict("a supervisor cannot review an inspection they performed themselves")
        s.add(
            ReviewRow(
                inspection_id=inspection_id,
                decision=decision.value,
                reason=reason,
                reviewer_id=reviewer.id,
                reviewed_at=station.now(),
            )
        )
    return decision


def decision_of(station: Station, inspection_id: str) -> Decision | None:
    """The supervisor's decision on this inspection, if it was reviewed."""
    with station.db.read() as s:
        found = s.scalar(select(ReviewRow.decision).where(ReviewRow.inspection_id == inspection_id))
        return Decision(found) if found else None
