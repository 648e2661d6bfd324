"""History search over many inspections: the service against the same query in raw SQL.

Ours: ``qcstation.services.inspections.search(station, SearchFilter(...))`` (an ORM query
joined to users and stations, newest first, limit 100, turned into summaries).
Reference: the same query written by hand and run through sqlite3 on a connection with
the app's pragmas (same joins, same WHERE, ORDER BY started_at DESC, id LIMIT 100),
fetching plain tuples. Both must return the same inspections in the same order; the
script checks that before timing.

The database is a real, initialised station (setup.init: schema with its migrations and
indexes, admin, checklists, catalog, plus inspectors created through the service); the N
inspections are then bulk-inserted straight into ``inspections`` with plain SQL (this
bypasses the audit hook on purpose: the chain is irrelevant to searching, and seeding
a million rows through the services would take hours). Distributions: ~5,000 SKUs with
Zipf-like popularity, unique serials (lot inspections have none), 8 stages, verdicts
~85% pass / 10% fail / 5% needs review, started over 2 years of working hours, several
inspectors and stations. The seeded file is cached under bench/out/ keyed by N.

Goal per query: median under 20 ms and ratio of medians <= 1.5 (reported, never enforced).
The quick search box finds any part of a job ticket, SKU, serial or inspector in any case;
no index serves "contains", so a text few inspections contain ("text_part",
"text_serial") costs one pass over the table, on our side and the reference's alike.

    python bench/history_search.py               # 1,000,000 inspections (seeds once, cached)
    python bench/history_search.py --quick       # 20,000 inspections, few repeats
    python bench/history_search.py -n 200000 --repeats 50
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import _common as c

from qcstation import config
from qcstation.domain.inspections import Verdict
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.domain.users import Role
from qcstation.services import accounts, context, inspections, setup
from qcstation.services.context import Station
from qcstation.store import repositories as repo
from qcstation.store import schema
from qcstation.store.database import sqlite_url
from qcstation.store.models import TemplateRow

BENCH = "history_search"
GOAL_MS = 20.0
GOAL_RATIO = 1.5
SEED_VERSION = 1  # raise when the seeding changes, so cached files are rebuilt

# ---------------------------------------------------------------------------- seeding

END = datetime(2026, 11, 1, tzinfo=timezone.utc)  # fixed, so a cached file stays valid
DAYS = 730
SHIFT_START_H, SHIFT_HOURS = 6, 16  # two shifts, 06:00-22:00, Monday to Saturday
N_SKUS = 5000
SKU_SKEW = 0.7  # Zipf exponent: the best seller has ~2.5% of all inspections
INSPECTORS = ["ines", "ivan", "iris", "igor", "ida", "ilse", "imre", "inka"]
INSPECTOR_WEIGHTS = [20, 18, 15, 14, 12, 9, 7, 5]
STATIONS = ["qc-bench-1", "qc-bench-2", "qc-bench-3", "qc-bench-4"]
STAGE_WEIGHTS = {
    Stage.RECEIVING: 6,
    Stage.CASTING: 15,
    Stage.ASSEMBLY: 15,
    Stage.STONE_SETTING: 16,
    Stage.POLISHING: 15,
    Stage.PLATING: 10,
    Stage.FINAL_QC: 15,
    Stage.PACKAGING: 8,
}
VERDICTS = [("pass", 85), ("fail", 10), ("needs_review", 5)]
IN_PROGRESS_TAIL = 150  # the newest inspections are still open
LOT_SHARE = 0.05

TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite

COLUMNS = (
    "id",
    "job_ticket",
    "sku",
    "serial",
    "subject",
    "lot_size",
    "sample_size",
    "stage",
    "template_id",
    "template_key",
    "template_version",
    "position_counts",
    "status",
    "verdict",
    "inspector_id",
    "station_id",
    "started_at",
    "completed_at",
    "notes",
)


def ts(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime(TS_FORMAT)


def sku_names() -> list[str]:
    rng = random.Random(7)
    prefixes = ["RG", "PD", "ER", "BR", "NK", "CH", "BG", "CF"]
    names = [f"{prefixes[i % len(prefixes)]}-{10000 + i * 7:05d}" for i in range(N_SKUS)]
    rng.shuffle(names)  # popularity rank has nothing to do with the code
    return names


def working_days() -> list[date]:
    first = (END - timedelta(days=DAYS)).date()
    days = [first + timedelta(days=k) for k in range(DAYS)]
    return [d for d in days if d.weekday() != 6]  # no Sundays


@dataclass
class SeedContext:
    templates: dict[str, tuple[int, str, int, str]]  # stage -> id, key, version, counts json
    inspectors: list[int]
    stations: list[int]


def generate(n: int, ctx: SeedContext, seed: int = 12345) -> Iterator[tuple[Any, ...]]:
    """n inspection rows in the order they happened (so rowid order is time order)."""
    rng = random.Random(seed)
    skus = sku_names()
    cum_sku: list[float] = []
    total = 0.0
    for rank in range(N_SKUS):
        total += 1.0 / (rank + 1) ** SKU_SKEW
        cum_sku.append(total)
    stages = list(STAGE_WEIGHTS)
    cum_stage = list(_accumulate(STAGE_WEIGHTS.values()))
    cum_verdict = list(_accumulate(w for _v, w in VERDICTS))
    cum_inspector = list(_accumulate(INSPECTOR_WEIGHTS[: len(ctx.inspectors)]))
    days = working_days()
    shift_s = SHIFT_HOURS * 3600
    span = len(days) * shift_s
    job, job_left = 100000, 0
    for i in range(n):
        x = (i + rng.random()) * span / n  # working seconds since the start, increasing
        day, sec = divmod(x, shift_s)
        started = datetime.combine(days[int(day)], datetime.min.time(), tzinfo=timezone.utc)
        started += timedelta(seconds=SHIFT_START_H * 3600 + sec)
        if job_left == 0:
            job += 1
            job_left = rng.randint(1, 12)
        job_left -= 1
        stage = stages[bisect.bisect(cum_stage, rng.random() * cum_stage[-1])]
        tpl_id, tpl_key, tpl_version, counts = ctx.templates[stage.value]
        lot = rng.random() < LOT_SHARE
        open_ = i >= n - IN_PROGRESS_TAIL
        verdict = None
        if not open_:
            verdict = VERDICTS[bisect.bisect(cum_verdict, rng.random() * cum_verdict[-1])][0]
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"JT-{job:07d}",
            skus[bisect.bisect(cum_sku, rng.random() * total)],
            "" if lot else f"SN{started:%y}{i:08d}",
            "lot" if lot else "piece",
            rng.randint(20, 500) if lot else None,
            rng.choice([13, 20, 32]) if lot else None,
            stage.value,
            tpl_id,
            tpl_key,
            tpl_version,
            counts,
            "in_progress" if open_ else "completed",
            verdict,
            ctx.inspectors[bisect.bisect(cum_inspector, rng.random() * cum_inspector[-1])],
            ctx.stations[rng.randrange(len(ctx.stations))],
            ts(started),
            None if open_ else ts(started + timedelta(seconds=rng.randint(120, 2400))),
            "see photos" if rng.random() < 0.03 else "",
        )


def _accumulate(weights: Any) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def seed(data_dir: Path, n: int, log: Callable[[str], None]) -> dict[str, float]:
    """Build a station in data_dir with n inspections; returns the timings of each step."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    db_file = data_dir / config.DATABASE_FILE
    location = config.resolve(data_dir, sqlite_url(db_file))
    station = context.connect(location)
    try:
        admin = setup.init(station, "alice", c.PASSWORD, "Bench Admin").admin
        ids = []
        for name in INSPECTORS:
            ids.append(
                accounts.create_user(
                    station, admin, name, c.PASSWORD, Role.INSPECTOR, name.title()
                ).id
            )
        templates: dict[str, tuple[int, str, int, str]] = {}
        with station.db.read() as s:
            for row in s.query(TemplateRow).filter(TemplateRow.active):
                tpl = repo.template(row)
                counts = {i.id: i.positions.default for i in tpl.items() if i.positions}
                templates[row.stage] = (row.id, row.template_key, row.version, json.dumps(counts))
    finally:
        station.close()
    missing = {s.value for s in Stage} - set(templates)
    if missing:
        raise RuntimeError(f"no active checklist for {sorted(missing)}")
    timings["init (schema, admin, content, users)"] = time.perf_counter() - t0

    conn = sqlite3.connect(db_file, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")  # seeding only; the app's settings apply later
        conn.execute("PRAGMA cache_size = -524288")  # 512 MiB
        conn.execute("PRAGMA temp_store = MEMORY")
        now = ts(datetime.now(timezone.utc))
        conn.execute("BEGIN")
        for name in STATIONS:
            conn.execute("INSERT INTO stations (name, created_at) VALUES (?, ?)", (name, now))
        stations = [
            r[0] for r in conn.execute("SELECT id FROM stations WHERE name LIKE 'qc-bench-%'")
        ]
        conn.execute("COMMIT")
        # Drop the secondary indexes, load, rebuild them from the app's own DDL: much faster
        # than updating eight indexes row by row, and the result is the same schema.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'inspections' AND sql IS NOT NULL"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        ctx = SeedContext(templates, ids, stations)
        insert = (
            f"INSERT INTO inspections ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(COLUMNS))})"
        )
        t1 = time.perf_counter()
        rows = generate(n, ctx)
        batch = 50_000
        done = 0
        while done < n:
            chunk = [next(rows) for _ in range(min(batch, n - done))]
            conn.execute("BEGIN")
            conn.executemany(insert, chunk)
            conn.execute("COMMIT")
            done += len(chunk)
            if n >= 200_000 and done % 200_000 == 0:
                log(f"  seeded {done:,} / {n:,} ({time.perf_counter() - t1:.0f} s)")
        timings["generate + insert rows"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        timings["rebuild indexes"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        timings["checkpoint"] = time.perf_counter() - t3
    finally:
        conn.close()
    timings["total"] = time.perf_counter() - t0
    return timings


def cached_station(cache_dir: Path, n: int, reseed: bool, log: Callable[[str], None]) -> Path:
    """The data directory of a seeded station with n inspections, built if needed."""
    data_dir = cache_dir / f"history-{n}"
    marker = data_dir / "seed.json"
    want = {"n": n, "seed_version": SEED_VERSION, "schema": schema.head()}
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
    log(f"seeding {n:,} inspections into {data_dir / config.DATABASE_FILE} ...")
    timings = seed(data_dir, n, log)
    for step, s in timings.items():
        log(f"  {step:40s} {s:8.1f} s")
    marker.write_text(json.dumps({**want, "seconds": timings}, indent=1))
    return data_dir


# ---------------------------------------------------------------------------- queries

SELECT = (
    "SELECT "
    + ", ".join(f"inspections.{col}" for col in COLUMNS)
    + ", users.username, stations.name FROM inspections "
    "JOIN users ON users.id = inspections.inspector_id "
    "JOIN stations ON stations.id = inspections.station_id"
)


def day_start(d: date) -> str:
    return datetime.combine(d, datetime.min.time()).strftime(TS_FORMAT)


PEOPLE = (
    "SELECT users.id FROM users WHERE users.username LIKE ? ESCAPE '\\' "
    "OR users.full_name LIKE ? ESCAPE '\\'"
)


def like(text: str) -> str:
    safe = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{safe}%"


def reference_sql(f: SearchFilter, conn: sqlite3.Connection) -> tuple[str, list[Any]]:
    """The history search written by hand: the same joins, WHERE, order and limit."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("sku", f.sku),
        ("serial", f.serial),
        ("job_ticket", f.job_ticket),
        ("stage", f.stage.value if f.stage else None),
        ("verdict", f.verdict.value if f.verdict else None),
        ("status", f.status),
    ):
        if value:
            where.append(f"inspections.{column} = ?")
            params.append(value)
    if f.inspector:  # the users it matches, looked up first, as the service does
        people = [r[0] for r in conn.execute(PEOPLE, [like(f.inspector.strip())] * 2)]
        if len(people) == 1:
            where.append("inspections.inspector_id = ?")
        else:
            where.append(f"+inspections.inspector_id IN ({', '.join('?' * len(people))})")
        params += people
    if f.date_from:
        where.append("inspections.started_at >= ?")
        params.append(day_start(f.date_from))
    if f.date_to:
        where.append("inspections.started_at < ?")
        params.append(day_start(f.date_to + timedelta(days=1)))
    if getattr(f, "after", None) is not None:
        raise NotImplementedError("keyset paging is not benchmarked")
    if f.text:
        # any part of a job ticket, SKU, serial or the inspector's name, any case (SQLite's
        # LIKE ignores the case of ASCII letters)
        t = like(f.text.strip())
        where.append(
            "(inspections.job_ticket LIKE ? ESCAPE '\\' OR inspections.sku LIKE ? ESCAPE '\\' "
            f"OR inspections.serial LIKE ? ESCAPE '\\' OR inspections.inspector_id IN ({PEOPLE}))"
        )
        params += [t] * 5
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY inspections.started_at DESC, inspections.id LIMIT ?"
    params.append(f.limit)
    if f.offset:
        sql += " OFFSET ?"
        params.append(f.offset)
    return sql, params


def pick_values(conn: sqlite3.Connection) -> dict[str, Any]:
    """Search values that exist in this database: the best-selling SKU, a typical SKU,
    a serial from the middle of the history, an inspector."""
    skus = conn.execute(
        "SELECT sku, count(*) AS n FROM inspections INDEXED BY ix_inspections_sku_started "
        "GROUP BY sku ORDER BY n DESC, sku"
    ).fetchall()
    count = conn.execute("SELECT count(*) FROM inspections").fetchone()[0]
    serial = conn.execute(
        "SELECT serial FROM inspections WHERE serial != '' ORDER BY rowid LIMIT 1 OFFSET ?",
        (count // 2,),
    ).fetchone()[0]
    last = conn.execute("SELECT max(started_at) FROM inspections").fetchone()[0]
    return {
        "hot_sku": skus[0][0],
        "hot_sku_rows": skus[0][1],
        "typical_sku": skus[len(skus) // 2][0],
        "typical_sku_rows": skus[len(skus) // 2][1],
        "serial": serial,
        "count": count,
        "last_day": datetime.strptime(last, TS_FORMAT).date(),
    }


def queries(v: dict[str, Any]) -> dict[str, tuple[str, SearchFilter]]:
    last: date = v["last_day"]
    month = (last - timedelta(days=180), last - timedelta(days=150))
    quarter = (last - timedelta(days=270), last - timedelta(days=180))
    return {
        "recent": ("no filter: the newest 100 (history screen)", SearchFilter()),
        "sku": (f"sku = best seller ({v['hot_sku_rows']:,} rows)", SearchFilter(sku=v["hot_sku"])),
        "sku_typical": (
            f"sku = typical SKU ({v['typical_sku_rows']:,} rows)",
            SearchFilter(sku=v["typical_sku"]),
        ),
        "serial": ("serial = one piece", SearchFilter(serial=v["serial"])),
        "date_range": (
            "started in a 31-day window, 5 months ago",
            SearchFilter(date_from=month[0], date_to=month[1]),
        ),
        "verdict": ("verdict = fail (10%)", SearchFilter(verdict=Verdict.FAIL)),
        "sku_date": (
            "best seller + 91-day window",
            SearchFilter(sku=v["hot_sku"], date_from=quarter[0], date_to=quarter[1]),
        ),
        "verdict_date": (
            "verdict = needs_review + 31-day window",
            SearchFilter(verdict=Verdict.NEEDS_REVIEW, date_from=month[0], date_to=month[1]),
        ),
        "stage_verdict": (
            "stage = stone setting + verdict = fail",
            SearchFilter(stage=Stage.STONE_SETTING, verdict=Verdict.FAIL),
        ),
        "inspector": ("inspector = ida (by username)", SearchFilter(inspector="ida")),
        "text": ("quick search box: text = best-selling SKU", SearchFilter(text=v["hot_sku"])),
        "text_part": (
            "quick search box: the last 6 digits of one serial, lower case (one pass)",
            SearchFilter(text=v["serial"][-6:].lower()),
        ),
        "text_serial": (
            "quick search box: a whole serial, as scanned (one pass)",
            SearchFilter(text=v["serial"]),
        ),
    }


# ---------------------------------------------------------------------------- measuring


def capture_sql(station: Station, f: SearchFilter) -> tuple[str, tuple[Any, ...]]:
    """The statement and parameters the service really sends for this filter."""
    from sqlalchemy import event

    seen: list[tuple[str, tuple[Any, ...]]] = []

    def hook(_conn: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, tuple(parameters)))

    event.listen(station.db.engine, "before_cursor_execute", hook)
    try:
        inspections.search(station, f)
    finally:
        event.remove(station.db.engine, "before_cursor_execute", hook)
    # the inspector box first looks up the few users it matches; the search is the rest
    searches = [s for s in seen if "FROM inspections" in s[0]]
    if len(searches) != 1:
        raise RuntimeError(f"expected one search SELECT from search(), saw {len(searches)}")
    return searches[0]


def plan(conn: sqlite3.Connection, sql: str, params: Any) -> list[str]:
    rows = conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
    depth: dict[int, int] = {0: 0}
    out = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        out.append("  " * (depth[node] - 1) + detail)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("-n", "--inspections", type=int, default=1_000_000, help="rows to seed")
    p.add_argument("--repeats", type=int, default=30, help="timed runs per query and side")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs per query and side")
    p.add_argument("--quick", action="store_true", help="smoke mode: 20,000 rows, 5 repeats")
    p.add_argument("--only", nargs="+", metavar="QUERY", help="run only these queries")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=c.OUT_DIR,
        help="where seeded databases are kept (default bench/out)",
    )
    p.add_argument("--no-cache", action="store_true", help="seed into a temp dir, drop it after")
    p.add_argument("--reseed", action="store_true", help="rebuild the cached database")
    p.add_argument("--no-plans", action="store_true", help="do not print the query plans")
    args = p.parse_args(argv)
    if args.quick:
        args.inspections, args.repeats, args.warmup = 20_000, 5, 1
    if args.inspections < 1000 or args.repeats < 1 or args.warmup < 0:
        p.error("--inspections must be at least 1000 and --repeats positive")

    c.isolate_environment()
    with c.cache_or_temp(args.cache_dir, args.no_cache, "qc-bench-history-") as cache_dir:
        return run(args, cache_dir)


def run(args: argparse.Namespace, cache_dir: Path) -> int:
    def log(msg: str) -> None:
        print(msg, flush=True)

    print(f"{BENCH}: inspections.search() vs the same SQL through sqlite3")
    print(f"  {c.machine()}")
    data_dir = cached_station(cache_dir, args.inspections, args.reseed, log)
    db_file = data_dir / config.DATABASE_FILE
    location = config.resolve(data_dir, sqlite_url(db_file))
    station = context.open_station(location)
    ref = c.bare_connection(db_file)
    try:
        values = pick_values(ref)
        todo = queries(values)
        if args.only:
            unknown = set(args.only) - set(todo)
            if unknown:
                print(f"unknown queries {sorted(unknown)}; known: {', '.join(todo)}")
                return 2
            todo = {k: v for k, v in todo.items() if k in args.only}
        size_mb = db_file.stat().st_size / 1e6
        print(
            f"  {values['count']:,} inspections, {size_mb:,.0f} MB, "
            f"{args.repeats} timed runs per query and side after {args.warmup} warm-up, "
            "interleaved; limit 100, newest first"
        )
        has_stats = ref.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchone()[0]
        print(
            f"  ANALYZE statistics present: {'yes' if has_stats else 'no (as the app leaves it)'}"
        )

        # Same answers, in the same order, before anything is timed.
        problems = []
        for key, (_label, f) in todo.items():
            got = [x.id for x in inspections.search(station, f)]
            ref_sql, ref_params = reference_sql(f, ref)
            theirs = [r[0] for r in ref.execute(ref_sql, ref_params).fetchall()]
            if got != theirs:
                problems.append(f"{key}: service gave {len(got)} rows, SQL gave {len(theirs)}")
            elif not got:
                problems.append(f"{key}: no rows; the seeded data does not fit the query")
        if problems:
            print("the service and the hand-written SQL disagree:\n  " + "\n  ".join(problems))
            return 1

        if not args.no_plans:
            print("\nQuery plans (EXPLAIN QUERY PLAN of the statement the service sends):")
            for key, (label, f) in todo.items():
                sent, sent_params = capture_sql(station, f)
                ours_plan = plan(ref, sent, sent_params)
                ref_sql, ref_params = reference_sql(f, ref)
                ref_plan = plan(ref, ref_sql, ref_params)
                same = "same plan as the hand-written SQL" if ours_plan == ref_plan else "DIFFERS"
                print(f"- {key} ({label}) [{same}]")
                for line in ours_plan:
                    print(f"    {line}")
                if ours_plan != ref_plan:
                    print("  hand-written SQL:")
                    for line in ref_plan:
                        print(f"    {line}")

        calls: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
        for key, (_label, f) in todo.items():
            sql, params = reference_sql(f, ref)

            def ours(f: SearchFilter = f) -> Any:
                return inspections.search(station, f)

            def reference(sql: str = sql, params: list[Any] = params) -> Any:
                return ref.execute(sql, params).fetchall()

            calls[key] = (ours, reference)

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

        print(
            f"\nTimings ({run_s:.1f} s of measuring); "
            f"goal: median < {GOAL_MS:g} ms and ratio <= {GOAL_RATIO:g}"
        )
        rows = []
        metrics = []
        missed = []
        medians: dict[str, tuple[float, float]] = {}
        for key, (ours_t, ref_t) in times.items():
            o, r = c.Stats.of(ours_t), c.Stats.of(ref_t)
            medians[key] = (o.median, r.median)
            ratio = c.ratio(o.median, r.median)
            misses = [
                m for m, bad in (("ms", o.median >= GOAL_MS), ("ratio", ratio > GOAL_RATIO)) if bad
            ]
            if misses:
                missed.append(key)
            verdict = "NO: " + "+".join(misses) if misses else "yes"
            rows.append((key, o.median, o.p95, r.median, r.p95, ratio, verdict))
            metrics.append(c.metric(BENCH, f"{key}_median", o.median, r.median, "ms"))
            metrics.append(c.metric(BENCH, f"{key}_p95", o.p95, r.p95, "ms"))
        print(
            c.table(
                ["query", "ours med ms", "ours p95", "sql med ms", "sql p95", "ratio", "goal met"],
                rows,
            )
        )
        if missed:
            print("\nGoals missed by: " + ", ".join(missed))
        else:
            print("\nAll queries met both goals.")
    finally:
        ref.close()
        station.close()
    print()
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
