"""Checking a backup without restoring it: every check a restore makes before it writes
anything, and all that `qcstation restore --check` does.

services/backup_archive.py checks the file itself (member names, the manifest's signature,
the signer's certificate against a trusted plant root, every member's hash); this module
looks inside the backed-up database: a SQLite file must hold exactly the schema
qcstation's migrations make at its revision, its trail must end where the manifest says
and verify on its own, and the signer must be an active administrator (or the plant root)
in it, with a key not revoked there. A PostgreSQL backup's signer is judged from its CSV
rows; its trail is verified by the restore, once the rows are in.

Kept apart from services/restore.py because it only reads: nothing here writes to a
station, takes its locks or needs anyone's authority, so what a backup must prove can be
read without the restore's targets, safety copies and records. The restore imports these
checks (``archived_database``, ``check_restored``); this module never imports the restore.
"""

from __future__ import annotations

import csv
import io
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.domain.users import ROOT_ACTOR
from qcstation.services import _keyring
from qcstation.services import backup as making
from qcstation.services.audit import Seals
from qcstation.services.backup_archive import (
    NOTHING,
    SQLITE_MEMBER,
    TABLES,
    Archive,
    BackupError,
    check,
    member_stream,
    open_tar,
    pretty,
    trust,
    trusted_roots,
)
from qcstation.store import audit, audit_verify, snapshots
from qcstation.store.models import SigningKeyRow, UserRow


def verify_archive(
    path: Path, location: config.Location | None = None, given: frozenset[str] = frozenset()
) -> tuple[Archive, str | None]:
    """Every check a restore makes before writing. Returns the archive and, when no root
    is trusted (no station pinned one, none given), why its signer could not be judged."""
    path = path.expanduser().resolve()
    with open_tar(path) as tar:
        archive = check(path, tar)
        trusted = trusted_roots(location, given)
        if trusted is None:
            return archive, (
                f"signed by {archive.signer} under the plant root {pretty(archive.root_sha256)}, "
                "which was not checked against a root you trust: pass --root-fingerprint FP "
                "(or --trust ROOT.pem), or check it on a station of the plant"
            )
        trust(archive, trusted)
        with tempfile.TemporaryDirectory(prefix="qcstation-check-") as tmp:
            archived_database(archive, tar, Path(tmp))
    return archive, None


def archived_database(archive: Archive, tar: tarfile.TarFile, tmp: Path) -> Path | None:
    """Look inside the backed-up database: SQLite's schema, and the signer's standing in it.
    Returns the checked SQLite copy (in tmp), None for PostgreSQL."""
    if archive.kind == "sqlite":
        copy = tmp / "restored.db"
        with member_stream(tar, archive.members[SQLITE_MEMBER]) as src, copy.open("wb") as dst:
            shutil.copyfileobj(src, dst, making.CHUNK)
        problems = snapshots.schema_problems(copy, archive.schema)
        if problems:
            raise BackupError(
                f"{archive.path}: its database is not the schema qcstation makes at "
                f"{archive.schema}: {'; '.join(problems[:4])}"
                + (f" (and {len(problems) - 4} more)" if len(problems) > 4 else "")
                + f"; refused, {NOTHING}"
            )
        engine = create_engine("sqlite://", creator=lambda: snapshots.read_only(copy))
        try:
            with Session(engine) as s:
                check_restored(s, archive)
        finally:
            engine.dispose()
        return copy
    _judge_signer(archive, _csv_standing(archive, tar))
    return None


def check_restored(s: Session, archive: Archive) -> None:
    """The backed-up database, read: its trail ends where the manifest says, the signer is
    an administrator in it, and its trail verifies."""
    if audit.chain_head(s) != (archive.chain_id, *archive.head):
        raise BackupError(
            f"{archive.path}: its database ends at another audit entry than the manifest "
            f"says; {NOTHING}"
        )
    _judge_signer(archive, _orm_standing(s, archive.key_id))
    _verify_trail(s, archive)


def _verify_trail(s: Session, archive: Archive) -> None:
    """The backed-up trail must verify on its own: every link and seal, against the plant
    root the backup names (trusted by now), and every record against its latest entry.
    So a backup edited by someone holding a plant key (who could re-sign the manifest)
    still cannot bring in a record, or a role, that its trail does not prove."""
    report = audit_verify.verify(s, Seals(s, archive.root), max_findings=5)
    if report.findings:
        raise BackupError(
            f"{archive.path}: the audit trail it holds does not verify "
            f"({len(report.findings)}{'+' if len(report.findings) >= 5 else ''} problem(s); "
            f"the first: {report.findings[0]}); refused, {NOTHING}"
        )


def _csv(archive: Archive, tar: tarfile.TarFile, table: str) -> Iterator[dict[str, str]]:
    info = archive.members.get(f"{TABLES}{table}.csv")
    if info is None:
        raise BackupError(f"{archive.path} holds no {table} table; {NOTHING}")
    stream = io.TextIOWrapper(member_stream(tar, info), encoding="utf-8", newline="")
    yield from csv.DictReader(stream)


def _csv_standing(archive: Archive, tar: tarfile.TarFile) -> dict[str, Any] | None:
    key = next(
        (r for r in _csv(archive, tar, "signing_keys") if r["key_id"] == archive.key_id), None
    )
    if key is None:
        return None
    user = next((r for r in _csv(archive, tar, "users") if r["id"] == key["user_id"]), None)
    return {
        "kind": key["kind"],
        "revoked": bool(key["revoked_at"]),
        "username": user["username"] if user else None,
        "role": user["role"] if user else None,
        "active": bool(user) and user["active"] in ("t", "true", "1"),  # type: ignore[index]
    }


def _orm_standing(s: Session, key_id: str) -> dict[str, Any] | None:
    found = s.execute(
        select(
            SigningKeyRow.kind,
            SigningKeyRow.revoked_at,
            UserRow.username,
            UserRow.role,
            UserRow.active,
        )
        .outerjoin(UserRow, UserRow.id == SigningKeyRow.user_id)
        .where(SigningKeyRow.key_id == key_id)
    ).first()
    if found is None:
        return None
    kind, revoked, username, role, active = found
    return {
        "kind": kind,
        "revoked": revoked is not None,
        "username": username,
        "role": role,
        "active": bool(active),
    }


def _judge_signer(archive: Archive, standing: dict[str, Any] | None) -> None:
    """The signer must be an active administrator (or the plant root) in the very database
    the backup holds, with a key not revoked there."""
    who, path = archive.signer, archive.path
    if standing is None:
        raise BackupError(
            f"{path} is signed with a key the backed-up database does not know: not a "
            f"backup this plant made; {NOTHING}"
        )
    if who == ROOT_ACTOR:
        ok = standing["kind"] == _keyring.ROOT and not standing["revoked"]
        if not ok:
            raise BackupError(f"{path}: signed as the plant root with another key; {NOTHING}")
        return
    if standing["kind"] != _keyring.USER or standing["username"] != who:
        raise BackupError(
            f"{path} names {who} as its maker, but the key that signed it is "
            f"{standing['username'] or 'a plant key'}'s; {NOTHING}"
        )
    if standing["revoked"]:
        raise BackupError(f"{path} is signed with {who}'s revoked key; {NOTHING}")
    if standing["role"] != "admin" or not standing["active"]:
        what = standing["role"] if standing["active"] else "disabled"
        raise BackupError(
            f"{path} is signed by {who}, who is {'an' if what[0] in 'aeiou' else 'a'} {what} "
            "in the backed-up database, not an administrator: only a backup made by an "
            f"administrator is restored; {NOTHING}"
        )
