"""Who waits for whom while eight stations save as fast as they can (issue 14).

Eight station processes (each its own data directory, station row and inspector, set up
as bench/stations_pg.py does) call ``services.inspections.record_answer`` in a loop for a
fixed time. Meanwhile this process samples PostgreSQL every few milliseconds:
``pg_stat_activity`` (sessions waiting on a lock, and what they run) and ``pg_locks``
(ungranted locks, by type and table). Printed: saves per second, the share of samples
in which at least one station waited on a lock, the mean and largest number of waiting
stations, and the statements they waited in.

Run it on a tree before and after a change to compare (the workers import qcstation from
the same PYTHONPATH as this script):

    python bench/lock_waits.py --seconds 20
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c
import stations_pg as sp

SAMPLE_S = 0.005


def worker(data_dir: str, seconds: float, go: str, ready: str) -> dict[str, Any]:
    from qcstation import config
    from qcstation.domain.stages import Stage
    from qcstation.services import accounts, inspections
    from qcstation.services.context import open_station

    station = open_station(config.resolve(data_dir))
    user = accounts.login(station, station.name.replace("bench-", "insp"), c.PASSWORD)
    todo: list[Any] = []
    while len(todo) < 400:  # enough answer slots, made before the clock starts
        ins = inspections.start(station, user, Stage.CASTING, "JT-B", "SKU-B")
        todo += [(ins.id, a) for _item, a in sp.all_pass(ins)]
    sp._wait(go, ready)
    saves, end, lat = 0, time.monotonic() + seconds, []
    while time.monotonic() < end and saves < len(todo):
        ins_id, answer = todo[saves]
        t = time.perf_counter()
        inspections.record_answer(station, user, ins_id, answer)
        lat.append(time.perf_counter() - t)
        saves += 1
    station.close()
    return {"saves": saves, "lat": lat}


SAMPLE = """
SELECT a.wait_event_type, a.wait_event, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 90)
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.state = 'active'
"""
UNGRANTED = """
SELECT l.locktype, coalesce(c.relname, '') FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
WHERE NOT l.granted AND l.database IS NOT DISTINCT FROM
  (SELECT oid FROM pg_database WHERE datname = current_database()) OR
  (NOT l.granted AND l.locktype = 'transactionid')
"""


def sample(url: str, stop: Path, out: dict[str, Any]) -> None:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    conn = psycopg.connect(plain, autocommit=True)
    samples = with_waiter = waiters_total = waiters_max = active_total = 0
    statements: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    while not stop.exists():
        rows = conn.execute(SAMPLE).fetchall()
        waiting = [r for r in rows if r[0] == "Lock"]
        samples += 1
        active_total += len(rows)
        waiters_total += len(waiting)
        waiters_max = max(waiters_max, len(waiting))
        if waiting:
            with_waiter += 1
            for r in waiting:
                statements[f"{r[1]}: {r[2]}"] += 1
            for locktype, rel in conn.execute(UNGRANTED).fetchall():
                kinds[f"{locktype} {rel}".strip()] += 1
        time.sleep(SAMPLE_S)
    conn.close()
    out.update(
        samples=samples,
        share_with_waiter=with_waiter / max(samples, 1),
        mean_waiting=waiters_total / max(samples, 1),
        max_waiting=waiters_max,
        mean_active=active_total / max(samples, 1),
        top_statements=statements.most_common(4),
        ungranted=kinds.most_common(4),
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--stations", type=int, default=sp.STATIONS)
    p.add_argument("--database-url", default=os.environ.get("QCSTATION_TEST_DATABASE_URL"))
    args = p.parse_args(argv)
    if args.worker:
        target, seconds, go, ready = args.worker
        print(json.dumps(worker(target, float(seconds), go, ready)))
        return 0
    if not args.database_url:
        p.error("no PostgreSQL: set QCSTATION_TEST_DATABASE_URL or give --database-url")
    c.isolate_environment()
    sp.STATIONS = args.stations
    url, handle = sp.fresh_database(args.database_url)
    base = Path(tempfile.mkdtemp(prefix="qc-bench-locks-"))
    try:
        dirs = sp.setup_plant(url, base)
        go, stop = base / "go", base / "stop"
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    str(d),
                    str(args.seconds),
                    str(go),
                    str(base / f"ready-{i}"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i, d in enumerate(dirs)
        ]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(
            not (base / f"ready-{i}").exists() for i in range(len(procs))
        ):
            time.sleep(0.05)
        import threading

        seen: dict[str, Any] = {}
        sampler = threading.Thread(target=sample, args=(url, stop, seen))
        sampler.start()
        start = time.monotonic()
        go.touch()
        saves, lat = 0, []
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise SystemExit(f"a worker failed:\n{err[-3000:]}")
            got = json.loads(out.strip().splitlines()[-1])
            saves += got["saves"]
            lat += got["lat"]
        elapsed = time.monotonic() - start
        stop.touch()
        sampler.join()
        print(
            json.dumps(
                {
                    "bench": "lock_waits",
                    "stations": len(dirs),
                    "saves_per_s": round(saves / elapsed, 1),
                    "save_p50_ms": round(c.percentile(lat, 50) * 1000, 1),
                    "save_p95_ms": round(c.percentile(lat, 95) * 1000, 1),
                    **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in seen.items()},
                }
            )
        )
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
        sp.drop_database(handle)


if __name__ == "__main__":
    raise SystemExit(main())
