"""The supervisor's Nonconformance queue over many defects: the service against the same
queries written by hand.

Ours: ``nonconformance.open_items(station, limit=500)`` (defects of completed, not
corrected inspections with no disposition, most severe first, oldest first, joined to
their inspection, catalog name, finder, disposition and rework link, then the photos of
those defects) and ``nonconformance.recent_decisions(station, limit=100)``.
Reference: the same two SELECTs by hand through sqlite3 with the app's pragmas, fetching
plain tuples. Both sides must return the same defects in the same order before timing.

The station is initialised through the services (schema, users, checklists, catalog);
inspections, defects, dispositions and evidence rows are then bulk-inserted with plain
SQL (bypassing the audit hook: the chain plays no part in reading the queue). 12 % of
inspections fail with one to three defects; 90 % of those defects are decided, 1 % of
failed inspections were corrected. Each inspection with a defect has one photo.

    python bench/nonconformance_queue.py             # 200,000 inspections
    python bench/nonconformance_queue.py --quick     # 5,000 inspections, few repeats
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import _common as c

from qcstation import config
from qcstation.domain.users import Role
from qcstation.services import accounts, context, nonconformance, setup
from qcstation.store.database import sqlite_url

BENCH = "nonconformance_queue"
TS = "%Y-%m-%d %H:%M:%S.%f"
END = datetime(2026, 11, 1, tzinfo=timezone.utc)


def seed(data_dir: Path, n: int) -> None:
    db_file = data_dir / config.DATABASE_FILE
    station = context.connect(config.resolve(data_dir, sqlite_url(db_file)))
    try:
        admin = setup.init(station, "alice", c.PASSWORD, "Bench Admin").admin
        for name in ("ines", "ivan"):
            accounts.create_user(station, admin, name, c.PASSWORD, Role.INSPECTOR, name)
        accounts.create_user(station, admin, "sam", c.PASSWORD, Role.SUPERVISOR, "Sam")
    finally:
        station.close()
    conn = c.bare_connection(db_file)
    conn.execute("PRAGMA synchronous = OFF")  # seeding only
    rng = random.Random(2026)
    users = dict(conn.execute("SELECT username, id FROM users").fetchall())
    station_id = conn.execute("SELECT id FROM stations").fetchone()[0]
    templates = conn.execute("SELECT id, template_key, version, stage FROM templates").fetchall()
    codes: dict[str, list[tuple[str, str]]] = {}
    for code, severity, stages in conn.execute("SELECT code, severity, stages FROM defect_codes"):
        for stage in json.loads(stages):
            codes.setdefault(stage, []).append((code, severity))
    ins_rows, defect_rows, disp_rows, ev_rows, corr_rows = [], [], [], [], []
    defect_id = 0
    step = timedelta(days=365) / n
    for i in range(n):
        tid, key, version, stage = rng.choice(templates)
        started = END - step * (n - i)
        failed = rng.random() < 0.12 and stage in codes
        ins_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        inspector = users[rng.choice(("ines", "ivan"))]
        ins_rows.append(
            (
                ins_id,
                f"JT-{i // 5:07d}",
                f"RG-{i % 997:05d}",
                f"SN{i:08d}",
                "piece",
                stage,
                tid,
                key,
                version,
                "{}",
                "completed",
                "fail" if failed else "pass",
                inspector,
                station_id,
                started.strftime(TS),
                (started + timedelta(minutes=9)).strftime(TS),
                "",
            )
        )
        if not failed:
            continue
        ev_rows.append(
            (
                ins_id,
                "item-1",
                0,
                f"{i:064x}",
                "image/png",
                1000,
                "{}",
                started.strftime(TS),
                inspector,
            )
        )
        for _ in range(rng.choice((1, 1, 2, 3))):
            defect_id += 1
            code, severity = rng.choice(codes[stage])
            at = (started + timedelta(minutes=5)).strftime(TS)
            defect_rows.append(
                (defect_id, ins_id, "item-1", 0, code, severity, "pending", "", at, inspector)
            )
            if rng.random() < 0.9:
                what = rng.choice(("scrap", "return_to_supplier", "use_as_is", "scrap"))
                disp_rows.append(
                    (
                        defect_id,
                        what,
                        "bench",
                        users["sam"],
                        (started + timedelta(hours=3)).strftime(TS),
                    )
                )
        if rng.random() < 0.01:
            corr_rows.append(ins_id)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO inspections (id, job_ticket, sku, serial, subject, stage, template_id, "
        "template_key, template_version, position_counts, status, verdict, inspector_id, "
        "station_id, started_at, completed_at, notes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ins_rows,
    )
    conn.executemany(
        "INSERT INTO evidence (inspection_id, item_id, position, sha256, media_type, "
        "size_bytes, original_name, meta, captured_at, captured_by_id) "
        "VALUES (?,?,?,?,?,?,'',?,?,?)",
        ev_rows,
    )
    conn.executemany(
        "INSERT INTO defects (id, inspection_id, item_id, position, code, severity, "
        "disposition, note, created_at, created_by_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
        defect_rows,
    )
    conn.executemany(
        "INSERT INTO dispositions (defect_id, disposition, reason, decided_by_id, decided_at) "
        "VALUES (?,?,?,?,?)",
        disp_rows,
    )
    for old in corr_rows:  # a corrected inspection: the newer version holds the defects
        new = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        conn.execute(
            "INSERT INTO inspections SELECT ?, job_ticket, sku, serial, subject, lot_size, "
            "sample_size, stage, template_id, template_key, template_version, position_counts, "
            "status, verdict, inspector_id, station_id, started_at, completed_at, notes, spec "
            "FROM inspections WHERE id = ?",
            (new, old),
        )
        conn.execute(
            "INSERT INTO corrections (inspection_id, supersedes_id, revision, reason, "
            "created_at, created_by_id) VALUES (?, ?, 2, 'bench', ?, ?)",
            (new, old, END.strftime(TS), users["sam"]),
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


QUEUE = """
SELECT d.id, d.inspection_id, i.job_ticket, i.sku, i.serial, i.stage, d.item_id,
       d.position, d.code, dc.name, d.severity, d.note, f.username, d.created_at, p.id,
       u.username, r.inspection_id
