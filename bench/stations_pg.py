"""Eight stations recording at once on one PostgreSQL, and an offline outbox catching up.

Needs a PostgreSQL server: QCSTATION_TEST_DATABASE_URL (or --database-url). A fresh
database is created for the run and dropped afterwards.

1. Concurrent saves. Ours: eight station processes, each its own data directory and
   station row, each saving checklist answers with
   ``qcstation.services.inspections.record_answer`` (a committed, audited transaction;
   every writer on every station takes the audit chain's head lock). New inspections are
   started untimed when one is full. Reference: eight processes doing the same number of
   answer-shaped INSERT + COMMIT with a bare psycopg connection, into a table with the
   same columns, unique constraint and index as ``answers``. Throughput is saves per
   second from the common start to the last finish; latency is per save, p95 over all.
2. Sync after an outage. Ours: ``services.sync.push`` of N queued completed inspections
   (each with its answers, evidence rows and the station's audit entries, a receipt,
   one server transaction per record, audited). Reference: a bulk insert of the same
   rows (inspections and children, executemany in one transaction, no audit).

    python bench/stations_pg.py            # 8 x 150 saves, sync of 1,000 records
    python bench/stations_pg.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import _common as c

STATIONS = 8


# --- worker processes ------------------------------------------------------------------


def all_pass(ins: Any) -> list[tuple[Any, Any]]:
    """(item, a passing answer) for every item and position of an inspection."""
    from qcstation.domain.inspections import positions_of
    from qcstation.services.demo import passing_answer

    out = []
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            a = passing_answer(item, pos)
            out.append((item, a))
    return out


def complete_one(station: Any, user: Any) -> str:
    """A finished final-QC inspection with its photos: what an outage leaves queued."""
    from qcstation.domain.stages import Stage
    from qcstation.domain.templates import PhotoItem
    from qcstation.imaging.scenes import encode_png, render_piece
    from qcstation.services import inspections

    ins = inspections.start(station, user, Stage.FINAL_QC, "JT-OUT", "SKU-OUT", "OUTAGE")
    photo = encode_png(render_piece(5, 160, 120))
    for item, a in all_pass(ins):
        if item.photo_required or isinstance(item, PhotoItem):
            inspections.attach_evidence(
                station, user, ins.id, photo, "image/png", item.id, a.position
            )
        inspections.record_answer(station, user, ins.id, a)
    inspections.complete(station, user, ins.id)
    return ins.id


def worker_ours(data_dir: str, n: int, go: str, ready: str) -> dict[str, Any]:
    from qcstation import config
    from qcstation.domain.inspections import Answer
    from qcstation.domain.stages import Stage
    from qcstation.services import accounts, inspections
    from qcstation.services.context import open_station

    station = open_station(config.resolve(data_dir))
    user = accounts.login(station, station.name.replace("bench-", "insp"), c.PASSWORD)

    def slots() -> list[tuple[str, Answer]]:
        ins = inspections.start(station, user, Stage.CASTING, "JT-B", "SKU-B")
        return [(ins.id, a) for _item, a in all_pass(ins)]

    todo: list[tuple[str, Answer]] = []
    while len(todo) < n:
        todo += slots()
    _wait(go, ready)
    lat = []
    for ins_id, answer in todo[:n]:
        t = time.perf_counter()
        inspections.record_answer(station, user, ins_id, answer)
        lat.append(time.perf_counter() - t)
    end = time.time()
    station.close()
    return {"lat": lat, "end": end}


def worker_ref(url: str, n: int, go: str, ready: str) -> dict[str, Any]:
    import psycopg

    conn = psycopg.connect(url)
    ins_id = str(uuid.uuid4())
    _wait(go, ready)
    lat = []
    with conn.cursor() as cur:
        for i in range(n):
            t = time.perf_counter()
            cur.execute(
                "INSERT INTO bench_answers (inspection_id, item_id, position, outcome, "
                "readings, mean, value, note, answered_at, answered_by_id) "
                "VALUES (%s, %s, %s, 'pass', '[]', NULL, NULL, '', now(), 1)",
                (ins_id, f"item-{i}", 0),
            )
            conn.commit()
            lat.append(time.perf_counter() - t)
    end = time.time()
    conn.close()
    return {"lat": lat, "end": end}


def _wait(go: str, ready: str) -> None:
    """Say this worker is set up, then wait for the common start."""
    Path(ready).touch()
    deadline = time.monotonic() + 300
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)


# --- the run ---------------------------------------------------------------------------


def fresh_database(base_url: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"qc_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def drop_database(handle: Any) -> None:
    from sqlalchemy import text

    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_workers(argv_for: list[list[str]], go: Path) -> tuple[list[float], float]:
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argv_for
    ]
    ready_deadline = time.monotonic() + 120
    while time.monotonic() < ready_deadline and any(
        not (go.parent / f"ready-{i}").exists() for i in range(len(procs))
    ):
        time.sleep(0.05)
    start = time.time()
    go.touch()
    lat: list[float] = []
    end = start
    for p in procs:
        out, err = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise SystemExit(f"a worker failed:\n{err[-3000:]}")
        r = json.loads(out.strip().splitlines()[-1])
        lat += r["lat"]
        end = max(end, r["end"])
    go.unlink()
    for f in go.parent.glob("ready-*"):
        f.unlink()
    return lat, end - start


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    p.add_argument("--saves", type=int, default=150, help="saves per station")
    p.add_argument("--records", type=int, default=1000, help="queued records to sync")
    p.add_argument("--quick", action="store_true", help="smoke mode: 10 saves, 5 records")
    p.add_argument("--database-url", default=os.environ.get("QCSTATION_TEST_DATABASE_URL"))
    args = p.parse_args(argv)
    if args.worker:
        kind, target, n, go, ready = args.worker
        fn = worker_ours if kind == "ours" else worker_ref
        print(json.dumps(fn(target, int(n), go, ready)))
        return 0
    if args.quick:
        args.saves, args.records = 10, 5
    if not args.database_url:
        p.error("no PostgreSQL: set QCSTATION_TEST_DATABASE_URL or give --database-url")
    c.isolate_environment()
    url, handle = fresh_database(args.database_url)
    base = Path(tempfile.mkdtemp(prefix="qc-bench-stations-"))
    try:
        return run(args, url, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        drop_database(handle)


def setup_plant(url: str, base: Path) -> list[Path]:
    from qcstation import config
    from qcstation.domain.users import Role
    from qcstation.services import accounts, setup, station_keys
    from qcstation.services.context import connect

    # throwaway stations: their keys go to a file in their own data directory
    os.environ.setdefault("QCSTATION_SECRET_STORE", "file")
    hq = connect(config.resolve(base / "hq", url))
    setup.init(hq, "alice", c.PASSWORD)
    admin = accounts.login(hq, "alice", c.PASSWORD)
    dirs = []
    for i in range(STATIONS):  # station bench-i, worked by inspector insp<i>
        accounts.create_user(hq, admin, f"insp{i}", c.PASSWORD, Role.INSPECTOR)
        d = base / f"bench-{i}"
        d.mkdir()
        config.save_settings(d, config.Settings(station_name=f"bench-{i}", database_url=url))
        st = connect(config.resolve(d))
        setup.register_station(st, admin)
        station_keys.create(st, admin, c.PASSWORD)  # what its outbox sends is signed by it
        st.close()
        dirs.append(d)
    hq.close()
    return dirs


def reference_table(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_answers (id serial PRIMARY KEY, inspection_id varchar(36) "
                "NOT NULL, item_id varchar(64) NOT NULL, position integer NOT NULL, outcome "
                "varchar(16) NOT NULL, readings json NOT NULL, mean double precision, value "
                "text, note text NOT NULL, answered_at timestamptz NOT NULL, answered_by_id "
                "integer NOT NULL, UNIQUE (inspection_id, item_id, position))"
            )
        )
        conn.execute(text("CREATE INDEX ix_bench_answers ON bench_answers (inspection_id)"))
    eng.dispose()
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sync_bench(url: str, base: Path, records: int) -> tuple[float, float]:
    """(seconds to push N queued records, seconds to bulk insert the same rows)."""
    from sqlalchemy import create_engine, insert, select

    from qcstation import config
    from qcstation.services import accounts, sync
    from qcstation.services.context import open_station
    from qcstation.store.models import AnswerRow, EvidenceRow, InspectionRow

    d = base / "bench-0"
    loc = config.resolve(d)
    server = open_station(loc)
    local = sync.open_local(loc)
    sync.pull(server, local, accounts.login(server, "alice", c.PASSWORD))
    user = accounts.login(local, "insp0", c.PASSWORD)
    # Real inspections, each signed entry by entry as at a bench: the server checks every
    # record against its inspector's entries, so copies under new ids would be refused.
    made = [complete_one(local, user) for _ in range(records)]
    assert sync.queue(local) == records
    t = time.perf_counter()
    pushed = sync.push(server, local, accounts.login(server, "alice", c.PASSWORD))
    ours = time.perf_counter() - t
    assert pushed.sent == records and not pushed.refused, (pushed, records)
    with server.db.read() as s:
        ins_row = s.get_one(InspectionRow, made[-1])
        proto = {a.key: getattr(ins_row, a.key) for a in InspectionRow.__mapper__.column_attrs}
        answers = [
            {a.key: getattr(r, a.key) for a in AnswerRow.__mapper__.column_attrs if a.key != "id"}
            for r in s.scalars(select(AnswerRow).where(AnswerRow.inspection_id == ins_row.id))
        ]
        evidence = [
            {a.key: getattr(r, a.key) for a in EvidenceRow.__mapper__.column_attrs if a.key != "id"}
            for r in s.scalars(select(EvidenceRow).where(EvidenceRow.inspection_id == ins_row.id))
        ]
    server.close()
    local.close()
    ids = [str(uuid.uuid4()) for _ in range(records)]
    eng = create_engine(url)
    t = time.perf_counter()
    with eng.begin() as conn:
        conn.execute(insert(InspectionRow.__table__), [{**proto, "id": i} for i in ids])
        conn.execute(
            insert(AnswerRow.__table__), [{**a, "inspection_id": i} for i in ids for a in answers]
        )
        if evidence:
            conn.execute(
                insert(EvidenceRow.__table__),
                [{**e, "inspection_id": i} for i in ids for e in evidence],
            )
    ref = time.perf_counter() - t
    eng.dispose()
    return ours, ref


def run(args: argparse.Namespace, url: str, base: Path) -> int:
    t0 = time.perf_counter()
    dirs = setup_plant(url, base)
    ref_url = reference_table(url)
    setup_s = time.perf_counter() - t0
    go = base / "go"
    ready = [str(base / f"ready-{i}") for i in range(STATIONS)]
    ours_lat, ours_wall = run_workers(
        [["ours", str(d), str(args.saves), str(go), ready[i]] for i, d in enumerate(dirs)], go
    )
    ref_lat, ref_wall = run_workers(
        [["ref", ref_url, str(args.saves), str(go), ready[i]] for i in range(STATIONS)], go
    )
    total = STATIONS * args.saves
    o, r = c.Stats.of(ours_lat), c.Stats.of(ref_lat)
    ours_tp, ref_tp = total / ours_wall, total / ref_wall
    sync_s, bulk_s = sync_bench(url, base, args.records)

    print(f"stations_pg: {STATIONS} stations x {args.saves} saves; sync of {args.records}")
    print(f"machine: {c.machine()}; setup {setup_s:.1f} s")
    print(
        c.table(
            ("metric", "ours", "reference", "ratio", "unit"),
            [
                ("throughput", ours_tp, ref_tp, c.ratio(ours_tp, ref_tp), "saves/s"),
                ("save median", o.median * 1e3, r.median * 1e3, c.ratio(o.median, r.median), "ms"),
                ("save p95", o.p95 * 1e3, r.p95 * 1e3, c.ratio(o.p95, r.p95), "ms"),
                ("sync total", sync_s, bulk_s, c.ratio(sync_s, bulk_s), "s"),
                (
                    "sync per record",
                    sync_s / args.records * 1e3,
                    bulk_s / args.records * 1e3,
                    c.ratio(sync_s, bulk_s),
                    "ms",
                ),
            ],
        )
    )
    print("reference: bare psycopg INSERT+COMMIT per save; sync vs one bulk executemany")
    c.emit(
        [
            c.metric("stations_pg", "throughput", ours_tp, ref_tp, "saves/s"),
            c.metric("stations_pg", "save_median", o.median * 1e3, r.median * 1e3, "ms"),
            c.metric("stations_pg", "save_p95", o.p95 * 1e3, r.p95 * 1e3, "ms"),
            c.metric("stations_pg", "sync_total", sync_s, bulk_s, "s"),
        ]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
