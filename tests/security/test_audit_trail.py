"""Attacks on the audit trail by an insider who reads the code and writes the database.

Each test is written as the attack: raw SQL on the station's own database, the chain's
hashes recomputed with the project's own function, entries re-signed with the attacker's
own key (she knows her password), an older copy of the database put back. Each asserts
that `audit verify` names what happened. docs/security.md lists them as rows A1-A6.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest
from sqlalchemy import text

from qcstation.domain.defects import Disposition
from qcstation.domain.records import canonical_json
from qcstation.domain.users import User
from qcstation.services import _keyring, audit, nonconformance
from qcstation.services.context import Station
from qcstation.store import anchors
from qcstation.store.audit import AuditError
from qcstation.store.database import sqlite_file
from qcstation.store.models import UserRow

from ..services.test_nonconformance import failed
from ..tampering import append_entry, as_owner, move_tip, rehash_from


def _entries(station: Station, after: int = 0) -> list[Any]:
    with station.db.engine.connect() as conn:
        return list(
            conn.execute(text("SELECT * FROM audit_log WHERE id > :i ORDER BY id"), {"i": after})
        )


def _last_id(station: Station) -> int:
    with station.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one())


def _her_key(station: Station, user: User, password: str) -> _keyring.SessionKey:
    """What the inspector can open with her own password, using the project's own code."""
    with station.db.read() as s:
        key = _keyring.open_session_key(s, s.get_one(UserRow, user.id), password)
    assert key is not None
    return key


@pytest.fixture
def decided(station: Station, inspector: User, supervisor: User) -> tuple[str, int, int]:
    """A failed casting (the inspector's), then the supervisor's disposition of its defect.
    Returns (inspection id, last entry before the disposition, last entry)."""
    ins_id, defect_id = failed(station, inspector)
    before = _last_id(station)
    nonconformance.decide(station, supervisor, defect_id, Disposition.SCRAP, "porous shank")
    assert audit.verify(station).ok
    return ins_id, before, _last_id(station)


def _rehash_from(station: Station, first: int, sign_as: _keyring.SessionKey | None) -> None:
    """Recompute every link from entry ``first`` on with the project's own entry_hash; with
    ``sign_as``, also re-sign every sealed entry with that key (the attacker's own)."""
    with as_owner(station.db.engine) as conn:
        rehash_from(conn, first, sign_as)


def _event(actor: str, station: str, entity_id: str, action: str) -> dict[str, Any]:
    return {
        "at": "2026-12-05T10:00:00.000000+00:00",
        "actor": actor,
        "station": station,
        "entity": "event",
        "entity_id": entity_id,
        "action": action,
        "old": None,
        "new": "{}",
        "reason": "",
    }


def _findings(station: Station) -> list[str]:
    report = audit.verify(station)
    assert not report.ok, "the attack went unnoticed"
    return [str(f) for f in report.findings]


# --- A1: cut entries (and the rows they made) off the end, move the head back ----------------


def test_a1_truncating_the_end_and_moving_the_head_back_is_found(
    station: Station, decided: tuple[str, int, int]
) -> None:
    _ins, before, last = decided
    with as_owner(station.db.engine) as conn:
        conn.execute(text("DELETE FROM dispositions"))
        conn.execute(text("DELETE FROM audit_log WHERE id > :i"), {"i": before})
        move_tip(conn, station.name, before)
    found = _findings(station)
    assert any("'s chain ends at its entry #" in f for f in found), found
    assert any(f"but this station saw entry #{last}" in f for f in found), found


def test_a1_the_anchor_lives_outside_the_database_and_only_this_account_reads_it(
    station: Station, decided: tuple[str, int, int]
) -> None:
    path = station.location.data_dir / anchors.FILE
    assert path.stat().st_mode & 0o077 == 0
    assert anchors.load(path).chain(audit.verify(station).chain_id).head is not None


# --- A2: change a verdict, patch its entry, recompute every hash -----------------------------


def _change_verdict(station: Station, ins_id: str) -> int:
    """Make the failed inspection a pass, and patch its newest entry to agree."""
    with as_owner(station.db.engine) as conn:
        conn.execute(text("UPDATE inspections SET verdict = 'pass' WHERE id = :i"), {"i": ins_id})
        e = conn.execute(
            text(
                "SELECT id, new FROM audit_log WHERE entity = 'inspections' AND entity_id = :i "
                "ORDER BY id DESC LIMIT 1"
            ),
            {"i": ins_id},
        ).one()
        new = json.loads(e.new)
        new["verdict"] = "pass"
        conn.execute(
            text("UPDATE audit_log SET new = :n WHERE id = :i"),
            {"n": canonical_json(new), "i": e.id},
        )
        return int(e.id)


