"""Saving one checklist answer: the service call against a bare sqlite3 insert + commit.

Ours: ``qcstation.services.inspections.record_answer`` on a real, initialised station
(SQLite file, the app's pragmas: WAL, synchronous=FULL, foreign keys, busy timeout;
BEGIN IMMEDIATE; committed; audited) by an inspector answering the shipped casting
checklist. Reference: one INSERT of an answer-shaped row + COMMIT per iteration with the
same pragmas, into a table with the same columns, unique constraint and index as
``answers`` (no foreign keys: there is no parent table), in its own file in the same
temporary directory.

Two workloads, measured separately:
  insert  first answer to an item (new inspections are started, untimed, as needed);
          reference: plain INSERT.
  update  re-answering an answered item with a different result;
          reference: the same INSERT with ON CONFLICT DO UPDATE (an upsert).

Runs are interleaved in blocks (ours/reference, insert/update, rotating order) so noise
on a shared machine hits both sides alike. Goal: ratio of medians <= 2 (reported, never
enforced). With ``--profile`` (or automatically when the goal is missed, outside
``--quick``) the service call is profiled with cProfile and its SQL statements are listed.

    python bench/answer_save.py            # 400 answers per workload
    python bench/answer_save.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import itertools
import json
import pstats
import re
import sqlite3
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import _common as c

from qcstation import config
from qcstation.domain.inspections import Answer, Outcome, positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import (
    ChecklistItem,
    ChoiceItem,
    MeasurementItem,
    PhotoItem,
    TextItem,
)
from qcstation.domain.users import Permission, Role, User
from qcstation.services import accounts, context, inspections, setup
from qcstation.services.context import Station
from qcstation.store.database import sqlite_url

BENCH = "answer_save"
GOAL_RATIO = 2.0
STAGE = Stage.CASTING

Slot = tuple[str, ChecklistItem, "int | None"]


# --------------------------------------------------------------------------- set-up


def open_station(base: Path) -> tuple[Station, User]:
    """A real station in base/data: schema, admin, shipped checklists, one inspector."""
    data = base / "data"
    location = config.resolve(data, sqlite_url(data / config.DATABASE_FILE))
    station = context.connect(location)
    result = setup.init(station, "alice", c.PASSWORD, "Bench Admin")
    accounts.create_user(
        station, result.admin, "ines", c.PASSWORD, Role.INSPECTOR, "Bench Inspector"
    )
    return station, accounts.login(station, "ines", c.PASSWORD)


def answer_for(item: ChecklistItem, position: int | None, variant: int) -> Answer:
    """A valid answer that differs between even and odd variants (so an update changes it)."""
    odd = variant % 2 == 1
    if isinstance(item, MeasurementItem):
        lo = item.lower if item.lower is not None else (item.upper or 0.0) - 1.0
        hi = item.upper if item.upper is not None else lo + 1.0
        v = round(lo + (hi - lo) * (0.3 if odd else 0.6), 3)
        return Answer(item.id, position, readings=(v,) * item.readings)
    if isinstance(item, ChoiceItem):
        return Answer(item.id, position, value=item.options[variant % len(item.options)])
    if isinstance(item, TextItem):
        if item.example is not None:  # a pattern's form (a HUID): its example
            return Answer(item.id, position, value=item.example)
        return Answer(item.id, position, value=f"F-{variant:05d}"[: item.max_length])
    # pass/fail items (photo items are skipped by the caller: they need evidence first)
    return Answer(item.id, position, Outcome.FAIL if odd else Outcome.PASS)


def checklist_slots(station: Station, inspection_id: str) -> list[Slot]:
    ins = inspections.get(station, inspection_id)
    return [
        (inspection_id, item, pos)
        for item in ins.template.items()
        if not item.photo_required and not isinstance(item, PhotoItem)
        for pos in positions_of(item, ins.position_counts)
    ]


class OursInsert:
    """First answers: walks the items of freshly started inspections (started untimed)."""

    def __init__(self, station: Station, user: User, need: int):
        self.station, self.user = station, user
        self.slots: list[Slot] = []
        self.started = 0
        while len(self.slots) < need:
            self._start_one()
        self.it = iter(self.slots)

    def _start_one(self) -> None:
        self.started += 1
        n = self.started
        ins = inspections.start(
            self.station, self.user, STAGE, f"JT-B{n:06d}", f"RG-{n % 50:04d}", f"SN-B{n:07d}"
        )
        self.slots.extend(checklist_slots(self.station, ins.id))

    def __call__(self) -> None:
        ins_id, item, pos = next(self.it)
        inspections.record_answer(self.station, self.user, ins_id, answer_for(item, pos, 0))


class OursUpdate:
    """Re-answers the items of a few fully answered inspections, flipping each result."""

    def __init__(self, station: Station, user: User, inspections_count: int = 5):
        self.station, self.user = station, user
        slots: list[Slot] = []
        for n in range(inspections_count):
            ins = inspections.start(
                station, user, STAGE, f"JT-U{n:04d}", "RG-UPDATE", f"SN-U{n:05d}"
            )
            slots.extend(checklist_slots(station, ins.id))
        for ins_id, item, pos in slots:
            inspections.record_answer(station, user, ins_id, answer_for(item, pos, 0))
        self.slots = slots
        self.it = enumerate(itertools.cycle(slots))

    def __call__(self) -> None:
        k, (ins_id, item, pos) = next(self.it)
        variant = 1 + k // len(self.slots)  # every pass over the slots flips every answer
        inspections.record_answer(self.station, self.user, ins_id, answer_for(item, pos, variant))


_FK = re.compile(r",\s*CONSTRAINT \w+ FOREIGN KEY\s*\([^)]*\)\s*REFERENCES \w+\s*\([^)]*\)", re.I)


def reference_schema(app_db: Path) -> list[str]:
    """The app's own DDL for ``answers`` and its indexes, minus the foreign keys."""
    app = sqlite3.connect(app_db)
    try:
        rows = app.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'answers' AND sql IS NOT NULL "
            "ORDER BY type = 'index'"
        ).fetchall()
    finally:
        app.close()
    ddl = [_FK.sub("", sql) if kind == "table" else sql for kind, sql in rows]
    if not ddl or "FOREIGN KEY" in ddl[0].upper():
        raise RuntimeError(f"could not derive the reference table from {rows!r}")
    return ddl


