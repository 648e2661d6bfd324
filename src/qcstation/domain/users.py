"""Users, roles and what each role may do. The service layer checks these; the UI only hides."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class Role(str, Enum):
    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(str, Enum):
    INSPECT = "inspect"  # start inspections, record answers, log defects, capture evidence
    REVIEW = "review"  # approve or reject needs-review inspections, use-as-is dispositions
    MANAGE_CORRECTIVE_ACTIONS = "manage_corrective_actions"
    MANAGE_TEMPLATES = "manage_templates"
    MANAGE_USERS = "manage_users"
    ADMINISTER = "administer"  # stations, signing certificates, backups


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.INSPECTOR: frozenset({Permission.INSPECT}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.INSPECT,
            Permission.REVIEW,
            Permission.MANAGE_CORRECTIVE_ACTIONS,
            Permission.MANAGE_TEMPLATES,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 8


def check_username(name: str) -> str | None:
    """Return why a user name is not acceptable, or None when it is."""
    if not USERNAME_PATTERN.match(name):
        return (
            "a user name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter"
        )
    return None


def check_password(password: str) -> str | None:
    """Return why a password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if password.strip() != password:
        return "a password may not start or end with spaces"
    return None


class Credential(Protocol):
    """A private key opened at sign-in: what makes a change this person's and nobody else's.

    Every audited change is signed with it (store/audit.py), so the actor of an entry is
    proven by a key only that person can open, never taken from a caller's string.
    """

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    active: bool = True
    # Set only by a successful sign-in (services.accounts.login); None means the object
    # describes a user but cannot act as one.
    credential: Credential | None = field(default=None, compare=False, repr=False)

    def can(self, permission: Permission) -> bool:
        return self.active and can(self.role, permission)

    @property
    def audit_name(self) -> str:
        """The actor written into the audit trail."""
        return self.username


@dataclass(frozen=True)
class PlantRoot:
    """The plant root acting on its own: unlocking an account with the root passphrase
    when no administrator can sign in. Its changes are signed with the root key."""

    credential: Credential

    @property
    def audit_name(self) -> str:
        return ROOT_ACTOR


ROOT_ACTOR = "plant-root"
