"""SKU specifications: import from an ERP export (CSV or JSON), look up, show.

Import is all or nothing: every row is read and checked first, and one bad row (named by
its line and field) means nothing is written. A specification is never changed in place:
an import whose content differs from the SKU's newest revision adds the next revision,
so an inspection that froze revision 3 keeps meaning what revision 3 said. Importing the
same content again adds nothing. QA engineers and supervisors import (the permission that
manages checklists); every revision is an audited row.

A specification for a SKU and one job ticket (the ``job_ticket`` column) is used for that
job only, before the SKU's own.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain import ring_sizes
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.specs import Frozen, Specification, freeze
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.users import Permission, User
from qcstation.domain.yaml_files import ContentError, Problem
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound
from qcstation.store.models import SkuSpecRow, UserRow

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 200_000
MAX_PROBLEMS = 100
FIELDS = tuple(Specification.model_fields)
# Also accepted: a ring size as the ERP writes it ("54.4", "US 7", "UK N½"), stored in mm.
RING_SIZE_COLUMN = "ring_size"


@dataclass(frozen=True)
class SpecRevision:
    sku: str
    job_ticket: str
    revision: int
    spec: Specification
    imported_at: datetime
    imported_by: str
    source: str


@dataclass(frozen=True)
class SpecImport:
    added: list[tuple[str, str, int]]  # (sku, job ticket, new revision)
    unchanged: list[tuple[str, str, int]]


# -- reading a file -----------------------------------------------------------------------


def read_file(path: Path) -> list[tuple[int, Specification]]:
    """Every row of the file as a specification with its line; one ContentError naming
    every bad row's line and field otherwise."""
    name = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ContentError(
                [Problem(name, None, "", f"larger than {MAX_FILE_BYTES:,} bytes: not an export")]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError([Problem(name, None, "", f"cannot be read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError([Problem(name, line, "", "not UTF-8 text")]) from None
    if path.suffix.lower() == ".json":
        records = list(_json_records(text, name))
    elif path.suffix.lower() == ".csv":
        records = list(_csv_records(text, name))
    else:
        raise ContentError(
            [Problem(name, None, "", "give a .csv or .json file (an ERP export of specifications)")]
        )
    problems: list[Problem] = []
    out: list[tuple[int, Specification]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, record in records:
        spec = _validate(record, name, line, problems)
        if spec is None:
            continue
        key = (spec.sku, spec.job_ticket)
        if key in seen:
            problems.append(
                Problem(name, line, "sku", f"{_whose(*key)} is also on line {seen[key]}")
            )
        seen[key] = line
        out.append((line, spec))
        if len(problems) >= MAX_PROBLEMS:
            break
    if not out and not problems:
        problems.append(Problem(name, None, "", "holds no specification"))
    if problems:
        raise ContentError(problems[:MAX_PROBLEMS])
    return out


def _whose(sku: str, job_ticket: str) -> str:
    return f"SKU {sku}" + (f" job {job_ticket}" if job_ticket else "")


def _csv_records(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError([Problem(name, None, "", "is empty")]) from None
    except csv.Error as exc:
        raise ContentError([Problem(name, 1, "", f"not CSV: {exc}")]) from None
    columns = [h.strip() for h in header]
    unknown = [c for c in columns if c not in FIELDS and c != RING_SIZE_COLUMN]
    problems = [
        Problem(name, 1, c or "(empty)", f"unknown column; columns are {', '.join(FIELDS)}")
        for c in unknown
    ]
    for c in sorted({c for c in columns if columns.count(c) > 1}):
        problems.append(Problem(name, 1, c, "column appears twice"))
    if "sku" not in columns:
        problems.append(Problem(name, 1, "sku", "no sku column"))
    if problems:
        raise ContentError(problems)
    count = 0
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            count += 1
            if count > MAX_ROWS:
                raise ContentError([Problem(name, line, "", f"more than {MAX_ROWS:,} rows")])
            if len(row) != len(columns):
                yield line, {"__cells__": f"{len(row)} cells where the header has {len(columns)}"}
                continue
            yield line, {c: _cell(v) for c, v in zip(columns, row, strict=True) if v.strip()}
    except csv.Error as exc:
        raise ContentError([Problem(name, reader.line_num, "", f"not CSV: {exc}")]) from None


_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _cell(value: str) -> str:
    value = value.strip()
    # An export from a comma locale writes 5,20 (quoted): the same number as 5.20.
    return value.replace(",", ".") if _DECIMAL_COMMA.match(value) else value


def _json_records(text: str, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """A JSON array of objects (or {"specifications": [...]}), each with its line."""
    decoder = json.JSONDecoder()
    pos = _skip(text, 0)
    if text.startswith("{", pos):
        try:
            whole = json.loads(text)
        except ValueError as exc:
            raise ContentError([Problem(name, _line(text, pos), "", f"not JSON: {exc}")]) from None
        items = whole.get("specifications") if isinstance(whole, dict) else None
        if not isinstance(items, list):
            raise ContentError(
                [Problem(name, 1, "specifications", "give a list of specifications")]
            )
        pos = text.index("[", text.index('"specifications"'))
    elif not text.startswith("[", pos):
        raise ContentError([Problem(name, _line(text, pos), "", "give a JSON list of objects")])
    pos = _skip(text, pos + 1)
    count = 0
    while pos < len(text) and text[pos] != "]":
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            raise ContentError([Problem(name, _line(text, pos), "", f"not JSON: {exc}")]) from None
        count += 1
        if count > MAX_ROWS:
            raise ContentError([Problem(name, _line(text, pos), "", f"more than {MAX_ROWS:,}")])
        line = _line(text, pos)
        if not isinstance(value, dict):
            yield line, {"__cells__": "each specification is an object"}
        else:
            yield line, {str(k): v for k, v in value.items() if v not in (None, "")}
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _validate(
    record: dict[str, Any], name: str, line: int, problems: list[Problem]
) -> Specification | None:
    if "__cells__" in record:
        problems.append(Problem(name, line, "", str(record["__cells__"])))
        return None
    data = dict(record)
    if RING_SIZE_COLUMN in data:
        given = data.pop(RING_SIZE_COLUMN)
        if "ring_size_mm" in data:
            problems.append(
                Problem(name, line, RING_SIZE_COLUMN, "give ring_size or ring_size_mm, not both")
            )
            return None
        try:
            data["ring_size_mm"] = ring_sizes.parse_size(str(given))
        except ValueError as exc:
            problems.append(Problem(name, line, RING_SIZE_COLUMN, str(exc)))
            return None
    try:
        return Specification.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or _model_field(err)
            message = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = f"unknown field; fields are {', '.join(FIELDS)}"
            problems.append(Problem(name, line, field, message))
        return None


def _model_field(err: Any) -> str:
    """The field a whole-row check is about, from the message's first word."""
    first = str(err["msg"]).removeprefix("Value error, ").split(" ")[0].rstrip(":")
    return first if first in FIELDS else ""


# -- storing and looking up --------------------------------------------------------------


def _digest(spec: Specification) -> str:
    return sha256_hex(canonical_json(spec.model_dump(mode="json")))


def _newest(session: Session, sku: str, job_ticket: str) -> SkuSpecRow | None:
    return session.scalars(
        select(SkuSpecRow)
        .where(SkuSpecRow.sku == sku, SkuSpecRow.job_ticket == job_ticket)
        .order_by(SkuSpecRow.revision.desc())
        .limit(1)
    ).first()


def import_file(station: Station, actor: User, path: Path) -> SpecImport:
    """Validate every row of an ERP export, then add a revision for each that changed."""
    rows = read_file(path)
    return import_specs(station, actor, [spec for _line, spec in rows], path.name)


def import_specs(
    station: Station, actor: User, given: Sequence[Specification], source: str
) -> SpecImport:
    """Add a revision for each specification whose content differs from its newest one."""
    result = SpecImport([], [])
    with station.db.write(actor, station.name, reason=f"specification import {source}") as s:
        require(s, actor, Permission.MANAGE_TEMPLATES)
        for spec in given:
            newest = _newest(s, spec.sku, spec.job_ticket)
            digest = _digest(spec)
            if newest is not None and newest.sha256 == digest:
                result.unchanged.append((spec.sku, spec.job_ticket, newest.revision))
                continue
            revision = (newest.revision if newest is not None else 0) + 1
            s.add(
                SkuSpecRow(
                    sku=spec.sku,
                    job_ticket=spec.job_ticket,
                    revision=revision,
                    content=spec.model_dump(mode="json"),
                    sha256=digest,
                    source=source,
                    imported_at=station.now(),
                    imported_by_id=actor.id,
                )
            )
            s.flush()  # a second row of the same SKU in one import sees this revision
            result.added.append((spec.sku, spec.job_ticket, revision))
    return result


def spec_in_force(
    session: Session, sku: str, job_ticket: str = ""
) -> tuple[Specification, int] | None:
    """The specification an inspection of this job and SKU uses: the job's own, else the
    SKU's newest revision; None when there is none."""
    row = (_newest(session, sku, job_ticket) if job_ticket else None) or _newest(session, sku, "")
    if row is None:
        return None
    return Specification.model_validate(row.content), row.revision


def frozen_for(
    session: Session, template: ChecklistTemplate, sku: str, job_ticket: str
) -> Frozen | None:
    """The values an inspection starting now keeps; None when its checklist takes none."""
    refs = template.spec_refs()
    if not refs:
        return None
    found = spec_in_force(session, sku, job_ticket)
    spec, revision = found if found is not None else (None, None)
    return freeze(refs, sku, spec, revision)


def revisions(station: Station, sku: str) -> list[SpecRevision]:
    """Every revision of a SKU's specifications (its own and its jobs'), newest first."""
    sku = sku.strip()
    with station.db.read() as s:
        rows = s.execute(
            select(SkuSpecRow, UserRow.username)
            .join(UserRow, UserRow.id == SkuSpecRow.imported_by_id)
            .where(SkuSpecRow.sku == sku)
            .order_by(SkuSpecRow.job_ticket, SkuSpecRow.revision.desc())
        ).all()
        return [
            SpecRevision(
                r.sku,
                r.job_ticket,
                r.revision,
                Specification.model_validate(r.content),
                r.imported_at,
                username,
                r.source,
            )
            for r, username in rows
        ]


def show(station: Station, sku: str) -> list[SpecRevision]:
    """The revisions in force for a SKU (its own, then each job's), or NotFound."""
    found = revisions(station, sku)
    if not found:
        raise NotFound(
            f"no specification for SKU {sku.strip()!r}: "
            "import one with `qcstation spec import FILE`"
        )
    newest: dict[str, SpecRevision] = {}
    for r in found:
        newest.setdefault(r.job_ticket, r)
    return list(newest.values())


def check_startable(template: ChecklistTemplate, frozen: Frozen | None) -> None:
    """Refuse, before anything is written, an inspection whose checklist could never be
    completed: a required item that cannot be N/A takes a value the specification lacks."""
    if frozen is None or not frozen.missing:
        return
    blocking = []
    for item in template.items():
        lacking = frozen.missing.get(item.id)
        if lacking and item.required and not item.allow_na:
            blocking.append(f"“{item.prompt}” ({', '.join(f'spec.{f}' for f in lacking)})")
    if not blocking:
        return
    what = (
        f"SKU {frozen.sku} has no specification"
        if frozen.revision is None
        else f"SKU {frozen.sku} spec, rev {frozen.revision} lacks what it needs"
    )
    raise InvalidInput(
        f"{what} for the {template.name} checklist: {'; '.join(blocking)} take their limits "
        "from it. A supervisor imports the specification (`qcstation spec import FILE`), "
        "then start the inspection again"
    )


def upgrade_notes(station: Station) -> list[str]:
    return [note for _key, note in _upgrade_notes(station)]


def upgrade_note_templates(station: Station) -> list[str]:
    """The templates `upgrade_notes` speaks of (a note each is enough)."""
    return [key for key, _note in _upgrade_notes(station)]


def _upgrade_notes(station: Station) -> list[tuple[str, str]]:
    """What `db upgrade` says of shipped checklists whose newer version takes limits from
    SKU specifications while an older version is active: a plant imports specifications,
    then the checklist, when it is ready to judge by them."""
    from qcstation import content
    from qcstation.domain.yaml_files import load_template
    from qcstation.store.models import TemplateRow

    with station.db.read() as s:
        active = {
            r.template_key: r.version
            for r in s.scalars(select(TemplateRow).where(TemplateRow.active))
            if not _takes_spec(r.content)
        }
    out = []
    for path in content.shipped_templates():
        try:
            shipped = load_template(path)
        except (ContentError, OSError):
            continue
        running = active.get(shipped.template)
        if running is None or running >= shipped.version or not shipped.spec_refs():
            continue
        items = ", ".join(f"“{shipped.item(i).prompt}”" for i in shipped.spec_refs())
        out.append(
            (
                shipped.template,
                f"the active {shipped.name} checklist is version {running}; version "
                f"{shipped.version} judges {items} against each SKU's specification: import the "
                f"specifications (`qcstation spec import FILE`), then the checklist "
                f"(`qcstation template import {path}`)",
            )
        )
    return out


def _takes_spec(content: dict[str, Any]) -> bool:
    return any(
        item.get("spec_refs")
        for section in content.get("sections", [])
        for item in section.get("items", [])
    )
