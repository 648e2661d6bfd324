"""Users, roles and what each role may do. The service layer checks these; the UI only hides."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


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


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    active: bool = True

    def can(self, permission: Permission) -> bool:
        return self.active and can(self.role, permission)
