"""Judging answers and the verdict rules (see qcstation.domain.inspections)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import (
    Answer,
    AnswerError,
    Evaluation,
    Inspection,
    Outcome,
    Verdict,
    evaluate,
    verdict,
)
from qcstation.domain.templates import ChecklistTemplate

TEMPLATE = ChecklistTemplate.model_validate(
    {
        "template": "t",
        "version": 1,
        "stage": "stone_setting",
        "name": "T",
        "sections": [
            {
                "title": "S",
                "items": [
                    {
                        "id": "look",
                        "kind": "pass_fail",
                        "prompt": "Looks right",
                        "severity": "minor",
                        "on_fail": {"require": []},
                    },
                    {
                        "id": "size",
                        "kind": "measurement",
                        "prompt": "Ring size dev",
                        "unit": "mm",
                        "nominal": 0,
                        "lower": -0.1,
                        "upper": 0.1,
                        "readings": 3,
                    },
                    {
                        "id": "colour",
                        "kind": "choice",
                        "prompt": "Colour",
                        "options": ["D", "E", "K"],
                        "acceptable": ["D", "E"],
                    },
                    {"id": "lot", "kind": "text", "prompt": "Lot number", "required": False},
                    {"id": "photo", "kind": "photo", "prompt": "Overall photo"},
                    {
                        "id": "prong",
                        "kind": "pass_fail",
                        "prompt": "Prong secure",
                        "severity": "critical",
                        "positions": {"label": "Prong", "default": 4, "min": 2, "max": 6},
                        "on_fail": {
                            "require": ["defect", "photo", "note"],
                            "defects": ["SET-PRONG"],
                        },
                    },
                    {
                        "id": "engraving",
                        "kind": "pass_fail",
                        "prompt": "Engraving",
                        "allow_na": True,
                    },
                ],
            }
        ],
    }
)


def item(item_id: str):  # type: ignore[no-untyped-def]
    return TEMPLATE.item(item_id)


def test_measurement_is_judged_on_the_mean() -> None:
    ev = evaluate(item("size"), Answer("size", readings=(0.05, 0.02, 0.08)))
    assert ev.outcome is Outcome.PASS and ev.mean == pytest.approx(0.05)
    assert not ev.reading_out_of_limits
    ev = evaluate(item("size"), Answer("size", readings=(0.15, 0.12, 0.09)))
    assert ev.outcome is Outcome.FAIL


def test_a_stray_reading_inside_a_good_mean_is_flagged() -> None:
    ev = evaluate(item("size"), Answer("size", readings=(0.12, 0.0, -0.02)))
    assert ev.outcome is Outcome.PASS and ev.reading_out_of_limits


def test_measurement_needs_the_declared_number_of_finite_readings() -> None:
    with pytest.raises(AnswerError, match="takes 3 reading"):
        evaluate(item("size"), Answer("size", readings=(0.0,)))
    with pytest.raises(AnswerError, match="finite"):
        evaluate(item("size"), Answer("size", readings=(0.0, float("nan"), 0.0)))


@pytest.mark.parametrize("far", [1e308, -1e308, 1.0000001e9])
def test_a_reading_beyond_any_instrument_is_refused_not_an_overflow(far: float) -> None:
    """Two readings of 1e308 overflowed the mean (OverflowError in fsum); whoever calls
    evaluate (the window's marks, a report of rows written elsewhere), such a reading is
    an AnswerError naming the item."""
    shown = f"{far:.10g}".replace("+", r"\+")
    with pytest.raises(AnswerError, match=rf"“Ring size dev”: {shown} cannot be a reading"):
        evaluate(item("size"), Answer("size", readings=(far, far, far)))
    ev = evaluate(item("size"), Answer("size", readings=(1e9, 1e9, 1e9)))  # at the bound
    assert ev.outcome is Outcome.FAIL and ev.mean == 1e9


def test_choice_passes_only_on_acceptable_options() -> None:
    assert evaluate(item("colour"), Answer("colour", value="E")).outcome is Outcome.PASS
    assert evaluate(item("colour"), Answer("colour", value="K")).outcome is Outcome.FAIL
    with pytest.raises(AnswerError, match="not one of"):
        evaluate(item("colour"), Answer("colour", value="Z"))


def test_photo_items_cannot_pass_without_a_photo() -> None:
    with pytest.raises(AnswerError, match="needs a photo"):
        evaluate(item("photo"), Answer("photo", outcome=Outcome.PASS))
    assert (
        evaluate(item("photo"), Answer("photo", outcome=Outcome.PASS, photos=1)).outcome
        is Outcome.PASS
    )


def test_not_applicable_only_where_allowed() -> None:
    assert (
        evaluate(item("engraving"), Answer("engraving", outcome=Outcome.NA)).outcome is Outcome.NA
    )
    with pytest.raises(AnswerError, match="not applicable"):
        evaluate(item("look"), Answer("look", outcome=Outcome.NA))


def test_text_is_recorded_not_judged() -> None:
    assert evaluate(item("lot"), Answer("lot", value="L-1")).outcome is Outcome.RECORDED
    with pytest.raises(AnswerError):
        evaluate(item("lot"), Answer("lot", value="  "))


def fresh() -> Inspection:
    return Inspection(id="i", template=TEMPLATE, job_ticket="J", sku="S")


def answer_all_good(ins: Inspection) -> None:
    for a in (
        Answer("look", outcome=Outcome.PASS),
        Answer("size", readings=(0.0, 0.01, -0.01)),
        Answer("colour", value="D"),
        Answer("photo", outcome=Outcome.PASS, photos=1),
        Answer("engraving", outcome=Outcome.NA),
        *(Answer("prong", p, Outcome.PASS) for p in range(1, 5)),
    ):
        ins.answers[(a.item_id, a.position)] = a


def test_progress_and_missing_count_every_position() -> None:
    ins = fresh()
    assert ins.progress() == (0, 10)
    missing = ins.missing()
    assert [str(m) for m in missing if m.item_id == "prong"] == [
        f"Prong {p}: Prong secure — not answered" for p in range(1, 5)
    ]  # named as people know the item, not by its id
    assert "lot" not in {m.item_id for m in missing}  # optional
    answer_all_good(ins)
    assert ins.missing() == [] and ins.current_verdict() is Verdict.PASS


def test_failed_item_asks_for_its_follow_ups() -> None:
    ins = fresh()
    answer_all_good(ins)
    ins.answers[("prong", 2)] = Answer("prong", 2, Outcome.FAIL)
    assert [m.reason for m in ins.missing()] == [
        "failed: log a defect",
        "failed: attach a photo",
        "failed: add a note",
    ]
    ins.answers[("prong", 2)] = Answer("prong", 2, Outcome.FAIL, note="bent", photos=1)
    ins.defects.append(Defect("SET-PRONG", Severity.MAJOR, "prong", 2))
    assert ins.missing() == []
    assert ins.current_verdict() is Verdict.FAIL


def test_a_defect_on_another_position_does_not_satisfy_the_follow_up() -> None:
    ins = fresh()
    answer_all_good(ins)
    ins.answers[("prong", 2)] = Answer("prong", 2, Outcome.FAIL, note="bent", photos=1)
    ins.defects.append(Defect("SET-PRONG", Severity.MAJOR, "prong", 3))
    assert [str(m) for m in ins.missing()] == ["Prong 2: Prong secure — failed: log a defect"]


def test_verdict_rules() -> None:
    ev_fail_minor = Evaluation("look", None, Outcome.FAIL)
    ev_fail_critical = Evaluation("prong", 1, Outcome.FAIL)
    ev_pass = Evaluation("look", None, Outcome.PASS)
    stray = Evaluation("size", None, Outcome.PASS, 0.0, reading_out_of_limits=True)
    assert verdict(TEMPLATE, [ev_pass], []) is Verdict.PASS
    # a failure with no defect logged takes the item's default severity
    assert verdict(TEMPLATE, [ev_fail_minor], []) is Verdict.NEEDS_REVIEW
    assert verdict(TEMPLATE, [ev_fail_critical], []) is Verdict.FAIL
    # a logged defect's severity replaces the item's default
    minor_on_prong = Defect("SET-PRONG", Severity.MINOR, "prong", 1)
    assert verdict(TEMPLATE, [ev_fail_critical], [minor_on_prong]) is Verdict.NEEDS_REVIEW
    assert verdict(TEMPLATE, [ev_pass], [Defect("X", Severity.MAJOR)]) is Verdict.FAIL
    assert verdict(TEMPLATE, [stray], []) is Verdict.NEEDS_REVIEW
    use_as_is = Defect("X", Severity.MINOR, disposition=Disposition.USE_AS_IS)
    assert verdict(TEMPLATE, [ev_pass], [use_as_is]) is Verdict.NEEDS_REVIEW


severities = st.sampled_from(list(Severity))
defects = st.lists(
    st.builds(
        Defect,
        code=st.just("X"),
        severity=severities,
        item_id=st.sampled_from([None, "look", "prong"]),
        position=st.sampled_from([None, 1, 2]),
        disposition=st.sampled_from(list(Disposition)),
    ),
    max_size=5,
)
evaluations = st.lists(
    st.builds(
        Evaluation,
        item_id=st.sampled_from(["look", "prong", "size"]),
        position=st.sampled_from([None, 1, 2]),
        outcome=st.sampled_from([Outcome.PASS, Outcome.FAIL, Outcome.NA]),
        reading_out_of_limits=st.booleans(),
    ),
    max_size=6,
)


@given(evaluations, defects)
def test_verdict_properties(evs: list[Evaluation], ds: list[Defect]) -> None:
    v = verdict(TEMPLATE, evs, ds)
    # any critical or major defect fails, whatever else is true
    if any(d.severity in (Severity.CRITICAL, Severity.MAJOR) for d in ds):
        assert v is Verdict.FAIL
    # pass only when nothing failed, nothing was logged and nothing strayed
    if v is Verdict.PASS:
        assert not ds
        assert all(e.outcome is not Outcome.FAIL for e in evs)
        assert not any(e.reading_out_of_limits for e in evs)
    # with no failures and no defects, the verdict is never fail
    if not ds and all(e.outcome is not Outcome.FAIL for e in evs):
        assert v is not Verdict.FAIL


@given(evaluations, defects, defects)
def test_more_piece_defects_never_improve_the_verdict(
    evs: list[Evaluation], a: list[Defect], b: list[Defect]
) -> None:
    """Defects on the whole piece only add. (A defect logged against a failed item may
    lower it: its severity replaces the item's default, by rule 1.)"""
    rank = {Verdict.PASS: 0, Verdict.NEEDS_REVIEW: 1, Verdict.FAIL: 2}
    extra = [replace(d, item_id=None, position=None) for d in b]
    assert rank[verdict(TEMPLATE, evs, a + extra)] >= rank[verdict(TEMPLATE, evs, a)]
