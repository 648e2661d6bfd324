"""Logging in, creating users, and the permission check every other service calls."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcstation.accounts.passwords import hash_password, needs_rehash, verify_password
from qcstation.domain.users import Permission, Role, User, check_password, check_username
from qcstation.services import _keyring
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, LoginFailed, PermissionDenied
from qcstation.store import repositories as repo
from qcstation.store.models import UserRow

MAX_FAILED_LOGINS = 5


def require(session: Session, actor: User, permission: Permission) -> UserRow:
    """Check the actor's current role in the database, whatever the caller believes."""
    row = session.get(UserRow, actor.id)
    if row is None or row.username != actor.username or not row.active:
        raise PermissionDenied(f"user {actor.username!r} is not an active user of this station")
    if not repo.user(row).can(permission):
        raise PermissionDenied(
            f"{actor.username} ({row.role}) may not {permission.value.replace('_', ' ')}"
        )
    return row


def login(station: Station, username: str, password: str) -> User:
    """Check a password; five wrong ones in a row lock the account until an admin resets it."""
    error = "unknown user or wrong password"
    found: User | None = None
    # The block commits on leaving, so a counted failure is kept even though we refuse.
    with station.db.write(actor=username or "?", station=station.name, reason="login") as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            pass
        elif not row.active:
            error = f"the account {username!r} is disabled: ask an administrator"
        elif row.failed_logins >= MAX_FAILED_LOGINS:
            error = (
                f"the account {username!r} is locked after {MAX_FAILED_LOGINS} wrong passwords: "
                "ask an administrator to reset it"
            )
        elif not verify_password(row.password_hash, password):
            row.failed_logins += 1
            left = MAX_FAILED_LOGINS - row.failed_logins
            if left <= 2:
                error += f" ({left} tries left before the account locks)"
        else:
            if row.failed_logins:
                row.failed_logins = 0
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            found = repo.user(row)
    if found is None:
        raise LoginFailed(error)
    return found


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
    with station.db.write(
        actor=actor.username if actor else username, station=station.name, reason="new user"
    ) as s:
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
        _keyring.enroll(s, station.now(), row, password, actor.id if actor else row.id, plant)
        return repo.user(row)


def change_password(station: Station, actor: User, old: str, new: str) -> int:
    """Change one's own password; the signing key is re-sealed under the new one.

    When the old password also opened the plant root (the default set-up, where the
    first administrator's password is the root passphrase), the root follows it.
    Returns how many keys were re-sealed.
    """
    problem = check_password(new)
    if problem:
        raise InvalidInput(problem)
    login(station, actor.username, old)  # counts a wrong password toward the lockout
    with station.db.write(actor.username, station.name, reason="password change") as s:
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
        actor.username, station.name, reason="enable user" if active else "disable user"
    ) as s:
        require(s, actor, Permission.MANAGE_USERS)
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            raise InvalidInput(f"no user {username!r}")
        if row.id == actor.id and not active:
            raise Conflict("you cannot disable your own account")
        row.active = active
        return repo.user(row)


def unlock(station: Station, actor: User, username: str) -> User:
    """Clear the count of wrong passwords that locked an account."""
    with station.db.write(actor.username, station.name, reason="unlock account") as s:
        require(s, actor, Permission.MANAGE_USERS)
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        if row is None:
            raise InvalidInput(f"no user {username!r}")
        row.failed_logins = 0
        return repo.user(row)


def is_locked(station: Station, username: str) -> bool:
    with station.db.read() as s:
        row = s.scalars(select(UserRow).where(UserRow.username == username)).one_or_none()
        return row is not None and row.failed_logins >= MAX_FAILED_LOGINS