def test_a2_a_changed_verdict_with_every_hash_recomputed_breaks_the_next_signature(
    station: Station, decided: tuple[str, int, int]
) -> None:
    ins_id, _before, _last = decided
    patched = _change_verdict(station, ins_id)
    _rehash_from(station, patched, sign_as=None)
    found = _findings(station)
    assert any("signature does not match the entry" in f for f in found), found


def test_a2_re_signing_with_her_own_key_cannot_speak_for_the_supervisor(
    station: Station, inspector: User, password: str, decided: tuple[str, int, int]
) -> None:
    ins_id, _before, _last = decided
    patched = _change_verdict(station, ins_id)
    _rehash_from(station, patched, sign_as=_her_key(station, inspector, password))
    found = _findings(station)
    assert any("signed with ines's key, yet it names sam as the actor" in f for f in found), found


def test_a2_renaming_the_supervisors_entries_to_herself_is_still_found(
    station: Station, inspector: User, password: str, decided: tuple[str, int, int]
) -> None:
    ins_id, before, _last = decided
    patched = _change_verdict(station, ins_id)
    with as_owner(station.db.engine) as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'ines' WHERE id > :i"), {"i": before})
    _rehash_from(station, patched, sign_as=_her_key(station, inspector, password))
    found = _findings(station)
    # The signatures now all check out as hers, but the disposition names sam as its author,
    # and this station saw a different chain.
    assert any("names sam as its author, but ines wrote it" in f for f in found), found
    assert any("not the one this station saw" in f for f in found), found


# --- A3: an older copy of the database put back over newer work ------------------------------


def test_a3_an_older_copy_put_back_is_found(
    station: Station, inspector: User, supervisor: User, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file copy is the SQLite form of this attack; A1 is its PostgreSQL form")
    _ins_id, defect_id = failed(station, inspector)
    db = sqlite_file(station.db.url)
    assert db is not None
    station.close()
    old = db.with_name("older-copy.db")
    shutil.copy(db, old)
    station.db.engine.dispose()
    nonconformance.decide(station, supervisor, defect_id, Disposition.SCRAP, "porous shank")
    last = _last_id(station)
    station.db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    shutil.copy(old, db)
    found = _findings(station)
    assert any(f"but this station saw entry #{last}" in f for f in found), found


# --- A4: entries in someone else's name --------------------------------------------------------


def test_a4_a_caller_cannot_claim_another_actor_with_her_own_key(
    station: Station, inspector: User, supervisor: User
) -> None:
    from dataclasses import replace

    pretending = replace(supervisor, credential=inspector.credential)
    with pytest.raises(AuditError, match="belongs to ines"):
        with station.db.write(pretending, station.name, reason="as sam") as s:
            s.get_one(UserRow, supervisor.id).full_name = "Sam the Approver"


def test_a4_an_entry_written_behind_the_apps_back_carries_no_signature(
    station: Station, decided: tuple[str, int, int]
) -> None:
    with as_owner(station.db.engine) as conn:
        append_entry(conn, station.name, _event("sam", station.name, "users/1", "unlock"))
    found = _findings(station)
    assert any("carry no signature" in f for f in found), found


def test_a4_a_revoked_key_cannot_record_and_its_later_seals_do_not_count(
    station: Station, admin: User, inspector: User, password: str
) -> None:
    from qcstation.domain.stages import Stage
    from qcstation.services import inspections, keys

    key = _her_key(station, inspector, password)
    keys.revoke(station, admin, "ines", "left the company")
    with pytest.raises(AuditError, match="revoked"):
        inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    # Forged with her (revoked) key anyway, behind the app's back: found.
    with as_owner(station.db.engine) as conn:
        append_entry(conn, station.name, _event("ines", station.name, "users/2", "note"), key)
    found = _findings(station)
    assert any("revoked at entry" in f for f in found), found


# --- A5: a defect's dashboard copies changed with the triggers that keep them off --------


def test_a5_a_defects_copies_moved_to_another_stage_are_found(
    station: Station, inspector: User
) -> None:
    """The copies are left out of the trail (they repeat the inspection's audited values),
    so the check compares them with the inspection itself: a defect moved to another stage
    (or inspector) behind the triggers' back would make the Pareto charts lie."""
    _ins_id, defect_id = failed(station, inspector)
    assert audit.verify(station).ok
    with as_owner(station.db.engine) as conn:  # PostgreSQL: every trigger off
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # the file's owner drops the trigger that would put them back
            sql = conn.scalar(
                text("SELECT sql FROM sqlite_master WHERE name = 'qc_defect_copies_update'")
            )
            conn.execute(text("DROP TRIGGER qc_defect_copies_update"))
        conn.execute(
            text("UPDATE defects SET stage = 'polishing', inspector_id = NULL WHERE id = :d"),
            {"d": defect_id},
        )
        if sqlite:
            conn.execute(text(sql))
    found = _findings(station)
    assert any(f"defects {defect_id}" in f and "differ from the inspection" in f for f in found), (
        found
    )
