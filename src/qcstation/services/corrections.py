"""Correcting a completed (perhaps signed) inspection: a new version with a reason.

The old inspection, its answers, evidence, defects and signatures stay exactly as they
were, so its signatures keep verifying. The new version starts as a copy, in progress,
linked to the old one by a `corrections` row (audited, with the reason); it is then
edited, completed and signed like any inspection. Only the newest version can be
corrected again or signed.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain.holds import HoldState
from qcstation.domain.inspections import Inspection, Status
from qcstation.domain.users import Permission, User
from qcstation.services import holds, records
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.models import AnswerRow, CorrectionRow, DefectRow, EvidenceRow, InspectionRow
from qcstation.store.retry import transient

# What a new version and a re-inspection copy from the inspection before them: the same
# piece or lot, stage and checklist version, so the two answer the same questions.
SAME_SUBJECT = (
    "job_ticket",
    "sku",
    "serial",
    "subject",
    "lot_size",
    "sample_size",
    "stage",
    "template_id",
    "template_key",
    "template_version",
    "position_counts",
    # The specification values it was judged by (domain/specs.py): a correction, or the
    # re-inspection of a reworked piece, is judged by the same ones, whatever the SKU's
    # specification says meanwhile.
    "spec",
)
_INSPECTION_COPY = (*SAME_SUBJECT, "notes")


@transient
def correct(station: Station, actor: User, inspection_id: str, reason: str) -> Inspection:
    """Open a new version of a completed inspection; returns it (in progress)."""
    reason = reason.strip()
    if len(reason) < 3:
        raise InvalidInput("give the reason for the correction (it is kept with the record)")
    with station.db.write(actor, station.name, reason=f"correction: {reason}") as s:
        user = require(s, actor, Permission.INSPECT)
        old = holds.locked(s, inspection_id)  # two correctors take turns
        if old is None:
            raise NotFound(f"no inspection {inspection_id}")
        if old.status != Status.COMPLETED.value:
            raise Conflict(
                f"inspection {inspection_id} is {old.status}: only a completed one is corrected "
                "(an open one is simply edited)"
            )
        newer = records.superseded_by(s, old.id)
        if newer:
            raise Conflict(f"inspection {inspection_id} was corrected already, by {newer}")
        if old.inspector_id != user.id and not repo.user(user).can(Permission.REVIEW):
            raise PermissionDenied("only its inspector or a supervisor may correct an inspection")
        now = station.now()
        new = InspectionRow(
            id=str(uuid.uuid4()),
            **{name: getattr(old, name) for name in _INSPECTION_COPY},
            status=Status.IN_PROGRESS.value,
            verdict=None,
            inspector_id=user.id,
            station_id=old.station_id,
            started_at=now,
            completed_at=None,
        )
        s.add(new)
        s.flush()
        holds.record(s, station, user, new, HoldState.HELD, at=now)  # the corrector's, here
        _copy_children(s, old.id, new.id)
        before = records.correction_of(s, old.id)
        s.add(
            CorrectionRow(
                inspection_id=new.id,
                supersedes_id=old.id,
                revision=(before.revision if before else 1) + 1,
                reason=reason,
                created_at=now,
                created_by_id=user.id,
            )
        )
        s.flush()
        return repo.inspection(s, new)


def _copy_children(s: Session, old_id: str, new_id: str) -> None:
    """Answers, evidence (the same files) and defects, copied row by row (so audited)."""
    models: tuple[type[AnswerRow] | type[EvidenceRow] | type[DefectRow], ...] = (
        AnswerRow,
        EvidenceRow,
        DefectRow,
    )
    for model in models:
        rows = s.scalars(select(model).where(model.inspection_id == old_id).order_by(model.id))
        for row in list(rows):
            values = {
                c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs if c.key != "id"
            }
            values["inspection_id"] = new_id
            s.add(model(**values))