FROM {source}
JOIN inspections i ON i.id = d.inspection_id
JOIN defect_codes dc ON dc.code = d.code
JOIN users f ON f.id = d.created_by_id
LEFT JOIN users u ON u.id = p.decided_by_id
LEFT JOIN reworks r ON r.reworks_id = i.id
WHERE i.status || '' = 'completed'
  AND NOT EXISTS (SELECT 1 FROM corrections c WHERE c.supersedes_id = i.id)
  AND {where}
ORDER BY {order}
LIMIT ?
"""
OPEN = QUEUE.format(
    source="defects d LEFT JOIN dispositions p ON p.defect_id = d.id",
    where="p.id IS NULL AND d.disposition = 'pending'",
    order="CASE d.severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 ELSE 2 END, "
    "d.created_at, d.id",
)
DECIDED = QUEUE.format(
    source="dispositions p JOIN defects d ON d.id = p.defect_id",
    where="1",
    order="p.decided_at DESC, p.id DESC",
)
PHOTOS = (
    "SELECT inspection_id, item_id, position, sha256 FROM evidence "
    "WHERE inspection_id IN ({}) ORDER BY id"
)


def reference(conn: Any, sql: str, limit: int) -> list[int]:
    rows = conn.execute(sql, (limit,)).fetchall()
    ids = sorted({r[1] for r in rows})
    if ids:
        conn.execute(PHOTOS.format(",".join("?" * len(ids))), ids).fetchall()
    return [r[0] for r in rows]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-n", "--inspections", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="5,000 inspections, 3 repeats")
    args = p.parse_args(argv)
    if args.quick:
        args.inspections, args.repeats = 5_000, 3
    c.isolate_environment()
    tmp = Path(tempfile.mkdtemp(prefix="qc-bench-ncr-"))
    try:
        print(f"{BENCH}: nonconformance.open_items / recent_decisions vs the same SQL")
        print(f"  {c.machine()}")
        t0 = time.perf_counter()
        seed(tmp, args.inspections)
        print(f"  seeded {args.inspections:,} inspections in {time.perf_counter() - t0:.1f} s")
        db_file = tmp / config.DATABASE_FILE
        station = context.open_station(config.resolve(tmp, sqlite_url(db_file)))
        ref = c.bare_connection(db_file)
        try:
            n_open = ref.execute(
                "SELECT count(*) FROM defects d LEFT JOIN dispositions p ON p.defect_id = d.id "
                "WHERE p.id IS NULL"
            ).fetchone()[0]
            n_all = ref.execute("SELECT count(*) FROM defects").fetchone()[0]
            print(f"  {n_all:,} defects, {n_open:,} without a disposition")
            cases = {
                "open_items": (
                    lambda: [x.defect_id for x in nonconformance.open_items(station, 500)],
                    lambda: reference(ref, OPEN, 500),
                ),
                "recent_decisions": (
                    lambda: [x.defect_id for x in nonconformance.recent_decisions(station, 100)],
                    lambda: reference(ref, DECIDED, 100),
                ),
            }
            for key, (ours, theirs) in cases.items():
                a, b = ours(), theirs()
                if a != b or not a:
                    print(f"{key}: the service and the SQL disagree ({len(a)} vs {len(b)} rows)")
                    return 1
            times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in cases}
            for rep in range(args.repeats):
                for key, (ours, theirs) in cases.items():
                    pair = [(ours, times[key][0]), (theirs, times[key][1])]
                    if rep % 2:
                        pair.reverse()
                    for fn, out in pair:
                        t = time.perf_counter_ns()
                        fn()
                        out.append((time.perf_counter_ns() - t) / 1e6)
        finally:
            ref.close()
            station.close()
        rows, metrics = [], []
        for key, (o_t, r_t) in times.items():
            o, r = c.Stats.of(o_t), c.Stats.of(r_t)
            rows.append((key, o.median, o.p95, r.median, r.p95, c.ratio(o.median, r.median)))
            metrics.append(c.metric(BENCH, f"{key}_median", o.median, r.median, "ms"))
        print(f"\nMedians over {args.repeats} interleaved runs:")
        print(c.table(["query", "ours med ms", "ours p95", "sql med ms", "sql p95", "ratio"], rows))
        print()
        c.emit(metrics)
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
