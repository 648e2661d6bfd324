"""Attacks on offline sync, on the real PostgreSQL.

The attacker is an inspector at an offline bench who knows the code and the bench's OS
account: she can write the bench's SQLite copy and its outbox, read the station's secret
store (so she holds the station key), and use the project's own functions. What she sends
must not arrive as something nobody signed: a PASS by a supervisor written into the outbox,
a changed payload with its hash recomputed, a failed piece re-signed as passing, a record of
another station, a swapped photo. Each is refused with its reason and set aside on the
bench; the genuine records queued around it still arrive; nothing is retried forever.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from qcstation import config
from qcstation.domain.defects import Severity
from qcstation.domain.records import canonical_json, sha256_hex
from qcstation.domain.users import Role
from qcstation.services import (
    _keyring,
    accounts,
    audit,
    inspections,
    keys,
    offline_copy,
    setup,
    station_keys,
    sync,
)
from qcstation.services.context import Station, connect, open_station
from qcstation.store import audit as chain
from qcstation.store.models import DefectCode, InspectionRow, OutboxRow, ReceiptRow, UserRow

from ..services.conftest import finish

pytestmark = pytest.mark.postgres
PASSWORD = "s3cret-enough"


@dataclass
class Bench:
    loc: config.Location
    local: Station
    server: Station

    def close(self) -> None:
        self.local.close()
        self.server.close()


@pytest.fixture
def plant(pg_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    hq = connect(config.resolve(tmp_path / "hq", pg_schema_url))
    setup.init(hq, "alice", PASSWORD)
    alice = accounts.login(hq, "alice", PASSWORD)
    accounts.create_user(hq, alice, "ines", PASSWORD, Role.INSPECTOR, "Ines Inspector")
    accounts.create_user(hq, alice, "sam", PASSWORD, Role.SUPERVISOR, "Sam Supervisor")
    keys.issue_pending(hq, alice, PASSWORD)
    benches: dict[str, Bench] = {}

    def bench(name: str) -> Bench:
        d = tmp_path / name
        config.resolve(d)  # makes the data directory
        config.save_settings(d, config.Settings(station_name=name, database_url=pg_schema_url))
        loc = config.resolve(d)
        st = connect(loc)
        result = setup.init(st, "alice", PASSWORD)
        st.close()
        assert result.joined and result.station_key is not None and result.station_key.certified
        b = Bench(loc, offline_copy.open_local(loc), open_station(loc))
        sync.pull(b.server, b.local, accounts.login(b.server, "alice", PASSWORD))
        benches[name] = b
        return b

    yield bench, hq
    for b in benches.values():
        b.close()
    hq.close()


def offline_work(b: Bench) -> tuple[str, str]:
    """Ines's day offline: a piece that passes, then one with a critical defect (FAIL)."""
    ines = accounts.login(b.local, "ines", PASSWORD)
    good = finish(b.local, ines, serial="GOOD-1")
    bad = finish(b.local, ines, serial="BAD-1", complete=False)
    with b.local.db.read() as s:
        code = next(c.code for c in s.scalars(select(DefectCode)) if "final_qc" in c.stages)
    inspections.raise_defect(
        b.local, ines, bad, code, severity=Severity.CRITICAL, note="stone missing"
    )
    assert inspections.complete(b.local, ines, bad).verdict.value == "fail"
    return good, bad


def outbox(b: Bench, record_id: str) -> OutboxRow:
    with b.local.db.read() as s:
        return s.scalars(select(OutboxRow).where(OutboxRow.record_id == record_id)).one()


def rewrite(b: Bench, record_id: str, payload: dict[str, Any], sign: bool = True) -> None:
    """Put a payload into the bench's outbox, hash recomputed, signed with the station key
    she read from the bench's secret store (project's own code) unless ``sign`` is False."""
    text = canonical_json(payload)
    digest = sha256_hex(text)
    with b.local.db.write(None, b.local.name) as s:
        row = s.scalars(select(OutboxRow).where(OutboxRow.record_id == record_id)).first()
        if row is None:
            row = OutboxRow(
                record_id=record_id,
                version=1,
                kind="inspection",
                queued_at=b.local.now(),
                attempts=0,
                last_error="",
            )
            s.add(row)
        row.payload, row.payload_sha256, row.sent_at = text, digest, None
        if sign:
            key = station_keys.load(b.loc)
            row.station_key_id = key.key_id
            row.station_signature = key.sign_outbox(record_id, 1, digest)


