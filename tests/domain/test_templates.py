"""Template validation: every malformed input names file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path
from unittest.mock import ANY

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qcstation.domain.defects import DefectCatalog
from qcstation.domain.templates import ChecklistTemplate, MeasurementItem
from qcstation.domain.yaml_files import (
    ContentError,
    check_against_catalog,
    load_template,
    parse,
)

GOOD = """\
template: casting
version: 2
stage: casting
name: Casting
sections:
  - title: Surface
    items:
      - id: porosity
        kind: pass_fail
        prompt: No porosity at 10x
        on_fail: {require: [defect, photo], defects: [CST-POR]}
      - id: weight
        kind: measurement
        prompt: Weight deviation
        unit: "%"
        nominal: 0
        lower: -3
        upper: 3
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ContentError) as caught:
        parse(textwrap.dedent(text), ChecklistTemplate, "t.yaml")
    return [(p.line, p.field, p.message) for p in caught.value.problems]


def test_good_template_loads_with_version_and_items(tmp_path: Path) -> None:
    path = tmp_path / "casting.yaml"
    path.write_text(GOOD)
    tpl = load_template(path)
    assert tpl.key == "casting@2"
    assert [i.id for i in tpl.items()] == ["porosity", "weight"]
    assert tpl.defect_codes() == {"CST-POR"}


def test_malformed_yaml_names_the_line() -> None:
    ((line, _field, msg),) = problems(GOOD.replace("  - title: Surface", "  - title: [Surface"))
    assert line is not None and line >= 6
    assert "not valid YAML" in msg


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("lower", ".nan", "finite number"),
        ("upper", ".inf", "finite number"),
        ("lower", "-.inf", "finite number"),
        ("nominal", ".NaN", "finite number"),
        ("upper", "1.0e+308", "less than or equal to 1000000000"),
    ],
)
def test_limits_must_be_finite_readings(field: str, value: str, says: str) -> None:
    """YAML's .nan and .inf are floats to the loader: a limit no reading can be compared
    with, and no record can hold (the import failed with a traceback)."""
    line = {"nominal": 16, "lower": 17, "upper": 18}[field]
    text = GOOD.replace(f"        {field}: ", f"        {field}: {value} #", 1)
    assert problems(text) == [(line, f"sections[0].items[1].{field}", ANY)]
    assert says in problems(text)[0][2]


def test_unknown_item_kind() -> None:
    ((line, field, msg),) = problems(GOOD.replace("kind: pass_fail", "kind: wobble"))
    assert (line, field) == (9, "sections[0].items[0].kind")
    assert "unknown item kind 'wobble'" in msg and "pass_fail" in msg


def test_lower_tolerance_above_upper() -> None:
    ((line, field, msg),) = problems(GOOD.replace("nominal: 0\n        lower: -3", "lower: 4"))
    assert (line, field) == (17, "sections[0].items[1].upper")
    assert "lower tolerance 4.0 is above upper tolerance 3.0" in msg


def test_duplicate_item_ids() -> None:
    ((_line, _field, msg),) = problems(GOOD.replace("id: weight", "id: porosity"))
    assert "duplicate item id 'porosity'" in msg


def test_missing_field_names_it() -> None:
    ((line, field, msg),) = problems(GOOD.replace('        unit: "%"\n', ""))
    assert (line, field, msg) == (12, "sections[0].items[1].unit", "required field is missing")


def test_unknown_field_is_refused() -> None:
    ((line, field, msg),) = problems(GOOD.replace("version: 2", "version: 2\ncolour: red"))
    assert (line, field, msg) == (3, "colour", "unknown field")


def test_duplicate_key_is_refused_not_silently_overwritten() -> None:
    ((line, field, msg),) = problems(GOOD.replace("version: 2", "version: 2\nversion: 3"))
    assert (line, field, msg) == (3, "version", "key appears twice")


def test_yaml_tags_are_refused() -> None:
    ((_line, _field, msg),) = problems("template: !!python/object/apply:os.system ['true']\n")
    assert "YAML tags are not allowed here" in msg and "python/object/apply" in msg


def test_unknown_defect_code_names_the_line() -> None:
    catalog = DefectCatalog.model_validate(
        {
            "catalog": "c",
            "version": 1,
            "defects": [
                {"code": "CST-SHRT", "name": "Short", "severity": "major", "stages": ["casting"]}
            ],
        }
    )
    tpl = parse(GOOD, ChecklistTemplate, "t.yaml")
    with pytest.raises(ContentError) as caught:
        check_against_catalog(tpl, catalog, "t.yaml", GOOD)
    (p,) = caught.value.problems
    assert p.line == 11
    assert p.field == "sections[0].items[0].on_fail.defects[0]"
    assert "unknown defect code 'CST-POR'" in p.message
    assert str(p).startswith("t.yaml:11: sections[0].items[0].on_fail.defects[0]:")


