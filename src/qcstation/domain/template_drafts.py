"""A checklist template being edited: the YAML mapping itself, changed field by field.

The editor works on the plain data a template file holds (dicts, lists, numbers, text), not
on the validated model: a field the editor has no control for (one a later version of the
schema adds, or a value of a shape the editor does not edit, such as a nominal taken from
the SKU's specification) is carried through every edit unchanged, and the result is checked
by the one validator every template file goes through (services/templates.validate_text).

What the editor offers per item is the table ITEM_FIELDS: adding an editable field is one
line there. Plain Python: no Qt, no database.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import yaml

from qcstation.domain.defects import Severity
from qcstation.domain.templates import ITEM_KINDS, ClaimName, FollowUp

FieldType = Literal["text", "int", "number", "bool", "choice", "list", "flags"]


@dataclass(frozen=True)
class FieldSpec:
    """One field the editor offers on an item: where it lives in the item's mapping, what it
    is called, how it is typed, and which item kinds have it (None: every kind)."""

    path: tuple[str, ...]
    label: str
    type: FieldType
    kinds: tuple[str, ...] | None = None
    choices: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return ".".join(self.path)

    def applies_to(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


CLAIMS: tuple[str, ...] = get_args(ClaimName)
FOLLOW_UPS = tuple(f.value for f in FollowUp)
ITEM_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(("id",), "Id", "text"),
    FieldSpec(("prompt",), "Prompt", "text"),
    FieldSpec(("instructions",), "Instructions", "text"),
    FieldSpec(("severity",), "Severity", "choice", choices=tuple(s.value for s in Severity)),
    FieldSpec(("required",), "Required", "bool"),
    FieldSpec(("allow_na",), "Allow not applicable", "bool"),
    FieldSpec(("photo_required",), "Photo required", "bool"),
    FieldSpec(("unit",), "Unit", "text", ("measurement",)),
    FieldSpec(("nominal",), "Nominal", "number", ("measurement",)),
    FieldSpec(("lower",), "Lower limit", "number", ("measurement",)),
    FieldSpec(("upper",), "Upper limit", "number", ("measurement",)),
    FieldSpec(("readings",), "Readings", "int", ("measurement",)),
    FieldSpec(("decimals",), "Decimals", "int", ("measurement",)),
    FieldSpec(("options",), "Options", "list", ("choice",)),
    FieldSpec(("acceptable",), "Acceptable", "list", ("choice",)),
    FieldSpec(("max_length",), "Longest answer", "int", ("text",)),
    FieldSpec(("pattern",), "Pattern (regular expression)", "text", ("text",)),
    FieldSpec(("pattern_message",), "Pattern: what it means", "text", ("text",)),
    FieldSpec(("example",), "Pattern: an example", "text", ("text",)),
    FieldSpec(("claim",), "Certificate claim", "choice", ("measurement", "choice", "text"), CLAIMS),
    FieldSpec(("reference_image",), "Reference image", "text"),
    FieldSpec(("positions", "label"), "Positions: called", "text"),
    FieldSpec(("positions", "default"), "Positions: default", "int"),
    FieldSpec(("positions", "min"), "Positions: fewest", "int"),
    FieldSpec(("positions", "max"), "Positions: most", "int"),
    FieldSpec(("on_fail", "require"), "On fail: require", "flags", choices=FOLLOW_UPS),
    FieldSpec(("on_fail", "defects"), "On fail: defect codes", "list"),
)

# What a new item of each kind starts with: enough to be valid but for its id and prompt.
NEW_ITEM: Mapping[str, Mapping[str, Any]] = {
    "pass_fail": {},
    "measurement": {"unit": "mm", "lower": 0.0, "upper": 1.0},
    "choice": {"options": ["yes", "no"], "acceptable": ["yes"]},
    "text": {},
    "photo": {"on_fail": {"require": ["photo"]}},
}
assert set(NEW_ITEM) == set(ITEM_KINDS)


class DraftError(ValueError):
    """An edit the draft cannot take (a position that is not there); a bug, not user input."""


def load(source: str) -> dict[str, Any]:
    """The mapping a template's YAML text holds (text that was validated before)."""
    data = yaml.safe_load(source)
    if not isinstance(data, dict):
        raise DraftError("a template is a mapping of fields")
    return data