def on_server(b: Bench, record_id: str) -> int:
    with b.server.db.read() as s:
        return (
            s.scalar(
                select(func.count()).select_from(InspectionRow).where(InspectionRow.id == record_id)
            )
            or 0
        )


def deliver(b: Bench) -> sync.SyncResult:
    return sync.sync(b.server, b.local, accounts.login(b.server, "alice", PASSWORD))


def her_key(b: Bench) -> _keyring.SessionKey:
    with b.local.db.read() as s:
        ines = s.scalars(select(UserRow).where(UserRow.username == "ines")).one()
        key = _keyring.open_session_key(s, ines, PASSWORD)
    assert key is not None
    return key


def resign(trail: dict[str, Any], start: int, sign_as: _keyring.SessionKey) -> None:
    """Recompute every hash from entry ``start`` of the stretch on and re-sign every seal
    with ``sign_as`` (store/audit.py's own entry_hash and entry_seal)."""
    entries = trail["entries"]
    prev = entries[start]["prev_hash"]
    for e in entries[start:]:
        fields = chain.hashed_fields({"chain": None, "seq": None, **e})
        fields["at"] = datetime.fromisoformat(e["at"])
        e["prev_hash"] = prev
        e["hash"] = chain.entry_hash(fields, prev)
        if e["signature"] is not None:
            sig = sign_as.sign(chain.entry_seal(trail["chain_id"], {"chain": None, **e}))
            e["key_id"], e["signature"] = sign_as.key_id, base64.b64encode(sig).decode()
        prev = e["hash"]


# --- the attacks ---------------------------------------------------------------------------


