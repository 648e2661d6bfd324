"""Inspections, answers and the verdict rules.

The verdict is derived, never typed in, by these rules (in this order):

1. **fail** when any failure is critical or major. A failed item's severity is the
   highest severity among the defects logged against it, or the item's own default
   severity when none is logged. Defects logged against no item count as well.
2. **needs review** when nothing failed as critical or major, but any of:
   a minor failure or minor defect; a measurement whose mean is within limits while a
   single reading is outside them; a defect dispositioned "use as is" (a supervisor must
   accept it).
3. **pass** otherwise.

An inspection can only be completed when every required item has an answer for every
position and each failed item's follow-ups (defect, photo, note) are satisfied.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.numbers import MAX_MAGNITUDE, format_reading
from qcstation.domain.specs import Frozen
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    ChoiceItem,
    FollowUp,
    MeasurementItem,
    PassFailItem,
    TextItem,
    step_label,
)


class Outcome(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"
    RECORDED = "recorded"  # text items: kept, never judged


class Verdict(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NEEDS_REVIEW = "needs_review"


class Decision(str, Enum):
    """A supervisor's decision on an inspection whose verdict is needs review."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Status(str, Enum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    VOID = "void"
    ABANDONED = "abandoned"  # given up with a reason: never completed, signed or certified


class SubjectKind(str, Enum):
    PIECE = "piece"
    LOT = "lot"


class AnswerError(ValueError):
    """An answer that does not fit the item (a reading that is not a number, an unknown option)."""


@dataclass(frozen=True)
class Answer:
    """What the inspector gave for one item at one position.

    ``outcome`` is given for pass/fail items and for N/A; measurements, choices, text
    and photos derive theirs from ``readings``, ``value`` or ``photos``.
    """

    item_id: str
    position: int | None = None
    outcome: Outcome | None = None
    readings: tuple[float, ...] = ()
    value: str | None = None
    note: str = ""
    photos: int = 0
    # The balance or caliper that gave the readings ("Balance (Mettler Toledo MT-SICS,
    # COM3)"); None when they were typed.
    instrument: str | None = None


@dataclass(frozen=True)
class Evaluation:
    item_id: str
    position: int | None
    outcome: Outcome
    mean: float | None = None
    reading_out_of_limits: bool = False


def positions_of(item: ChecklistItem, counts: Mapping[str, int]) -> list[int | None]:
    """The positions an item is answered at: [None] for a plain item, 1..n for a group."""
    if item.positions is None:
        return [None]
    n = counts.get(item.id, item.positions.default)
    return list(range(1, n + 1))


def evaluate(item: ChecklistItem, answer: Answer) -> Evaluation:
    """Judge one answer against its item; raise AnswerError when it does not fit."""
    ev = _judge(item, answer)
    if item.photo_required and ev.outcome is Outcome.PASS and answer.photos < 1:
        raise AnswerError(f"{_named(item, answer.position)} needs a photo before it can pass")
    return ev


def _named(item: ChecklistItem, position: int | None) -> str:
    """An item as people know it, in a message: by its label, not its id."""
    return f"“{step_label(item, position)}”"


def _judge(item: ChecklistItem, answer: Answer) -> Evaluation:
    pos = answer.position
    name = _named(item, pos)
    if answer.outcome is Outcome.NA:
        if not item.allow_na:
            raise AnswerError(f"{name} cannot be marked not applicable")
        return Evaluation(item.id, pos, Outcome.NA)
    if isinstance(item, PassFailItem):
        if answer.outcome not in (Outcome.PASS, Outcome.FAIL):
            raise AnswerError(f"{name} takes pass or fail")
        return Evaluation(item.id, pos, answer.outcome)
    if isinstance(item, MeasurementItem):
        if item.unresolved:
            why = "; ".join(item.spec_missing) or "its limits come from the SKU's specification"
            raise AnswerError(
                f"{name} cannot be judged: {why}. Answer it N/A if it does not apply, or "
                "have a supervisor import the specification and start again"
            )
        if len(answer.readings) != item.readings:
            raise AnswerError(
                f"{name} takes {item.readings} reading(s), got {len(answer.readings)}"
            )
        if not all(math.isfinite(r) for r in answer.readings):
            raise AnswerError(f"{name}: readings must be finite numbers")
        far = next((r for r in answer.readings if abs(r) > MAX_MAGNITUDE), None)
        if far is not None:
            # No instrument reads it, and two of them (1e308) overflow the mean.
            raise AnswerError(
                f"{name}: {far:.10g} cannot be a reading "
                f"(a finite number no larger than {format_reading(MAX_MAGNITUDE)} is)"
            )
        mean = statistics.fmean(answer.readings)
        ok = item.within(mean)
        stray = ok and not all(item.within(r) for r in answer.readings)
        return Evaluation(item.id, pos, Outcome.PASS if ok else Outcome.FAIL, mean, stray)
    if isinstance(item, ChoiceItem):
        if answer.value not in item.options:
            raise AnswerError(f"{name}: {answer.value!r} is not one of {', '.join(item.options)}")
        ok = answer.value in item.acceptable
        return Evaluation(item.id, pos, Outcome.PASS if ok else Outcome.FAIL)
    if isinstance(item, TextItem):
        if answer.value is None or not answer.value.strip():
            raise AnswerError(f"{name} needs some text")
        # A pattern's words say more than a length would (a HUID's form); a text too long
        # is refused before any pattern runs over it.
        too_long = len(answer.value) > item.max_length
        if item.pattern is not None and (too_long or not item.fits(answer.value)):
            shown = answer.value if len(answer.value) <= 40 else answer.value[:40] + "…"
            raise AnswerError(f"{name}: {shown!r} is not {item.pattern_message}")
        if too_long:
            raise AnswerError(f"{name} takes at most {item.max_length} characters")
        return Evaluation(item.id, pos, Outcome.RECORDED)
    # PhotoItem: passes once a photo is attached, unless the inspector fails it.
    failed = answer.outcome is Outcome.FAIL
    return Evaluation(item.id, pos, Outcome.FAIL if failed else Outcome.PASS)


