"""What changed between two versions of a checklist: items added, removed, moved and changed,
field by field. Works on the templates' mappings, so a field this code has never heard of is
compared like any other. Plain Python."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Change = Literal["added", "removed", "changed", "moved"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChange:
    item_id: str
    change: Change
    fields: tuple[FieldChange, ...] = ()
    section: str = ""  # the section it is in (in the newer version, or the older if removed)


@dataclass(frozen=True)
class TemplateDiff:
    old_version: int
    new_version: int
    header: tuple[FieldChange, ...]
    sections: tuple[FieldChange, ...]
    items: tuple[ItemChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.header or self.sections or self.items)

    def lines(self) -> list[str]:
        """The diff as text, one change a line (the command line's and a log's view)."""
        out = [f"{c.field}: {_text(c.old)} -> {_text(c.new)}" for c in self.header]
        out += [f"{c.field}: {_text(c.old)} -> {_text(c.new)}" for c in self.sections]
        for item in self.items:
            out.append(f"{item.change} {item.item_id}")
            out += [f"  {c.field}: {_text(c.old)} -> {_text(c.new)}" for c in item.fields]
        return out


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _said(value: Any) -> bool:
    """Whether a field of an added or removed item says anything (not empty, not unset)."""
    return value not in (None, "", [], {})


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted fields: {"on_fail": {"require": [..]}} -> on_fail.require."""
    out: dict[str, Any] = {}
    for key, child in value.items():
        name = f"{prefix}{key}"
        if isinstance(child, Mapping) and child:
            out.update(flatten(child, name + "."))
        else:
            out[name] = list(child) if isinstance(child, tuple) else child
    return out


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    a, b = flatten(old), flatten(new)
    names = list(a) + [n for n in b if n not in a]
    return tuple(FieldChange(n, a.get(n), b.get(n)) for n in names if a.get(n) != b.get(n))


def _items(content: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (str(section.get("title", "")), dict(item))
        for section in content.get("sections") or []
        for item in section.get("items") or []
    ]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> TemplateDiff:
    """Compare two templates' mappings (stored content or a file's data). Items are matched
    by id; one that changed its place among the items both have is "moved"."""
    skip = {"sections", "version"}
    header = _field_changes(
        {k: v for k, v in old.items() if k not in skip},
        {k: v for k, v in new.items() if k not in skip},
    )
    old_titles = [str(s.get("title", "")) for s in old.get("sections") or []]
    new_titles = [str(s.get("title", "")) for s in new.get("sections") or []]
    sections = (
        (FieldChange("sections", old_titles, new_titles),) if old_titles != new_titles else ()
    )
    a, b = _items(old), _items(new)
    a_by_id = {str(item.get("id")): (title, item) for title, item in a}
    b_by_id = {str(item.get("id")): (title, item) for title, item in b}
    common_a = [i for i in a_by_id if i in b_by_id]
    common_b = [i for i in b_by_id if i in a_by_id]
    kept: set[str] = set()
    for block in difflib.SequenceMatcher(
        a=common_a, b=common_b, autojunk=False
    ).get_matching_blocks():
        kept.update(common_a[block.a : block.a + block.size])
    changes: list[ItemChange] = []
    for item_id, (title, item) in b_by_id.items():
        if item_id not in a_by_id:
            added = tuple(FieldChange(n, None, v) for n, v in flatten(item).items() if _said(v))
            changes.append(ItemChange(item_id, "added", added, title))
            continue
        old_title, old_item = a_by_id[item_id]
        fields = _field_changes(old_item, item)
        if old_title != title:
            fields = (FieldChange("section", old_title, title), *fields)
        if item_id not in kept:
            changes.append(ItemChange(item_id, "moved", fields, title))
        elif fields:
            changes.append(ItemChange(item_id, "changed", fields, title))
    for item_id, (title, item) in a_by_id.items():
        if item_id not in b_by_id:
            gone = tuple(FieldChange(n, v, None) for n, v in flatten(item).items() if _said(v))
            changes.append(ItemChange(item_id, "removed", gone, title))
    return TemplateDiff(
        int(old.get("version") or 0), int(new.get("version") or 0), header, sections, tuple(changes)
    )
