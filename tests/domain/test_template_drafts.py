"""The editor's working copy of a template: edits change only what they name, and a field
the editor has no control for (a later schema's, or a value of another shape) is kept."""

from __future__ import annotations

from qcstation import content
from qcstation.domain.template_diff import diff
from qcstation.domain.template_drafts import (
    ITEM_FIELDS,
    Draft,
    fits,
    load,
    parse_typed,
    unknown_fields,
)

SOURCE = """\
template: t
version: 3
stage: final_qc
name: T
future_header: kept
sections:
  - title: A
    items:
      - id: weight
        kind: measurement
        prompt: Weight
        unit: g
        nominal: {from: spec.weight_g}
        lower: 1
        upper: 2
      - id: huid
        kind: text
        prompt: HUID
        engraving_font: Gothic
  - title: B
    items:
      - id: ok
        kind: pass_fail
        prompt: OK
"""


def _spec(name: str):  # type: ignore[no-untyped-def]
    return next(s for s in ITEM_FIELDS if s.name == name)


def test_fields_the_editor_does_not_know_survive_every_edit() -> None:
    draft = Draft.from_yaml(SOURCE)
    draft.set_field(0, 1, ("prompt",), "HUID as engraved")
    draft.set_field(0, 0, ("upper",), 2.5)
    draft.move_item(0, 1, -1)
    draft.add_item(1, "choice")
    draft.set_kind(1, 0, "photo")
    out = load(draft.to_yaml())
    huid, weight = out["sections"][0]["items"]
    assert huid["engraving_font"] == "Gothic" and huid["prompt"] == "HUID as engraved"
    assert weight["nominal"] == {"from": "spec.weight_g"} and weight["upper"] == 2.5
    assert out["future_header"] == "kept"
    assert unknown_fields(huid) == {"engraving_font": "Gothic"}
    # A nominal that is not a number is shown, not offered for typing over.
    assert not fits(_spec("nominal"), weight["nominal"]) and fits(_spec("upper"), 2.5)


def test_changing_kind_drops_only_the_old_kinds_own_fields() -> None:
    draft = Draft.from_yaml(SOURCE)
    draft.set_kind(0, 0, "pass_fail")
    item = draft.item(0, 0)
    assert item == {"id": "weight", "kind": "pass_fail", "prompt": "Weight"}
    draft.set_kind(0, 1, "choice")
    assert draft.item(0, 1)["engraving_font"] == "Gothic"
    assert draft.item(0, 1)["options"] == ["yes", "no"]


def test_moving_crosses_sections_and_stops_at_the_ends() -> None:
    draft = Draft.from_yaml(SOURCE)
    assert draft.move_item(0, 1, +1) == (1, 0)
    assert [i["id"] for i in draft.items(1)] == ["huid", "ok"]
    assert draft.move_item(1, 1, +1) == (1, 1)  # last of the last section: stays
    assert draft.move_item(0, 0, -1) == (0, 0)
    assert draft.move_section(1, -1) == 0 and draft.sections[0]["title"] == "B"


def test_clearing_a_nested_field_removes_the_mapping_it_empties() -> None:
    draft = Draft.from_yaml(SOURCE)
    draft.set_field(1, 0, ("positions", "label"), "Prong")
    draft.set_field(1, 0, ("positions", "default"), 4)
    assert draft.item(1, 0)["positions"] == {"label": "Prong", "default": 4}
    draft.set_field(1, 0, ("positions", "label"), None)
    draft.set_field(1, 0, ("positions", "default"), None)
    assert "positions" not in draft.item(1, 0)


def test_typed_text_becomes_a_number_a_list_or_stays_for_the_validator() -> None:
    assert parse_typed(_spec("upper"), " 2.50 ") == 2.5
    assert parse_typed(_spec("readings"), "3") == 3
    assert parse_typed(_spec("upper"), "2,5") == "2,5"  # the validator says what is wrong
    assert parse_typed(_spec("upper"), "") is None
    assert parse_typed(_spec("options"), "gold, silver,,") == ["gold", "silver"]


def test_new_items_get_ids_no_other_item_has() -> None:
    draft = Draft.from_yaml(SOURCE)
    first = draft.add_item(0, "measurement")
    second = draft.add_item(0, "measurement")
    assert draft.item(*first)["id"] == "new-measurement-1"
    assert draft.item(*second)["id"] == "new-measurement-2"


def test_diff_names_moved_changed_added_and_removed_items() -> None:
    old = load(SOURCE)
    draft = Draft(old)
    draft.move_item(0, 1, -1)  # huid above weight
    draft.set_field(0, 1, ("upper",), 3)
    draft.delete_item(1, 0)
    draft.add_item(1, "text")
    draft.set_top("name", "T2")
    found = diff(old, draft.data)
    changes = {c.item_id: c for c in found.items}
    assert [(f.field, f.old, f.new) for f in found.header] == [("name", "T", "T2")]
    assert {k: c.change for k, c in changes.items()} == {
        "huid": "moved",
        "weight": "changed",
        "new-text-1": "added",
        "ok": "removed",
    }
    assert [(f.field, f.old, f.new) for f in changes["weight"].fields] == [("upper", 2, 3)]
    assert "  upper: 2 -> 3" in found.lines()


def test_every_shipped_template_reads_back_as_itself() -> None:
    for path in sorted(content.templates_dir().glob("*.yaml")):
        data = load(path.read_text())
        assert load(Draft(data).to_yaml()) == data, path.name
