"""Bringing a station's database up to this version's schema without risking its data.

On the first start after qcstation is upgraded (and on `qcstation db upgrade`), a SQLite
database whose schema is older than this version's is first copied, with SQLite's
online backup API, to `backups/` in the data directory under a dated name; then it is
migrated. If the migration fails, the copy is written back over the database, so the
station is exactly as it was before, and the message says so and what to do.

PostgreSQL (a plant's shared server) is the plant DBA's to back up: qcstation does not
upgrade it when a window starts (stations still on the old version would be locked out
the moment one station upgraded); `qcstation db upgrade` migrates it in one transaction,
which PostgreSQL rolls back whole on failure. docs/data.md says how to back it up first.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from qcstation import __version__
from qcstation.config import Location
from qcstation.services.context import Station, connect, open_station
from qcstation.store import private, schema
from qcstation.store.database import DatabaseError, DriverError, sqlite_file
from qcstation.store.types import utcnow

BACKUPS_DIR = "backups"


class UpgradeFailed(DatabaseError):
    """The migration failed; the message says whether the database was restored."""


@dataclass(frozen=True)
class Upgraded:
    before: str | None
    after: str
    backup: Path | None  # the copy made first (SQLite); None when nothing was copied
    notes: tuple[str, ...] = ()  # what the upgraded data still needs, in words

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            text = f"The database is already at the newest schema ({self.after})."
        else:
            text = f"Upgraded the database from schema {self.before or 'empty'} to {self.after}."
        if self.backup is not None:
            text += f" The database as it was before is kept in {self.backup}."
        return "\n".join([text, *(f"NOTE: {n}" for n in self.notes)])


def backup_path(data_dir: Path, revision: str | None, now: datetime | None = None) -> Path:
    """A new file in backups/, named by date and the schema it holds."""
    stamp = f"{(now or utcnow()):%Y%m%d-%H%M%S}"
    folder = data_dir / BACKUPS_DIR
    name = f"qcstation-{stamp}-schema-{revision or 'empty'}"
    path = folder / f"{name}.db"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{name}-{n}.db"
    return path


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (WAL included), checked before it counts."""
    private.make_dir(target.parent)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private.create_file(partial)  # a copy of every record: this account's only
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
            # A plain single-file copy: no WAL beside a backup that someone may carry away.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"the copy of {source} is damaged ({verdict}); nothing was changed")
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)


def restore_sqlite(backup: Path, database: Path) -> None:
    """Write a backup over a database in place (its WAL and journal mode are kept)."""
    src = sqlite3.connect(backup)
    try:
        dst = sqlite3.connect(database)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def is_behind(station: Station) -> bool:
    """True when the database holds a schema older than this version's (an upgrade would
    migrate it); False when it is empty, current or newer."""
    state, _ = schema.state(station.db.engine)
    return state is schema.SchemaState.BEHIND


def upgrade(station: Station) -> Upgraded:
    """Migrate to this version's schema; a SQLite database is copied to backups/ first.
    The answer also says what the data still needs (plant keys to rotate, documents of
    the old format to reissue)."""
    done = _migrate(station)
    return Upgraded(done.before, done.after, done.backup, tuple(_notes(station)))


def _notes(station: Station) -> list[str]:
    from qcstation.services import documents, keys, specs, templates

    try:
        claims = documents.claim_notes(station)
        return (
            keys.warnings(station)
            + documents.old_format_notes(station)
            + templates.newer_catalog_notes(station)
            + claims
            + specs.upgrade_notes(station)
            # a checklist said above (claims, specifications) is said once
            + templates.newer_shipped_notes(
                station,
                documents.claim_note_templates(station) + specs.upgrade_note_templates(station),
            )
        )
    except DatabaseError:
        return []


def _migrate(station: Station) -> Upgraded:
    state, rev = schema.state(station.db.engine)
    if state is schema.SchemaState.CURRENT:
        return Upgraded(rev, rev or schema.head(), None)
    db_file = sqlite_file(station.db.url)
    if state is not schema.SchemaState.BEHIND or db_file is None:
        # Empty (nothing to keep), too new (refused inside), or PostgreSQL (one
        # transaction: a failure leaves it as it was).
        try:
            before, after = schema.upgrade(station.db.engine)
        except schema.SchemaTooNew:
            raise
        except Exception as exc:
            if db_file is not None:
                raise
            if "permission denied" in str(exc) or "must be owner" in str(exc):
                raise UpgradeFailed(
                    f"the plant database is at schema {rev}, this qcstation needs "
                    f"{schema.head()}, and this station's login may not change the schema "
                    "(docs/security.md): the database's owner runs `qcstation db "
                    "upgrade --database-url OWNER_URL`, then `qcstation db roles` for the "
                    "new tables; nothing was changed"
                ) from exc
            raise UpgradeFailed(
                f"upgrading the PostgreSQL database from schema {rev} to {schema.head()} "
                f"failed ({_first_line(exc)}); PostgreSQL rolled the upgrade back, so the "
                f"database is as it was. Keep the stations on the previous qcstation and "
                "send this message to support"
            ) from exc
        return Upgraded(before, after, None)

    target = schema.head()
    backup = backup_path(station.location.data_dir, rev)
    try:
        copy_sqlite(db_file, backup)
    except (OSError, sqlite3.Error) as exc:
        raise UpgradeFailed(
            f"the database {db_file} needs upgrading from schema {rev} to {target}, but "
            f"it could not be backed up to {backup} first ({_first_line(exc)}), so it was "
            "left as it is. Free some disk space or fix the folder's permissions, then "
            "start qcstation again"
        ) from exc
    try:
        before, after = schema.upgrade(station.db.engine)
    except Exception as exc:
        station.db.dispose()  # no connection may hold the file while it is written back
        try:
            restore_sqlite(backup, db_file)
        except (OSError, sqlite3.Error) as again:
            raise UpgradeFailed(
                f"upgrading the database {db_file} from schema {rev} to {target} failed "
                f"({_first_line(exc)}), and writing back the backup failed too "
                f"({_first_line(again)}). The backup {backup} holds the database as it "
                f"was: close qcstation, copy that file over {db_file} (and delete "
                f"{db_file.name}-wal and {db_file.name}-shm beside it), reinstall the "
                "previous qcstation, and send this message to support"
            ) from exc
        raise UpgradeFailed(
            f"upgrading the database {db_file} from schema {rev} to {target} failed "
            f"({_first_line(exc)}). It was restored from the backup made just before "
            f"({backup}), so nothing is lost, but qcstation {__version__} cannot open it. "
            "Reinstall the previous qcstation to go on working, and send this message "
            "to support"
        ) from exc
    return Upgraded(before, after, backup)


def open_upgrading(location: Location, say: Callable[[str], None]) -> Station:
    """Open a station for the window; an older SQLite schema is backed up and upgraded."""
    station = connect(location)
    try:
        state, _ = schema.state(station.db.engine)
        if state is schema.SchemaState.BEHIND and location.is_sqlite:
            say(upgrade(station).describe())
    except DriverError:
        pass  # open_station below says what is wrong with the database in words
    finally:
        station.close()
    return open_station(location)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["BACKUPS_DIR", "UpgradeFailed", "Upgraded", "open_upgrading", "upgrade"]
