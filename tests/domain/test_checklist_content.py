"""What the shipped checklists check, item by item, with the unit and limits their sources
give (docs/checklists.md names each source): a test per content change of issue 15."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcstation.domain.defects import DefectCatalog, Severity
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    ChoiceItem,
    MeasurementItem,
    PassFailItem,
    TextItem,
)
from qcstation.domain.yaml_files import load_catalog, load_template

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@pytest.fixture(scope="module")
def catalog() -> DefectCatalog:
    return load_catalog(RESOURCES / "defect-catalog.yaml")


def _template(stage: str) -> ChecklistTemplate:
    return load_template(RESOURCES / "templates" / f"{stage}.yaml")


def measurement(stage: str, item_id: str) -> MeasurementItem:
    item = _template(stage).item(item_id)
    assert isinstance(item, MeasurementItem), f"{stage} {item_id} is not a measurement"
    return item


def item_of(stage: str, item_id: str) -> ChecklistItem:
    return _template(stage).item(item_id)


def limits(item: MeasurementItem) -> tuple[str, float | None, float | None, int]:
    return item.unit, item.lower, item.upper, item.decimals


def source_comment(stage: str) -> str:
    return (RESOURCES / "templates" / f"{stage}.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    ("stage", "version"),
    [
        ("receiving", 2),
        ("casting", 2),
        ("assembly", 2),
        ("stone_setting", 2),
        ("polishing", 2),
        ("plating", 2),
        ("final_qc", 3),
        ("packaging", 2),
    ],
)
def test_every_changed_checklist_has_a_new_version(stage: str, version: int) -> None:
    """A station that ran the old version imports the new one beside it: old inspections
    keep the version they used (services/templates.py refuses other content under it)."""
    assert _template(stage).version == version
    assert f"Version {version}:" in source_comment(stage)


# --- receiving -----------------------------------------------------------------------------


def test_nickel_release_is_evidenced_next_to_the_xrf_content_check() -> None:
    ids = [i.id for i in _template("receiving").items()]
    at = ids.index("restricted-substances")
    assert ids[at + 1 : at + 4] == [
        "nickel-release-report",
        "nickel-release",
        "nickel-release-posts",
    ]
    skin, posts = (
        measurement("receiving", "nickel-release"),
        measurement("receiving", "nickel-release-posts"),
    )
    assert limits(skin) == ("µg/cm²/week", 0, 0.5, 2)
    assert limits(posts) == ("µg/cm²/week", 0, 0.2, 2)
    assert skin.severity is posts.severity is Severity.CRITICAL
    assert skin.on_fail.defects == posts.on_fail.defects == ("RCV-NIREL",)
    assert "EN 1811" in skin.prompt and "0.88" in skin.instructions
    assert "0.35" in posts.instructions
    report = item_of("receiving", "nickel-release-report")
    assert isinstance(report, TextItem) and "EN 12472" in report.instructions
    text = source_comment("receiving")
    assert "REACH Annex XVII entry 27" in text and "EN 1811" in text and "EN 12472" in text


def test_a_stone_parcel_is_weighed_in_carats_with_an_absolute_tolerance() -> None:
    parcel = measurement("receiving", "stone-parcel-weight-deviation")
    assert limits(parcel) == ("ct", -0.005, None, 3)
    # the per cent tolerance is the metal's only, where 0.01 g resolves it
    assert "Metal" in measurement("receiving", "net-weight-deviation").prompt


def test_natural_declared_melee_is_screened_whole() -> None:
    screened = measurement("receiving", "melee-screened")
    assert limits(screened) == ("%", 100, 100, 1)
    assert "100 %" in screened.instructions and screened.severity is Severity.CRITICAL
    referred = measurement("receiving", "screener-referrals")
    assert limits(referred) == ("stones", 0, 0, 0)


def test_the_alloy_delivered_is_compared_with_the_purchase_order() -> None:
    ordered, declared = (
        item_of("receiving", "ordered-alloy"),
        item_of("receiving", "declared-alloy"),
    )
    assert isinstance(ordered, ChoiceItem) and isinstance(declared, ChoiceItem)
    assert ordered.options == declared.options
    for fineness in ("417", "333", "958", "800", "900", "850", "500"):
        assert any(o.startswith(fineness + " ") for o in ordered.options), fineness
    match = item_of("receiving", "alloy-matches-order")
    assert isinstance(match, PassFailItem) and match.on_fail.defects == ("RCV-ALLOY",)
    assert match.severity is Severity.CRITICAL


# --- plating -------------------------------------------------------------------------------


def test_gold_plate_thickness_follows_the_ftc_guides() -> None:
    gep = measurement("plating", "gold-plate-thickness")
    hge = measurement("plating", "heavy-gold-plate-thickness")
    assert limits(gep) == ("µm", 0.18, None, 2)  # 0.175 µm at the XRF's 0.01 µm
    assert "0.175" in gep.instructions and "16 CFR 23" in gep.instructions
    assert limits(hge) == ("µm", 2.5, None, 2)
    assert gep.severity is hge.severity is Severity.CRITICAL
    assert "16 CFR 23.4" in source_comment("plating")


def test_vermeil_is_ten_karat_gold_on_sterling_at_least_2_5_um() -> None:
    assert limits(measurement("plating", "vermeil-thickness")) == ("µm", 2.5, None, 2)
    karat = measurement("plating", "gold-layer-fineness")
    assert limits(karat) == ("‰", 417, 1000, 0)  # 10/24 = 416.7 ‰
    assert karat.on_fail.defects == ("PLT-KARAT",)
    base = item_of("plating", "vermeil-base-sterling")
    assert isinstance(base, PassFailItem) and "925" in base.prompt


def test_rhodium_is_read_to_what_xrf_resolves_up_to_half_a_micron() -> None:
    rh = measurement("plating", "rhodium-thickness")
    assert limits(rh) == ("µm", 0.1, 0.5, 2)
    assert set(rh.on_fail.defects) == {"PLT-THIN", "PLT-THICK"}


def test_black_rhodium_and_ruthenium_are_checked() -> None:
    assert limits(measurement("plating", "black-finish-thickness")) == ("µm", 0.1, 0.5, 2)
    colour = item_of("plating", "black-finish-colour")
    assert isinstance(colour, PassFailItem) and colour.on_fail.defects == ("PLT-BLACK",)
    finish = item_of("plating", "finish-type")
    assert isinstance(finish, ChoiceItem)
    assert "black rhodium / ruthenium" in finish.options
    assert "gold flash / wash (no plating mark)" in finish.options


def test_the_plating_mark_is_checked_against_the_plating() -> None:
    mark = item_of("plating", "plating-mark")
    assert isinstance(mark, ChoiceItem) and mark.severity is Severity.CRITICAL
    assert "mark claims more than the plating" not in mark.acceptable
    assert all(m in mark.instructions for m in ("GP", "HGE", "vermeil"))
    assert mark.on_fail.defects == ("PLT-MARK",)


# --- final QC: marks -----------------------------------------------------------------------


def test_the_stamp_text_is_recorded() -> None:
    stamp = item_of("final_qc", "hallmark")
    assert isinstance(stamp, TextItem) and stamp.claim == "hallmark"


@pytest.mark.parametrize(
    ("item_id", "words"),
    [
        ("uk-sponsor-mark", ("sponsor", "7.78 g", "0.5 g", "1 g")),
        ("uk-fineness-mark", ("fineness",)),
        ("uk-assay-office-mark", ("assay office",)),
        ("bis-logo", ("BIS logo",)),
        ("bis-purity-grade", ("purity grade", "22K916")),
        ("us-trademark", ("registered trademark", "15 U.S.C. 297")),
    ],
)
def test_each_mark_the_destination_market_requires_is_its_own_check(
    item_id: str, words: tuple[str, ...]
) -> None:
    item = item_of("final_qc", item_id)
    assert isinstance(item, PassFailItem) and item.allow_na and item.severity is Severity.CRITICAL
    said = item.prompt + " " + item.instructions
    assert all(w in said for w in words), said
    assert "FQC-MARK" in item.on_fail.defects


def test_the_huid_itself_is_recorded_as_six_capitals_or_digits() -> None:
    huid = item_of("final_qc", "huid")
    assert isinstance(huid, TextItem) and huid.claim == "huid" and huid.max_length == 6
    assert huid.fits("AB12C3") and huid.fits("000000")
    for wrong in ("AB12C", "AB12C34", "ab12c3", "AB 12C", "AB-12C"):
        assert not huid.fits(wrong), wrong
    assert "6 capital letters or digits" in huid.pattern_message
    text = source_comment("final_qc")
    for source in ("Hallmarking Act 1973", "IS 1417", "IS 1418", "15 U.S.C."):
        assert source in text, source


# --- stone setting, casting, assembly, polishing, packaging --------------------------------


def test_a_loose_centre_stone_is_severer_than_a_loose_melee(catalog: DefectCatalog) -> None:
    centre = item_of("stone_setting", "centre-stone-secure")
    melee = item_of("stone_setting", "stone-secure")
    assert centre.on_fail.defects == ("SET-LCTR",) and melee.on_fail.defects == ("SET-LMEL",)
    assert centre.positions is None and melee.positions is not None
    sev = {e.code: e.severity for e in catalog.defects}
    assert (sev["SET-LCTR"], sev["SET-LMEL"]) == (Severity.CRITICAL, Severity.MAJOR)
    assert centre.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("stage", "item_id", "code"),
    [
        ("stone_setting", "prong-height", "SET-PRONG"),
        ("stone_setting", "prong-coverage", "SET-PRONG"),
        ("stone_setting", "culet-clearance", "SET-CULET"),
        ("stone_setting", "pave-alignment", "SET-ALIGN"),
        ("stone_setting", "channel-alignment", "SET-ALIGN"),
        ("stone_setting", "stone-orientation", "SET-ORIENT"),
        ("stone_setting", "bezel-closed", "SET-BEZEL"),
        ("casting", "distortion", "CST-DIST"),
        ("casting", "investment-inclusions", "CST-INCL"),
        ("casting", "sprue-stub", "CST-SPRUE"),
        ("assembly", "jump-rings-closed", "ASM-JUMP"),
        ("assembly", "hinge-tension", "ASM-HINGE"),
        ("polishing", "finish-as-ordered", "POL-FINISH"),
        ("packaging", "required-cards", "PKG-CARD"),
        ("packaging", "seal-intact", "PKG-SEAL"),
    ],
)
def test_each_new_check_offers_its_own_defect(
    stage: str, item_id: str, code: str, catalog: DefectCatalog
) -> None:
    item = item_of(stage, item_id)
    assert isinstance(item, PassFailItem)
    assert code in item.on_fail.defects
    assert code in catalog.codes()


def test_prong_checks_are_per_prong() -> None:
    for item_id in ("prong-height", "prong-coverage"):
        positions = item_of("stone_setting", item_id).positions
        assert positions is not None and positions.label == "Prong"


def test_assembly_measures_pull_load_and_post_gauge_and_length() -> None:
    assert limits(measurement("assembly", "pull-test")) == ("N", 20, 500, 0)
    assert limits(measurement("assembly", "post-diameter")) == ("mm", 0.76, 0.85, 2)
    assert limits(measurement("assembly", "post-length")) == ("mm", 9.5, 12.0, 1)
    for item_id in ("pull-test", "post-diameter", "post-length"):
        assert measurement("assembly", item_id).allow_na


def test_polishing_states_viewing_conditions_and_the_ordered_finish() -> None:
    tpl = _template("polishing")
    scratches = tpl.item("scratches")
    assert "at 10x" not in scratches.prompt  # what a customer sees, not a loupe
    for condition in ("30 cm", "5000 K", "lux"):
        assert condition in scratches.prompt + scratches.instructions + tpl.description
    finish = tpl.item("finish-type")
    assert isinstance(finish, ChoiceItem) and "satin / brushed" in finish.options


def test_packaging_records_the_seal_and_a_second_count() -> None:
    seal = item_of("packaging", "seal-number")
    assert isinstance(seal, TextItem) and not seal.allow_na
    second = item_of("packaging", "second-counter")
    assert isinstance(second, TextItem) and "not the inspector" in second.prompt
    assert limits(measurement("packaging", "second-count-deviation")) == ("pcs", 0, 0, 0)


def test_the_old_loose_stone_code_stays_for_old_records(catalog: DefectCatalog) -> None:
    assert "SET-LOOSE" in catalog.codes() and catalog.version == 2
    for path in sorted((RESOURCES / "templates").glob("*.yaml")):
        assert "SET-LOOSE" not in load_template(path).defect_codes(), path.name
