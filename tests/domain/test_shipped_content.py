"""The checklists and defect catalog shipped in resources/ load, agree and cover every stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcstation.domain.defects import DefectCatalog
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChecklistItem,
    ChecklistTemplate,
    ChoiceItem,
    MeasurementItem,
    PassFailItem,
)
from qcstation.domain.yaml_files import check_against_catalog, load_catalog, load_template

# TODO: switch to qcstation.resources (templates_dir / defect_catalog) once it is settled.
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
TEMPLATE_FILES = sorted((RESOURCES / "templates").glob("*.yaml"))
CATALOG_FILE = RESOURCES / "defect-catalog.yaml"

PREFIX_STAGE = {
    "RCV": Stage.RECEIVING,
    "CST": Stage.CASTING,
    "ASM": Stage.ASSEMBLY,
    "SET": Stage.STONE_SETTING,
    "POL": Stage.POLISHING,
    "PLT": Stage.PLATING,
    "FQC": Stage.FINAL_QC,
    "PKG": Stage.PACKAGING,
}


@pytest.fixture(scope="module")
def catalog() -> DefectCatalog:
    return load_catalog(CATALOG_FILE)


@pytest.fixture(scope="module")
def templates() -> dict[Path, ChecklistTemplate]:
    return {path: load_template(path) for path in TEMPLATE_FILES}


def _can_fail(item: ChecklistItem) -> bool:
    if isinstance(item, (PassFailItem, MeasurementItem)):
        return True
    if isinstance(item, ChoiceItem):
        return set(item.acceptable) != set(item.options)
    return False  # text is never failed; a photo passes once attached


def test_there_are_shipped_templates() -> None:
    assert TEMPLATE_FILES, f"no templates found in {RESOURCES / 'templates'}"


def test_exactly_one_template_per_stage(templates: dict[Path, ChecklistTemplate]) -> None:
    by_stage: dict[Stage, list[str]] = {stage: [] for stage in Stage}
    for path, template in templates.items():
        by_stage[template.stage].append(path.name)
    wrong = {stage.value: names for stage, names in by_stage.items() if len(names) != 1}
    assert not wrong, f"stages without exactly one template: {wrong}"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_template_is_named_after_its_stage(
    path: Path, templates: dict[Path, ChecklistTemplate]
) -> None:
    template = templates[path]
    assert path.stem == template.stage.value
    assert template.template == template.stage.value.replace("_", "-")


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_referenced_codes_exist_and_belong_to_the_stage(
    path: Path, templates: dict[Path, ChecklistTemplate], catalog: DefectCatalog
) -> None:
    template = templates[path]
    check_against_catalog(template, catalog, str(path), path.read_text(encoding="utf-8"))
    stages_of = {entry.code: entry.stages for entry in catalog.defects}
    off_stage = sorted(
        code for code in template.defect_codes() if template.stage not in stages_of[code]
    )
    assert not off_stage, f"{path.name}: codes not listed for {template.stage.value}: {off_stage}"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_template_has_an_item_that_can_fail(
    path: Path, templates: dict[Path, ChecklistTemplate]
) -> None:
    assert any(_can_fail(item) for item in templates[path].items())


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.value)
def test_every_stage_has_at_least_three_codes(stage: Stage, catalog: DefectCatalog) -> None:
    assert len(catalog.for_stage(stage)) >= 3


def test_code_prefix_names_a_stage_the_code_is_found_at(catalog: DefectCatalog) -> None:
    wrong = [
        entry.code
        for entry in catalog.defects
        if PREFIX_STAGE.get(entry.code.split("-")[0]) not in entry.stages
    ]
    assert not wrong, f"codes whose prefix is not one of their stages: {wrong}"


def test_every_code_has_a_description(catalog: DefectCatalog) -> None:
    assert [e.code for e in catalog.defects if not e.description.strip()] == []
