"""Checklist templates and the defect catalog: validate, import, list, activate.

Import is all or nothing: every file is validated (and checked against the catalog)
before anything is written. A version, once imported, never changes: importing other
content under the same version is refused with a request to raise the version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.domain.defects import CatalogEntry, DefectCatalog
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import TemplateInfo
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.users import Permission, User
from qcstation.domain.yaml_files import (
    ContentError,
    Problem,
    check_against_catalog,
    load_catalog,
    parse,
    read_text,
)
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, NotFound
from qcstation.store import repositories as repo
from qcstation.store.models import DefectCode, InspectionRow, TemplateRow


@dataclass(frozen=True)
class ParsedTemplate:
    path: Path
    source: str
    template: ChecklistTemplate

    @property
    def sha256(self) -> str:
        return content_sha256(self.template)


def content_sha256(template: ChecklistTemplate) -> str:
    """A template's fingerprint: the same for the same content, however the YAML is laid out."""
    return sha256_hex(canonical_json(template.model_dump(mode="json")))


@dataclass(frozen=True)
class ImportResult:
    imported: list[str]
    unchanged: list[str]
    activated: list[str]


def _catalog_from_db(session: Session) -> DefectCatalog | None:
    rows = session.scalars(select(DefectCode).where(DefectCode.active)).all()
    if not rows:
        return None
    return DefectCatalog.model_validate(
        {
            "catalog": "database",
            "version": max(r.catalog_version for r in rows),
            "defects": [
                {
                    "code": r.code,
                    "name": r.name,
                    "severity": r.severity,
                    "stages": r.stages,
                    "description": r.description,
                }
                for r in rows
            ],
        }
    )


def validate_text(
    source: str, name: str, catalog: DefectCatalog | None
) -> tuple[str, ChecklistTemplate]:
    """The one check of a template's YAML text, a file's or the editor's: the schema, then
    every defect code against the catalog. Raises ContentError naming line and field."""
    tpl = parse(source, ChecklistTemplate, name)
    if catalog is not None:
        check_against_catalog(tpl, catalog, name, source)
    return source, tpl


def validate_files(paths: Sequence[Path], catalog: DefectCatalog | None) -> list[ParsedTemplate]:
    """Parse and check every file; raise one ContentError listing every problem in all of them."""
    problems: list[Problem] = []
    parsed: list[ParsedTemplate] = []
    for path in paths:
        try:
            parsed.append(ParsedTemplate(path, *validate_text(read_text(path), str(path), catalog)))
        except ContentError as exc:
            problems.extend(exc.problems)
    keys: dict[str, Path] = {}
    for p in parsed:
        if p.template.key in keys:
            problems.append(
                Problem(
                    str(p.path), 1, "version", f"{p.template.key} is also in {keys[p.template.key]}"
                )
            )
        keys[p.template.key] = p.path
    if problems:
        raise ContentError(problems)
    return parsed


def catalog_in_use(station: Station) -> DefectCatalog | None:
    with station.db.read() as s:
        return _catalog_from_db(s)


def import_catalog(station: Station, actor: User, path: Path) -> int:
    """Add or update catalog codes; a code in use is never deleted, only its text updated."""
    catalog = load_catalog(path)
    with station.db.write(actor, station.name, reason=f"import {path.name}") as s:
        require(s, actor, Permission.MANAGE_TEMPLATES)
        for entry in catalog.defects:
            row = s.get(DefectCode, entry.code) or DefectCode(code=entry.code)
            row.name = entry.name
            row.severity = entry.severity.value
            row.stages = [st.value for st in entry.stages]
            row.description = entry.description
            row.catalog_version = catalog.version
            row.active = True
            s.add(row)
    return len(catalog.defects)


def import_files(
    station: Station, actor: User, paths: Sequence[Path], activate: bool = True
) -> ImportResult:
    catalog = catalog_in_use(station)
    if catalog is None:
        raise ContentError(
            [Problem(str(p), None, "", "no defect catalog imported yet") for p in paths[:1]]
        )
    parsed = validate_files(paths, catalog)
    result = ImportResult([], [], [])
    with station.db.write(actor, station.name, reason="template import") as s:
        require(s, actor, Permission.MANAGE_TEMPLATES)
        for p in parsed:
            t = p.template
            row = s.scalars(
                select(TemplateRow).where(
                    TemplateRow.template_key == t.template, TemplateRow.version == t.version
                )
            ).one_or_none()
            if row is not None:
                # The same content under a digest taken before a field was added to the
                # schema (an item's `pattern`) is the same template: compare as read now.
                if row.sha256 != p.sha256 and repo.template(row) != t:
                    raise Conflict(
                        f"{p.path}: {t.key} was imported before with different content; "
                        f"raise `version` to {_next_version(s, t.template)} to import this edit"
                    )
                result.unchanged.append(t.key)
            else:
                row = TemplateRow(
                    template_key=t.template,
                    version=t.version,
                    stage=t.stage.value,
                    name=t.name,
                    sha256=p.sha256,
                    content=t.model_dump(mode="json"),
                    source=p.source,
                    active=False,
                    imported_at=station.now(),
                    imported_by_id=actor.id,
                )
                s.add(row)
                s.flush()
                result.imported.append(t.key)
            if activate and not row.active:
                _activate(s, row)
                result.activated.append(t.key)
    return result


