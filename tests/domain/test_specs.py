"""SKU specifications in the domain: ring-size tables, limits taken from a specification,
and values frozen into an inspection so that a later specification changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qcstation import content
from qcstation.domain import ring_sizes
from qcstation.domain.inspections import Answer, AnswerError, Inspection, Outcome, evaluate
from qcstation.domain.records import canonical_json
from qcstation.domain.signing import (
    RECORD_FORMAT,
    RECORD_FORMAT_SPEC,
    canonical_record,
    inspection_record_hash,
)
from qcstation.domain.specs import (
    LENGTH_TOLERANCES_MM,
    Frozen,
    ProductType,
    Specification,
    freeze,
)
from qcstation.domain.templates import ChecklistTemplate, MeasurementItem
from qcstation.domain.yaml_files import ContentError, load_template

# ---- ring sizes (domain/ring_sizes.py) ---------------------------------------------------


@pytest.mark.parametrize(
    ("us", "mm"),
    [(0, 36.5), (3, 44.2), (5, 49.3), (6, 51.9), (7, 54.4), (8, 57.0), (10, 62.1), (13, 69.7)],
)
def test_us_sizes_match_the_published_chart(us: float, mm: float) -> None:
    """US size 0 is 0.458 in across and each size 0.032 in more (the chart in the
    'Ring size' article), so the circumference steps 2.55 mm from 36.5 mm."""
    assert ring_sizes.us_to_mm(us) == pytest.approx(mm, abs=0.06)
    assert ring_sizes.mm_to_us(ring_sizes.us_to_mm(us)) == pytest.approx(us)


@pytest.mark.parametrize(
    ("uk", "us"),
    [("A", 0.5), ("F", 3), ("H", 4), ("I", 4.5), ("J", 4.75), ("L½", 6), ("N½", 7), ("T", 9.75)],
)
def test_uk_letters_sit_on_the_us_scale_as_charted(uk: str, us: float) -> None:
    assert ring_sizes.UK_TO_US[uk] == us
    assert ring_sizes.uk_to_mm(uk) == pytest.approx(ring_sizes.us_to_mm(us))


def test_a_ring_size_is_shown_with_us_and_uk_beside_it() -> None:
    assert ring_sizes.describe(54.4) == "ISO 54.4 mm (US 7, UK N½)"
    # between two sizes: the nearest, marked as approximate
    assert ring_sizes.describe(54.0) == "ISO 54 mm (US ≈6¾, UK ≈N)"
    assert ring_sizes.uk_size(30.0) == "beyond the UK table"


@pytest.mark.parametrize(
    ("text", "mm"),
    [("54", 54.0), ("54,4", 54.4), ("ISO 52 mm", 52.0), ("US 7", 54.42), ("UK N 1/2", 54.42)],
)
def test_an_erp_ring_size_is_read_in_any_of_its_systems(text: str, mm: float) -> None:
    assert ring_sizes.parse_size(text) == pytest.approx(mm)


@pytest.mark.parametrize("text", ["54mmm", "US 7.3", "UK Ä", "120", "size 7"])
def test_a_ring_size_that_is_none_says_what_is_wanted(text: str) -> None:
    with pytest.raises(ValueError, match=r"ring size|ISO 8653"):
        ring_sizes.parse_size(text)


# ---- a specification and what a checklist may take from it ---------------------------


def ring(**extra: object) -> Specification:
    fields: dict[str, object] = {
        "sku": "R-1042",
        "product_type": "ring",
        "weight_g": 5.2,
        "weight_tol_minus_g": 0.1,
        "weight_tol_plus_g": 0.15,
        "ring_size_mm": 54.0,
        "stone_count": 3,
        "stone_carat": 0.5,
    }
    return Specification.model_validate({**fields, **extra})


def test_limits_derive_from_the_nominal_and_its_tolerance() -> None:
    v = ring().values()
    assert (v["weight_g"], v["weight_min_g"], v["weight_max_g"]) == (5.2, 5.1, 5.35)
    assert v["weight_decimals"] == 2
    assert (v["ring_size_min_mm"], v["ring_size_max_mm"]) == (53.5, 54.5)  # ± half a size
    assert (v["stone_carat_min"], v["stone_carat_max"]) == (0.49, 0.51)
    assert ring(weight_resolution_g=0.001).values()["weight_decimals"] == 3


@pytest.mark.parametrize(
    ("kind", "minus", "plus"),
    [("necklace", 2.0, 5.0), ("bracelet", 1.0, 3.0), ("earring", 0.5, 0.5)],
)
def test_length_tolerance_by_product_type(kind: str, minus: float, plus: float) -> None:
    spec = Specification(sku="C-1", product_type=ProductType(kind), length_mm=450)
    assert LENGTH_TOLERANCES_MM[ProductType(kind)] == (minus, plus)
    v = spec.values()
    assert (v["length_min_mm"], v["length_max_mm"]) == (450 - minus, 450 + plus)
    # the specification's own tolerance wins over the product type's
    own = spec.model_copy(update={"length_tol_minus_mm": 0.0, "length_tol_plus_mm": 10.0})
    assert (own.values()["length_min_mm"], own.values()["length_max_mm"]) == (450, 460)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"weight_tol_plus_g": None}, "weight_g needs its tolerance"),
        ({"product_type": "bracelet"}, "a ring size is for a ring"),
        ({"ring_size_mm": 17.3}, "inner circumference"),
        ({"weight_resolution_g": 0.1}, "0.01 or 0.001"),
        ({"stone_count": 0}, "stone_carat needs stone_count"),
    ],
)
def test_a_specification_that_cannot_be_right_is_refused(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        ring(**extra)


# ---- templates that take limits from a specification ----------------------------------


def template(**item: object) -> ChecklistTemplate:
    base = {"id": "weight", "kind": "measurement", "prompt": "Gross weight", "unit": "g"}
    return ChecklistTemplate.model_validate(
        {
            "template": "t",
            "version": 1,
            "stage": "final_qc",
            "name": "T",
            "sections": [{"title": "S", "items": [{**base, **item}]}],
        }
    )


SPEC_WEIGHT = {
    "nominal": {"from": "spec.weight_g"},
    "lower": {"from": "spec.weight_min_g"},
    "upper": {"from": "spec.weight_max_g"},
    "decimals": {"from": "spec.weight_decimals"},
}


def test_an_unknown_specification_field_is_named_at_template_validate(tmp_path: Path) -> None:
    text = (content.templates_dir() / "final_qc.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "final_qc.yaml"
    bad.write_text(text.replace("spec.weight_min_g", "spec.wieght_min_g"), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_template(bad)
    (problem,) = caught.value.problems
    assert "unknown specification field 'spec.wieght_min_g'" in problem.message
    assert "spec.weight_min_g" in problem.message  # what it may be instead
    lines = text.splitlines()
    # the line of the reference itself, and the field it is for
    assert lines[problem.line - 1].strip() == "lower: {from: spec.weight_min_g}"  # type: ignore[operator]
    assert problem.field.endswith(".lower")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"lower": {"from": "weight_min_g"}}, "takes spec.FIELD"),
        ({"lower": {"from": "spec.weight_min_g", "plus": 1}}, r"\{from: spec.FIELD\}"),
        ({"decimals": {"from": "spec.weight_g"}}, "not a number of decimals"),
        ({"lower": {"from": "spec.weight_decimals"}}, "not a limit"),
    ],
)
def test_a_malformed_spec_reference_is_refused(item: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        template(**item)


def test_spec_references_survive_storage_and_a_plain_template_hashes_as_before() -> None:
    tpl = template(**SPEC_WEIGHT)
    stored = tpl.model_dump(mode="json")
    assert stored["sections"][0]["items"][0]["spec_refs"]["lower"] == "weight_min_g"
    assert ChecklistTemplate.model_validate(stored) == tpl
    plain = template(lower=0.05, upper=500).model_dump(mode="json")
    assert "spec_refs" not in canonical_json(plain)  # a template's digest is unchanged


def test_frozen_values_fill_the_item_and_say_where_they_came_from() -> None:
    tpl = template(**SPEC_WEIGHT)
    frozen = freeze(tpl.spec_refs(), "R-1042", ring(weight_resolution_g=0.001), 3)
    item = tpl.with_frozen(frozen).item("weight")
    assert isinstance(item, MeasurementItem)
    assert (item.nominal, item.lower, item.upper, item.decimals) == (5.2, 5.1, 5.35, 3)
    assert item.spec_note() == "from SKU R-1042 spec, rev 3"
    assert evaluate(item, Answer("weight", readings=(5.349,))).outcome is Outcome.PASS
    assert evaluate(item, Answer("weight", readings=(5.351,))).outcome is Outcome.FAIL
    # ... and the frozen values come back from their stored form unchanged
    assert Frozen.from_json(frozen.to_json()) == frozen


def test_a_ring_size_item_shows_us_and_uk_beside_the_iso_size() -> None:
    tpl = load_template(content.templates_dir() / "final_qc.yaml")
    frozen = freeze(tpl.spec_refs(), "R-1042", ring(ring_size_mm=54.4), 1)
    item = tpl.with_frozen(frozen).item("ring-circumference")
    assert isinstance(item, MeasurementItem)
    assert (item.nominal, item.lower, item.upper) == (54.4, 53.9, 54.9)
    assert item.spec_note() == "US 7, UK N½; from SKU R-1042 spec, rev 1"


def test_an_item_without_its_specification_cannot_pass_only_be_na() -> None:
    tpl = template(allow_na=True, **SPEC_WEIGHT)
    for spec, why in [
        (None, "no specification for SKU R-9"),
        (Specification(sku="R-9", product_type="ring"), "SKU R-9 spec, rev 2 has no"),
    ]:
        frozen = freeze(tpl.spec_refs(), "R-9", spec, 2)
        item = tpl.with_frozen(frozen).item("weight")
        assert isinstance(item, MeasurementItem) and item.unresolved
        assert why in item.spec_note()
        with pytest.raises(AnswerError, match=why):
            evaluate(item, Answer("weight", readings=(5.2,)))
        assert evaluate(item, Answer("weight", outcome=Outcome.NA)).outcome is Outcome.NA
    # a template never given frozen values judges nothing either
    with pytest.raises(AnswerError, match="specification"):
        evaluate(tpl.item("weight"), Answer("weight", readings=(5.2,)))


def test_a_later_specification_does_not_change_a_frozen_verdict() -> None:
    tpl = template(**SPEC_WEIGHT)
    then = freeze(tpl.spec_refs(), "R-1042", ring(), 3)
    ins = Inspection("i-1", tpl.with_frozen(then), "JT-1", "R-1042", spec=then)
    ins.answers[("weight", None)] = Answer("weight", readings=(5.3,))
    assert ins.current_verdict().value == "pass"
    record = canonical_record(ins, [])
    # the heavier revision 4 narrows the band: the inspection, frozen at 3, is as it was
    later = freeze(tpl.spec_refs(), "R-1042", ring(weight_g=5.0, weight_tol_plus_g=0.1), 4)
    assert tpl.with_frozen(later).item("weight").within(5.3) is False  # type: ignore[union-attr]
    assert ins.current_verdict().value == "pass"
    assert canonical_record(ins, []) == record


def test_the_record_carries_the_frozen_values_in_format_2_and_old_records_stay_format_1() -> None:
    tpl = template(**SPEC_WEIGHT)
    frozen = freeze(tpl.spec_refs(), "R-1042", ring(), 3)
    ins = Inspection("i-1", tpl.with_frozen(frozen), "JT-1", "R-1042", spec=frozen)
    record = canonical_record(ins, [])
    assert record["format"] == RECORD_FORMAT_SPEC == "qcstation-inspection-record/2"
    assert record["spec"]["revision"] == 3
    assert record["spec"]["items"]["weight"] == {
        "decimals": 2,
        "lower": 5.1,
        "nominal": 5.2,
        "upper": 5.35,
    }
    # other frozen values give another hash: the signature covers the limits used
    other = freeze(tpl.spec_refs(), "R-1042", ring(weight_g=5.25), 3)
    moved = Inspection("i-1", tpl.with_frozen(other), "JT-1", "R-1042", spec=other)
    assert inspection_record_hash(moved, []) != inspection_record_hash(ins, [])
    plain = Inspection("i-2", template(lower=1, upper=2), "JT-1", "R-1042")
    assert canonical_record(plain, [])["format"] == RECORD_FORMAT
    assert "spec" not in canonical_record(plain, [])


@pytest.mark.parametrize(
    ("file", "item_id", "unit", "refs"),
    [
        (
            "final_qc",
            "weight-to-spec",
            "g",
            {
                "nominal": "weight_g",
                "lower": "weight_min_g",
                "upper": "weight_max_g",
                "decimals": "weight_decimals",
            },
        ),
        (
            "final_qc",
            "ring-circumference",
            "mm",
            {"nominal": "ring_size_mm", "lower": "ring_size_min_mm", "upper": "ring_size_max_mm"},
        ),
        (
            "final_qc",
            "stone-carat",
            "ct",
            {"nominal": "stone_carat", "lower": "stone_carat_min", "upper": "stone_carat_max"},
        ),
        (
            "assembly",
            "length",
            "mm",
            {"nominal": "length_mm", "lower": "length_min_mm", "upper": "length_max_mm"},
        ),
    ],
)
def test_the_shipped_weight_size_and_length_items_take_the_specification(
    file: str, item_id: str, unit: str, refs: dict[str, str]
) -> None:
    tpl = load_template(content.templates_dir() / f"{file}.yaml")
    item = tpl.item(item_id)
    assert isinstance(item, MeasurementItem)
    assert item.unit == unit and item.spec_refs == refs
    assert item.allow_na  # a SKU whose specification lacks it can still be inspected
    assert (tpl.template, tpl.version) in {("final-qc", 3), ("assembly", 2)}
    ids = {i.id for i in tpl.items()}
    # replaced; assembly keeps its % weight check, made before polishing takes metal off
    replaced = {"final-qc": {"weight-deviation", "ring-size"}, "assembly": {"length-deviation"}}
    assert not ids & replaced[tpl.template]
