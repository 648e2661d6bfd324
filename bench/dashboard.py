"""Quality dashboards over many inspections: each chart's service call vs its bare SQL.

Ours: ``qcstation.services.dashboards`` -- pareto(by code / stage / worker / material),
first_pass_yield(by week and by day), daily_p_chart(), and dashboard() (all of them in
one read), each with the role check, the ORM session and the DTOs it returns.
Reference: the very SELECT statements the service sends (captured once from the engine),
run through a plain sqlite3 connection with the app's pragmas and fetched as tuples. The
ratio is therefore the service's overhead over the database work; the ms column says
whether a chart is fast enough (goal: under 500 ms per chart; reported, never enforced).
Before timing, the service's figures are checked against the reference rows.

Data: bench/history_search.py's seeding (a real initialised station; N inspections
bulk-inserted with plain SQL: ~5,000 SKUs, 8 stages, 85/10/5 % pass/fail/needs review
over two years, several inspectors and stations), plus defects bulk-inserted the same
way: D defects on failed and needs-review inspections (1-3 each, Zipf-like codes from the
shipped catalog, recorded by the inspection's inspector), and a material for 90 % of
the SKUs. The seeded file is cached under bench/out/ keyed by N and D.

    python bench/dashboard.py                 # 1,000,000 inspections, 200,000 defects
    python bench/dashboard.py --quick         # 20,000 / 4,000, few repeats
    python bench/dashboard.py -n 200000 -d 40000 --repeats 10
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import _common as c
import history_search as hs

from qcstation import config
from qcstation.domain.dashboards import Bucket, DashboardFilter, ParetoBy
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role, User
from qcstation.services import accounts, context, dashboards
from qcstation.services.context import Station
from qcstation.store import schema
from qcstation.store.database import sqlite_url

BENCH = "dashboard"
GOAL_MS = 500.0
SEED_VERSION = 2  # raise when the seeding changes, so cached files are rebuilt
MATERIALS = [
    ("18k yellow gold", 30),
    ("14k white gold", 20),
    ("sterling silver", 25),
    ("platinum 950", 8),
    ("gold vermeil", 10),
    ("rose gold 9k", 7),
]
SUPERVISOR = "sam"


def seed_defects(db_file: Path, n_defects: int, seed: int = 4242) -> dict[str, float]:
    """Defects on failed / needs-review inspections and SKU materials, by bulk SQL."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    conn = sqlite3.connect(db_file, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # seeding only
        conn.execute("PRAGMA cache_size = -524288")
        codes = [r for r in conn.execute("SELECT code, severity FROM defect_codes ORDER BY code")]
        rng.shuffle(codes)
        weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(codes))]
        hosts = conn.execute(
            "SELECT id, inspector_id, started_at FROM inspections "
            "WHERE verdict IN ('fail', 'needs_review') ORDER BY rowid"
        ).fetchall()
        if not hosts:
            raise RuntimeError("no failed inspections to put defects on")
        rows = []
        while len(rows) < n_defects:
            ins_id, who, at = hosts[rng.randrange(len(hosts))]
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                code, severity = rng.choices(codes, weights)[0]
                rows.append((ins_id, None, 0, code, severity, "pending", "", at, who))
        rows = rows[:n_defects]
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO defects (inspection_id, item_id, position, code, severity, "
            "disposition, note, created_at, created_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        names = [m for m, _w in MATERIALS]
        mweights = [w for _m, w in MATERIALS]
        skus = [
            (sku, "", rng.choices(names, mweights)[0], "2026-01-01 00:00:00.000000")
            for sku in hs.sku_names()
            if rng.random() < 0.9
        ]
        conn.executemany(
            "INSERT INTO skus (sku, description, material, updated_at) VALUES (?, ?, ?, ?)", skus
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {"defects + materials": time.perf_counter() - t0}


def cached_station(
    cache_dir: Path, n: int, d: int, reseed: bool, log: Callable[[str], None]
) -> Path:
    data_dir = cache_dir / f"dashboard-{n}-{d}"
    marker = data_dir / "seed.json"
    want = {
        "n": n,
        "defects": d,
        "seed_version": SEED_VERSION,
        "history_seed_version": hs.SEED_VERSION,
        "schema": schema.head(),
    }
    if not reseed and marker.exists() and (data_dir / config.DATABASE_FILE).exists():
        try:
            meta = json.loads(marker.read_text())
            if {k: meta.get(k) for k in want} == want:
                log(f"using the cached database {data_dir / config.DATABASE_FILE}")
                for step, s in meta["seconds"].items():
                    log(f"  seeded earlier: {step:40s} {s:8.1f} s")
                return data_dir
        except (ValueError, KeyError, AttributeError):
            pass
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    log(f"seeding {n:,} inspections and {d:,} defects into {data_dir} ...")
    timings = hs.seed(data_dir, n, log)
    timings.update(seed_defects(data_dir / config.DATABASE_FILE, d))
    station = context.open_station(config.resolve(data_dir, sqlite_url(data_dir / "qcstation.db")))
    try:
        admin = accounts.login(station, "alice", c.PASSWORD)
        accounts.create_user(station, admin, SUPERVISOR, c.PASSWORD, Role.SUPERVISOR, "Sam")
    finally:
        station.close()
    for step, s in timings.items():
        log(f"  {step:40s} {s:8.1f} s")
    marker.write_text(json.dumps({**want, "seconds": timings}, indent=1))
    return data_dir


def charts(last_day: date) -> dict[str, tuple[str, Callable[[Station, User], Any]]]:
    recent = DashboardFilter(date_from=last_day - timedelta(days=90), date_to=last_day)
    polishing = DashboardFilter(stage=Stage.POLISHING)
    D = dashboards
    return {
        "pareto_code": ("all, by code", lambda s, u: D.pareto(s, u, ParetoBy.CODE)),
        "pareto_stage": ("all, by stage", lambda s, u: D.pareto(s, u, ParetoBy.STAGE)),
        "pareto_worker": ("all, by worker", lambda s, u: D.pareto(s, u, ParetoBy.WORKER)),
        "pareto_material": ("all, by material", lambda s, u: D.pareto(s, u, ParetoBy.MATERIAL)),
        "pareto_code_90d": (
            "last 90 days, by code",
            lambda s, u: D.pareto(s, u, ParetoBy.CODE, recent),
        ),
        "fpy_week": ("all, per stage by week", lambda s, u: D.first_pass_yield(s, u)),
        "fpy_day_polishing": (
            "polishing, by day",
            lambda s, u: D.first_pass_yield(s, u, polishing, Bucket.DAY),
        ),
        "p_chart": ("all, daily", lambda s, u: D.daily_p_chart(s, u)),
        "p_chart_90d": ("last 90 days, daily", lambda s, u: D.daily_p_chart(s, u, recent)),
        "dashboard": ("every chart in one read", lambda s, u: D.dashboard(s, u)),
    }


def capture(station: Station, fn: Callable[[], Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """The chart SELECTs the service sends (not its permission look-up of the user)."""
    from sqlalchemy import event

    seen: list[tuple[str, tuple[Any, ...]]] = []

    def hook(_conn: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        text = statement.lstrip()
        if text.upper().startswith("SELECT") and not text.startswith("SELECT users.id"):
            seen.append((statement, tuple(parameters)))

    event.listen(station.db.engine, "before_cursor_execute", hook)
    try:
        fn()
    finally:
        event.remove(station.db.engine, "before_cursor_execute", hook)
    return seen


def check(key: str, result: Any, ref_rows: list[list[Any]]) -> str | None:
    """The service's figures must be the reference rows' figures."""
    if key.startswith("pareto"):
        got = [(b.key, b.count) for b in result]
        want = [(str(r[0]), int(r[2])) for r in ref_rows[0]]
    elif key.startswith("fpy"):
        got = [(p.period.isoformat(), p.stage.value, p.inspected, p.first_pass) for p in result]
        want = [(r[0], r[1], int(r[2]), int(r[3])) for r in ref_rows[0]]
    elif key.startswith("p_chart"):
        got = [(p.day.isoformat(), p.n, p.nonconforming) for p in result.points]
        want = [(r[0], int(r[1]), int(r[2])) for r in ref_rows[0]]
    else:
        got = [result.inspected, result.defects]
        want = [int(ref_rows[0][0][0]), int(ref_rows[1][0][0])]
    if got != want:
        return f"{key}: service and SQL disagree ({len(got)} vs {len(want)} rows)"
    if not got:
        return f"{key}: empty; the seeded data does not fit the chart"
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-n", "--inspections", type=int, default=1_000_000)
    p.add_argument("-d", "--defects", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=7, help="timed runs per chart and side")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="smoke mode: 20,000 / 4,000, 3 repeats")
    p.add_argument("--only", nargs="+", metavar="CHART")
    p.add_argument("--cache-dir", type=Path, default=c.OUT_DIR)
    p.add_argument("--no-cache", action="store_true", help="seed into a temp dir, drop it after")
    p.add_argument("--reseed", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.inspections, args.defects, args.repeats, args.warmup = 20_000, 4_000, 3, 1
    if args.inspections < 1000 or args.defects < 1 or args.repeats < 1:
        p.error("--inspections must be at least 1000, --defects and --repeats positive")
    c.isolate_environment()
    with c.cache_or_temp(args.cache_dir, args.no_cache, "qc-bench-dashboard-") as cache_dir:
        return run(args, cache_dir)


def run(args: argparse.Namespace, cache_dir: Path) -> int:
    def log(msg: str) -> None:
        print(msg, flush=True)

    print(f"{BENCH}: dashboard service calls vs their SQL through sqlite3")
    print(f"  {c.machine()}")
    data_dir = cached_station(cache_dir, args.inspections, args.defects, args.reseed, log)
    db_file = data_dir / config.DATABASE_FILE
    station = context.open_station(config.resolve(data_dir, sqlite_url(db_file)))
    ref = c.bare_connection(db_file)
    try:
        user = accounts.login(station, SUPERVISOR, c.PASSWORD)
        n_ins, n_def = ref.execute(
            "SELECT (SELECT count(*) FROM inspections), (SELECT count(*) FROM defects)"
        ).fetchone()
        last = ref.execute("SELECT max(started_at) FROM inspections").fetchone()[0]
        todo = charts(date.fromisoformat(last[:10]))
        if args.only:
            unknown = set(args.only) - set(todo)
            if unknown:
                print(f"unknown charts {sorted(unknown)}; known: {', '.join(todo)}")
                return 2
            todo = {k: v for k, v in todo.items() if k in args.only}
        size_mb = db_file.stat().st_size / 1e6
        print(
            f"  {n_ins:,} inspections, {n_def:,} defects, {size_mb:,.0f} MB; "
            f"{args.repeats} timed runs per chart and side after {args.warmup} warm-up"
        )
        calls: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
        problems = []
        for key, (_label, fn) in todo.items():
            result: list[Any] = []
            sent = capture(station, lambda fn=fn, out=result: out.append(fn(station, user)))

            def reference(sent: list[tuple[str, tuple[Any, ...]]] = sent) -> list[list[Any]]:
                ref.execute("BEGIN")  # one read transaction, as the service has
                try:
                    return [ref.execute(sql, params).fetchall() for sql, params in sent]
                finally:
                    ref.execute("COMMIT")

            problem = check(key, result[0], reference())
            if problem:
                problems.append(problem)

            def ours(fn: Callable[[Station, User], Any] = fn) -> Any:
                return fn(station, user)

            calls[key] = (ours, reference)
        if problems:
            print("the service and its SQL disagree:\n  " + "\n  ".join(problems))
            return 1

        times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in calls}
        clock = time.perf_counter_ns
        for ours_fn, ref_fn in calls.values():
            for _ in range(args.warmup):
                ours_fn()
                ref_fn()
        t_run = time.perf_counter()
        for rep in range(args.repeats):
            for k, (ours_fn, ref_fn) in calls.items():
                pair = [(ours_fn, times[k][0]), (ref_fn, times[k][1])]
                if rep % 2:
                    pair.reverse()
                for fn, out in pair:
                    t0 = clock()
                    fn()
                    out.append((clock() - t0) / 1e6)
        run_s = time.perf_counter() - t_run
        print(f"\nTimings ({run_s:.1f} s of measuring); goal: median < {GOAL_MS:g} ms per chart")
        rows, metrics, missed = [], [], []
        for key, (ours_t, ref_t) in times.items():
            o, r = c.Stats.of(ours_t), c.Stats.of(ref_t)
            ok = o.median < GOAL_MS or key == "dashboard"  # the whole page is not one chart
            if not ok:
                missed.append(key)
            rows.append(
                (key, todo[key][0], o.median, o.p95, r.median, c.ratio(o.median, r.median),
                 "yes" if ok else "NO")
            )  # fmt: skip
            metrics.append(c.metric(BENCH, f"{key}_median", o.median, r.median, "ms"))
        print(
            c.table(
                ["chart", "what", "ours med ms", "ours p95", "sql med ms", "ratio", "< goal"], rows
            )
        )
        print("\nGoal missed by: " + ", ".join(missed) if missed else "\nEvery chart met the goal.")
    finally:
        ref.close()
        station.close()
    print()
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
