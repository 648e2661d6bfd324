"""Restoring a backup: everything checked first, data never statements, and over existing
data only by an administrator of that data, with a safety copy and a record.

Before anything is written, a restore checks (services/backup_archive.py): the member
names, the manifest's signature, the signer's certificate against the plant root this
station pinned (or, on a new machine, one given with --trust / --root-fingerprint), and
every member's hash. Then it looks inside the backed-up database (services/backup_verify.py):
a SQLite file must hold exactly the schema qcstation's migrations make at its revision (no
trigger, view or table smuggled in), and the signer must be an administrator there (or the
plant root itself).

Restoring over data (a database that holds records, or a station whose anchor file saw
the trail further than the backup reaches) needs ``force`` and the credentials of an
administrator of the database being replaced; when that database cannot be read, the
plant root passphrase (services/restore_authority.py decides who may). It keeps a safety
copy of what it replaces (a signed backup of it, evidence left in place; a plain file copy
when it cannot be read), records the restore as a signed event in the restored trail and
in this station's anchor file, so `audit verify` reports the rollback as this
administrator's restore, not as an attack.

A SQLite restore is prepared in a scratch copy beside the database and moved over it in
one rename; a PostgreSQL restore is one transaction: the schema comes from qcstation's
own migrations, rows go in through COPY FROM STDIN into known tables and columns only
(store/pgdata.py), and nothing from the archive is ever executed.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from qcstation import config
from qcstation.domain.users import PlantRoot, User
from qcstation.services import backup as making
from qcstation.services.audit import RESTORE_EVENT
from qcstation.services.backup_archive import (
    NOTHING,
    SETTINGS_MEMBER,
    TABLES,
    Archive,
    BackupError,
    check,
    member_stream,
    open_tar,
    read_member,
    trust,
    trusted_roots,
)
from qcstation.services.backup_verify import archived_database, check_restored
from qcstation.services.errors import Conflict
from qcstation.services.restore_authority import (
    Authority,
    Credentials,
    Target,
    acting_in,
    authorise,
    examine,
    rolls_back,
)
from qcstation.store import anchors, audit, pgdata, schema, snapshots
from qcstation.store.database import (
    BUSY_TIMEOUT_MS,
    Database,
    DatabaseError,
    create,
    sqlite_file,
    sqlite_url,
)
from qcstation.store.evidence import EvidenceStore
from qcstation.store.models import AuditEntry
from qcstation.store.types import utcnow

EVENT = RESTORE_EVENT
REASON = "restore from a backup"


@dataclass(frozen=True)
class RestoreResult:
    database: str
    evidence_files: int
    members: int
    created_at: str
    made_by: str
    restored_head: tuple[int, str]  # the trail's head after the restore (its event included)
    replaced_head: tuple[int, str] | None = None  # what the station had before, if replaced
    safety_copy: Path | None = None
    recorded_by: str | None = None  # who signed the restore's entry in the trail
    warnings: list[str] = field(default_factory=list)


# --- restoring -----------------------------------------------------------------------------


def restore(
    location: config.Location,
    archive_path: Path,
    force: bool = False,
    credentials: Credentials | None = None,
    given: frozenset[str] = frozenset(),
    clock: Callable[[], datetime] = utcnow,
) -> RestoreResult:
    """Check the archive completely, then restore it into the location's database and
    evidence folder; over existing data only as described in this module's docstring."""
    creds = credentials or Credentials()
    path = archive_path.expanduser().resolve()
    with open_tar(path) as tar:
        archive = check(path, tar)
        trust(archive, trusted_roots(location, given))
        if (archive.kind == "sqlite") != location.is_sqlite:
            raise BackupError(
                f"{path} is a {archive.kind} backup but the target is "
                f"{'a SQLite file' if location.is_sqlite else 'a PostgreSQL database'}: "
                "restore it into the same kind of database"
            )
        if not schema.known(archive.schema):
            raise BackupError(
                f"{path} holds schema {archive.schema}, which this qcstation does not know: "
                "install the qcstation that made it"
            )
        _private_dir(location.data_dir)
        with tempfile.TemporaryDirectory(dir=location.data_dir, prefix=".qcstation-restore-") as t:
            tmp = Path(t)
            copy = archived_database(archive, tar, tmp)
            target = examine(location, archive)
            rollback = rolls_back(target, archive)
            authority = None
            if target.holds or rollback:
                if not force:
                    what = "; ".join(target.holds) or "nothing readable"
                    raise Conflict(
                        f"the target already holds data ({what}"
                        + (f"; {rollback}" if rollback else "")
                        + "): restore into an empty data directory, or pass --force with "
                        "--user NAME (an administrator of the database being replaced) to "
                        f"replace it, keeping a safety copy; {NOTHING}"
                    )
                authority = authorise(target, archive, creds)
            job = _Job(location, archive, tar, tmp, target, authority, clock)
            result = job.sqlite(copy) if copy is not None else job.postgresql()
    return result


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)


