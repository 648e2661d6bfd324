"""Who may restore over a station's data: what the target holds, whether the backup takes
its record back, and the administrator (or the plant root) who authorises replacing it and
signs the restore's entry in the restored trail.

A restore into an empty data directory needs nobody; over data (a database that holds
records, or a station whose anchor file saw the trail further than the backup reaches) it
needs ``force`` and the ``Credentials`` of an administrator of the database being
replaced, or, when that database cannot be read, the plant root passphrase. ``examine``
reads the target, ``rolls_back`` says why the backup would take the record back,
``authorise`` signs the administrator in to the database being replaced (or takes the root
passphrase), and ``acting_in`` finds who signs the restore's event in the restored
database.

Kept apart from services/restore.py because it answers the question asked before anything
is replaced (may this restore go ahead over this data, and in whose name), while the
restore does the replacing: the safety copy, the load, the swap and the record. Nothing
here writes to the data being replaced except what any sign-in writes (the attempt is
counted). The restore imports this module; this module never imports the restore.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qcstation import config
from qcstation.accounts.passwords import verify_password
from qcstation.domain.users import ROOT_ACTOR, Permission, PlantRoot, User
from qcstation.services import _keyring, accounts
from qcstation.services import backup as making
from qcstation.services.accounts import require
from qcstation.services.audit import fingerprint
from qcstation.services.backup_archive import NOTHING, Archive, BackupError, Signer
from qcstation.services.context import open_station
from qcstation.services.errors import LoginFailed, NotInitialised, PermissionDenied, ServiceError
from qcstation.store import anchors, audit, schema, snapshots
from qcstation.store import repositories as repo
from qcstation.store.database import DatabaseError, create, sqlite_file
from qcstation.store.models import SigningKeyRow, UserRow


@dataclass(frozen=True)
class Credentials:
    """Who authorises replacing data: an administrator of it (name and password), or,
    when it cannot be read, the plant root passphrase."""

    username: str | None = None
    password: str | None = None
    root_passphrase: str | None = None


# --- the target ------------------------------------------------------------------------------


@dataclass
class Target:
    location: config.Location
    holds: list[str]  # what would be replaced
    readable: bool
    problem: str = ""  # why it cannot be read
    head: tuple[str, int, str] | None = None  # chain id, last id, last hash
    anchored: anchors.Head | None = None  # what this station saw of the backup's chain

    @property
    def anchor_path(self) -> Path:
        return self.location.data_dir / anchors.FILE


def examine(location: config.Location, archive: Archive) -> Target:
    saved = anchors.load(location.data_dir / anchors.FILE)
    anchored = saved.chains.get(archive.chain_id, anchors.Chain()).head
    if location.is_sqlite:
        db = sqlite_file(location.database_url)
        if db is None or not db.exists() or db.stat().st_size == 0:
            return Target(location, [], False, "there is no database", None, anchored)
        holds = [f"the database {db}"]
        try:
            con = snapshots.read_only(db)
            try:
                if not con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    return Target(location, [], False, "the database is empty", None, anchored)
                row = con.execute(audit.HEAD_SQL).fetchone()
            finally:
                con.close()
        except sqlite3.Error as exc:
            return Target(location, holds, False, f"{db} cannot be read ({exc})", None, anchored)
        head = (row[0] or "", int(row[1]), str(row[2])) if row else None
        return Target(location, holds, head is not None, "", head, anchored)
    engine = create(location.database_url)
    try:
        state, _rev = schema.state(engine)
        if state is schema.SchemaState.EMPTY:
            return Target(location, [], False, "the database is empty", None, anchored)
        holds = ["the PostgreSQL database (it has qcstation tables)"]
        try:
            with engine.connect() as conn:
                row = conn.execute(text(audit.HEAD_SQL)).one()
        except Exception as exc:  # a damaged plant database: only the root may replace it
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return Target(location, holds, False, f"it cannot be read ({first})", None, anchored)
        return Target(location, holds, True, "", (row[0] or "", int(row[1]), row[2]), anchored)
    finally:
        engine.dispose()


def rolls_back(target: Target, archive: Archive) -> str:
    """Why restoring this backup takes the record back, as this station knows it ('' if not)."""
    if target.anchored is not None and target.anchored.id > archive.head[0]:
        return (
            f"this station saw the audit trail up to entry #{target.anchored.id}, the backup "
            f"reaches entry #{archive.head[0]}"
        )
    if target.head and target.head[0] == archive.chain_id and target.head[1] > archive.head[0]:
        return (
            f"the database being replaced reaches entry #{target.head[1]} of the audit "
            f"trail, the backup entry #{archive.head[0]}"
        )
    return ""


@dataclass
class Authority:
    """Who authorised replacing the target, and what they sign with."""

    name: str  # the administrator, or plant-root
    user: User | None = None  # signed in on the target
    password: str | None = None
    root_passphrase: str | None = None
    safety_signer: Signer | None = None  # known once the target was read


def authorise(target: Target, archive: Archive, creds: Credentials) -> Authority:
    if creds.username and (target.readable or not creds.root_passphrase):
        if not target.readable:
            raise PermissionDenied(
                f"the database being replaced cannot be read ({target.problem or 'it is gone'}),"
                f" so none of its administrators can sign in to it: only the plant root "
                f"passphrase can authorise this restore (--root-passphrase); {NOTHING}"
            )
        return _sign_in(target, archive, creds)
    if creds.root_passphrase:
        return Authority(ROOT_ACTOR, root_passphrase=creds.root_passphrase)
    raise PermissionDenied(
        "replacing a station's data needs an administrator of the database being replaced: "
        "pass --user NAME (their password is asked for), or, when that database cannot be "
        f"read, --root-passphrase; {NOTHING}"
    )


def _sign_in(target: Target, archive: Archive, creds: Credentials) -> Authority:
    name, password = creds.username or "", creds.password or ""
    try:
        station = open_station(target.location)
    except (NotInitialised, DatabaseError) as exc:
        raise PermissionDenied(
            f"the database being replaced cannot be opened ({exc}): only the plant root "
            f"passphrase can authorise this restore (--root-passphrase); {NOTHING}"
        ) from None
    try:
        try:
            user = accounts.login(station, name, password)
        except LoginFailed as exc:
            raise LoginFailed(f"{exc}; {NOTHING}") from None
        with station.db.read() as s:
            try:
                require(s, user, Permission.ADMINISTER)
            except PermissionDenied:
                raise PermissionDenied(
                    f"{name} is not an administrator of the database being replaced: only "
                    f"one of its administrators may replace it; {NOTHING}"
                ) from None
            revoked = s.scalar(
                select(SigningKeyRow.revoked_at).where(SigningKeyRow.key_id == archive.key_id)
            )
            if revoked is not None:
                raise BackupError(
                    f"{archive.path} is signed with {archive.signer}'s key, which this "
                    f"station's database revoked on {revoked:%Y-%m-%d %H:%M} UTC: restore a "
                    f"backup made by another administrator; {NOTHING}"
                )
            signer = making.signer_for(s, user)
    finally:
        station.close()
    return Authority(name, user, password, creds.root_passphrase, signer)


def acting_in(s: Session, authority: Authority, archive: Archive) -> User | PlantRoot:
    """Who signs the restore's entry in the restored trail: the administrator, with the key
    they signed in with (or the one their password opens there); else the plant root."""
    user = authority.user
    if user is not None and user.credential is not None:
        row = s.scalars(select(UserRow).where(UserRow.username == user.username)).first()
        if row is not None and row.active:
            key = s.scalars(
                select(SigningKeyRow).where(SigningKeyRow.key_id == user.credential.key_id)
            ).first()
            if key is not None and key.user_id == row.id and key.revoked_at is None:
                return replace(repo.user(row), credential=user.credential)
            if verify_password(row.password_hash, authority.password or ""):
                opened = _keyring.open_session_key(s, row, authority.password or "")
                if opened is not None:
                    return replace(repo.user(row), credential=opened)
    if authority.root_passphrase:
        try:
            plant = _keyring.unlock_plant(s, authority.root_passphrase)
        except ServiceError:
            raise PermissionDenied(
                "wrong root passphrase for the plant root in this backup (the passphrase as "
                f"it was when the backup was made); {NOTHING}"
            ) from None
        if fingerprint(plant.root) != archive.root_sha256:
            raise BackupError(f"{archive.path}: its plant root is not the one it names")
        root = PlantRoot(_keyring.SessionKey.of(plant.root_key))
        if authority.safety_signer is None:
            authority.safety_signer = Signer(ROOT_ACTOR, root.credential, plant.root, plant.root)
        return root
    raise PermissionDenied(
        f"{authority.name} has no usable signing key in the backed-up database (the account "
        "or key there is older or newer than the one signed in now), so the restore could "
        "not be recorded in that name: pass --root-passphrase as well (the plant root "
        f"passphrase as it was when the backup was made); {NOTHING}"
    )
