"""Logging in, creating users, and the permission check every other service calls."""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.accounts.passwords import hash_password, needs_rehash, verify_password
from qcstation.domain.users import (
    Permission,
    PlantRoot,
    Role,
    User,
    check_password,
    check_username,
)
from qcstation.services import _keyring, _plant_keys
from qcstation.services.context import Station
from qcstation.services.errors import (
    Conflict,
    InvalidInput,
    LoginFailed,
    PermissionDenied,
    ServiceError,
)
from qcstation.store import audit
from qcstation.store import repositories as repo
from qcstation.store.models import LoginStats, UserRow

MAX_FAILED_LOGINS = 5
log = logging.getLogger("qcstation.accounts")


def require(session: Session, actor: User, permission: Permission) -> UserRow:
    """Check the actor's current role in the database, whatever the caller believes."""
    return require_row(session.get(UserRow, actor.id), actor, permission)


def require_row(row: UserRow | None, actor: User, permission: Permission) -> UserRow:
    """``require``, on the actor's row as just read from the database."""
    if row is None or row.username != actor.username or not row.active:
        raise PermissionDenied(f"user {actor.username!r} is not an active user of this station")
    if not repo.user(row).can(permission):
        raise PermissionDenied(
            f"{actor.username} ({row.role}) may not {permission.value.replace('_', ' ')}"
        )
    return row


# Every refusal reads the same, whoever the name belongs to: a wrong guess learns nothing
# about which accounts exist, which are locked, or which are disabled.
LOGIN_REFUSED = (
    "unknown user or wrong password (after 5 wrong passwords in a row an account locks "
    "until an administrator unlocks it)"
)


def login(station: Station, username: str, password: str) -> User:
    """Check a password and open the user's signing key for this session.

    Every failure costs the same work (one argon2 verification and one small write) and
    gives the same message, so neither the answer nor its time tells whether the name
    exists. Five wrong passwords in a row lock the account until an administrator (or the
    plant root passphrase) unlocks it.

    The argon2 verification and the opening of the key (each tens to hundreds of
    milliseconds) run with no transaction open; the write that counts the attempt is short
    and decides on the row as it is then (a password changed meanwhile is checked again),
    so answers being saved meanwhile never wait for a sign-in.
    """
    with station.db.read() as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        seen = row.password_hash if row is not None else None
        # a refusal must cost what any other does: a key is opened only for a sign-in
        # that will succeed (as it stands now; the write below decides)
        may = row is not None and row.active and row.failed_logins < MAX_FAILED_LOGINS
    right = verify_password(seen or _dummy_hash(), password)
    found: User | None = None
    rehash = False
    opened: tuple[int, _keyring.SessionKey | None] | None = None
    if right and may:
        with station.db.read() as s:
            row = s.scalars(select(UserRow).where(UserRow.username == username)).one()
            opened = (row.id, _keyring.open_session_key(s, row, password))
    with station.db.write(None, station.name, reason="login") as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        known = row is not None
        if row is not None and row.password_hash != seen:  # changed meanwhile: check again
            right = verify_password(row.password_hash, password)
            opened = None
        if row is None:
            _count_unknown(s)
        elif not right:
            row.failed_logins += 1
        elif not row.active or row.failed_logins >= MAX_FAILED_LOGINS:
            row.failed_logins += 1  # the same work and answer as a wrong password
        else:
            row.failed_logins = 0
            credential = (
                opened[1]
                if opened is not None and opened[0] == row.id
                else _keyring.open_session_key(s, row, password)
            )
            found = replace(repo.user(row), credential=credential)
            rehash = needs_rehash(row.password_hash)
    if found is None:
        # An unknown name is not logged: it may be a password typed into the wrong field.
        log.info("sign-in refused for %s", repr(username) if known else "an unknown name")
        raise LoginFailed(LOGIN_REFUSED)
    log.info("%s signed in (%s) on %s", username, found.role.value, station.name)
    if rehash and found.credential is not None:
        new_hash = hash_password(password)  # argon2 again: outside the transaction
        with station.db.write(found, station.name, reason="password hash upgraded") as s:
            s.get_one(UserRow, found.id).password_hash = new_hash
    return found


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _count_unknown(s: Session) -> None:
    """One small write, as a wrong password for a real name costs."""
    stats = s.get(LoginStats, 1)
    if stats is None:
        s.add(LoginStats(id=1, unknown_failures=1))
    else:
        stats.unknown_failures += 1