def test_missing_file_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="file not found"):
        load_template(tmp_path / "nope.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ContentError, match="not UTF-8"):
        load_template(tmp_path / "bin.yaml")


def test_per_position_default_must_lie_within_bounds() -> None:
    text = GOOD.replace(
        "        kind: pass_fail\n",
        "        kind: pass_fail\n        positions: {label: Prong, default: 9, min: 2, max: 6}\n",
    )
    ((_line, field, msg),) = problems(text)
    assert field == "sections[0].items[0].positions"
    assert "default 9 must lie between min 2 and max 6" in msg


def test_choice_acceptable_answers_must_be_options() -> None:
    text = GOOD + textwrap.indent(
        "- id: colour\n  kind: choice\n  prompt: Colour\n  options: [white, yellow]\n  acceptable: [rose]\n",
        "      ",
    )
    ((_line, field, msg),) = problems(text)
    assert field == "sections[0].items[2]" and "['rose'] are not among the options" in msg


def test_reference_image_may_not_leave_the_template_folder() -> None:
    text = GOOD.replace(
        "prompt: No porosity at 10x", "prompt: x\n        reference_image: ../../etc/passwd"
    )
    ((_line, field, _msg),) = problems(text)
    assert field == "sections[0].items[0].reference_image"


limits = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(lower=limits, upper=limits)
def test_measurement_limits_property(lower: float, upper: float) -> None:
    """Any pair of limits is accepted exactly when lower <= upper, and judging agrees."""
    data = {
        "id": "m",
        "kind": "measurement",
        "prompt": "p",
        "unit": "mm",
        "lower": lower,
        "upper": upper,
    }
    if lower > upper:
        with pytest.raises(ValueError, match="above upper"):
            MeasurementItem.model_validate(data)
        return
    item = MeasurementItem.model_validate(data)
    assert item.within(lower) and item.within(upper)
    assert item.within((lower + upper) / 2)
    assert not item.within(upper + 1) and not item.within(lower - 1)


@given(st.text(min_size=0, max_size=400))
def test_arbitrary_text_never_crashes_the_loader(text: str) -> None:
    """Whatever a person types into a template file, the answer is a template or a ContentError."""
    try:
        parse(text, ChecklistTemplate, "fuzz.yaml")
    except ContentError as exc:
        assert exc.problems and all(p.file == "fuzz.yaml" for p in exc.problems)


HUID_ITEM = """\
template: final-qc
version: 3
stage: final_qc
name: Final QC
sections:
  - title: Marks
    items:
      - id: huid
        kind: text
        prompt: HUID
        max_length: 6
        pattern: "[A-Z0-9]{6}"
        pattern_message: 6 capital letters or digits, as on the piece (e.g. AB12C3)
        example: AB12C3
"""


def test_a_text_item_with_a_pattern_refuses_text_of_another_form() -> None:
    from qcstation.domain.inspections import Answer, AnswerError, Outcome, evaluate

    tpl = parse(HUID_ITEM, ChecklistTemplate, "t.yaml")
    item = tpl.item("huid")
    assert evaluate(item, Answer("huid", value="AB12C3")).outcome is Outcome.RECORDED
    for wrong in ("AB12C", "ab12c3", "AB12C3X", "AB 2C3"):
        with pytest.raises(AnswerError) as caught:
            evaluate(item, Answer("huid", value=wrong))
        assert str(caught.value) == (
            f"“HUID”: {wrong!r} is not 6 capital letters or digits, as on the piece (e.g. AB12C3)"
        )


@pytest.mark.parametrize(
    ("change", "line", "says"),
    [
        (('pattern: "[A-Z0-9]{6}"', 'pattern: "[A-Z0-9{6}"'), 12, "not a regular expression"),
        (("example: AB12C3", "example: AB12C"), 8, "example 'AB12C' does not match"),
        (("        example: AB12C3\n", ""), 8, "needs an example"),
        (
            (
                "        pattern_message: 6 capital letters or digits, as on the piece (e.g. AB12C3)\n",
                "",
            ),
            8,
            "needs a pattern_message",
        ),
        (("max_length: 6", "max_length: 5"), 8, "longer than max_length 5"),
    ],
)
def test_a_pattern_that_cannot_work_is_refused_with_its_line(
    change: tuple[str, str], line: int, says: str
) -> None:
    found = problems(HUID_ITEM.replace(*change))
    assert len(found) == 1, found
    got_line, _field, message = found[0]
    assert got_line == line and says in message, found[0]


def test_pattern_words_without_a_pattern_are_refused() -> None:
    text = HUID_ITEM.replace('        pattern: "[A-Z0-9]{6}"\n', "")
    ((_line, _field, message),) = problems(text)
    assert "give `pattern`" in message
