"""Reading checklist templates and the defect catalog from YAML, with errors a person can fix.

Every problem names the file, the line and the field. YAML is read with the safe
loader (no tags, no objects), and duplicate keys are refused instead of silently
keeping the last one, which PyYAML would otherwise do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from qcstation.domain.defects import DefectCatalog
from qcstation.domain.templates import ITEM_KINDS, ChecklistTemplate

M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 2_000_000
MAX_DEPTH = 64  # a checklist nests about 6 deep
MAX_PROBLEMS = 100  # enough to fix a file by; a hostile one is not listed to the end


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ContentError(ValueError):
    """A template or catalog file that cannot be used; holds every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """Walk the composed YAML tree along a pydantic error location to find its line."""
    best = node
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        else:
            child = None  # pydantic adds union tags ("pass_fail") that are not in the file
            continue
        if child is None:
            break
        node = best = child
    return best.start_mark.line + 1 if best is not None else None


def _refuse_duplicate_keys(node: yaml.Node, name: str, problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    Problem(name, key.start_mark.line + 1, str(key.value), "key appears twice")
                )
            seen.add(key.value)
            _refuse_duplicate_keys(value, name, problems)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            _refuse_duplicate_keys(child, name, problems)


def _refuse_tags_and_aliases(text: str, name: str, problems: list[Problem]) -> None:
    """Refuse every explicit tag, even the safe loader's own (!!binary, !!set, !!str...):
    a checklist never needs one, and a tag can turn text into bytes or a set unseen.
    Refuse anchors and aliases too: a few hundred bytes of nested aliases ("billion laughs")
    expand to billions of values. And refuse nesting deeper than MAX_DEPTH, which no
    checklist needs and which would exhaust the stack of the recursive steps after this one.
    Reads the event stream only: no tree is built."""
    aliases: set[str] = set()
    depth = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        line = ev.start_mark.line + 1 if ev.start_mark is not None else None
        anchor = getattr(ev, "anchor", None)
        if isinstance(ev, yaml.AliasEvent):
            if anchor in aliases:
                continue  # each alias said once, where it is first used
            aliases.add(str(anchor))
            problems.append(
                Problem(name, line, "", f"YAML aliases are not allowed here (*{anchor})")
            )
        elif anchor is not None:
            problems.append(
                Problem(name, line, "", f"YAML anchors are not allowed here (&{anchor})")
            )
        tag = getattr(ev, "tag", None)
        if tag is not None and tag != "!":  # "!" is the non-specific tag of a quoted scalar
            problems.append(Problem(name, line, "", f"YAML tags are not allowed here ({tag})"))
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                problems.append(
                    Problem(name, line, "", f"nested more than {MAX_DEPTH} levels deep")
                )
                return
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
        if len(problems) >= MAX_PROBLEMS:
            return


def structure_problems(text: str, name: str) -> list[Problem]:
    """What no file of ours needs and a hostile one uses: tags, anchors and aliases, deep
    nesting (read from the event stream; a YAML syntax error raises yaml.YAMLError)."""
    problems: list[Problem] = []
    _refuse_tags_and_aliases(text, name, problems)
    return problems


def parse(text: str, model: type[M], name: str) -> M:
    """Validate YAML text against a pydantic model; raise ContentError naming file and line."""
    problems: list[Problem] = []
    try:
        # The event stream first: tags, aliases and deep nesting are refused before any tree is
        # built, so a hostile file costs one pass over its text and nothing more.
        _refuse_tags_and_aliases(text, name, problems)
        if problems:
            raise ContentError(problems)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError([Problem(name, line, "", f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict) or node is None:
        raise ContentError([Problem(name, 1, "", "expected a mapping of fields at the top")])
    _refuse_duplicate_keys(node, name, problems)
    if problems:
        raise ContentError(problems)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        locs = [_location(err) for err in errors]
        for err, loc in zip(errors, locs, strict=True):
            if err["type"] == "too_short" and any(
                other[: len(loc)] == loc and len(other) > len(loc) for other in locs
            ):
                continue  # a list emptied only because its members failed: say why they did
            problems.append(Problem(name, _line_of(node, loc), _field_path(loc), _message(err)))
        raise ContentError(problems) from None


def _location(err: Any) -> tuple[int | str, ...]:
    loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
    # A wrong or missing kind is the `kind` field's fault, not the whole item's.
    return (*loc, "kind") if err["type"].startswith("union_tag") else loc


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return f"unknown item kind {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"field 'kind' is missing; expected one of {', '.join(ITEM_KINDS)}"
    return str(err["msg"]).removeprefix("Value error, ")


def _is_union_tag(part: int | str) -> bool:
    return part in ITEM_KINDS


def read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContentError([Problem(str(path), None, "", "file is larger than 2 MB")])
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([Problem(str(path), None, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ContentError(
            [Problem(str(path), None, "", f"not UTF-8 text ({exc.reason})")]
        ) from None
    except OSError as exc:
        raise ContentError([Problem(str(path), None, "", exc.strerror or str(exc))]) from None


def load_template(path: Path) -> ChecklistTemplate:
    return parse(read_text(path), ChecklistTemplate, str(path))


def load_catalog(path: Path) -> DefectCatalog:
    return parse(read_text(path), DefectCatalog, str(path))


def check_against_catalog(
    template: ChecklistTemplate, catalog: DefectCatalog, name: str, text: str | None = None
) -> None:
    """Every defect code a template names must exist in the catalog."""
    known = catalog.codes()
    node = yaml.compose(text, Loader=yaml.SafeLoader) if text else None
    problems = []
    for s_index, section in enumerate(template.sections):
        for i_index, item in enumerate(section.items):
            for c_index, code in enumerate(item.on_fail.defects):
                if code not in known:
                    loc: list[int | str] = [
                        "sections",
                        s_index,
                        "items",
                        i_index,
                        "on_fail",
                        "defects",
                        c_index,
                    ]
                    problems.append(
                        Problem(
                            name,
                            _line_of(node, loc),
                            _field_path(loc),
                            f"unknown defect code {code!r} (not in catalog {catalog.catalog!r})",
                        )
                    )
    if problems:
        raise ContentError(problems)
