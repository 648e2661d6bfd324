"""The checklist editor's door: a version's text, its history, saving a new version with a
change note, the difference between two versions, and export to a YAML file.

A saved version never changes: the editor saves a new one, numbered after the highest, and
checked by the same function `qcstation template validate` uses (templates.validate_text).
Only people who may manage templates save one; the check is here, whatever the window shows.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcstation.domain.stages import Stage
from qcstation.domain.template_diff import TemplateDiff, diff
from qcstation.domain.template_drafts import dump
from qcstation.domain.templates import ChecklistTemplate
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound
from qcstation.services.templates import catalog_in_use, content_sha256, validate_text
from qcstation.store.models import InspectionRow, TemplateRow, UserRow

MAX_NOTE = 2000


@dataclass(frozen=True)
class TemplateVersion:
    template_key: str
    version: int
    stage: Stage
    name: str
    active: bool
    sha256: str
    saved_at: datetime
    saved_by: str  # user name; "" when not known
    change_note: str | None  # None: imported from a file
    inspections: int = 0


def _row(session: Session, key: str, version: int) -> TemplateRow:
    row = session.scalars(
        select(TemplateRow).where(TemplateRow.template_key == key, TemplateRow.version == version)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no template {key} version {version}: see `qcstation template list`")
    return row


def versions(station: Station, key: str) -> list[TemplateVersion]:
    """Every version of one template, oldest first, with who saved it and why."""
    with station.db.read() as s:
        counts = dict(
            s.execute(
                select(InspectionRow.template_id, func.count()).group_by(InspectionRow.template_id)
            ).all()
        )
        rows = s.execute(
            select(TemplateRow, UserRow.username)
            .outerjoin(UserRow, UserRow.id == TemplateRow.imported_by_id)
            .where(TemplateRow.template_key == key)
            .order_by(TemplateRow.version)
        ).all()
        if not rows:
            raise NotFound(f"no template {key!r}: see `qcstation template list`")
        return [
            TemplateVersion(
                r.template_key,
                r.version,
                Stage(r.stage),
                r.name,
                r.active,
                r.sha256,
                r.imported_at,
                username or "",
                r.change_note,
                counts.get(r.id, 0),
            )
            for r, username in rows
        ]


def source(station: Station, key: str, version: int) -> str:
    """The YAML text of a version, as imported or as the editor saved it."""
    with station.db.read() as s:
        return _row(s, key, version).source


def diff_versions(station: Station, key: str, old: int, new: int) -> TemplateDiff:
    """Items added, removed, moved and changed (field by field) from one version to another."""
    with station.db.read() as s:
        a, b = _row(s, key, old).content, _row(s, key, new).content
    return diff(a, b)


def save_version(
    station: Station, actor: User, key: str, draft: Mapping[str, Any], note: str
) -> TemplateVersion:
    """Store an edited template as the next version of ``key`` (not activated). The draft is
    the template's mapping; its ``version`` is set here. Refused: a draft that does not
    validate (ContentError, the messages of `template validate`), an empty note, a draft the
    same as a version already stored, and anyone who may not manage templates."""
    note = note.strip()
    if not note:
        raise InvalidInput("write a change note: what changed and why")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"the change note is longer than {MAX_NOTE} characters")
    if draft.get("template") != key:
        raise InvalidInput(f"the draft is of template {draft.get('template')!r}, not {key!r}")
    catalog = catalog_in_use(station)
    try:
        with station.db.write(actor, station.name, reason=f"edit {key}: {note}") as s:
            require(s, actor, Permission.MANAGE_TEMPLATES)
            rows = s.scalars(select(TemplateRow).where(TemplateRow.template_key == key)).all()
            if not rows:
                raise NotFound(f"no template {key!r} to save a version of")
            version = max(r.version for r in rows) + 1
            text = dump({**draft, "version": version})
            text, template = validate_text(text, f"{key}@{version} (draft)", catalog)
            same = _same_as(template, rows)
            if same is not None:
                raise Conflict(
                    f"nothing changed from version {same.version}: edit the checklist first"
                )
            row = TemplateRow(
                template_key=key,
                version=version,
                stage=template.stage.value,
                name=template.name,
                sha256=content_sha256(template),
                content=template.model_dump(mode="json"),
                source=text,
                active=False,
                imported_at=station.now(),
                imported_by_id=actor.id,
                change_note=note,
            )
            s.add(row)
            s.flush()
            saved = TemplateVersion(
                key,
                version,
                template.stage,
                template.name,
                False,
                row.sha256,
                row.imported_at,
                actor.username,
                note,
            )
    except IntegrityError:
        raise Conflict(
            f"someone saved a version of {key} at the same moment: open it again and redo "
            "the edit on top of theirs"
        ) from None
    return saved


def _same_as(template: ChecklistTemplate, rows: Any) -> TemplateRow | None:
    mine = {**template.model_dump(mode="json"), "version": 0}
    for row in rows:
        if {**row.content, "version": 0} == mine:
            return row  # type: ignore[no-any-return]
    return None


def export(station: Station, key: str, version: int, path: Path, overwrite: bool = False) -> Path:
    """Write a version's YAML text to a file: importing that file gives the same template
    (same sha256). An existing file is kept unless ``overwrite``; the file appears whole
    or not at all."""
    text = source(station, key, version)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: give a file name, such as {key}-v{version}.yaml")
    if path.exists() and not overwrite:
        raise InvalidInput(f"{path} exists already: give another name, or --force to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder here: make it first, or name another")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