@dataclass(frozen=True)
class Missing:
    """Why an inspection cannot be completed yet."""

    item_id: str
    position: int | None
    reason: str
    label: str = ""  # what people call the item ("Prong 2: Prong intact, …")

    def __str__(self) -> str:
        where = self.label or f"{self.item_id}" + (f" #{self.position}" if self.position else "")
        return f"{where} — {self.reason}"


@dataclass
class Inspection:
    """One inspection of a piece or a lot against one exact template version."""

    id: str
    template: ChecklistTemplate
    job_ticket: str
    sku: str
    serial: str = ""
    subject: SubjectKind = SubjectKind.PIECE
    lot_size: int | None = None
    sample_size: int | None = None
    position_counts: dict[str, int] = field(default_factory=dict)
    answers: dict[tuple[str, int | None], Answer] = field(default_factory=dict)
    defects: list[Defect] = field(default_factory=list)
    status: Status = Status.IN_PROGRESS
    inspector: str = ""
    station: str = ""
    started_at: datetime | None = None
    completed_at: datetime | None = None
    verdict: Verdict | None = None
    # The specification values frozen when it started (None: its checklist takes none);
    # ``template`` has them filled in already.
    spec: Frozen | None = None

    def evaluations(self) -> list[Evaluation]:
        out = []
        for item in self.template.items():
            for pos in positions_of(item, self.position_counts):
                answer = self.answers.get((item.id, pos))
                if answer is not None:
                    out.append(evaluate(item, answer))
        return out

    def missing(self) -> list[Missing]:
        return missing(self.template, self.position_counts, self.answers.values(), self.defects)

    def current_verdict(self) -> Verdict:
        return verdict(self.template, self.evaluations(), self.defects)

    def progress(self) -> tuple[int, int]:
        """(answered, total) over every item position, required or not."""
        total = sum(len(positions_of(item, self.position_counts)) for item in self.template.items())
        return len(self.answers), total


FOLLOW_UP_REASONS = {
    FollowUp.DEFECT: "failed: log a defect",
    FollowUp.PHOTO: "failed: attach a photo",
    FollowUp.NOTE: "failed: add a note",
}


def open_follow_ups(
    item: ChecklistItem, answer: Answer, defects: Sequence[Defect]
) -> list[FollowUp]:
    """What a failed answer still lacks of its item's follow-ups (defect, photo, note, in
    that order); nothing for an answer that did not fail."""
    if evaluate(item, answer).outcome is not Outcome.FAIL:
        return []
    needs = item.on_fail.require
    pos = answer.position
    has = {
        FollowUp.DEFECT: any(
            d.item_id == item.id and (d.position == pos or item.positions is None) for d in defects
        ),
        FollowUp.PHOTO: answer.photos >= 1,
        FollowUp.NOTE: bool(answer.note.strip()),
    }
    return [f for f in FOLLOW_UP_REASONS if f in needs and not has[f]]


def missing(
    template: ChecklistTemplate,
    counts: Mapping[str, int],
    answers: Iterable[Answer],
    defects: Sequence[Defect],
) -> list[Missing]:
    by_key = {(a.item_id, a.position): a for a in answers}
    out: list[Missing] = []
    for item in template.items():
        for pos in positions_of(item, counts):
            answer = by_key.get((item.id, pos))
            if answer is None:
                if item.required:
                    out.append(Missing(item.id, pos, "not answered", step_label(item, pos)))
                continue
            out.extend(
                Missing(item.id, pos, FOLLOW_UP_REASONS[f], step_label(item, pos))
                for f in open_follow_ups(item, answer, defects)
            )
    return out


def verdict(
    template: ChecklistTemplate, evaluations: Iterable[Evaluation], defects: Sequence[Defect]
) -> Verdict:
    """Apply the verdict rules in this module's docstring."""
    severities = [d.severity for d in defects]
    review = any(d.disposition is Disposition.USE_AS_IS for d in defects)
    for ev in evaluations:
        review = review or ev.reading_out_of_limits
        if ev.outcome is Outcome.FAIL and not any(
            d.item_id == ev.item_id and d.position in (None, ev.position) for d in defects
        ):
            severities.append(template.item(ev.item_id).severity)
    if any(s in (Severity.CRITICAL, Severity.MAJOR) for s in severities):
        return Verdict.FAIL
    if severities or review:
        return Verdict.NEEDS_REVIEW
    return Verdict.PASS
