"""Counting checks honestly: a photo is evidence, a text item is recorded, neither is a check."""

from __future__ import annotations

from datetime import datetime, timezone

from qcstation.domain.check_counts import count_checks
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.templates import ChecklistTemplate

TPL = ChecklistTemplate.model_validate(
    {
        "template": "t",
        "version": 1,
        "stage": "final_qc",
        "name": "T",
        "sections": [
            {
                "title": "S",
                "items": [
                    {"id": "look", "kind": "pass_fail", "prompt": "Looks right"},
                    {"id": "size", "kind": "pass_fail", "prompt": "Size", "allow_na": True},
                    {"id": "lot", "kind": "text", "prompt": "Lot"},
                    {"id": "shot", "kind": "photo", "prompt": "Photo"},
                    {
                        "id": "w",
                        "kind": "measurement",
                        "prompt": "Weight",
                        "unit": "g",
                        "lower": 1,
                        "upper": 2,
                    },
                ],
            }
        ],
    }
)


def test_a_photo_and_a_text_are_not_counted_as_passed_checks() -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ins = Inspection(
        id="i",
        template=TPL,
        job_ticket="J",
        sku="S",
        serial="",
        inspector="ines",
        station="b",
        started_at=at,
        completed_at=at,
        status=Status.COMPLETED,
        verdict=Verdict.FAIL,
    )
    ins.answers[("look", None)] = Answer("look", outcome=Outcome.PASS)
    ins.answers[("size", None)] = Answer("size", outcome=Outcome.NA)
    ins.answers[("lot", None)] = Answer("lot", value="L-1")
    ins.answers[("shot", None)] = Answer("shot", outcome=Outcome.PASS, photos=1)
    ins.answers[("w", None)] = Answer("w", readings=(2.5,))
    counts = count_checks(ins)
    assert (counts.checks, counts.passed, counts.failed, counts.not_applicable) == (3, 1, 1, 1)
    assert (counts.recorded, counts.photos) == (1, 1)
    assert counts.describe() == (
        "3 checks: 1 passed, 1 failed, 1 not applicable (1 recorded, 1 photo taken)"
    )
