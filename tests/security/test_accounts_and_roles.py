"""Passwords, lockout and role checks, attacked from the service layer directly: what a
caller claims about a user counts for nothing, only the database's current row does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import Parameters, Type
from argon2.low_level import ARGON2_VERSION
from sqlalchemy import select, text

from qcstation import content
from qcstation.accounts import passwords
from qcstation.domain.inspections import Decision
from qcstation.domain.signing import Meaning
from qcstation.domain.users import Role, User
from qcstation.services import accounts, backup, keys, review, setup, signing, templates
from qcstation.services.context import Station
from qcstation.services.errors import LoginFailed, PermissionDenied
from qcstation.store.models import UserRow


def test_password_hashes_are_argon2id_at_owasp_minimum_or_above(
    station: Station, admin: User, production_cost: None
) -> None:
    accounts.change_password(station, admin, "correct horse battery", "correct horse 2")
    with station.db.read() as s:
        stored = s.scalars(select(UserRow.password_hash).where(UserRow.id == admin.id)).one()
    from argon2 import extract_parameters

    p: Parameters = extract_parameters(stored)
    # OWASP Password Storage Cheat Sheet: argon2id, m >= 19 MiB, t >= 2, p >= 1
    assert p.type is Type.ID and p.version == ARGON2_VERSION
    assert p.memory_cost >= 19 * 1024 and p.time_cost >= 2 and p.parallelism >= 1
    assert p.salt_len >= 16 and p.hash_len >= 32
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_a_weaker_old_hash_is_upgraded_at_the_next_login(
    station: Station, admin: User, password: str, production_cost: None
) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    with station.db.engine.begin() as conn:  # an old station's hash, put back by hand
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE id = :i"),
            {"h": weak.hash(password), "i": admin.id},
        )
    accounts.login(station, "alice", password)
    with station.db.read() as s:
        assert not passwords.needs_rehash(s.get_one(UserRow, admin.id).password_hash)


def test_a_stronger_hash_is_never_made_cheaper(
    station: Station, admin: User, password: str, production_cost: None
) -> None:
    from argon2 import PasswordHasher

    strong = PasswordHasher(time_cost=3, memory_cost=32 * 1024, parallelism=2, type=Type.ID)
    stronger = strong.hash(password)
    with station.db.engine.begin() as conn:  # a plant that raised the cost by hand
        conn.execute(
            text("UPDATE users SET password_hash = :h WHERE id = :i"),
            {"h": stronger, "i": admin.id},
        )
    accounts.login(station, "alice", password)
    with station.db.read() as s:
        assert s.get_one(UserRow, admin.id).password_hash == stronger
    # cheaper in any one way is weaker, even when another is raised
    for cheaper in (
        PasswordHasher(time_cost=1, memory_cost=64 * 1024, parallelism=1, type=Type.ID),
        PasswordHasher(time_cost=4, memory_cost=8 * 1024, parallelism=1, type=Type.ID),
        PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.I),
    ):
        assert passwords.needs_rehash(cheaper.hash(password))
    assert passwords.needs_rehash("not an argon2 hash")


def test_lockout_after_five_wrong_passwords_even_for_the_right_one(
    station: Station, admin: User, inspector: User, password: str
) -> None:
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(LoginFailed):
            accounts.login(station, "ines", "wrong password!")
    with pytest.raises(LoginFailed, match="wrong password"):
        accounts.login(station, "ines", password)
    assert accounts.is_locked(station, "ines")
    # a password given to a signing call counts toward the same lockout, and is refused
    with pytest.raises(LoginFailed, match="wrong password"):
        signing.sign(station, inspector, "no-such-inspection", Meaning.PERFORMED, password)
    with pytest.raises(PermissionDenied):
        accounts.unlock(station, inspector, "ines")  # not by the locked user themselves
    accounts.unlock(station, admin, "ines")
    assert accounts.login(station, "ines", password).username == "ines"


def forged(user: User, role: Role = Role.ADMIN) -> User:
    """The inspector's own User object, claiming a higher role: what a buggy or hostile
    caller could pass."""
    return replace(user, role=role)


def test_an_inspector_is_refused_whatever_the_caller_claims(
    station: Station,
    admin: User,
    inspector: User,
    supervisor: User,
    password: str,
    tmp_path: Path,
) -> None:
    for actor in (inspector, forged(inspector), forged(inspector, Role.SUPERVISOR)):
        with pytest.raises(PermissionDenied):
            accounts.create_user(station, actor, "mallory", password, Role.ADMIN)
        with pytest.raises(PermissionDenied):
            accounts.set_active(station, actor, "sam", False)
        with pytest.raises(PermissionDenied):
            accounts.unlock(station, actor, "alice")
        with pytest.raises(PermissionDenied):
            templates.activate(station, actor, "final-qc", 1)
        with pytest.raises(PermissionDenied):
            templates.import_files(station, actor, content.shipped_templates()[:1])
        with pytest.raises(PermissionDenied):
            review.decide(station, actor, "any-id", Decision.ACCEPTED, "looks fine to me")
        with pytest.raises(PermissionDenied):
            keys.issue_pending(station, actor, password)
        with pytest.raises(PermissionDenied):
            keys.revoke(station, actor, "sam", "because")
        with pytest.raises(PermissionDenied):
            backup.backup(station, actor, tmp_path / "stolen.qcbackup")
    assert not (tmp_path / "stolen.qcbackup").exists()
    # an inspector cannot register a station on the plant database either
    with pytest.raises(PermissionDenied):
        setup.join(replace(station, name="rogue"), "ines", password, None, "head")
    # a user object naming another row (an id that is not theirs) is refused too
    with pytest.raises(PermissionDenied, match="not an active user"):
        accounts.create_user(station, replace(admin, id=inspector.id), "m2", password, Role.ADMIN)
    # a disabled admin is refused at once, with the session's object still in hand
    other = accounts.create_user(station, admin, "root2", password, Role.ADMIN)
    accounts.set_active(station, admin, "root2", False)
    with pytest.raises(PermissionDenied, match="not an active user"):
        templates.activate(station, other, "final-qc", 1)
    assert [u.username for u in accounts.list_users(station)].count("mallory") == 0


def test_an_inspector_cannot_sign_as_approver(
    station: Station, admin: User, inspector: User, password: str
) -> None:
    from ..services.conftest import finish

    keys.issue_pending(station, admin, password)
    done = finish(station, inspector)
    other = accounts.create_user(
        station, admin, "ivan", password, Role.INSPECTOR, root_passphrase=password
    )
    for actor in (other, forged(other, Role.SUPERVISOR)):
        with pytest.raises(PermissionDenied, match="may not review"):
            signing.sign(station, actor, done, Meaning.APPROVED, password)
    assert signing.signatures(station, done) == []
