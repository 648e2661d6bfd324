"""Shipped checklists reach a station as new versions: what was stored stays as it was, and
a file of a stored version imports as unchanged even when its digest was taken before the
schema grew a field (a text item's `pattern`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import content
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.users import User
from qcstation.services import templates
from qcstation.services.context import Station
from qcstation.store.models import TemplateRow

NEW_FIELDS = ("pattern", "pattern_message", "example")


def _without_new_fields(data: object) -> object:
    """The content as a qcstation before text patterns stored it."""
    if isinstance(data, dict):
        return {
            k: _without_new_fields(v)
            for k, v in data.items()
            if not (k in NEW_FIELDS and data.get("kind") == "text")
        }
    if isinstance(data, list):
        return [_without_new_fields(v) for v in data]
    return data


def test_a_version_stored_before_text_patterns_imports_as_unchanged(
    station: Station, admin: User
) -> None:
    casting = content.templates_dir() / "casting.yaml"
    with station.db.write(admin, station.name, reason="as an older qcstation stored it") as s:
        row = s.scalars(select(TemplateRow).where(TemplateRow.template_key == "casting")).one()
        old = _without_new_fields(row.content)
        assert old != row.content  # the flask number is a text item
        row.content = old
        row.sha256 = sha256_hex(canonical_json(old))
    result = templates.import_files(station, admin, [casting])
    assert result.unchanged == ["casting@2"] and result.imported == []


def test_the_shipped_versions_are_the_ones_a_new_station_runs(station: Station) -> None:
    active = {
        f"{t.template_key}@{t.version}" for t in templates.list_templates(station) if t.active
    }
    assert {
        "receiving@2",
        "casting@2",
        "assembly@2",
        "stone-setting@2",
        "polishing@2",
        "plating@2",
        "final-qc@3",
        "packaging@2",
    } <= active


def test_upgrade_names_each_checklist_shipped_in_a_newer_version(
    station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like final QC's claims (services/documents.claim_notes), every other stage's newer
    shipped checklist is said once, with the file to import; nothing is imported unasked."""
    from qcstation.services import upgrades

    assert templates.newer_shipped_notes(station) == []  # a new station runs the shipped ones
    newer = []
    for name, old, new in (("plating", 2, 3), ("final_qc", 3, 4)):
        path = tmp_path / f"{name}.yaml"
        text = (content.templates_dir() / f"{name}.yaml").read_text("utf-8")
        path.write_text(text.replace(f"\nversion: {old}\n", f"\nversion: {new}\n"), "utf-8")
        newer.append(path)
    monkeypatch.setattr(content, "shipped_templates", lambda: newer)
    said = upgrades.upgrade(station).describe()
    assert (
        "the active Plating and finish inspection checklist is version 2; this qcstation "
        "ships version 3" in said
    )
    assert f"`qcstation template import {newer[0]}`" in said
    assert "inspections already made keep version 2" in said
    # final QC is certified: its own note says what its certificates lack, once
    assert said.count("the active Final QC checklist is version 3") == 1
    active = {
        f"{t.template_key}@{t.version}" for t in templates.list_templates(station) if t.active
    }
    assert "plating@2" in active and "plating@3" not in active


def test_upgrade_says_to_import_a_newer_shipped_catalog_first(
    station: Station, admin: User
) -> None:
    from qcstation.services import upgrades
    from qcstation.store.models import DefectCode

    assert templates.newer_catalog_notes(station) == []
    with station.db.write(admin, station.name, reason="as a station set up with catalog 1") as s:
        for row in s.scalars(select(DefectCode)):
            row.catalog_version = 1
    said = upgrades.upgrade(station).describe()
    assert (
        "the defect catalog is version 1; this qcstation ships version 2: import it first "
        "(`qcstation template import-catalog`), then the newer checklists" in said
    )
    templates.import_catalog(station, admin, content.defect_catalog())
    assert templates.newer_catalog_notes(station) == []
