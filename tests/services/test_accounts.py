from __future__ import annotations

import pytest
from sqlalchemy import text

from qcstation.domain.users import Role, User
from qcstation.services import accounts
from qcstation.services.accounts import MAX_FAILED_LOGINS
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, LoginFailed, PermissionDenied


def test_login_and_password_hash(
    station: Station, admin: User, password: str, production_cost: None
) -> None:
    assert admin.username == "alice" and admin.role is Role.ADMIN
    accounts.create_user(station, admin, "ines", password, Role.INSPECTOR)
    assert accounts.login(station, "ines", password).username == "ines"
    with station.db.read() as s:
        stored = s.execute(text("SELECT password_hash FROM users WHERE username = 'ines'"))
        stored = stored.scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password not in stored


def test_wrong_passwords_lock_the_account(station: Station, admin: User, password: str) -> None:
    user = accounts.create_user(station, admin, "ines", password, Role.INSPECTOR)
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(LoginFailed, match="wrong password"):
            accounts.login(station, "ines", "nope-nope-nope")
    assert accounts.login(station, "ines", password) == user  # resets the count
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            accounts.login(station, "ines", "nope-nope-nope")
    with pytest.raises(LoginFailed, match="wrong password"):
        accounts.login(station, "ines", password)
    assert accounts.is_locked(station, "ines")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(
    station: Station, admin: User, password: str
) -> None:
    with pytest.raises(LoginFailed) as unknown:
        accounts.login(station, "nobody", password)
    with pytest.raises(LoginFailed) as wrong:
        accounts.login(station, "alice", "not her password")
    assert str(unknown.value) == str(wrong.value) == accounts.LOGIN_REFUSED


def test_only_admins_add_users_and_names_are_checked(
    station: Station, admin: User, password: str
) -> None:
    sup = accounts.create_user(station, admin, "sam", password, Role.SUPERVISOR)
    with pytest.raises(PermissionDenied, match="may not manage users"):
        accounts.create_user(station, sup, "eve", password, Role.ADMIN)
    with pytest.raises(InvalidInput, match="at least 8"):
        accounts.create_user(station, admin, "bob", "short", Role.INSPECTOR)
    with pytest.raises(InvalidInput, match="user name"):
        accounts.create_user(station, admin, "Bob Smith", password, Role.INSPECTOR)
    with pytest.raises(Conflict, match="exists already"):
        accounts.create_user(station, admin, "sam", password, Role.INSPECTOR)
    with pytest.raises(PermissionDenied, match="users exist already"):
        accounts.create_user(station, None, "mallory", password, Role.ADMIN)