ANSWER_COLUMNS = (
    "inspection_id, item_id, position, outcome, readings, mean, value, note, "
    "answered_at, answered_by_id"
)
REF_INSERT = f"INSERT INTO answers ({ANSWER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
REF_UPSERT = (
    REF_INSERT + " ON CONFLICT (inspection_id, item_id, position) DO UPDATE SET "
    "outcome = excluded.outcome, readings = excluded.readings, mean = excluded.mean, "
    "value = excluded.value, note = excluded.note, answered_at = excluded.answered_at, "
    "answered_by_id = excluded.answered_by_id"
)


def _ref_row(ins_id: str, item_id: str, pos: int, variant: int) -> tuple[Any, ...]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    outcome = "fail" if variant % 2 else "pass"
    return (ins_id, item_id, pos, outcome, "[]", None, None, "", now, 2)


class Reference:
    """Bare sqlite3: BEGIN IMMEDIATE; one INSERT (or upsert) of an answer row; COMMIT."""

    def __init__(self, path: Path, ddl: list[str], items: list[str]):
        self.conn = c.bare_connection(path)
        for stmt in ddl:
            self.conn.execute(stmt)
        self.items = items
        self.inserted = 0
        self.update_keys = [(str(uuid.uuid4()), it) for _ in range(5) for it in items]
        self.conn.execute("BEGIN IMMEDIATE")
        for ins_id, it in self.update_keys:
            self.conn.execute(REF_INSERT, _ref_row(ins_id, it, 0, 0))
        self.conn.execute("COMMIT")
        self.updates = enumerate(itertools.cycle(self.update_keys))
        self.ins_id = str(uuid.uuid4())

    def insert(self) -> None:
        k = self.inserted
        self.inserted += 1
        if k % len(self.items) == 0:
            self.ins_id = str(uuid.uuid4())
        row = _ref_row(self.ins_id, self.items[k % len(self.items)], 0, 0)
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(REF_INSERT, row)
        conn.execute("COMMIT")

    def update(self) -> None:
        k, (ins_id, item_id) = next(self.updates)
        row = _ref_row(ins_id, item_id, 0, 1 + k // len(self.update_keys))
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(REF_UPSERT, row)
        conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


# --------------------------------------------------------------------------- measuring


def run_interleaved(
    tasks: dict[str, Callable[[], None]], n: int, block: int, warmup: int
) -> dict[str, list[float]]:
    """n timed calls of every task in blocks of `block`, rotating the order each round."""
    names = list(tasks)
    for name in names:  # warm caches, the statement cache and the WAL
        for _ in range(warmup):
            tasks[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    clock = time.perf_counter_ns
    done, rnd = 0, 0
    while done < n:
        k = min(block, n - done)
        shift = rnd % len(names)
        order = names[shift:] + names[:shift]
        if rnd % 2:
            order.reverse()
        for name in order:
            fn, out = tasks[name], times[name]
            for _ in range(k):
                t0 = clock()
                fn()
                out.append((clock() - t0) / 1e6)
        done += k
        rnd += 1
    return times


# --------------------------------------------------------------------------- profiling


def _component(filename: str, funcname: str) -> str:
    f = filename.replace("\\", "/")
    if "commit" in funcname and "sqlite3.Connection" in funcname:
        return "sqlite3 COMMIT (WAL fsync)"
    if "sqlite3.Cursor" in funcname or "sqlite3.Connection" in funcname:
        return "sqlite3 execute (SQL in C)"
    if "/qcstation/store/audit" in f:
        return "qcstation.store.audit"
    if "/qcstation/store/" in f:
        return "qcstation.store (other)"
    if "/qcstation/" in f:
        return "qcstation (services, domain)"
    if "/sqlalchemy/" in f:
        return "sqlalchemy"
    if "/pydantic" in f:
        return "pydantic"
    if f in ("~",) or funcname.startswith("<built-in") or funcname.startswith("<method"):
        return "builtins (json, hashlib, ...)"
    return "other python"


def profile(station: Station, user: User, calls: int) -> None:
    """Where a service call's time goes: cProfile grouped by layer, named hot spots, SQL."""
    from sqlalchemy import event

    inserts = OursInsert(station, user, calls // 2 + 10)
    updates = OursUpdate(station, user)
    for _ in range(10):
        inserts()
        updates()

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    for _ in range(calls // 2):
        inserts()
        updates()
    prof.disable()
    wall = (time.perf_counter() - t0) * 1000 / (2 * (calls // 2))
    st = pstats.Stats(prof)
    per_call = 2 * (calls // 2)

    groups: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = {}
    stats: dict[Any, Any] = st.stats  # type: ignore[attr-defined]
    for (filename, _line, funcname), (_cc, _nc, tt, ct, _callers) in stats.items():
        groups[_component(filename, funcname)] += tt
        key = f"{Path(filename).parent.name}/{Path(filename).name}:{funcname}"
        cumulative[key] = max(cumulative.get(key, 0.0), ct)
    total = sum(groups.values())
    print(f"\nProfile of {per_call} service calls (half insert, half update), cProfile:")
    print(f"wall per call under the profiler: {wall:.3f} ms (profiling inflates Python time)")
    rows = [
        (name, tt * 1000 / per_call, 100 * tt / total)
        for name, tt in sorted(groups.items(), key=lambda kv: -kv[1])
    ]
    print(c.table(["self time by layer", "ms/call", "%"], rows))

    wanted = [
        ("services/inspections.py:record_answer", "record_answer (whole call)"),
        ("store/repositories.py:inspection", "repo.inspection() reload after the write"),
        ("services/inspections.py:_template", "_template(): template row -> pydantic model"),
        ("store/repositories.py:template", "repo.template() (all calls, model_validate)"),
        ("services/inspections.py:_open_inspection", "_open_inspection (require + get)"),
        ("store/repositories.py:photo_counts", "repo.photo_counts (all calls)"),
        ("store/audit.py:_before_flush", "audit _before_flush (old snapshots)"),
        ("store/audit.py:_after_flush", "audit _after_flush (new snapshot, hash, insert)"),
        ("orm/session.py:flush", "Session.flush (incl. audit hooks)"),
        ("orm/session.py:commit", "Session.commit (incl. COMMIT)"),
        ("domain/inspections.py:missing", "Inspection.missing()"),
        ("domain/inspections.py:current_verdict", "Inspection.current_verdict()"),
        ("domain/inspections.py:progress", "Inspection.progress()"),
    ]
    rows2 = []
    for key, label in wanted:
        if key in cumulative:
            rows2.append((label, cumulative[key] * 1000 / per_call))
    for (filename, _line, funcname), (_cc, nc, tt, _ct, _callers) in stats.items():
        if (
            filename == "~"
            and "sqlite3" in funcname
            and ("commit" in funcname or "execute" in funcname)
        ):
            rows2.append((f"{funcname} ({nc / per_call:.1f}/call)", tt * 1000 / per_call))
    print()
    print(c.table(["hot spot (cumulative)", "ms/call"], rows2))
    print("\nTop 15 functions by own time:")
    st.sort_stats("tottime").print_stats(15)

    # The SQL one call sends, with each statement's time.
    log: list[tuple[str, float]] = []
    starts: list[float] = []

    def before(*_a: Any) -> None:
        starts.append(time.perf_counter())

    def after(_conn: Any, _cur: Any, statement: str, *_a: Any) -> None:
        log.append((statement, (time.perf_counter() - starts.pop()) * 1000))

    engine = station.db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for label, fn in (("insert (first answer)", inserts), ("update (re-answer)", updates)):
            log.clear()
            t0 = time.perf_counter()
            fn()
            total_ms = (time.perf_counter() - t0) * 1000
            sql_ms = sum(ms for _s, ms in log)
            print(
                f"\nSQL of one {label}: {len(log)} statements, {sql_ms:.3f} ms in the driver "
                f"of {total_ms:.3f} ms (the COMMIT is a driver call, not listed)"
            )
            for stmt, ms in log:
                flat = " ".join(stmt.split())
                print(f"  {ms:7.3f} ms  {flat[:110]}")
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def ablation(station: Station, user: User, n: int) -> None:
    """Unprofiled medians of the pieces of a service call, and of floors below it.

    The floors write rows that bypass the audit hook (throw-away database, on purpose)."""
    from sqlalchemy import insert, select
    from sqlalchemy.orm import sessionmaker

    from qcstation.services.accounts import require
    from qcstation.store import repositories as repo
    from qcstation.store.models import AnswerRow, InspectionRow, TemplateRow

    full = OursUpdate(station, user, inspections_count=1)  # 9 answers, like a finished one
    ins_id = full.slots[0][0]
    # The floors insert into an inspection of their own, so ins_id keeps its 9 answers.
    floor_id = inspections.start(station, user, STAGE, "JT-FLOOR", "RG-FLOOR", "SN-FLOOR").id
    plain = sessionmaker(
        station.db.engine.execution_options(qc_begin="IMMEDIATE"), expire_on_commit=False
    )  # the app's engine and BEGIN IMMEDIATE, without the audit hooks
    counter = itertools.count()

    def orm_floor() -> None:
        with plain() as s, s.begin():
            s.add(
                AnswerRow(
                    inspection_id=floor_id,
                    item_id=f"floor-{next(counter)}",
                    position=0,
                    outcome="pass",
                    readings=[],
                    mean=None,
                    value=None,
                    note="",
                    answered_at=station.now(),
                    answered_by_id=user.id,
                )
            )

    def core_floor() -> None:
        with station.db.engine.execution_options(qc_begin="IMMEDIATE").begin() as conn:
            conn.execute(
                insert(AnswerRow),
                {
                    "inspection_id": floor_id,
                    "item_id": f"floor-{next(counter)}",
                    "position": 0,
                    "outcome": "pass",
                    "readings": [],
                    "mean": None,
                    "value": None,
                    "note": "",
                    "answered_at": station.now(),
                    "answered_by_id": user.id,
                },
            )

    def reload() -> None:
        with station.db.read() as s:
            repo.inspection(s, s.get_one(InspectionRow, ins_id))

    with station.db.read() as s:
        trow = s.get_one(TemplateRow, s.get_one(InspectionRow, ins_id).template_id)
        content = trow.content

    def template() -> None:
        repo.template(TemplateRow(content=content))

    def checks() -> None:  # _open_inspection's reads, the template, photos, the answer lookup
        with station.db.read() as s:
            require(s, user, Permission.INSPECT)
            row = s.get_one(InspectionRow, ins_id)
            repo.template(s.get_one(TemplateRow, row.template_id))
            repo.photo_counts(s, ins_id)
            s.scalars(
                select(AnswerRow).where(
                    AnswerRow.inspection_id == ins_id,
                    AnswerRow.item_id == "fill",
                    AnswerRow.position == 0,
                )
            ).one_or_none()

    # The SQL the service sends for an update (15 statements: see the trace above), done
    # in bare sqlite3 on the same file, with an audit row of the same size and a SHA-256.
    raw = c.bare_connection(Path(station.db.engine.url.database or ""))
    raw_slots = itertools.cycle([(i, item.id) for i, item, _p in full.slots])
    raw_counter = itertools.count()
    tpl_id, station_id = raw.execute(
        "SELECT template_id, station_id FROM inspections WHERE id = ?", (ins_id,)
    ).fetchone()

    def same_sql_bare() -> None:
        ins, item = next(raw_slots)
        k = next(raw_counter)
        x = raw.execute
        x("BEGIN IMMEDIATE")
        x("SELECT * FROM users WHERE id = ?", (user.id,)).fetchone()
        x("SELECT * FROM inspections WHERE id = ?", (ins,)).fetchone()
        x("SELECT * FROM templates WHERE id = ?", (tpl_id,)).fetchone()
        x(
            "SELECT item_id, position, count(*) FROM evidence WHERE inspection_id = ? "
            "GROUP BY item_id, position",
            (ins,),
        ).fetchall()
        a = x(
            "SELECT * FROM answers WHERE inspection_id = ? AND item_id = ? AND position = 0",
            (ins, item),
        ).fetchone()
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        x("UPDATE answers SET note = ?, answered_at = ? WHERE id = ?", (f"n{k}", now, a[0]))
        last_id, last_hash = x("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
        body = json.dumps({"old": list(a), "new": [*a[:-1], now]}, sort_keys=True)
        digest = hashlib.sha256((last_hash + body + body).encode()).hexdigest()
        x(
            "INSERT INTO audit_log (id, at, actor, station, entity, entity_id, action, old, new, "
            "reason, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                last_id + 1,
                now,
                user.username,
                station.name,
                "answers",
                str(a[0]),
                "update",
                body,
                body,
                "",
                last_hash,
                digest,
            ),
        )
        x("UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", (last_id + 1, digest))
        x("SELECT * FROM templates WHERE id = ?", (tpl_id,)).fetchone()
        x(
            "SELECT item_id, position, count(*) FROM evidence WHERE inspection_id = ? "
            "GROUP BY item_id, position",
            (ins,),
        ).fetchall()
        x("SELECT * FROM answers WHERE inspection_id = ?", (ins,)).fetchall()
        x("SELECT * FROM defects WHERE inspection_id = ? ORDER BY id", (ins,)).fetchall()
        x("SELECT * FROM users WHERE id = ?", (user.id,)).fetchone()
        x("SELECT * FROM stations WHERE id = ?", (station_id,)).fetchone()
        x("COMMIT")

    pieces: list[tuple[str, Callable[[], None]]] = [
        ("service record_answer (update)", full),
        ("floor: the service's 15 statements in bare sqlite3", same_sql_bare),
        ("floor: ORM add + commit, no audit, no reads", orm_floor),
        ("floor: SQLAlchemy Core insert + commit", core_floor),
        ("piece: repo.inspection() reload (read session)", reload),
        ("piece: pre-write checks and reads (read session)", checks),
        ("piece: repo.template() pydantic validation", template),
    ]
    try:
        times = run_interleaved(dict(pieces), n, 10, 10)
    finally:
        raw.close()
    print(f"\nUnprofiled pieces and floors ({n} runs each, interleaved; medians):")
    print(
        c.table(
            ["what", "median ms", "p95 ms"],
            [(k, c.Stats.of(v).median, c.Stats.of(v).p95) for k, v in times.items()],
        )
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--answers", type=int, default=400, help="timed answers per workload")
    p.add_argument("--warmup", type=int, default=40, help="untimed calls per side first")
    p.add_argument("--block", type=int, default=10, help="calls per side before switching")
    p.add_argument("--quick", action="store_true", help="smoke mode: 30 answers, no profile")
    p.add_argument("--profile", action="store_true", help="always profile the service call")
    p.add_argument("--no-profile", action="store_true", help="never profile")
    p.add_argument("--profile-calls", type=int, default=300)
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    if args.quick:
        args.answers, args.warmup, args.block = 30, 5, 5
    if args.answers < 1 or args.block < 1 or args.warmup < 0:
        p.error("--answers and --block must be positive, --warmup not negative")

    c.isolate_environment()
    with c.temp_dir("qc-bench-answer-", args.tmp_dir, args.keep) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    t0 = time.perf_counter()
    station, inspector = open_station(base)
    try:
        need = args.answers + args.warmup
        ours_insert = OursInsert(station, inspector, need)
        ours_update = OursUpdate(station, inspector)
        items = [item.id for _i, item, _p in checklist_slots(station, ours_insert.slots[0][0])]
        ref = Reference(
            base / "reference.db", reference_schema(base / "data" / "qcstation.db"), items
        )
        setup_s = time.perf_counter() - t0

        tasks: dict[str, Callable[[], None]] = {
            "insert/ours": ours_insert,
            "insert/reference": ref.insert,
            "update/ours": ours_update,
            "update/reference": ref.update,
        }
        t1 = time.perf_counter()
        times = run_interleaved(tasks, args.answers, args.block, args.warmup)
        run_s = time.perf_counter() - t1
        ref.close()

        stats = {name: c.Stats.of(v) for name, v in times.items()}
        print(f"{BENCH}: record_answer (service) vs bare sqlite3 INSERT+COMMIT, same pragmas")
        print(f"  {c.machine()}")
        print(
            f"  {args.answers} timed answers per workload, warm-up {args.warmup}, interleaved "
            f"in blocks of {args.block}; checklist {STAGE.value} ({len(items)} items); "
            f"set-up {setup_s:.1f} s, measuring {run_s:.1f} s"
        )
        print(f"  temp dir {base}\n")
        rows = [(name, s.n, s.median, s.p95, s.minimum, s.mean) for name, s in stats.items()]
        print(c.table(["workload/side", "n", "median ms", "p95 ms", "min ms", "mean ms"], rows))
        print()
        metrics = []
        worst = 0.0
        for kind in ("insert", "update"):
            ours, refs = stats[f"{kind}/ours"], stats[f"{kind}/reference"]
            r = c.ratio(ours.median, refs.median)
            worst = max(worst, r)
            verdict = "met" if r <= GOAL_RATIO else "NOT met"
            print(
                f"{kind}: ratio of medians {r:.2f} (goal <= {GOAL_RATIO:g}: {verdict}); "
                f"ratio of p95 {c.ratio(ours.p95, refs.p95):.2f}"
            )
            metrics.append(c.metric(BENCH, f"{kind}_median", ours.median, refs.median, "ms"))
            metrics.append(c.metric(BENCH, f"{kind}_p95", ours.p95, refs.p95, "ms"))

        if args.profile or (worst > GOAL_RATIO and not args.quick and not args.no_profile):
            profile(station, inspector, args.profile_calls)
            ablation(station, inspector, max(50, args.profile_calls))
    finally:
        station.close()
    print()
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