def create_user(
    station: Station,
    actor: User | None,
    username: str,
    password: str,
    role: Role,
    full_name: str = "",
    root_passphrase: str | None = None,
) -> User:
    """Add a user. With actor None, only the very first user (the admin at init) may be made.

    The user gets a signing key sealed under this password. With the plant's root
    passphrase its certificate is issued at once; without, it waits for `keys issue`.
    """
    for problem in (check_username(username), check_password(password)):
        if problem:
            raise InvalidInput(problem)
    # The first user signs her own creation with the key made for her here.
    acting: User = actor or User(0, username, full_name or username, role)
    with station.db.write(acting, station.name, reason="new user") as s:
        if actor is None:
            if s.scalar(select(func.count()).select_from(UserRow)):
                raise PermissionDenied("users exist already: an administrator must add new ones")
        else:
            require(s, actor, Permission.MANAGE_USERS)
        if s.scalars(select(UserRow).where(UserRow.username == username)).first():
            raise Conflict(f"a user named {username!r} exists already")
        row = UserRow(
            username=username,
            full_name=full_name or username,
            role=role.value,
            password_hash=hash_password(password),
            active=True,
            failed_logins=0,
            created_at=station.now(),
        )
        s.add(row)
        s.flush()
        plant = _keyring.unlock_plant(s, root_passphrase) if root_passphrase else None
        key, opened = _keyring.enroll(
            s, station.now(), row, password, actor.id if actor else row.id, plant
        )
        if plant is not None and actor is not None:
            _plant_keys.grant_with_root(s, plant, key, row, station.now(), actor.id)
        if actor is None:
            audit.sign_with(s, opened)
        return repo.user(row)


@dataclass(frozen=True)
class RoleChanged:
    user: User
    handed: int  # wraps of the plant's issuing keys made for the user's key
    taken: tuple[str, ...]  # the issuing keys taken back (seal, document)
    note: str  # what the change means for the plant's keys, in words ("" when nothing)


def set_role(
    station: Station,
    actor: User,
    username: str,
    role: Role,
    root_passphrase: str | None = None,
) -> RoleChanged:
    """Change a user's role. Becoming a supervisor or administrator hands the user's key
    the plant's issuing keys (from the acting administrator's own copy, or with the root
    passphrase); leaving those roles takes them back, and since the user held them, the
    keys must be rotated (done at once when the root passphrase is given)."""
    with station.db.write(actor, station.name, reason=f"role: {username} -> {role.value}") as s:
        me = require(s, actor, Permission.MANAGE_USERS)
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            raise InvalidInput(f"no user {username!r}")
        if row.id == me.id:
            raise Conflict("you cannot change your own role: ask another administrator")
        was = _plant_keys.may_hold(row)
        row.role = role.value
        s.flush()
        handed, note = 0, ""
        taken: tuple[str, ...] = ()
        key = _keyring.current_key(s, row.id)
        if _plant_keys.may_hold(row) and not was and key is not None:
            handed = _hand_over(s, station, actor, me, key, row, root_passphrase)
            if not handed:
                note = (
                    f"{username}'s key receives the plant's document key and seal when an "
                    "administrator runs `qcstation keys issue`"
                )
        elif was and not _plant_keys.may_hold(row):
            held = _plant_keys.drop_all_wraps_of_user(s, row.id)
            taken = tuple(sorted({r.kind for r in held}))
            if held:
                _plant_keys.note_exposed(
                    s,
                    held,
                    f"held by {username}, who is no longer a {_ISSUER_WORDS}",
                    station.now(),
                )
                note = (
                    f"{username} held the plant's document key and seal: rotate them with "
                    f"{_plant_keys.ROTATE}"
                )
        changed = repo.user(row)
    if taken and root_passphrase:
        from qcstation.services import keys

        keys.rotate(station, actor, root_passphrase)
        note = f"{username} held the plant's document key and seal: they were rotated"
    return RoleChanged(changed, handed, taken, note)


