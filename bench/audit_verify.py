"""What `audit verify` costs on a long trail, next to what it cost before entries were signed.

Builds a station (SQLite), then appends N audit entries made the way the application makes
them (answers rows with their create entries, in transactions of 1-3 entries, each sealed
by the inspector's key), straight into the database so a million entries take a minute
rather than hours. Then times, on the same trail:

- ``verify``: services.audit.verify, the whole check (links, seals, authorship, anchor,
  every row against its latest entry);
- ``verify_v1``: the unsigned check as it was before (kept below, from git history), which
  reads the same entries and rows but checks no signature;
- ``chain_only``: the floor, a bare sqlite3 loop that recomputes every link's SHA-256.

    python bench/audit_verify.py                 # 1,000,000 entries
    python bench/audit_verify.py --entries 20000
    python bench/audit_verify.py --quick         # the test suite's smoke run
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as c

from qcstation import config
from qcstation.domain.records import canonical_json
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, inspections, setup
from qcstation.services.context import connect
from qcstation.store import audit as chain
from qcstation.store.models import AnswerRow
from qcstation.store.types import utcnow

BENCH = "audit_verify"


def build(d: Path, entries: int, seed: int = 7) -> tuple[Any, float]:
    station = connect(config.resolve(d))
    setup.init(station, "alice", c.PASSWORD, "Bench Admin")
    admin = accounts.login(station, "alice", c.PASSWORD)
    accounts.create_user(station, admin, "ines", c.PASSWORD, Role.INSPECTOR, "Ines")
    ines = accounts.login(station, "ines", c.PASSWORD)
    holders = [
        inspections.start(station, ines, Stage.CASTING, f"JT-{n}", "RG-1", f"SN{n}").id
        for n in range(20)
    ]
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    conn = c.bare_connection(Path(station.db.url.removeprefix("sqlite:///")))
    conn.execute("PRAGMA synchronous = OFF")  # seeding only
    chain_id = conn.execute("SELECT chain_id FROM audit_head").fetchone()[0]
    # Entries go on this station's own chain (format 2, migration 0012), after its tip;
    # ids are plant-wide, after the highest one.
    last_id = conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]
    seq, last_hash = conn.execute(
        "SELECT last_seq, last_hash FROM audit_chains WHERE chain = ?", (station.name,)
    ).fetchone()
    answer_id = conn.execute("SELECT coalesce(max(id), 0) FROM answers").fetchone()[0]
    now = utcnow()
    stored_now = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLite's form
    key = ines.credential
    assert key is not None
    made = 0
    conn.execute("BEGIN")
    while made < entries:
        rows, audits = [], []
        for _ in range(min(rnd.randint(1, 3), entries - made)):
            answer_id += 1
            made += 1
            row = AnswerRow(
                id=answer_id,
                inspection_id=holders[answer_id % len(holders)],
                item_id=f"item-{answer_id}",
                position=0,
                outcome="pass",
                readings=[],
                mean=None,
                value=None,
                note="",
                answered_at=now,
                answered_by_id=ines.id,
            )
            rows.append(row)
            last_id += 1
            seq += 1
            fields = {
                "id": last_id,
                "at": now,
                "actor": "ines",
                "station": station.name,
                "entity": "answers",
                "entity_id": str(answer_id),
                "action": "create",
                "old": None,
                "new": canonical_json(chain.snapshot(row)),
                "reason": "",
                "chain": station.name,
                "seq": seq,
            }
            digest = chain.entry_hash(fields, last_hash)
            audits.append([fields, last_hash, digest, None, None])
            last_hash = digest
        seal = key.sign(chain.seal_message_2(chain_id, station.name, seq, last_id, last_hash))
        audits[-1][3:] = [key.key_id, base64.b64encode(seal).decode()]
        conn.executemany(
            "INSERT INTO answers (id, inspection_id, item_id, position, outcome, readings, mean,"
            " value, note, answered_at, answered_by_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    r.id,
                    r.inspection_id,
                    r.item_id,
                    0,
                    "pass",
                    "[]",
                    None,
                    None,
                    "",
                    stored_now,
                    r.answered_by_id,
                )
                for r in rows
            ],
        )
        conn.executemany(
            "INSERT INTO audit_log (id, at, actor, station, entity, entity_id, action, old, new,"
            " reason, chain, seq, prev_hash, hash, key_id, signature)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                (
                    f["id"],
                    stored_now,
                    f["actor"],
                    f["station"],
                    f["entity"],
                    f["entity_id"],
                    f["action"],
                    None,
                    f["new"],
                    "",
                    f["chain"],
                    f["seq"],
                    prev,
                    h,
                    k,
                    s,
                )
                for f, prev, h, k, s in audits
            ],
        )
    conn.execute(
        "UPDATE audit_chains SET last_seq = ?, last_hash = ?, last_id = ? WHERE chain = ?",
        (seq, last_hash, last_id, station.name),
    )
    conn.execute("COMMIT")
    conn.close()
    return station, time.perf_counter() - t0


def verify_v1(station: Any) -> int:
    """The check before entries were signed (store/audit.py at c6856dc), minus nothing:
    every link, then every audited row against its latest entry, through ORM objects."""
    from sqlalchemy import select

    from qcstation.store.models import AUDITED, AuditEntry

    latest: dict[tuple[str, str], str | None] = {}
    prev, n, last = chain.GENESIS, 0, 0
    with station.db.read() as s:
        while True:
            batch = s.scalars(
                select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(5000)
            ).all()
            if not batch:
                break
            for e in batch:
                n += 1
                assert e.prev_hash == prev and chain.entry_hash(e, e.prev_hash) == e.hash
                latest[(e.entity, e.entity_id)] = e.new
                prev = e.hash
            last = batch[-1].id
            s.expunge_all()
        for model in AUDITED:
            table = str(model.__table__.name)  # type: ignore[attr-defined]
            for obj in s.scalars(select(model)).yield_per(2000):
                latest.pop((table, chain.entity_id_of(obj)), None)
                canonical_json(chain.snapshot(obj))
            s.expunge_all()
    return n


def chain_only(db: Path) -> int:
    import hashlib

    conn = c.bare_connection(db)
    prev, n = chain.GENESIS, 0
    cur = conn.execute(
        "SELECT id, at, actor, station, entity, entity_id, action, old, new, reason, "
        "prev_hash, hash FROM audit_log ORDER BY id"
    )
    for row in cur:
        fields = dict(
            zip(
                ("id", "at", "actor", "station", "entity", "entity_id", "action", "old", "new"),
                row[:9],
                strict=True,
            )
        )
        fields["reason"] = row[9]
        digest = hashlib.sha256((prev + json.dumps(fields, sort_keys=True)).encode()).hexdigest()
        n += bool(digest)
        prev = row[11]
    conn.close()
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="2,000 entries, one run")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    c.isolate_environment()
    entries = 2_000 if args.quick else args.entries
    print(f"audit verify on {entries:,} appended entries; {c.machine()}")
    with c.temp_dir("qc-auditbench-", keep=args.keep) as tmp:
        station, seeded = build(tmp / "station", entries)
        print(f"seeded in {seeded:.1f} s")
        db = Path(station.db.url.removeprefix("sqlite:///"))
        t0 = time.perf_counter()
        report = audit.verify(station)
        new = time.perf_counter() - t0
        assert report.ok, report.findings[:3]
        t0 = time.perf_counter()
        old_n = verify_v1(station)
        old = time.perf_counter() - t0
        t0 = time.perf_counter()
        floor_n = chain_only(db)
        floor = time.perf_counter() - t0
        station.close()
    assert old_n == floor_n == report.entries
    rows = [
        ["verify (signed, anchored)", report.entries, report.signed_entries, new],
        ["verify_v1 (before: unsigned)", old_n, 0, old],
        ["chain_only (bare sqlite3 + sha256)", floor_n, 0, floor],
    ]
    print(c.table(["check", "entries", "seals", "seconds"], rows))
    print(
        f"verify / verify_v1 = {c.ratio(new, old):.2f}; "
        f"verify per entry {new / report.entries * 1e6:.1f} us"
    )
    c.emit(
        [
            c.metric(BENCH, "verify_s", new, floor, "s"),
            c.metric(BENCH, "verify_v1_s", old, floor, "s"),
        ]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
