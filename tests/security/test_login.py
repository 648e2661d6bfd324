"""Attacks on signing in: learning which names exist, and locking the only administrator out.

The answer to a refused sign-in must not tell an unknown name from a wrong password, a
locked account or a disabled one: not by its words, and not by its cost. The cost is
checked by counting the expensive steps (argon2 verifications, key derivations, writes)
rather than by timing, which this machine's load would make flaky; bench/login_timing.py
measures the times themselves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from qcstation import cli
from qcstation.accounts import sealing
from qcstation.domain.users import Role, User
from qcstation.services import accounts, audit
from qcstation.services.context import Station
from qcstation.services.errors import LoginFailed, PermissionDenied


@contextmanager
def counted(station: Station, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    calls: Counter[str] = Counter()

    def wrap(owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        def spy(*a: object, **k: object) -> object:
            calls[label] += 1
            return real(*a, **k)

        monkeypatch.setattr(owner, name, spy)

    wrap(accounts, "verify_password", "argon2 verify")
    wrap(sealing, "_derive", "key derivation")
    wrap(station.db, "write", "write transaction")
    yield calls
    monkeypatch.undo()


def _refusal(station: Station, monkeypatch: pytest.MonkeyPatch, name: str, pw: str):
    with counted(station, monkeypatch) as calls, pytest.raises(LoginFailed) as refused:
        accounts.login(station, name, pw)
    return str(refused.value), dict(calls)


def test_l1_no_answer_tells_which_names_exist(
    station: Station,
    admin: User,
    inspector: User,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts.create_user(station, admin, "dora", password, Role.INSPECTOR)
    accounts.set_active(station, admin, "dora", False)
    unknown = _refusal(station, monkeypatch, "nobody", password)
    wrong = _refusal(station, monkeypatch, "ines", "not her password")
    disabled = _refusal(station, monkeypatch, "dora", password)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        _refusal(station, monkeypatch, "ines", "still not it")
    locked_right = _refusal(station, monkeypatch, "ines", password)
    assert unknown == wrong == disabled == locked_right
    message, work = unknown
    assert message == accounts.LOGIN_REFUSED
    assert work == {"argon2 verify": 1, "write transaction": 1}


def test_l2_the_only_administrator_locked_out_comes_back_with_the_root_passphrase(
    station: Station, admin: User, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            accounts.login(station, "alice", "guessing")
    assert accounts.is_locked(station, "alice")
    with pytest.raises(LoginFailed):
        accounts.login(station, "alice", password)
    # A wrong root passphrase does nothing.
    from qcstation.services.errors import InvalidInput

    with pytest.raises(InvalidInput, match="wrong root passphrase"):
        accounts.unlock_with_root(station, "alice", "not the root passphrase")
    assert accounts.is_locked(station, "alice")
    # From the command line, as the plant's owner would (the root passphrase is the first
    # administrator's password unless QCSTATION_ROOT_PASSPHRASE was set at init).
    monkeypatch.setenv("QCSTATION_ROOT_PASSPHRASE", password)
    data = ["--data-dir", str(station.location.data_dir)]
    if not station.location.is_sqlite:
        data += ["--database-url", station.location.database_url]
    assert cli.main(["users", "unlock", "alice", "--root-passphrase", *data]) == 0
    assert accounts.login(station, "alice", password).username == "alice"
    report = audit.verify(station)
    assert report.ok, report.findings
    with station.db.read() as s:
        from sqlalchemy import text

        row = s.execute(
            text("SELECT actor, action FROM audit_log WHERE entity = 'event' ORDER BY id DESC")
        ).first()
    assert tuple(row) == ("plant-root", "unlock")


def test_l2_another_administrator_unlocks_but_an_inspector_cannot(
    station: Station, admin: User, inspector: User, password: str
) -> None:
    accounts.create_user(station, admin, "bea", password, Role.ADMIN)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            accounts.login(station, "alice", "guessing")
    with pytest.raises(PermissionDenied):
        accounts.unlock(station, inspector, "alice")
    accounts.unlock(station, accounts.login(station, "bea", password), "alice")
    assert accounts.login(station, "alice", password).username == "alice"
    assert audit.verify(station).ok
