"""Backup and restore of a station: the database, the evidence files, a manifest of hashes.

A backup is one tar file:

    manifest.json              what is inside, with the SHA-256 and size of every member
    database/qcstation.db      SQLite: a consistent copy made with the online backup API
    database/qcstation.sql     PostgreSQL: a plain pg_dump (needs pg_dump on PATH)
    evidence/ab/abcd…          every evidence file, named by its SHA-256
    settings.yaml              the station's settings, when it has a file

It is written to OUT.partial and renamed when complete, so a crash never leaves a file
that looks like a backup. Restore reads the whole archive and checks every member against
the manifest (and every evidence file against its own name) BEFORE writing anything; a
member whose name is not one of the names above (an absolute path, '..', a link) is
refused, so nothing can be written outside the target. It refuses a target that already
holds data unless told to overwrite it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from qcstation import __version__, config
from qcstation.domain.users import Permission, User
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput
from qcstation.store import private, schema, snapshots
from qcstation.store.database import Database, sqlite_file
from qcstation.store.evidence import SHA256_RE, EvidenceStore

FORMAT = "qcstation-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/qcstation.db"
PG_MEMBER = "database/qcstation.sql"
SETTINGS_MEMBER = "settings.yaml"
# The only names a member may have: anything else is refused, never extracted.
MEMBER_RE = re.compile(
    r"^(database/qcstation\.(db|sql)|settings\.yaml|evidence/([0-9a-f]{2})/(\3[0-9a-f]{62}))$"
)
CHUNK = 1 << 20


class BackupError(InvalidInput):
    """A backup that cannot be made or restored; the message says which file and why."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str  # sqlite | postgresql
    evidence_files: int
    size: int
    manifest_sha256: str


@dataclass(frozen=True)
class RestoreResult:
    database: str
    evidence_files: int
    members: int
    created_at: str
    warnings: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _add(tar: tarfile.TarFile, name: str, fh: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, 0
    tar.addfile(info, fh)


def _evidence_files(store: EvidenceStore) -> Iterator[str]:
    if not store.root.exists():
        return
    for sub in sorted(p for p in store.root.iterdir() if p.is_dir() and len(p.name) == 2):
        for path in sorted(sub.iterdir()):
            if SHA256_RE.match(path.name) and path.name.startswith(sub.name):
                yield path.name


def backup(station: Station, actor: User, out: Path) -> BackupResult:
    """Write a backup of the station's database and evidence to ``out`` (a .tar file).

    Administrators only: the file holds every record, password hash and sealed key.
    """
    with station.db.read() as s:
        require(s, actor, Permission.ADMINISTER)
    out = out.expanduser().resolve()
    if out.exists():
        raise Conflict(f"{out} exists already: choose a new name (backups are never overwritten)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {out.parent}: {exc.strerror}") from None
    partial = out.with_name(out.name + ".partial")
    files: dict[str, dict[str, Any]] = {}
    _state, rev = schema.state(station.db.engine)
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".qcstation-backup-") as tmp:
            private.create_file(partial)  # every record and key: this account's only
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                member, dump = _dump_database(station, Path(tmp))
                sha, size = _sha256_file(dump)
                with dump.open("rb") as fh:
                    _add(tar, member, fh, size)
                files[member] = {"sha256": sha, "size": size}
                evidence = 0
                for name in _evidence_files(station.evidence):
                    data = station.evidence.read(name)  # checks the hash: never back up damage
                    member = f"evidence/{name[:2]}/{name}"
                    _add(tar, member, io.BytesIO(data), len(data))
                    files[member] = {"sha256": name, "size": len(data)}
                    evidence += 1
                settings = station.location.data_dir / config.SETTINGS_FILE
                if settings.exists():
                    sha, size = _sha256_file(settings)
                    with settings.open("rb") as fh:
                        _add(tar, SETTINGS_MEMBER, fh, size)
                    files[SETTINGS_MEMBER] = {"sha256": sha, "size": size}
                manifest = json.dumps(
                    {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "qcstation": __version__,
                        "created_at": station.now().isoformat(),
                        "station": station.name,
                        "database": station.db.dialect,
                        "schema": rev,
                        "files": files,
                    },
                    indent=2,
                    sort_keys=True,
                ).encode()
                _add(tar, MANIFEST, io.BytesIO(manifest), len(manifest))
            with partial.open("rb") as fh:
                os.fsync(fh.fileno())
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"could not write the backup {out}: {exc.strerror or exc}; "
            "free disk space or choose another folder, then try again"
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(
        out,
        station.db.dialect,
        evidence,
        out.stat().st_size,
        hashlib.sha256(manifest).hexdigest(),
    )