@dataclass
class _Job:
    location: config.Location
    archive: Archive
    tar: tarfile.TarFile
    tmp: Path
    target: Target
    authority: Authority | None
    clock: Callable[[], datetime]
    warnings: list[str] = field(default_factory=list)
    safety: Path | None = None

    @property
    def replacing(self) -> bool:
        return self.authority is not None

    def _safety_path(self, suffix: str) -> Path:
        folder = self.location.data_dir / "backups"
        stamp = self.clock().strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            name = f"replaced-{stamp}" + (f"-{n}" if n > 1 else "") + suffix
            if not (folder / name).exists():
                return folder / name
        raise BackupError(f"too many safety copies in {folder}")

    def _detail(self, safety: Path | None) -> dict[str, Any]:
        a, t = self.archive, self.target
        return {
            "backup": a.path.name,
            "manifest_sha256": a.manifest_sha256,
            "made_by": a.signer,
            "made_at": a.created_at,
            "authorised_by": self.authority.name if self.authority else "",
            "restored_head": {"id": a.head[0], "hash": a.head[1]},
            "replaced_head": self._before(),
            "safety_copy": str(safety or ""),
            "station": self.location.settings.station_name,
            "target_readable": t.readable,
        }

    def _before(self) -> dict[str, Any]:
        t = self.target
        if t.head is not None:
            return {"id": t.head[1], "hash": t.head[2]}
        if t.anchored is not None:
            return {"id": t.anchored.id, "hash": t.anchored.hash}
        return {}

    def _record(self, s: Session, actor: User | PlantRoot, safety: Path | None) -> None:
        s.info.update(
            {
                audit.INFO_ACTOR: actor.audit_name,
                audit.INFO_STATION: self.location.settings.station_name,
                audit.INFO_REASON: REASON,
                audit.INFO_SIGNER: actor.credential,
            }
        )
        audit.record_event(
            s, f"backups/{self.archive.manifest_sha256[:16]}", EVENT, self._detail(safety)
        )

    # SQLite: a scratch copy, checked, signed, then written over the database in one go.
    def sqlite(self, copy: Path) -> RestoreResult:
        db = sqlite_file(self.location.database_url)
        assert db is not None
        actor: User | PlantRoot | None = None
        swapped = False
        lock = _hold_writers(db) if self.replacing else None
        try:
            safety, dump = None, None
            if self.authority is not None and db.exists():
                folder = self.tmp / "safety"
                folder.mkdir()
                try:
                    dump = making.dump_sqlite(db, folder)
                    safety = self._safety_path(".qcbackup")
                except (DatabaseError, BackupError):
                    safety = self._safety_path("")  # unreadable: kept byte for byte
            if self.authority is not None:
                actor = self._sign_scratch(copy, safety)
            head = _last_signed_sqlite(copy)
            if safety is not None:
                self.safety = safety
                self._keep(db, safety, dump)
            evidence = self._evidence_and_settings()
            db.parent.mkdir(parents=True, exist_ok=True)
            if lock is not None:
                lock.close()
                lock = None
                _copy_into(copy, db)  # through SQLite: open connections see the restored data
            else:
                os.replace(copy, db)  # nothing readable was there
                swapped = True
        except BaseException:
            self._drop_safety()
            raise
        finally:
            if lock is not None:
                lock.close()
        if swapped:
            for suffix in ("-wal", "-shm", "-journal"):  # they belonged to the replaced file
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        return self._finish(head, actor, evidence)

    def _sign_scratch(self, copy: Path, safety: Path | None) -> User | PlantRoot:
        """Record the restore, signed, in the scratch copy before it replaces anything."""
        assert self.authority is not None
        scratch = Database(sqlite_url(copy))
        try:
            if self.archive.schema != schema.head():
                schema.upgrade(scratch.engine)  # the event is written by today's models
            with scratch.read() as s:
                actor = acting_in(s, self.authority, self.archive)
            with scratch.write(actor, self.location.settings.station_name, REASON) as s:
                self._record(s, actor, safety)
        finally:
            scratch.dispose()
        _settle(copy)
        return actor

    def _keep(self, db: Path, safety: Path, dump: making.Dump | None) -> None:
        assert self.authority is not None
        safety.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        signer = self.authority.safety_signer
        if dump is None or signer is None:
            self._raw_copy(db, safety)
            return
        making.write_archive(
            safety,
            dump,
            signer,
            making.PURPOSE_SAFETY,
            self.location.settings.station_name,
            self.clock().isoformat(),
            EvidenceStore(self.location.evidence_dir),
            self.location.data_dir / config.SETTINGS_FILE,
            evidence=False,
        )

    def _drop_safety(self) -> None:
        """Nothing was replaced after all: the safety copy is not needed."""
        if self.safety is not None:
            if self.safety.is_dir():
                shutil.rmtree(self.safety, ignore_errors=True)
            else:
                self.safety.unlink(missing_ok=True)
            self.safety = None

    def _raw_copy(self, db: Path, folder: Path) -> None:
        """A database nobody can read is kept byte for byte, with the evidence it knew."""
        folder.mkdir(mode=0o700)
        for suffix in ("", "-wal", "-shm"):
            src = Path(f"{db}{suffix}")
            if src.exists():
                shutil.copyfile(src, folder / src.name)
                (folder / src.name).chmod(0o600)
        names = "\n".join(making.evidence_names(EvidenceStore(self.location.evidence_dir)))
        (folder / "evidence-in-place.txt").write_text(names + "\n", encoding="ascii")

    def _evidence_and_settings(self) -> int:
        store = EvidenceStore(self.location.evidence_dir)
        count = 0
        for name, info in self.archive.members.items():
            if name.startswith("evidence/"):
                stored = store.put(read_member(self.tar, info))  # atomic, hash from content
                if stored.sha256 != name.rsplit("/", 1)[1]:
                    raise BackupError(f"{self.archive.path}: {name} changed while restored")
                count += 1
        missing = [n for n in self.archive.evidence_in_place if not store.path_for(n).exists()]
        if missing:
            self.warnings.append(
                f"{len(missing)} evidence files this backup left in the evidence folder are "
                f"not in {store.root} (the first: {missing[0]}): copy them back from where "
                "the evidence folder was kept"
            )
        settings = self.location.data_dir / config.SETTINGS_FILE
        if SETTINGS_MEMBER in self.archive.members:
            if settings.exists():
                self.warnings.append(
                    f"kept this station's own {settings} (the backup's was not used)"
                )
            else:
                _write_private(
                    settings, read_member(self.tar, self.archive.members[SETTINGS_MEMBER])
                )
        return count

    # PostgreSQL: one transaction; the data goes in through COPY, never as statements.
    def postgresql(self) -> RestoreResult:
        engine = create(self.location.database_url)
        actor: User | PlantRoot | None = None
        head: anchors.Head | None = None
        try:
            with engine.connect() as conn, conn.begin():
                safety_dump = None
                fresh = not self.target.holds
                if fresh:
                    schema.migrate(conn, self.archive.schema)
                    present = pgdata.columns(conn)
                else:
                    present = self._replaceable(conn)
                    folder = self.tmp / "safety"
                    folder.mkdir()
                    safety_dump = making.dump_postgresql(conn, folder)
                with pgdata.rules_aside(conn, present):
                    pgdata.truncate(conn, present)  # also the rows the migrations seed
                    self._load(conn, present)
                if fresh and self.archive.schema != schema.head():
                    schema.migrate(conn, "head")
                if self.replacing:
                    assert self.authority is not None
                    safety = self._safety_path(".qcbackup")
                    factory = sessionmaker(bind=conn, expire_on_commit=False)
                    audit.install(factory)
                    with factory() as s:
                        actor = acting_in(s, self.authority, self.archive)
                        self._record(s, actor, safety)
                        s.commit()
                    if safety_dump is not None and self.authority.safety_signer is not None:
                        self.safety = safety
                        self._keep(Path(), safety, safety_dump)
                head = _last_signed(conn)
                evidence = self._evidence_and_settings()
        except BaseException:
            self._drop_safety()
            raise
        finally:
            engine.dispose()
        return self._finish(head, actor, evidence)

    def _replaceable(self, conn: Connection) -> dict[str, list[str]]:
        """The tables of a plant database this backup may replace, locked against writers:
        the same schema as the backup's, which is this qcstation's."""
        try:
            with conn.begin_nested():
                rev = conn.execute(text(f"SELECT version_num FROM {pgdata.ALEMBIC_TABLE}")).scalar()
                conn.execute(text("SELECT id FROM audit_head FOR UPDATE"))
                conn.execute(text("SELECT chain FROM audit_chains FOR UPDATE"))  # writers wait
        except DBAPIError as exc:
            raise BackupError(
                f"the plant database cannot be read as a qcstation database "
                f"({str(exc.orig or exc).strip().splitlines()[0]}): restore into a new, empty "
                f"database (the DBA creates one) and point the stations at it; {NOTHING}"
            ) from None
        if rev != self.archive.schema or rev != schema.head():
            raise BackupError(
                f"the plant database is at schema {rev}, the backup at {self.archive.schema} "
                f"and this qcstation at {schema.head()}: a backup replaces a plant database of "
                "its own schema only. Restore it into a new, empty database (the DBA creates "
                f"one) and point the stations at it; {NOTHING}"
            )
        return pgdata.columns(conn)

    def _load(self, conn: Connection, present: dict[str, list[str]]) -> None:
        a = self.archive
        listed = a.tables()
        in_archive = {n[len(TABLES) : -4] for n in a.members if n.startswith(TABLES)}
        if set(listed) != in_archive or in_archive != set(present):
            unknown = sorted(in_archive - set(present))
            missing = sorted(set(present) - in_archive)
            raise BackupError(
                f"{a.path}: its tables are not the ones schema {a.schema} has"
                + (f" (unknown: {', '.join(unknown[:5])})" if unknown else "")
                + (f" (missing: {', '.join(missing[:5])})" if missing else "")
                + f"; {NOTHING}"
            )
        for table in pgdata.load_order(present):
            stream = member_stream(self.tar, a.members[f"{TABLES}{table}.csv"])
            header = next(csv.reader([stream.readline().decode("utf-8")]), [])
            if sorted(header) != sorted(present[table]) or header != listed[table]["columns"]:
                raise BackupError(
                    f"{a.path}: the columns of {table} are not the ones schema {a.schema} "
                    f"has; {NOTHING}"
                )
            try:
                rows = pgdata.load_table(conn, table, header, pgdata.csv_rows(stream, table))
            except Exception as exc:  # the server refused a value: name the table, keep nothing
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise BackupError(
                    f"{a.path}: the rows of {table} do not load ({first}); {NOTHING}"
                ) from None
            if rows != int(listed[table]["rows"]):
                raise BackupError(
                    f"{a.path}: {table} holds {rows} rows, the manifest says "
                    f"{listed[table]['rows']}; {NOTHING}"
                )
        pgdata.set_sequences(conn, present, a.manifest.get("sequences", {}))
        with Session(bind=conn) as s:
            check_restored(s, a)

    def _by(self, actor: User | PlantRoot) -> str:
        name = self.authority.name if self.authority is not None else actor.audit_name
        if name != actor.audit_name:
            return f"{name} (recorded by {actor.audit_name})"
        return name

    def _finish(
        self, head: anchors.Head | None, actor: User | PlantRoot | None, evidence: int
    ) -> RestoreResult:
        a, path = self.archive, self.target.anchor_path
        now = self.clock().isoformat(timespec="seconds")
        if head is not None:
            head = replace(head, seen_at=now)
        before = self._before()
        if actor is not None and head is not None:
            anchors.record_restore(
                path,
                a.chain_id,
                anchors.Restore(
                    now,
                    self._by(actor),
                    a.path.name,
                    before,
                    {"id": a.head[0], "hash": a.head[1], "recorded_at": head.id},
                    str(self.safety or ""),
                ),
                head,
            )
        elif head is not None:
            anchors.advance(path, a.chain_id, head)
        saved = anchors.load(path).chains.get(a.chain_id)
        if saved is None or saved.root_sha256 is None:
            anchors.pin_root(path, a.chain_id, a.root_sha256)
        return RestoreResult(
            a.kind,
            evidence,
            len(a.members),
            a.created_at,
            a.signer,
            (head.id, head.hash) if head else a.head,
            (int(before["id"]), str(before["hash"])) if before and self.replacing else None,
            self.safety,
            actor.audit_name if actor is not None else None,
            self.warnings,
        )


