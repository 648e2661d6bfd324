"""Counting what an inspection checked, honestly: a photo is evidence, not a passed check,
and a text item (a lot number, a hallmark read off the piece) is recorded, not judged."""

from __future__ import annotations

from dataclasses import dataclass

from qcstation.domain.inspections import AnswerError, Inspection, Outcome, evaluate, positions_of
from qcstation.domain.templates import PhotoItem, TextItem


@dataclass(frozen=True)
class CheckCounts:
    checks: int  # judged items (pass/fail, measurement, choice), each position once
    passed: int
    failed: int
    not_applicable: int
    recorded: int  # text items answered
    photos: int  # photo items answered (evidence)

    def describe(self) -> str:
        text = f"{self.checks} checks: {self.passed} passed, {self.failed} failed"
        if self.not_applicable:
            text += f", {self.not_applicable} not applicable"
        extra = []
        if self.recorded:
            extra.append(f"{self.recorded} recorded")
        if self.photos:
            extra.append(f"{self.photos} photo{'s' if self.photos != 1 else ''} taken")
        return text + (f" ({', '.join(extra)})" if extra else "")


def count_checks(inspection: Inspection) -> CheckCounts:
    checks = passed = failed = na = recorded = photos = 0
    for item in inspection.template.items():
        for pos in positions_of(item, inspection.position_counts):
            answer = inspection.answers.get((item.id, pos))
            if isinstance(item, PhotoItem):
                photos += answer is not None and answer.outcome is not Outcome.NA
                continue
            if isinstance(item, TextItem):
                recorded += answer is not None and answer.outcome is not Outcome.NA
                continue
            checks += 1
            if answer is None:
                continue
            try:
                outcome = evaluate(item, answer).outcome
            except (AnswerError, ValueError):
                continue
            passed += outcome is Outcome.PASS
            failed += outcome is Outcome.FAIL
            na += outcome is Outcome.NA
    return CheckCounts(checks, passed, failed, na, recorded, photos)
