"""Making a backup: the database as data, the evidence, a manifest signed by its maker.

The file's layout and the checks a restore makes are in services/backup_archive.py and
services/backup_verify.py; the restore itself is services/restore.py. A backup is made by
an administrator signed in: the manifest carries their certificate (issued by the plant
root) and is signed with their own key, opened at sign-in, so a restore can tell who made
it, that nobody changed it since, and that it belongs to this plant. It records the audit
chain's head in the very snapshot it copies, so a restore knows how far back it takes the
record.

It is written to OUT.partial (readable by this account only: it holds every record,
password hash and sealed key) and renamed when complete, so a crash never leaves a file
that looks like a backup.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from qcstation import __version__, config
from qcstation.accounts import keys
from qcstation.domain.users import ROOT_ACTOR, Permission, PlantRoot, User
from qcstation.services import _keyring
from qcstation.services.accounts import require
from qcstation.services.backup_archive import (
    SETTINGS_MEMBER,
    SQLITE_MEMBER,
    TABLES,
    BackupError,
    Signer,
    signed_manifest,
)
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, PermissionDenied
from qcstation.store import audit, pgdata, snapshots
from qcstation.store.database import sqlite_file
from qcstation.store.evidence import SHA256_RE, EvidenceStore
from qcstation.store.models import SigningKeyRow

CHUNK = 1 << 20
PURPOSE_BACKUP = "backup"
PURPOSE_SAFETY = "what a restore replaced"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str  # sqlite | postgresql
    evidence_files: int
    size: int
    manifest_sha256: str
    signer: str
    head: tuple[int, str]


@dataclass(frozen=True)
class Dump:
    """A database copied as data into a scratch folder, with what the manifest says of it."""

    members: list[tuple[str, Path]]
    facts: dict[str, Any]  # schema, audit, and for PostgreSQL tables and sequences


def backup(station: Station, actor: User, out: Path) -> BackupResult:
    """Write a backup of the station's database and evidence to ``out`` (a .tar file).

    Administrators only: the file holds every record, password hash and sealed key.
    """
    with station.db.read() as s:
        require(s, actor, Permission.ADMINISTER)
        signer = signer_for(s, actor)
    out = _new_file(out)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".qcstation-backup-") as tmp:
        if station.db.dialect == "sqlite":
            source = sqlite_file(station.db.url)
            if source is None:
                raise BackupError("an in-memory database cannot be backed up")
            dump = dump_sqlite(source, Path(tmp))
        else:
            with station.db.engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    conn.execute(text("SET TRANSACTION READ ONLY"))
                    dump = dump_postgresql(conn, Path(tmp))
        return write(station, out, dump, signer, PURPOSE_BACKUP, evidence=True)


def signer_for(s: Session, actor: User | PlantRoot) -> Signer:
    """The actor's open key with the certificate the plant root issued for it."""
    root_row = _keyring.plant_row(s, _keyring.ROOT)
    if root_row is None or not root_row.certificate:
        raise BackupError("this plant has no root certificate: run `qcstation keys issue` first")
    root = keys.load_certs_pem(root_row.certificate)[0]
    credential = actor.credential
    if credential is None:
        raise PermissionDenied(
            f"{actor.audit_name} is not signed in with a usable signing key: sign in again "
            "(a backup is signed with the key the password opens)"
        )
    if isinstance(actor, PlantRoot):
        if credential.key_id != root_row.key_id:
            raise BackupError("the key given is not this plant's root")
        return Signer(ROOT_ACTOR, credential, root, root)
    row = s.scalars(select(SigningKeyRow).where(SigningKeyRow.key_id == credential.key_id)).first()
    if row is None or row.user_id != actor.id or row.revoked_at is not None:
        raise PermissionDenied(f"{actor.username}'s signing key is not usable: sign in again")
    cert = keys.load_certs_pem(row.certificate)[0] if row.certificate else None
    if cert is None or not keys.issued_by(cert, root):
        raise PermissionDenied(
            f"{actor.username}'s signing key is not certified by the plant root yet, so a "
            "backup could not prove who made it: an administrator runs `qcstation keys issue` "
            "first"
        )
    return Signer(actor.username, credential, cert, root)


def _new_file(out: Path) -> Path:
    out = out.expanduser().resolve()
    if out.exists():
        raise Conflict(f"{out} exists already: choose a new name (backups are never overwritten)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {out.parent}: {exc.strerror}") from None
    return out