def _settle(path: Path) -> None:
    """One self-contained file (no -wal beside it) before it is moved into place."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = DELETE")
    finally:
        con.close()


def _copy_into(source: Path, db: Path) -> None:
    """Write the restored database into the station's file in one SQLite transaction, so
    a program that still has it open reads the restored data, never a file moved away."""
    src = snapshots.read_only(source)
    try:
        dst = sqlite3.connect(db, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"could not write the restored database into {db} ({exc}): it is as it was; {NOTHING}"
        ) from None
    finally:
        src.close()


def _hold_writers(db: Path) -> sqlite3.Connection | None:
    """Keep every other writer out of the database from its safety copy to its replacement
    (released just before SQLite's own backup takes the lock again to write it)."""
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(db, timeout=10, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        return None  # unreadable: nobody can be writing to it either
    return con


def _last_signed_sqlite(path: Path) -> anchors.Head | None:
    con = snapshots.read_only(path)
    try:
        row = con.execute(
            "SELECT id, hash, key_id, signature, seq, chain FROM audit_log "
            "WHERE signature IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    if row is None:
        return None
    return anchors.Head(
        int(row[0]), row[1], row[2] or "", row[3] or "", "", row[4] or 0, row[5] or ""
    )


def _last_signed(conn: Connection) -> anchors.Head | None:
    row = conn.execute(
        select(
            AuditEntry.id,
            AuditEntry.hash,
            AuditEntry.key_id,
            AuditEntry.signature,
            AuditEntry.seq,
            AuditEntry.chain,
        )
        .where(AuditEntry.signature.is_not(None))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return anchors.Head(
        row.id, row.hash, row.key_id or "", row.signature or "", "", row.seq or 0, row.chain or ""
    )


def _write_private(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".qcstation-restore-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp made it 0600
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
