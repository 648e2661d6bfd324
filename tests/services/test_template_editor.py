"""The checklist editor's service: saving a version with a note (supervisors only), the
same validation as `template validate`, the diff between versions, and YAML export that
imports back to the identical template for every shipped checklist."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import content
from qcstation.domain.template_drafts import Draft
from qcstation.domain.users import User
from qcstation.domain.yaml_files import ContentError, load_template
from qcstation.services import audit, template_editor, templates
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, PermissionDenied
from qcstation.store.models import AuditEntry, TemplateRow


def _shipped(key: str) -> int:
    """The version of a shipped checklist, the one a new station starts with."""
    name = key.replace("-", "_") + ".yaml"
    return load_template(content.templates_dir() / name).version


CAST = _shipped("casting")  # the casting checklist most tests edit


def _draft(station: Station, key: str = "casting", version: int | None = None) -> Draft:
    return Draft.from_yaml(template_editor.source(station, key, version or _shipped(key)))


def _versions(station: Station, key: str) -> list[int]:
    return [v.version for v in template_editor.versions(station, key)]


def test_every_shipped_template_round_trips_through_export(
    station: Station, admin: User, tmp_path: Path
) -> None:
    shipped = sorted(content.templates_dir().glob("*.yaml"))
    listed = templates.list_templates(station)
    assert len(listed) == len(shipped) > 0
    files = []
    for info in listed:
        out = template_editor.export(
            station, info.template_key, info.version, tmp_path / f"{info.template_key}.yaml"
        )
        files.append(out)
        parsed = templates.validate_files([out], templates.catalog_in_use(station))[0]
        assert parsed.sha256 == info.sha256, info.template_key
    # Importing the exported files changes nothing: the database holds the same content.
    result = templates.import_files(station, admin, files, activate=False)
    assert result.imported == [] and sorted(result.unchanged) == sorted(
        f"{i.template_key}@{i.version}" for i in listed
    )


def test_a_saved_version_exports_and_imports_as_itself(
    station: Station, supervisor: User, tmp_path: Path
) -> None:
    draft = _draft(station)
    draft.set_field(0, 0, ("prompt",), "Edited prompt")
    saved = template_editor.save_version(station, supervisor, "casting", draft.data, "reworded")
    out = template_editor.export(station, "casting", saved.version, tmp_path / "c.yaml")
    assert templates.validate_files([out], None)[0].sha256 == saved.sha256
    again = templates.import_files(station, supervisor, [out], activate=False)
    assert again.unchanged == [f"casting@{saved.version}"]


def test_save_stores_a_new_version_with_its_note_and_never_changes_one(
    station: Station, supervisor: User
) -> None:
    before = {v.version: v.sha256 for v in template_editor.versions(station, "casting")}
    draft = _draft(station)
    draft.add_item(0, "measurement")
    saved = template_editor.save_version(
        station, supervisor, "casting", draft.data, "  add a sprue check  "
    )
    new = CAST + 1
    assert saved.version == new and not saved.active and saved.change_note == "add a sprue check"
    rows = template_editor.versions(station, "casting")
    assert [(v.version, v.change_note, v.saved_by) for v in rows] == [
        (CAST, None, "alice"),
        (new, "add a sprue check", "sam"),
    ]
    assert {v.version: v.sha256 for v in rows if v.version == CAST} == before
    assert f"version: {new}" in template_editor.source(station, "casting", new)
    # The same content again is no new version.
    with pytest.raises(Conflict, match=f"nothing changed from version {new}"):
        template_editor.save_version(station, supervisor, "casting", draft.data, "again")
    with pytest.raises(InvalidInput, match="change note"):
        template_editor.save_version(station, supervisor, "casting", _draft(station).data, " ")
    with pytest.raises(InvalidInput, match="longer than 2000 characters"):
        template_editor.save_version(station, supervisor, "casting", draft.data, "x" * 2001)
    with pytest.raises(InvalidInput, match="the draft is of template 'casting', not 'plating'"):
        template_editor.save_version(station, supervisor, "plating", draft.data, "wrong one")
    with station.db.read() as s:
        reasons = s.scalars(select(AuditEntry.reason).where(AuditEntry.entity == "templates")).all()
    assert "edit casting: add a sprue check" in reasons
    info = templates.activate(station, supervisor, "casting", new)
    assert info.active and template_editor.versions(station, "casting")[1].active
    # The saved version and its note are in the signed trail like every record.
    report = audit.verify(station)
    assert report.ok, report.findings


def test_an_inspector_may_not_save_a_version(
    station: Station, inspector: User, supervisor: User
) -> None:
    draft = _draft(station)
    draft.set_field(0, 0, ("prompt",), "Edited by an inspector")
    with pytest.raises(PermissionDenied, match="may not manage templates"):
        template_editor.save_version(station, inspector, "casting", draft.data, "mine")
    assert _versions(station, "casting") == [CAST]
    with station.db.read() as s:
        rows = s.scalars(select(TemplateRow).where(TemplateRow.template_key == "casting"))
        assert [r.version for r in rows] == [CAST]


def test_a_draft_is_refused_with_the_messages_of_template_validate(
    station: Station, supervisor: User, tmp_path: Path
) -> None:
    draft = _draft(station, "stone-setting")
    s, i = next((s, i) for s, i, it in draft.walk() if it["kind"] == "measurement")
    draft.set_field(s, i, ("lower",), 5)
    draft.set_field(s, i, ("upper",), 1)
    assert (
        f"sections[{s}].items[{i}].upper",
        "lower tolerance 5.0 is above upper tolerance 1.0",
    ) in _refusals(station, supervisor, draft, tmp_path)
    draft = _draft(station, "stone-setting")
    draft.set_field(0, 0, ("on_fail", "defects"), ["SET-NOPE"])
    assert _refusals(station, supervisor, draft, tmp_path) == [
        (
            "sections[0].items[0].on_fail.defects[0]",
            "unknown defect code 'SET-NOPE' (not in catalog 'database')",
        )
    ]
    assert _versions(station, "stone-setting") == [_shipped("stone-setting")]


def _refusals(
    station: Station, supervisor: User, draft: Draft, tmp_path: Path
) -> list[tuple[str, str]]:
    """What saving the draft is refused with, checked to be what the command's validator
    says of the same text in a file."""
    with pytest.raises(ContentError) as saved:
        template_editor.save_version(station, supervisor, "stone-setting", draft.data, "bad")
    path = tmp_path / "draft.yaml"
    v = _shipped("stone-setting")
    path.write_text(draft.to_yaml().replace(f"version: {v}", f"version: {v + 1}"))
    with pytest.raises(ContentError) as validated:
        templates.validate_files([path], templates.catalog_in_use(station))
    said = [(p.field, p.message) for p in saved.value.problems]
    assert said == [(p.field, p.message) for p in validated.value.problems]
    assert [p.line for p in saved.value.problems] == [p.line for p in validated.value.problems]
    return said


def test_diff_between_versions_names_items_and_fields(station: Station, supervisor: User) -> None:
    draft = _draft(station)
    first = draft.item(1, 0)["id"]
    removed = draft.item(1, 1)["id"]
    draft.set_field(1, 0, ("severity",), "critical")
    draft.delete_item(1, 1)
    _s, at = draft.add_item(1, "choice")
    added = draft.item(1, at)["id"]
    template_editor.save_version(station, supervisor, "casting", draft.data, "rework")
    found = template_editor.diff_versions(station, "casting", CAST, CAST + 1)
    by_id = {c.item_id: c for c in found.items}
    assert by_id[first].change == "changed"
    assert [(f.field, f.old, f.new) for f in by_id[first].fields] == [
        ("severity", "major", "critical")
    ]
    assert by_id[removed].change == "removed" and by_id[added].change == "added"
    assert ("options", None, ["yes", "no"]) in [
        (f.field, f.old, f.new) for f in by_id[added].fields
    ]
    assert (
        found.header == ()
        and template_editor.diff_versions(station, "casting", CAST + 1, CAST + 1).empty
    )


def test_export_keeps_an_existing_file_unless_forced(station: Station, tmp_path: Path) -> None:
    out = tmp_path / "casting.yaml"
    out.write_text("mine")
    with pytest.raises(InvalidInput, match="exists already"):
        template_editor.export(station, "casting", CAST, out)
    assert out.read_text() == "mine"
    template_editor.export(station, "casting", CAST, out, overwrite=True)
    assert out.read_text() == template_editor.source(station, "casting", CAST)
    with pytest.raises(Exception, match="no template casting version 9"):
        template_editor.export(station, "casting", 9, tmp_path / "x.yaml")