_ISSUER_WORDS = "supervisor or administrator"


def _hand_over(
    s: Session,
    station: Station,
    actor: User,
    me: UserRow,
    key: Any,
    row: UserRow,
    root_passphrase: str | None,
) -> int:
    if root_passphrase:
        plant = _keyring.unlock_plant(s, root_passphrase)
        return _plant_keys.grant_with_root(s, plant, key, row, station.now(), me.id)
    credential = actor.credential
    private = getattr(credential, "private_key", None)
    if credential is None or private is None:
        return 0
    try:
        hands = _plant_keys.open_hands(s, me, credential.key_id, private)
    except ServiceError:
        return 0  # the administrator holds none to hand on: `keys issue` will
    return _plant_keys.grant(s, _plant_keys.secrets_of(hands), key, row, station.now(), me.id)


def change_password(station: Station, actor: User, old: str, new: str) -> int:
    """Change one's own password; the signing key is re-sealed under the new one.

    When the old password also opened the plant root (the default set-up, where the
    first administrator's password is the root passphrase), the root follows it.
    Returns how many keys were re-sealed.
    """
    problem = check_password(new)
    if problem:
        raise InvalidInput(problem)
    me = login(station, actor.username, old)  # counts a wrong password toward the lockout
    with station.db.write(me, station.name, reason="password change") as s:
        row = s.get_one(UserRow, actor.id)
        row.password_hash = hash_password(new)
        done = _keyring.reseal_user(s, row.id, old, new)
        if repo.user(row).can(Permission.ADMINISTER):
            done += 2 * _keyring.reseal_plant(s, old, new)
        return done


def list_users(station: Station) -> list[User]:
    with station.db.read() as s:
        return [repo.user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]


def set_active(station: Station, actor: User, username: str, active: bool) -> User:
    """Disable or re-enable an account; a disabled user can no longer sign in or act."""
    with station.db.write(
        actor, station.name, reason="enable user" if active else "disable user"
    ) as s:
        require(s, actor, Permission.MANAGE_USERS)
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            raise InvalidInput(f"no user {username!r}")
        if row.id == actor.id and not active:
            raise Conflict("you cannot disable your own account")
        row.active = active
        if not active:  # someone who left takes no plant key along: `keys list` says rotate
            held = _plant_keys.drop_all_wraps_of_user(s, row.id)
            _plant_keys.note_exposed(
                s, held, f"held by {username}, whose account was disabled", station.now()
            )
        return repo.user(row)


def unlock(station: Station, actor: User, username: str) -> User:
    """Clear the count of wrong passwords that locked an account (another administrator's
    or the same one's, recorded in the audit trail)."""
    with station.db.write(actor, station.name, reason="unlock account") as s:
        require(s, actor, Permission.MANAGE_USERS)
        return _unlock(s, username)


def unlock_with_root(station: Station, username: str, root_passphrase: str) -> User:
    """Unlock an account with the plant root passphrase: the way back when the only
    administrator is locked out. The plant root signs the unlock in the audit trail."""
    with station.db.read() as s:
        plant = _keyring.unlock_plant(s, root_passphrase)
    root = PlantRoot(_keyring.SessionKey.of(plant.root_key))
    with station.db.write(root, station.name, reason="unlock with the root passphrase") as s:
        return _unlock(s, username)


def _unlock(s: Session, username: str) -> User:
    row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
    if row is None:
        raise InvalidInput(f"no user {username!r}")
    audit.record_event(
        s, f"users/{row.id}", "unlock", {"user": username, "wrong_passwords": row.failed_logins}
    )
    row.failed_logins = 0
    return repo.user(row)


def is_locked(station: Station, username: str) -> bool:
    with station.db.read() as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        return row is not None and row.failed_logins >= MAX_FAILED_LOGINS