def dump_sqlite(source: Path, tmp: Path) -> Dump:
    """A consistent copy of the file, and the schema and audit head inside that copy."""
    target = tmp / "qcstation.db"
    snapshots.sqlite_copy(source, target)
    con = snapshots.read_only(target)
    try:
        (rev,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
        chain_id, last_id, last_hash = con.execute(audit.HEAD_SQL).fetchone()
    except (sqlite3.Error, TypeError) as exc:
        raise BackupError(f"{source} is not a qcstation database ({exc})") from None
    finally:
        con.close()
    return Dump(
        [(SQLITE_MEMBER, target)],
        {"schema": rev, "audit": _audit(chain_id, last_id, last_hash), "database": "sqlite"},
    )


def dump_postgresql(conn: Connection, tmp: Path) -> Dump:
    """Every table's rows as CSV, inside the caller's transaction (one snapshot)."""
    tables = pgdata.columns(conn)
    rev = conn.execute(text(f"SELECT version_num FROM {pgdata.ALEMBIC_TABLE}")).scalar_one()
    head = conn.execute(text(audit.HEAD_SQL)).one()
    facts = pgdata.write_dump(conn, tables, tmp)
    return Dump(
        [(f"{TABLES}{t}.csv", tmp / f"{t}.csv") for t in facts],
        {
            "schema": rev,
            "audit": _audit(*head),
            "database": "postgresql",
            "tables": facts,
            "sequences": pgdata.sequences(conn, tables),
        },
    )


def _audit(chain_id: str | None, last_id: int, last_hash: str) -> dict[str, Any]:
    return {"chain_id": chain_id or "", "head": {"id": int(last_id), "hash": str(last_hash)}}


def _sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _add(tar: tarfile.TarFile, name: str, fh: Any, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, 0
    tar.addfile(info, fh)


def evidence_names(store: EvidenceStore) -> Iterator[str]:
    if not store.root.exists():
        return
    for sub in sorted(p for p in store.root.iterdir() if p.is_dir() and len(p.name) == 2):
        for path in sorted(sub.iterdir()):
            if SHA256_RE.match(path.name) and path.name.startswith(sub.name):
                yield path.name


def write(
    station: Station,
    out: Path,
    dump: Dump,
    signer: Signer,
    purpose: str,
    evidence: bool,
) -> BackupResult:
    """Write the archive: the dump, the evidence (or, for a safety copy, only its names:
    a restore never removes evidence), settings, then the signed manifest."""
    return write_archive(
        out,
        dump,
        signer,
        purpose,
        station.name,
        station.now().isoformat(),
        station.evidence,
        station.location.data_dir / config.SETTINGS_FILE,
        evidence,
    )


def write_archive(
    out: Path,
    dump: Dump,
    signer: Signer,
    purpose: str,
    station_name: str,
    created_at: str,
    store: EvidenceStore,
    settings: Path,
    evidence: bool,
) -> BackupResult:
    partial = out.with_name(out.name + ".partial")
    files: dict[str, dict[str, Any]] = {}
    in_place: list[str] = []
    count = 0
    try:
        # Readable by this account only, from its first byte.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for member, path in dump.members:
                    sha, size = _sha256_file(path)
                    with path.open("rb") as fh:
                        _add(tar, member, fh, size)
                    files[member] = {"sha256": sha, "size": size}
                for name in evidence_names(store):
                    if not evidence:
                        in_place.append(name)
                        continue
                    data = store.read(name)  # checks the hash: never back up damage
                    member = f"evidence/{name[:2]}/{name}"
                    _add(tar, member, io.BytesIO(data), len(data))
                    files[member] = {"sha256": name, "size": len(data)}
                    count += 1
                if settings.exists():
                    sha, size = _sha256_file(settings)
                    with settings.open("rb") as fh:
                        _add(tar, SETTINGS_MEMBER, fh, size)
                    files[SETTINGS_MEMBER] = {"sha256": sha, "size": size}
                fields = {
                    **dump.facts,
                    "qcstation": __version__,
                    "purpose": purpose,
                    "created_at": created_at,
                    "station": station_name,
                    "files": files,
                }
                if not evidence:
                    fields["evidence_in_place"] = in_place
                manifest, signature = signed_manifest(fields, signer)
                _add(tar, "manifest.json", io.BytesIO(manifest), len(manifest))
                _add(tar, "manifest.sig", io.BytesIO(signature), len(signature))
            raw.flush()
            os.fsync(raw.fileno())
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
    audit = dump.facts["audit"]["head"]
    return BackupResult(
        out,
        str(dump.facts["database"]),
        count,
        out.stat().st_size,
        hashlib.sha256(manifest).hexdigest(),
        signer.name,
        (int(audit["id"]), str(audit["hash"])),
    )
