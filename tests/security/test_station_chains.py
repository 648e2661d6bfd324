"""Attacks the per-station audit chains open (migration 0012), each written as the attack.

Every station appends to a chain of its own, so an attacker has new moves: cut one
station's newest entries (its chain alone, not the trail's end), swap two stations'
chains, replay a station's entry into another chain, or slip a revoked key's forged seal
into a quiet station's chain under an entry id lower than the revocation's.
docs/security.md lists them as rows C1-C4; docs/multi-station.md gives the design.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import _keyring, audit, inspections, keys
from qcstation.services.context import Station, connect
from qcstation.store import audit as chain
from qcstation.store.models import UserRow

from ..tampering import append_entry, as_owner, move_tip, rehash_from


def _bench(station: Station, tmp_path: Path, name: str) -> Station:
    """Another station on the same database, with a data directory (and anchor) of its own."""
    loc = station.location
    settings = loc.settings.model_copy(update={"station_name": name})
    return connect(config.Location(tmp_path / name, loc.database_url, settings))


@pytest.fixture
def bench_b(station: Station, tmp_path: Path) -> Iterator[Station]:
    b = _bench(station, tmp_path, "bench-b")
    yield b
    b.close()


def _start(st: Station, user: User, serial: str) -> str:
    return inspections.start(st, user, Stage.CASTING, "JT-C", "RG-SOL-0412", serial).id


def _findings(st: Station) -> list[str]:
    report = audit.verify(st)
    assert not report.ok, "the attack went unnoticed"
    return [str(f) for f in report.findings]


def _rows(st: Station, sql: str, **params: Any) -> list[Any]:
    with st.db.engine.connect() as conn:
        return list(conn.execute(text(sql), params))


def _her_key(st: Station, user: User, password: str) -> _keyring.SessionKey:
    with st.db.read() as s:
        key = _keyring.open_session_key(s, s.get_one(UserRow, user.id), password)
    assert key is not None
    return key


def _event(actor: str, station: str) -> dict[str, Any]:
    return {
        "at": "2026-12-05T10:00:00.000000+00:00",
        "actor": actor,
        "station": station,
        "entity": "event",
        "entity_id": "users/2",
        "action": "note",
        "old": None,
        "new": "{}",
        "reason": "",
    }


def test_each_station_appends_to_its_own_gap_free_chain(
    station: Station, bench_b: Station, inspector: User
) -> None:
    for n in range(3):
        _start(station, inspector, f"A{n}")
        _start(bench_b, inspector, f"B{n}")
    for name in (station.name, bench_b.name):
        seqs = [
            r.seq
            for r in _rows(
                station, "SELECT seq FROM audit_log WHERE chain = :c ORDER BY id", c=name
            )
        ]
        assert seqs == list(range(1, len(seqs) + 1)), (name, seqs)
        assert all(
            r.station == name
            for r in _rows(station, "SELECT station FROM audit_log WHERE chain = :c", c=name)
        )
    report = audit.verify(bench_b)
    assert report.ok, report.findings
    assert {station.name, bench_b.name} <= set(report.tips)


# --- C1: cut one station's newest entries (its own chain, not the trail's end) --------------


def test_c1_cutting_one_stations_newest_entries_is_found_by_any_station_that_saw_them(
    station: Station, bench_b: Station, inspector: User
) -> None:
    _start(bench_b, inspector, "B1")
    cut_from = _rows(station, "SELECT max(id) AS i FROM audit_log")[0].i + 1
    _start(bench_b, inspector, "B2")  # the entries to cut
    last_b = _rows(station, "SELECT max(id) AS i FROM audit_log")[0].i
    assert audit.verify(station).ok  # station A has now seen bench-b's chain up to last_b
    _start(station, inspector, "A1")  # the trail's end is now station A's: B's cut is inside
    with as_owner(station.db.engine) as conn:
        ids = [
            r.entity_id
            for r in conn.execute(
                text(
                    "SELECT entity_id FROM audit_log WHERE id >= :i AND chain = :c AND entity = 'inspections'"
                ),
                {"i": cut_from, "c": bench_b.name},
            )
        ]
        for table in ("inspection_holds", "inspections"):
            column = "inspection_id" if table == "inspection_holds" else "id"
            for i in ids:
                conn.execute(text(f"DELETE FROM {table} WHERE {column} = :i"), {"i": i})
        conn.execute(
            text("DELETE FROM audit_log WHERE id >= :i AND chain = :c"),
            {"i": cut_from, "c": bench_b.name},
        )
        kept = conn.execute(
            text("SELECT max(id) FROM audit_log WHERE chain = :c"), {"c": bench_b.name}
        ).scalar_one()
        move_tip(conn, bench_b.name, kept)
    # The chain itself is consistent again; station A's anchor is what finds the cut.
    found = _findings(station)
    assert any(
        "station 'bench-b''s chain ends at its entry #" in f
        and f"but this station saw entry #{last_b}" in f
        for f in found
    ), found
    # and bench-b's own anchor finds it too
    assert any("but this station saw entry" in f for f in _findings(bench_b)), found


# --- C2: swap two stations' chains -----------------------------------------------------------


def test_c2_swapping_two_stations_chains_breaks_their_seals(
    station: Station, bench_b: Station, inspector: User
) -> None:
    _start(station, inspector, "A1")
    _start(bench_b, inspector, "B1")
    first = _rows(station, "SELECT min(id) AS i FROM audit_log WHERE chain IS NOT NULL")[0].i
    a, b = station.name, bench_b.name
    with as_owner(station.db.engine) as conn:
        for old_name, new_name in ((a, "swap"), (b, a), ("swap", b)):
            conn.execute(
                text("UPDATE audit_log SET chain = :n, station = :n WHERE chain = :o"),
                {"o": old_name, "n": new_name},
            )
        rehash_from(conn, first)  # every hash recomputed with the project's own code
    found = _findings(station)
    assert any("signature does not match the entry" in f for f in found), found


# --- C3: replay one station's entry into another chain ----------------------------------------


def test_c3_an_entry_replayed_into_another_stations_chain_is_found(
    station: Station, bench_b: Station, inspector: User
) -> None:
    _start(station, inspector, "A1")
    _start(bench_b, inspector, "B1")
    sealed = _rows(
        station,
        "SELECT * FROM audit_log WHERE chain = :c AND signature IS NOT NULL ORDER BY id DESC",
        c=station.name,
    )[0]
    with as_owner(station.db.engine) as conn:
        fields = {k: getattr(sealed, k) for k in chain.HASHED_1 if k != "id"}
        fields["station"] = bench_b.name
        entry_id, _digest = append_entry(conn, bench_b.name, fields)
        # the original signature copied along: it was made for station A's chain and place
        conn.execute(
            text("UPDATE audit_log SET key_id = :k, signature = :s WHERE id = :i"),
            {"k": sealed.key_id, "s": sealed.signature, "i": entry_id},
        )
    found = _findings(station)
    assert any(
        f"audit entry #{entry_id}" in f and "signature does not match the entry" in f for f in found
    ), found


def test_c3_an_entry_moved_verbatim_into_another_chain_is_found(
    station: Station, bench_b: Station, inspector: User
) -> None:
    _start(station, inspector, "A1")
    _start(bench_b, inspector, "B1")
    last_a = _rows(station, "SELECT max(id) AS i FROM audit_log WHERE chain = :c", c=station.name)[
        0
    ].i
    with as_owner(station.db.engine) as conn:
        conn.execute(
            text("UPDATE audit_log SET chain = :b WHERE id = :i"), {"b": bench_b.name, "i": last_a}
        )
    found = _findings(station)
    assert any("moved between chains" in f for f in found), found


# --- C4: a revoked key's seal slipped into a quiet station's chain, under a lower id --------


def test_c4_a_revoked_keys_seal_in_another_chain_is_judged_by_the_revocations_anchor(
    station: Station,
    bench_b: Station,
    admin: User,
    inspector: User,
    password: str,
    database_url: str,
) -> None:
    key = _her_key(station, inspector, password)
    _start(bench_b, inspector, "B1")  # bench-b goes quiet after this
    gap = None
    if database_url.startswith("postgresql"):
        # A transaction that rolls back leaves a gap in the plant-wide ids (PostgreSQL's
        # sequence is not rolled back): an id below the revocation nobody holds.
        with pytest.raises(RuntimeError), station.db.write(admin, station.name) as s:
            s.get_one(UserRow, admin.id).full_name = "Alice A."
            s.flush()
            gap = int(s.execute(text("SELECT max(id) FROM audit_log")).scalar_one())
            raise RuntimeError("rolled back")
    keys.revoke(station, admin, "ines", "left the company")
    revoked_at = _rows(
        station, "SELECT min(id) AS i FROM audit_log WHERE entity = 'event' AND action = 'anchor'"
    )[0].i
    assert gap is None or gap < revoked_at
    with as_owner(station.db.engine) as conn:
        append_entry(conn, bench_b.name, _event("ines", bench_b.name), key, entry_id=gap)
    found = _findings(station)
    assert any("written after the revocation" in f for f in found), found


@pytest.mark.postgres
def test_c4_a_seal_made_while_the_revocation_waited_is_not_taken_for_a_forgery(
    station: Station, bench_b: Station, admin: User, inspector: User, database_url: str
) -> None:
    """The honest race: ines saves at bench-b while alice revokes her key at the office.
    The revocation waits for ines's transaction (it holds her key's row FOR SHARE), so its
    anchor sees her entries, and `audit verify` does not call them written afterwards."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite writers never overlap: BEGIN IMMEDIATE")
    inside = threading.Event()
    errors: list[BaseException] = []

    def save() -> None:
        try:
            with bench_b.db.write(inspector, bench_b.name) as s:
                s.get_one(UserRow, inspector.id).full_name = "Ines I."
                s.flush()  # sealed, and her key's row held FOR SHARE until commit
                inside.set()
                time.sleep(1.0)
        except BaseException as exc:
            errors.append(exc)
            inside.set()

    t = threading.Thread(target=save)
    t.start()
    assert inside.wait(10)
    started = time.monotonic()
    keys.revoke(station, admin, "ines", "left the company")
    waited = time.monotonic() - started
    t.join()
    assert not errors, errors
    assert waited > 0.3, "the revocation did not wait for the transaction signing with the key"
    report = audit.verify(station)
    assert report.ok, report.findings