def _next_version(session: Session, key: str) -> int:
    top = session.scalar(
        select(func.max(TemplateRow.version)).where(TemplateRow.template_key == key)
    )
    return int(top or 0) + 1


def _activate(session: Session, row: TemplateRow) -> None:
    """One active version per stage: the one new inspections of that stage use."""
    # Row by row, not a bulk UPDATE: bulk statements bypass the audit hook.
    for other in session.scalars(
        select(TemplateRow).where(TemplateRow.stage == row.stage, TemplateRow.active)
    ):
        other.active = False
    row.active = True


def activate(station: Station, actor: User, key: str, version: int) -> TemplateInfo:
    with station.db.write(actor, station.name, reason=f"activate {key}@{version}") as s:
        require(s, actor, Permission.MANAGE_TEMPLATES)
        row = s.scalars(
            select(TemplateRow).where(
                TemplateRow.template_key == key, TemplateRow.version == version
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"no template {key} version {version}: see `qcstation template list`")
        _activate(s, row)
        return repo.template_info(row)


def list_templates(station: Station) -> list[TemplateInfo]:
    with station.db.read() as s:
        counts = dict(
            s.execute(
                select(InspectionRow.template_id, func.count()).group_by(InspectionRow.template_id)
            ).all()
        )
        rows = s.scalars(
            select(TemplateRow).order_by(
                TemplateRow.stage, TemplateRow.template_key, TemplateRow.version
            )
        )
        return [repo.template_info(r, counts.get(r.id, 0)) for r in rows]


def active_template(station: Station, stage: Stage) -> tuple[int, ChecklistTemplate]:
    with station.db.read() as s:
        row = s.scalars(
            select(TemplateRow).where(TemplateRow.stage == stage.value, TemplateRow.active)
        ).first()
        if row is None:
            raise NotFound(f"no active checklist for {stage.label}: import one first")
        return row.id, repo.template(row)


def newer_catalog_notes(station: Station) -> list[str]:
    """What `db upgrade` says when this qcstation ships a newer defect catalog than the
    station's: the newer checklists offer its codes, so it is imported first."""
    from qcstation import content

    try:
        shipped = load_catalog(content.defect_catalog())
    except (ContentError, OSError):
        return []
    with station.db.read() as s:
        have = s.scalar(select(func.max(DefectCode.catalog_version)))
        codes = set(s.scalars(select(DefectCode.code)))
    if have is None or have >= shipped.version:
        return []
    new = sorted(shipped.codes() - codes)
    return [
        f"the defect catalog is version {have}; this qcstation ships version {shipped.version}"
        + (
            f" with {len(new)} new codes ({', '.join(new[:6])}{'…' if len(new) > 6 else ''})"
            if new
            else ""
        )
        + ": import it first (`qcstation template import-catalog`), then the newer checklists"
    ]


def newer_shipped_notes(station: Station, skip: Sequence[str] = ()) -> list[str]:
    """What `db upgrade` says about checklists this qcstation ships in a newer version than
    the station runs: a shipped checklist reaches a station as a new version, imported by a
    QA engineer when the plant is ready (old inspections keep the version they used).
    Templates named in ``skip`` are left to a note of their own."""
    from qcstation import content
    from qcstation.domain.yaml_files import load_template

    with station.db.read() as s:
        active = {
            r.template_key: r.version
            for r in s.scalars(select(TemplateRow).where(TemplateRow.active))
        }
    out = []
    for path in content.shipped_templates():
        try:
            shipped = load_template(path)
        except (ContentError, OSError):
            continue
        running = active.get(shipped.template)
        if running is None or running >= shipped.version or shipped.template in skip:
            continue
        out.append(
            f"the active {shipped.name} checklist is version {running}; this qcstation ships "
            f"version {shipped.version} (what changed: the comment at the top of {path.name}, "
            f"and docs/checklists.md): import it when the plant is ready (`qcstation template "
            f"import {path}`); inspections already made keep version {running}"
        )
    return out


def defects_for_stage(station: Station, stage: Stage) -> list[CatalogEntry]:
    """The catalog codes found at a stage, for the defect form."""
    catalog = catalog_in_use(station)
    return catalog.for_stage(stage) if catalog else []