def _dump_database(station: Station, tmp: Path) -> tuple[str, Path]:
    if station.db.dialect == "sqlite":
        source = sqlite_file(station.db.url)
        if source is None:
            raise BackupError("an in-memory database cannot be backed up")
        target = tmp / "qcstation.db"
        snapshots.sqlite_copy(source, target)
        return SQLITE_MEMBER, target
    target = tmp / "qcstation.sql"
    snapshots.pg_dump(station.db.url, target)
    return PG_MEMBER, target


# --- restore ---------------------------------------------------------------------------


@dataclass
class _Checked:
    manifest: dict[str, Any]
    members: dict[str, tarfile.TarInfo]


def verify_archive(path: Path) -> dict[str, Any]:
    """Check a backup against its manifest without restoring it; returns the manifest."""
    with _open(path) as tar:
        return _check(path, tar).manifest


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path.expanduser(), "r:")
    except FileNotFoundError:
        raise BackupError(f"there is no backup file {path}") from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{path} is not a qcstation backup (not a tar file: {exc})") from None


def _check(path: Path, tar: tarfile.TarFile) -> _Checked:
    members: dict[str, tarfile.TarInfo] = {}
    manifest_info = None
    try:
        for info in tar:
            if info.name == MANIFEST and info.isfile():
                manifest_info = info
                continue
            if not info.isfile() or not MEMBER_RE.match(info.name):
                raise BackupError(
                    f"{path} holds a member {info.name!r} that is not part of a qcstation "
                    "backup (a link, a folder, or a name outside the backup's own folders); "
                    "refused, nothing was restored"
                )
            if info.name in members:
                raise BackupError(f"{path} holds {info.name!r} twice; nothing was restored")
            members[info.name] = info
        if manifest_info is None:
            raise BackupError(f"{path} has no {MANIFEST}: not a qcstation backup")
        raw = _read(tar, manifest_info)
    except tarfile.TarError as exc:
        raise BackupError(f"{path} is damaged or cut short ({exc}); nothing was restored") from None
    try:
        manifest = json.loads(raw)
        files = manifest["files"]
        assert manifest["format"] == FORMAT and isinstance(files, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupError(f"{path}: its {MANIFEST} is damaged; nothing was restored") from None
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(f"{path} was made by a newer qcstation: install it to restore")
    missing = sorted(set(files) - set(members))
    extra = sorted(set(members) - set(files))
    if missing or extra:
        raise BackupError(
            f"{path} does not match its manifest: "
            + (f"missing {', '.join(missing[:5])}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unlisted {', '.join(extra[:5])}" if extra else "")
            + "; nothing was restored"
        )
    for name, info in members.items():
        digest, size = hashlib.sha256(), 0
        fh = tar.extractfile(info)
        assert fh is not None
        for chunk in iter(lambda fh=fh: fh.read(CHUNK), b""):  # type: ignore[misc]
            digest.update(chunk)
            size += len(chunk)
        expected = files[name]
        if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
            raise BackupError(
                f"{path}: {name} does not match the manifest (its SHA-256 differs): the "
                "backup is damaged; nothing was restored"
            )
        if name.startswith("evidence/") and digest.hexdigest() != name.rsplit("/", 1)[1]:
            raise BackupError(f"{path}: evidence file {name} is not what its name says")
    return _Checked(manifest, members)


def _read(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    fh = tar.extractfile(info)
    assert fh is not None
    return fh.read()


def target_holds_data(location: config.Location) -> list[str]:
    """What in the target would be overwritten (empty: safe to restore into)."""
    found = []
    if location.is_sqlite:
        db = sqlite_file(location.database_url)
        if db is not None and db.exists() and db.stat().st_size > 0:
            found.append(f"the database {db}")
    else:
        db_ = Database(location.database_url)
        try:
            if schema.state(db_.engine)[0] is not schema.SchemaState.EMPTY:
                found.append("the PostgreSQL database (it has qcstation tables)")
        finally:
            db_.dispose()
    if any(True for _ in _evidence_files(EvidenceStore(location.evidence_dir))):
        found.append(f"evidence files in {location.evidence_dir}")
    return found


def restore(location: config.Location, archive: Path, overwrite: bool = False) -> RestoreResult:
    """Verify the archive completely, then restore it into the location's database and
    evidence folder."""
    archive = archive.expanduser().resolve()
    with _open(archive) as tar:
        checked = _check(archive, tar)
        manifest = checked.manifest
        kind = "sqlite" if SQLITE_MEMBER in checked.members else "postgresql"
        if PG_MEMBER in checked.members and SQLITE_MEMBER in checked.members:
            raise BackupError(f"{archive} holds two databases; nothing was restored")
        if (kind == "sqlite") != location.is_sqlite:
            raise BackupError(
                f"{archive} is a {kind} backup but the target is "
                f"{'a SQLite file' if location.is_sqlite else 'a PostgreSQL database'}: "
                "restore it into the same kind of database"
            )
        in_the_way = target_holds_data(location)
        if in_the_way and not (overwrite and location.is_sqlite):
            hint = (
                "restore into an empty data directory, or pass --force to replace it"
                if location.is_sqlite
                else "restore into an empty PostgreSQL database (create a new one)"
            )
            raise Conflict(
                f"the target already holds data ({'; '.join(in_the_way)}): {hint}; "
                "nothing was restored"
            )
        warnings: list[str] = []
        evidence = EvidenceStore(location.evidence_dir)
        count = 0
        for name, info in checked.members.items():
            if name.startswith("evidence/"):
                stored = evidence.put(_read(tar, info))  # atomic, fsynced, hash from content
                if stored.sha256 != name.rsplit("/", 1)[1]:
                    raise BackupError(f"{archive}: {name} changed while it was restored")
                count += 1
        settings = location.data_dir / config.SETTINGS_FILE
        if SETTINGS_MEMBER in checked.members:
            if settings.exists():
                warnings.append(f"kept this station's own {settings} (the backup's was not used)")
            else:
                _write_atomically(settings, _read(tar, checked.members[SETTINGS_MEMBER]))
        if kind == "sqlite":
            db = sqlite_file(location.database_url)
            assert db is not None
            _restore_sqlite(tar, checked.members[SQLITE_MEMBER], db)
        else:
            with tempfile.TemporaryDirectory(prefix=".qcstation-restore-") as tmp:
                dump = Path(tmp) / "qcstation.sql"
                dump.write_bytes(_read(tar, checked.members[PG_MEMBER]))
                snapshots.psql_restore(location.database_url, dump)
    return RestoreResult(
        kind, count, len(checked.members), str(manifest.get("created_at", "")), warnings
    )


def _restore_sqlite(tar: tarfile.TarFile, info: tarfile.TarInfo, db: Path) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(db, _read(tar, info))
    for suffix in ("-wal", "-shm", "-journal"):  # they belong to the replaced file
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".qcstation-restore-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def describe(manifest: dict[str, Any]) -> str:
    files = manifest.get("files", {})
    evidence = sum(1 for n in files if n.startswith("evidence/"))
    when = manifest.get("created_at", "?")
    with contextlib.suppress(TypeError, ValueError):
        when = datetime.fromisoformat(when).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{manifest.get('database')} backup of station {manifest.get('station')!r} made "
        f"{when} at schema {manifest.get('schema')}, {evidence} evidence files"
    )