def dump(data: Mapping[str, Any]) -> str:
    """YAML text of a draft, fields in the order they are in (the file's own order)."""
    return yaml.safe_dump(
        dict(data), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


class Draft:
    """A template's mapping and the edits a supervisor makes to it. Sections and items are
    addressed by index: (section, item)."""

    def __init__(self, data: Mapping[str, Any]):
        self.data: dict[str, Any] = copy.deepcopy(dict(data))
        sections = self.data.setdefault("sections", [])
        if not isinstance(sections, list):
            raise DraftError("sections is not a list")

    @classmethod
    def from_yaml(cls, source: str) -> Draft:
        return cls(load(source))

    def to_yaml(self) -> str:
        return dump(self.data)

    # --- reading ---------------------------------------------------------------------

    @property
    def sections(self) -> list[dict[str, Any]]:
        return self.data["sections"]  # type: ignore[no-any-return]

    def items(self, section: int) -> list[dict[str, Any]]:
        return self.sections[section].setdefault("items", [])  # type: ignore[no-any-return]

    def item(self, section: int, index: int) -> dict[str, Any]:
        try:
            return self.items(section)[index]
        except IndexError:
            raise DraftError(f"no item {index} in section {section}") from None

    def walk(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        for s, section in enumerate(self.sections):
            for i, item in enumerate(section.get("items") or []):
                yield s, i, item

    def ids(self) -> set[str]:
        return {str(item.get("id")) for _s, _i, item in self.walk()}

    # --- sections --------------------------------------------------------------------

    def add_section(self, title: str, at: int | None = None) -> int:
        at = len(self.sections) if at is None else at
        self.sections.insert(at, {"title": title, "items": []})
        return at

    def delete_section(self, section: int) -> None:
        del self.sections[section]

    def move_section(self, section: int, by: int) -> int:
        to = section + by
        if not 0 <= to < len(self.sections):
            return section
        self.sections.insert(to, self.sections.pop(section))
        return to

    # --- items -----------------------------------------------------------------------

    def new_id(self, kind: str) -> str:
        taken, n = self.ids(), 1
        while f"new-{kind.replace('_', '-')}-{n}" in taken:
            n += 1
        return f"new-{kind.replace('_', '-')}-{n}"

    def add_item(self, section: int, kind: str, at: int | None = None) -> tuple[int, int]:
        if kind not in ITEM_KINDS:
            raise DraftError(f"unknown item kind {kind!r}")
        items = self.items(section)
        at = len(items) if at is None else at
        item = {"id": self.new_id(kind), "kind": kind, "prompt": "New check"}
        item.update(copy.deepcopy(dict(NEW_ITEM[kind])))
        items.insert(at, item)
        return section, at

    def delete_item(self, section: int, index: int) -> None:
        self.item(section, index)
        del self.items(section)[index]

    def move_item(self, section: int, index: int, by: int) -> tuple[int, int]:
        """One step up (by=-1) or down (+1); past the end of a section into the next one."""
        items = self.items(section)
        to = index + by
        if 0 <= to < len(items):
            items.insert(to, items.pop(index))
            return section, to
        target = section + (1 if by > 0 else -1)
        if not 0 <= target < len(self.sections):
            return section, index
        moved = items.pop(index)
        others = self.items(target)
        at = 0 if by > 0 else len(others)
        others.insert(at, moved)
        return target, at

    # --- fields ----------------------------------------------------------------------

    def set_kind(self, section: int, index: int, kind: str) -> None:
        """Change an item's kind: the fields only the old kind has go, the new kind's
        starting fields come; every other field, known to the editor or not, stays."""
        item = self.item(section, index)
        old = str(item.get("kind"))
        if old == kind:
            return
        for spec in ITEM_FIELDS:
            if spec.kinds is not None and old in spec.kinds and kind not in spec.kinds:
                _remove(item, spec.path)
        item["kind"] = kind
        for name, value in NEW_ITEM.get(kind, {}).items():
            item.setdefault(name, copy.deepcopy(value))

    def set_field(self, section: int, index: int, path: tuple[str, ...], value: Any) -> None:
        """Set a field; None removes it (and a mapping it leaves empty, such as positions)."""
        item = self.item(section, index)
        if value is None:
            _remove(item, path)
            return
        node = item
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[path[-1]] = value

    def set_section_title(self, section: int, title: str) -> None:
        self.sections[section]["title"] = title

    def set_top(self, name: str, value: Any) -> None:
        if value is None:
            self.data.pop(name, None)
        else:
            self.data[name] = value


def get(item: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = item
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _remove(item: dict[str, Any], path: tuple[str, ...]) -> None:
    parents: list[dict[str, Any]] = [item]
    node: Any = item
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
        parents.append(node)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):  # drop the mappings the removal emptied
        if not parents[depth]:
            parents[depth - 1].pop(path[depth - 1], None)


def unknown_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's fields the editor has no control for: kept as they are through every edit."""
    kind = str(item.get("kind"))
    known = {spec.path[0] for spec in ITEM_FIELDS if spec.applies_to(kind)} | {"kind"}
    return {k: v for k, v in item.items() if k not in known}


def fits(spec: FieldSpec, value: Any) -> bool:
    """Whether a stored value is of the shape the editor's control edits (a nominal taken
    from a specification, {from: spec.weight_g}, is not a number: it is shown, not edited)."""
    if value is None:
        return True
    if spec.type in ("text", "choice"):
        return isinstance(value, str)
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def parse_typed(spec: FieldSpec, text: str) -> Any:
    """What typed text stores: None (the field removed) when empty; a number when it reads
    as one; otherwise the text itself, for the validator to name what is wrong with it."""
    text = text.strip()
    if spec.type == "list":
        return [part.strip() for part in text.split(",") if part.strip()] or None
    if not text:
        return None
    if spec.type in ("int", "number"):
        try:
            return int(text)
        except ValueError:
            pass
        if spec.type == "number":
            try:
                return float(text)
            except ValueError:
                pass
    return text


def shown(value: Any) -> str:
    """A stored value as the editor's text field shows it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, tuple)):
        return yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()
    return str(value)