def test_genuine_records_arrive_with_the_stations_signature(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, bad = offline_work(a)
    result = deliver(a)
    assert (result.sent, result.refused, result.waiting) == (2, (), 0)
    with a.server.db.read() as s:
        receipts = {r.record_id: r for r in s.scalars(select(ReceiptRow))}
        verdicts = dict(s.execute(select(InspectionRow.id, InspectionRow.verdict)).all())
    assert verdicts[good] == "pass" and verdicts[bad] == "fail"
    assert receipts[bad].station_signature and receipts[bad].station_key_id
    assert audit.verify(a.server).ok


def test_a_pass_by_a_supervisor_written_into_the_outbox_by_hand_is_refused(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    _good, bad = offline_work(a)
    offline_copy.queue(a.local)
    forged = json.loads(outbox(a, bad).payload)
    forged_id = str(uuid.uuid4())
    forged["record_id"] = forged["inspection"]["id"] = forged_id
    forged["inspector"] = "sam"
    forged["inspection"]["verdict"] = "pass"
    forged["defects"] = []
    for name in ("answers", "evidence"):
        for row in forged[name]:
            row["inspection_id"], row["by"] = forged_id, "sam"
    rewrite(a, forged_id, forged, sign=False)  # as a hand-written row: no station signature
    result = deliver(a)
    assert dict(result.refused)[forged_id] == (
        "it carries no station signature: it was written into the outbox by hand"
    )
    assert result.sent == 2  # the genuine ones around it still went
    assert on_server(a, forged_id) == 0

    # Signed with the station key she read from the bench: the people's entries still say no.
    forged_id2 = str(uuid.uuid4())
    forged["record_id"] = forged["inspection"]["id"] = forged_id2
    for name in ("answers", "evidence"):
        for row in forged[name]:
            row["inspection_id"] = forged_id2
    rewrite(a, forged_id2, forged)
    why = dict(deliver(a).refused)[forged_id2]
    assert "is not what its inspector's entries recorded" in why
    assert on_server(a, forged_id2) == 0
    assert outbox(a, forged_id2).refused_at is not None
    assert deliver(a).refused == ()  # set aside: never retried


def test_a_changed_payload_with_its_hash_recomputed_is_refused(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, bad = offline_work(a)
    offline_copy.queue(a.local)
    row = outbox(a, bad)
    text = row.payload.replace('"verdict":"fail"', '"verdict":"pass"')
    assert text != row.payload
    with a.local.db.write(None, a.local.name) as s:
        r = s.get_one(OutboxRow, row.id)
        r.payload, r.payload_sha256 = text, sha256_hex(text)  # the hash made to match
    result = deliver(a)
    assert (
        "signature does not match it: the record was changed after the station signed it"
        in dict(result.refused)[bad]
    )
    assert on_server(a, bad) == 0 and on_server(a, good) == 1
    assert offline_copy.refused(a.local)[0][0] == bad

    # Not even the station key helps: the verdict is the inspector's signed one.
    row = outbox(a, bad)
    with a.local.db.write(None, a.local.name) as s:
        s.get_one(OutboxRow, row.id).refused_at = None
    rewrite(a, bad, json.loads(text))
    assert "is not what its inspector's entries recorded" in dict(deliver(a).refused)[bad]


def test_a_failed_piece_re_signed_as_passing_with_her_own_key_is_refused(plant: Any) -> None:
    """She rewrites her own entries too: the completion says PASS, every hash recomputed,
    every seal re-signed with her own key (she knows her password). Her own signature is
    good; the rules are not: the critical defect still gives FAIL."""
    make, _hq = plant
    a = make("bench-a")
    _good, bad = offline_work(a)
    offline_copy.queue(a.local)
    p = json.loads(outbox(a, bad).payload)
    p["inspection"]["verdict"] = "pass"
    entries = p["audit"]["entries"]
    (at,) = [
        n
        for n, e in enumerate(entries)
        if e["entity"] == "inspections" and e["new"] and '"status":"completed"' in e["new"]
    ]
    new = json.loads(entries[at]["new"])
    new["verdict"] = "pass"
    entries[at]["new"] = canonical_json(new)
    resign(p["audit"], at, her_key(a))
    rewrite(a, bad, p)
    why = dict(deliver(a).refused)[bad]
    assert why == "it says PASS, but its answers and defects give FAIL by the checklist's rules"
    assert on_server(a, bad) == 0


def test_entries_re_signed_in_the_supervisors_name_with_her_key_are_refused(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, _bad = offline_work(a)
    offline_copy.queue(a.local)
    p = json.loads(outbox(a, good).payload)
    for e in p["audit"]["entries"]:
        e["actor"] = "sam"
    p["inspector"] = "sam"
    resign(p["audit"], 0, her_key(a))
    rewrite(a, good, p)
    why = dict(deliver(a).refused)[good]
    assert "signed with ines's key, yet it names sam as the actor" in why
    assert on_server(a, good) == 0


def test_a_record_of_station_a_sent_by_station_b_is_refused(plant: Any) -> None:
    make, _hq = plant
    a, b = make("bench-a"), make("bench-b")
    good, _bad = offline_work(a)
    offline_copy.queue(a.local)
    stolen = outbox(a, good)
    with b.local.db.write(None, b.local.name) as s:  # copied into bench B's outbox as it is
        s.add(
            OutboxRow(
                record_id=stolen.record_id,
                version=1,
                kind="inspection",
                payload=stolen.payload,
                payload_sha256=stolen.payload_sha256,
                queued_at=b.local.now(),
                attempts=0,
                last_error="",
                station_key_id=stolen.station_key_id,
                station_signature=stolen.station_signature,
            )
        )
    why = dict(deliver(b).refused)[good]
    assert "a record of station 'bench-a', sent by station 'bench-b'" in why
    # Relabelled as B's and signed with B's key: its entries were written at bench-a.
    p = json.loads(stolen.payload)
    p["station"] = "bench-b"
    with b.local.db.write(None, b.local.name) as s:
        s.scalars(select(OutboxRow).where(OutboxRow.record_id == good)).one().refused_at = None
    rewrite(b, good, p)
    why = dict(deliver(b).refused)[good]
    assert "was written at station 'bench-a'" in why
    assert on_server(b, good) == 0
    assert deliver(a).sent == 2  # from its own station it goes


def test_a_swapped_photo_is_refused(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, _bad = offline_work(a)
    offline_copy.queue(a.local)
    sha = json.loads(outbox(a, good).payload)["evidence"][0]["sha256"]
    a.local.evidence.path_for(sha).write_bytes(b"another picture")
    why = dict(deliver(a).refused)[good]
    assert sha in why and on_server(a, good) == 0


def test_a_revoked_station_key_vouches_for_nothing(plant: Any) -> None:
    make, hq = plant
    a = make("bench-a")
    good, bad = offline_work(a)
    offline_copy.queue(a.local)
    station_keys.revoke(hq, accounts.login(hq, "alice", PASSWORD), "bench-a", "bench stolen")
    refused = dict(deliver(a).refused)
    assert set(refused) == {good, bad}
    assert "station 'bench-a''s key cannot vouch for it: it was revoked" in refused[good]
    assert "bench stolen" in refused[good]


def test_entries_whose_last_signature_is_cut_off_are_refused(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, _bad = offline_work(a)
    offline_copy.queue(a.local)
    p = json.loads(outbox(a, good).payload)
    last = p["audit"]["entries"][-1]
    last["signature"] = last["key_id"] = None
    rewrite(a, good, p)
    assert "carry no signature" in dict(deliver(a).refused)[good]


def test_a_payload_qcstation_never_writes_is_refused_and_holds_nothing_up(plant: Any) -> None:
    """Signed with the station key, but missing its inspection and its people: refused with
    what is wrong, and the genuine record queued after it still goes."""
    make, _hq = plant
    a = make("bench-a")
    good, bad = offline_work(a)
    junk = str(uuid.uuid4())
    rewrite(a, junk, {"format": 2, "kind": "inspection", "record_id": junk, "station": "bench-a"})
    offline_copy.queue(a.local)
    result = deliver(a)
    assert "its payload is not one qcstation writes" in dict(result.refused)[junk]
    assert result.sent == 2 and on_server(a, good) == on_server(a, bad) == 1


def test_records_an_older_qcstation_queued_are_built_again_and_signed(plant: Any) -> None:
    """An outbox row from before station keys (format 1, no signature) is not refused for
    that: the next sync builds it again from the bench's copy and signs it."""
    make, _hq = plant
    a = make("bench-a")
    good, _bad = offline_work(a)
    offline_copy.queue(a.local)
    old = json.loads(outbox(a, good).payload)
    old.pop("format")
    old["audit"] = old["audit"]["entries"]  # as qcstation 0.1 wrote it
    rewrite(a, good, old, sign=False)
    with a.local.db.write(None, a.local.name) as s:
        row = s.scalars(select(OutboxRow).where(OutboxRow.record_id == good)).one()
        row.station_key_id = row.station_signature = None
    result = deliver(a)
    assert (result.sent, result.refused) == (2, ())
    assert json.loads(outbox(a, good).payload)["format"] == 2


# --- queueing reads what is new, and misses nothing -----------------------------------------


def rows_read(fn: Any) -> tuple[Any, int]:
    """(what ``fn`` returns, how many rows its session SELECTs brought back)."""
    counted: list[int] = []

    def count(state: ORMExecuteState) -> Any:
        if not state.is_select:
            return None
        frozen = state.invoke_statement().freeze()
        counted.append(len(frozen.data))
        return frozen()

    event.listen(Session, "do_orm_execute", count)
    try:
        return fn(), sum(counted)
    finally:
        event.remove(Session, "do_orm_execute", count)


def copies_of(b: Bench, record_id: str, n: int) -> None:
    """``n`` more completed inspections of the bench, each already in its outbox: a copy of
    ``record_id``'s rows under new ids (a long history, without a day of work per row)."""
    with b.local.db.engine.begin() as conn:
        ins = InspectionRow.__table__
        out = OutboxRow.__table__
        [row] = conn.execute(select(ins).where(ins.c.id == record_id)).mappings().all()
        [queued] = conn.execute(select(out).where(out.c.record_id == record_id)).mappings().all()
        ids = [str(uuid.uuid4()) for _ in range(n)]
        conn.execute(
            ins.insert(),
            [{**row, "id": i, "serial": f"OLD-{k}"} for k, i in enumerate(ids)],
        )
        conn.execute(
            out.insert(),
            [{**{k: v for k, v in queued.items() if k != "id"}, "record_id": i} for i in ids],
        )


def test_queueing_reads_only_what_is_new_and_misses_nothing(plant: Any) -> None:
    make, _hq = plant
    a = make("bench-a")
    good, bad = offline_work(a)
    assert offline_copy.queue(a.local) == 2
    history = 600
    copies_of(a, good, history)
    assert offline_copy.queue(a.local) == 0

    ines = accounts.login(a.local, "ines", PASSWORD)
    one_more = finish(a.local, ines, serial="NEW-1")
    queued, read = rows_read(lambda: offline_copy.queue(a.local))
    assert queued == 1 and outbox(a, one_more).station_signature
    # What one record's payload takes (its answers, evidence and trail), not the history.
    _, alone = rows_read(lambda: offline_copy.queue(a.local))
    assert alone < 5 and read < 150 < history, (read, alone)

    # Completed under a clock set back a year: before everything queued, still queued.
    clock = a.local.clock
    a.local.clock = lambda: clock().replace(year=clock().year - 1)
    try:
        back_then = finish(a.local, ines, serial="CLOCK-1")
    finally:
        a.local.clock = clock
    # And a row an older qcstation queued unsigned is signed again.
    with a.local.db.write(None, a.local.name) as s:
        row = s.scalars(select(OutboxRow).where(OutboxRow.record_id == bad)).one()
        row.station_key_id = row.station_signature = None
    assert offline_copy.queue(a.local) == 1
    assert outbox(a, back_then).station_signature and outbox(a, bad).station_signature
    with a.local.db.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRow)) == history + 4


# --- a catching-up outbox goes in batches -----------------------------------------------------


def server_commits(b: Bench, fn: Any) -> tuple[Any, int]:
    """(what ``fn`` returns, how many transactions it committed on the server)."""
    commits: list[int] = []

    def on_commit(_conn: Any) -> None:
        commits.append(1)

    event.listen(b.server.db.engine, "commit", on_commit)
    try:
        return fn(), len(commits)
    finally:
        event.remove(b.server.db.engine, "commit", on_commit)


def test_a_queue_of_records_is_delivered_in_one_server_transaction(plant: Any) -> None:
    """Records waiting in the outbox are checked and written together: one server
    transaction for the batch, not one (each with its own round trips) per record."""
    make, _hq = plant
    a = make("bench-a")
    ines = accounts.login(a.local, "ines", PASSWORD)
    made = [finish(a.local, ines, serial=f"Q-{n}") for n in range(4)]
    assert offline_copy.queue(a.local) == 4
    alice = accounts.login(a.server, "alice", PASSWORD)
    pushed, commits = server_commits(a, lambda: sync.push(a.server, a.local, alice))
    assert (pushed.sent, pushed.already, pushed.refused) == (4, 0, ())
    assert commits == 1
    assert all(on_server(a, r) == 1 for r in made)
    assert offline_copy.waiting(a.local) == 0 and all(outbox(a, r).sent_at for r in made)
    with a.server.db.read() as s:
        receipts = set(s.scalars(select(ReceiptRow.record_id)))
    assert receipts == set(made)
    assert audit.verify(a.server).ok
    assert sync.push(a.server, a.local, alice) == sync.Pushed(0, 0)  # nothing twice


def test_a_record_refused_inside_a_batch_is_delivered_around(plant: Any) -> None:
    """A record whose fault shows only once its rows are written (its verdict, re-signed by
    her as PASS) sits between genuine ones: the batch is rolled back and goes one by one,
    the forgery is refused with its reason, the rest arrive, once."""
    make, _hq = plant
    a = make("bench-a")
    ines = accounts.login(a.local, "ines", PASSWORD)
    before = finish(a.local, ines, serial="B-1")
    _good, bad = offline_work(a)
    after = finish(a.local, ines, serial="A-1")
    offline_copy.queue(a.local)
    p = json.loads(outbox(a, bad).payload)
    p["inspection"]["verdict"] = "pass"
    entries = p["audit"]["entries"]
    (at,) = [
        n
        for n, e in enumerate(entries)
        if e["entity"] == "inspections" and e["new"] and '"status":"completed"' in e["new"]
    ]
    new = json.loads(entries[at]["new"])
    new["verdict"] = "pass"
    entries[at]["new"] = canonical_json(new)
    resign(p["audit"], at, her_key(a))
    rewrite(a, bad, p)
    result = deliver(a)
    assert dict(result.refused) == {
        bad: "it says PASS, but its answers and defects give FAIL by the checklist's rules"
    }
    assert (result.sent, result.waiting) == (3, 0)
    assert on_server(a, bad) == 0
    assert on_server(a, before) == on_server(a, _good) == on_server(a, after) == 1
    assert outbox(a, bad).refused_at is not None and outbox(a, after).sent_at is not None
    assert audit.verify(a.server).ok
