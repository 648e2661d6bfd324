"""Small read-only views handed to screens and the CLI: lists, search results, outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from qcstation.domain.inspections import Answer, Evaluation, Missing, Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.verdicts import shown


def end_of_day(d: date) -> datetime:
    """The first instant after day ``d`` (UTC): the bound of an inclusive "to" date. The
    calendar's last day (9999-12-31) has no day after it: it ends at its last instant."""
    if d == date.max:
        return datetime.max.replace(tzinfo=timezone.utc)
    return datetime.combine(d + timedelta(days=1), time.min, tzinfo=timezone.utc)


@dataclass(frozen=True)
class InspectionSummary:
    id: str
    job_ticket: str
    sku: str
    serial: str
    stage: Stage
    subject: str
    template_key: str
    template_version: int
    status: str
    verdict: Verdict | None
    inspector: str
    station: str
    started_at: datetime
    completed_at: datetime | None
    lot_size: int | None = None
    decision: str | None = None  # a supervisor's review: accepted | rejected

    @property
    def shown_verdict(self) -> str:
        """The verdict as every screen shows it (ACCEPTED ON REVIEW...): domain/verdicts."""
        return shown(self.verdict, self.decision, self.status)


@dataclass(frozen=True)
class TemplateInfo:
    template_key: str
    version: int
    stage: Stage
    name: str
    active: bool
    sha256: str
    imported_at: datetime
    inspections: int = 0


@dataclass(frozen=True)
class AnswerOutcome:
    """What recording one answer changed: the judgement, progress and the verdict so far,
    and the answer as it is now stored (its photos counted by the database)."""

    evaluation: Evaluation
    answered: int
    total: int
    verdict_so_far: Verdict
    missing: tuple[Missing, ...] = ()
    answer: Answer | None = None


@dataclass(frozen=True)
class Completion:
    inspection_id: str
    verdict: Verdict
    completed_at: datetime


@dataclass(frozen=True)
class SearchFilter:
    """History search; every field optional, all given ones must match."""

    text: str | None = None  # part of a job ticket, SKU, serial or inspector, any case
    sku: str | None = None
    serial: str | None = None
    job_ticket: str | None = None
    stage: Stage | None = None
    verdict: Verdict | None = None
    status: str | None = None
    inspector: str | None = None  # part of a user name or full name, any case
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    limit: int = 100
    offset: int = 0
    # Keyset paging: rows strictly after this (started_at, id) in the newest-first order,
    # so page 5,000 of a million rows costs what page 1 costs.
    after: tuple[datetime, str] | None = None
