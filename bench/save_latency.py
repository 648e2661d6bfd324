"""Answer-save latency through the UI's two lanes while slow work runs beside the saves.

The real window on a real station (SQLite file, the app's pragmas), its real task
runners: answers are saved the way the checklist saves them, ``ctx.run`` on the database
lane, one every ``--gap`` ms (a fast inspector), and the latency of each is the time from
the call on the GUI thread to its result arriving back there.

Measured in the same run, on the same station and the same inspection, in blocks that
take turns (``--blocks``; noise on a shared machine weighs on both sides alike):
  idle    nothing else runs;
  loaded  at the same time, all three kept going on the work lane, each started again as
          soon as it ends:
          (a) an offline-sync attempt (ui/offline_sync.OfflineSync.attempt) against a
              "plant server" that is a local TCP socket which accepts the connection and
              never answers (the PostgreSQL driver waits for its connect timeout, 10 s);
          (b) a signed report export (the UI's path: documents.export_report after the
              queued saves) with a time-stamp server that answers slowly: a local HTTP
              server that waits ``--tsa-delay`` s, then refuses (so the export fails after
              the whole PDF build, signing and wait, and writes nothing);
          (c) a focus stack: aligning and fusing ``--frames`` synthetic frames, then saving
              them as evidence (encoding every frame; one short transaction).

Goal: loaded p95 within 1.5x of idle p95, and under 50 ms (reported, never enforced).

    python bench/save_latency.py            # 200 saves per phase
    python bench/save_latency.py --quick    # smoke run for the tests (a few seconds)
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import _common as c
import _ui

from qcstation import config
from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.imaging.source import Control, Mode
from qcstation.imaging.stacking import focus_stack
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.services import accounts, demo, documents, inspections, microscope, station_keys
from qcstation.ui.context import UiContext
from qcstation.ui.offline_sync import OfflineSync

BENCH = "save_latency"
GOAL_RATIO = 1.5
GOAL_P95_MS = 50.0
SAM, INES = "sam", "ines"
PASSWORDS = {u: p for u, p, _r, _n in demo.DEMO_USERS}


# --------------------------------------------------------------------------- the slow peers


class SilentServer:
    """A TCP port that accepts every connection and never says a word (until closed)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.held: list[socket.socket] = []
        self._closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def hang_up(self) -> None:
        """Close the connections held so far: a waiting client gives up at once."""
        held, self.held = self.held, []
        for conn in held:
            conn.close()

    def close(self) -> None:
        self._closed = True
        self.hang_up()
        self.sock.close()


class SlowTsa:
    """An HTTP "time-stamp server" that waits ``delay`` seconds, then refuses (503)."""

    def __init__(self, delay: float) -> None:
        self.requests = 0
        self.stop = threading.Event()  # a new one for each loaded block (see Load.start)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                outer.stop.wait(delay)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- diagnosis


class WriteLog:
    """With --writes: how long each write transaction held the database (from its start
    to its commit), by its reason: SQLite has one writer, a save waits for whichever
    write holds it."""

    def __init__(self) -> None:
        from qcstation.store.database import Database

        self.held: dict[str, list[float]] = {}
        self.on = False
        original = Database.write
        log = self

        @contextlib.contextmanager
        def write(db: Any, actor: Any, station: str, reason: str = "") -> Any:
            t0 = time.perf_counter()
            try:
                with original(db, actor, station, reason) as session:
                    t0 = time.perf_counter()  # held from here (the wait for it not counted)
                    yield session
            finally:
                if log.on:
                    log.held.setdefault(reason, []).append((time.perf_counter() - t0) * 1000)

        Database.write = write  # type: ignore[method-assign,assignment]

    def report(self) -> None:
        rows = sorted(
            ((k, len(v), max(v), c.percentile(v, 50)) for k, v in self.held.items()),
            key=lambda r: -r[2],
        )
        print(c.table(["write (reason)", "count", "longest ms", "p50 ms"], rows))
        print()


# --------------------------------------------------------------------------- the saves


PARTS = ("waiting for the lane", "on the worker", "back to the GUI thread")


def measure_saves(
    ctx: UiContext,
    actor: Any,
    ins_id: str,
    n: int,
    gap_ms: int,
    parts: dict[str, list[float]] | None = None,
) -> list[float]:
    """``n`` answers through the database lane, one every ``gap_ms``; ms from the call on
    the GUI thread to the result back on it. Runs the event loop until all have arrived.
    ``parts`` gets each latency split in three (see PARTS)."""
    from PySide6.QtCore import QEventLoop, QTimer

    station = ctx.station
    latencies: list[float] = []
    errors: list[BaseException] = []
    loop = QEventLoop()
    sent = 0

    def arrived(t0: float, times: list[float]) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            now = time.perf_counter()
            latencies.append((now - t0) * 1000)
            if parts is not None:
                began, ended = times
                for name, ms in zip(PARTS, (began - t0, ended - began, now - ended), strict=True):
                    parts.setdefault(name, []).append(ms * 1000)
            if len(latencies) + len(errors) == n:
                loop.quit()

        return done

    def failed(exc: BaseException) -> None:
        errors.append(exc)
        loop.quit()

    def send() -> None:
        nonlocal sent
        if sent >= n:
            timer.stop()
            return
        answer = Answer("fill", outcome=Outcome.PASS, note=f"save {sent}")
        sent += 1
        times: list[float] = []

        def save() -> Any:
            times.append(time.perf_counter())
            got = inspections.record_answer(station, actor, ins_id, answer)
            times.append(time.perf_counter())
            return got

        ctx.run(save, arrived(time.perf_counter(), times), failed)

    timer = QTimer()
    timer.timeout.connect(send)
    timer.start(gap_ms)
    loop.exec()
    timer.stop()
    if errors:
        raise RuntimeError(f"a save failed: {type(errors[0]).__name__}: {errors[0]}")
    return latencies


# --------------------------------------------------------------------------- the load


class Load:
    """The three slow jobs, each started again on the work lane as soon as it ends."""

    def __init__(self, ctx: UiContext, window: Any, args: argparse.Namespace, base: Path):
        from PySide6.QtWidgets import QLabel

        self.ctx, self.args = ctx, args
        station = ctx.station
        self.sam = accounts.login(station, SAM, PASSWORDS[SAM])
        self.ines = accounts.login(station, INES, PASSWORDS[INES])
        ctx.user = self.sam  # whoever is signed in signs what a sync delivers
        self.running = False
        self.counts = {"sync attempts": 0, "exports": 0, "stacks fused": 0, "stacks saved": 0}
        self.problems: list[str] = []
        # (a) the plant server that never answers
        self.silent = SilentServer()
        url = f"postgresql+psycopg://qc@127.0.0.1:{self.silent.port}/qcstation"
        self.sync = OfflineSync(ctx, config.resolve(base / "plant", url), QLabel(), window)
        self.sync.timer.stop()  # attempts are started here, not by the minute
        # (b) a completed inspection to report on, and the slow time-stamp server
        self.tsa = SlowTsa(args.tsa_delay)
        station.location = station.location.__class__(
            station.location.data_dir,
            station.location.database_url,
            station.location.settings.__class__(
                station_name=station.name, timestamp_url=self.tsa.url, secret_store="file"
            ),
        )
        # the key a station signs its outbox with (a sync queues the completed inspections)
        station_keys.create(station, accounts.login(station, "ada", PASSWORDS["ada"]))
        self.reported = demo.run_inspection(station, self.ines, Stage.FINAL_QC, random.Random(7))
        self.out = base / "report.pdf"
        # (c) the frames of a stack, and an inspection to keep the stacks in
        side, n = (480, args.frames) if args.quick else (960, args.frames)
        mode = Mode(side * 4 // 3, side, 30, "MJPG")
        cam = SyntheticCamera(SyntheticConfig(seed=4, mode=mode, modes=(mode,), realtime=False))
        cam.open()
        lo, hi = cam.truth.depth_range
        self.frames = []
        for k in range(n):
            cam.set_control(Control.FOCUS, lo + (hi - lo) * k / (n - 1))
            self.frames.append(cam.read())
        cam.close()
        self.stacked = inspections.start(
            station, self.ines, Stage.STONE_SETTING, "JT-BENCH", "RG-1", "SN-BENCH"
        ).id

    def start(self) -> None:
        self.running = True
        self.tsa.stop = threading.Event()
        self._sync()
        self._export()
        self._fuse()

    def stop(self) -> None:
        """Stop starting, cancel what runs, and let it end (the silent server hangs up)."""
        self.running = False
        if self.ctx.work is not None:
            self.ctx.work.cancel_all()
        self.silent.hang_up()
        self.tsa.stop.set()
        self.ctx.wait(120_000)
        from PySide6.QtCore import QCoreApplication

        for _ in range(5):
            QCoreApplication.processEvents()

    def close(self) -> None:
        self.silent.close()
        self.tsa.close()

    def _again(self, start: Callable[[], None]) -> Callable[..., None]:
        from PySide6.QtCore import QTimer

        def then(*_args: Any) -> None:
            if self.running:
                QTimer.singleShot(0, start)

        return then

    def _failed(self, what: str, start: Callable[[], None]) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            if what != "export":  # the export is refused by the slow TSA, by design
                self.problems.append(f"{what}: {type(exc).__name__}: {exc}")
            self._again(start)()

        return failed

    def _sync(self) -> None:
        self.counts["sync attempts"] += 1
        self.sync.attempt()
        self._watch_sync()

    def _watch_sync(self) -> None:
        from PySide6.QtCore import QTimer

        if not self.running:
            return
        if self.sync.busy:
            QTimer.singleShot(20, self._watch_sync)
        else:
            self._sync()

    def _export(self) -> None:
        station, sam, ins, out = self.ctx.station, self.sam, self.reported, self.out
        self.counts["exports"] += 1
        self.ctx.run_work(
            lambda job: documents.export_report(
                station, sam, PASSWORDS[SAM], ins, out, check=job.check
            ),
            self._again(self._export),
            self._failed("export", self._export),
            label="Signed report",
            on_cancelled=lambda: None,
            after_saves=True,
        )

    def _fuse(self) -> None:
        frames = self.frames
        self.ctx.run_work(
            lambda job: focus_stack(frames, step=job.step),
            self._fused,
            self._failed("stack", self._fuse),
            label="Fusing a focus stack",
            on_cancelled=lambda: None,
        )

    def _fused(self, result: Any) -> None:
        self.counts["stacks fused"] += 1
        station, ines, ins, frames = self.ctx.station, self.ines, self.stacked, self.frames
        if not self.running:
            return

        def saved(_got: Any) -> None:
            self.counts["stacks saved"] += 1
            self._again(self._fuse)()

        self.ctx.run_work(
            lambda job: microscope.capture_stack(
                station, ines, ins, list(frames), result, step=job.step
            ),
            saved,
            self._failed("stack save", self._fuse),
            label="Saving a focus stack",
            on_cancelled=lambda: None,
        )


# --------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--saves", type=int, default=200, help="timed saves per phase")
    p.add_argument("--gap", type=int, default=100, help="ms between two saves")
    p.add_argument("--blocks", type=int, default=4, help="idle/loaded blocks, taking turns")
    p.add_argument("--frames", type=int, default=5, help="frames per focus stack")
    p.add_argument("--tsa-delay", type=float, default=3.0, help="seconds the TSA waits")
    p.add_argument("--quick", action="store_true", help="smoke mode: 30 saves, small frames")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--writes", action="store_true", help="list write transactions by reason")
    args = p.parse_args(argv)
    if args.quick:
        args.saves, args.frames, args.tsa_delay, args.blocks = 30, 3, 0.5, 1
    return args


def run(args: argparse.Namespace, base: Path) -> int:
    from PySide6.QtCore import QCoreApplication

    data = base / "data"
    writes = WriteLog() if args.writes else None
    _ui.prepare_data_dir(data, 0)
    b = _ui.open_window(data)
    load: Load | None = None
    try:
        load = Load(b.ctx, b.window, args, base)
        ins_id = inspections.start(
            b.station, load.ines, Stage.CASTING, "JT-SAVE", "RG-1", "SN-SAVE"
        ).id
        measure_saves(b.ctx, load.ines, ins_id, 10, args.gap)  # warm-up, untimed
        idle_in: dict[str, list[float]] = {}
        loaded_in: dict[str, list[float]] = {}
        idle: list[float] = []
        loaded: list[float] = []
        running: set[str] = set()
        # Idle and loaded blocks take turns, so a machine that gets busier or quieter
        # meanwhile (other people's work) weighs on both sides alike.
        block = max(1, args.saves // args.blocks)
        for _ in range(args.blocks):
            idle += measure_saves(b.ctx, load.ines, ins_id, block, args.gap, idle_in)
            if writes is not None:
                writes.on = True
            load.start()
            started = time.perf_counter()
            while time.perf_counter() - started < 0.3:  # let all three get going
                QCoreApplication.processEvents()
                time.sleep(0.005)
            loaded += measure_saves(b.ctx, load.ines, ins_id, block, args.gap, loaded_in)
            # On a busy machine a block may end before every kind of load has finished
            # once (a stack fused and saved...): go on saving, measured, until each has,
            # so the figures are never of a load that did not run (at most a minute).
            while any(n == 0 for n in load.counts.values()) and (
                time.perf_counter() - started < 60
            ):
                loaded += measure_saves(b.ctx, load.ines, ins_id, 5, args.gap, loaded_in)
            running |= {j.label for j in (b.ctx.work.jobs if b.ctx.work is not None else [])}
            if writes is not None:
                writes.on = False
            load.stop()
        counts, problems = dict(load.counts), list(load.problems)
        tsa_requests = load.tsa.requests
        problems += [
            f"no {what} while the saves were measured" for what, n in counts.items() if n == 0
        ]
        if tsa_requests == 0:
            problems.append("the time-stamp server was never asked")
    finally:
        if load is not None:
            load.close()
        _ui.close_window(b)
    if problems:
        print("the load did not run as meant:", *problems, sep="\n  ", file=sys.stderr)
        return 1

    def summary(values: list[float]) -> tuple[float, float, float]:
        return c.percentile(values, 50), c.percentile(values, 95), max(values)

    i50, i95, imax = summary(idle)
    l50, l95, lmax = summary(loaded)
    print(f"{BENCH}: answer saves through the database lane ({c.machine()})")
    print(f"  one save every {args.gap} ms; {len(idle)} idle, {len(loaded)} loaded")
    print(
        "  load: "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + f", {tsa_requests} time-stamp request(s)"
    )
    print(f"  running on the work lane when a loaded block ended: {sorted(running)}")
    print()
    if writes is not None:
        writes.report()
    rows = [
        ("p50 (ms)", l50, i50, c.ratio(l50, i50)),
        ("p95 (ms)", l95, i95, c.ratio(l95, i95)),
        ("max (ms)", lmax, imax, c.ratio(lmax, imax)),
    ]
    for name in PARTS:  # where the time went (the p95 of each part, not a sum)
        for q in (50, 95):
            lo, hi = c.percentile(loaded_in[name], q), c.percentile(idle_in[name], q)
            rows.append((f"  {name} p{q}", lo, hi, c.ratio(lo, hi)))
    print(c.table(["save latency", "loaded", "idle", "ratio"], rows))
    met = c.ratio(l95, i95) <= GOAL_RATIO and l95 < GOAL_P95_MS
    print()
    print(
        f"goal: loaded p95 <= {GOAL_RATIO}x idle and < {GOAL_P95_MS:.0f} ms: "
        + ("met" if met else "NOT met")
    )
    c.emit(
        [
            c.metric(BENCH, "p50", l50, i50, "ms"),
            c.metric(BENCH, "p95", l95, i95, "ms"),
            c.metric(BENCH, "max", lmax, imax, "ms"),
        ]
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    c.isolate_environment()
    _ui.isolate_qt_environment()
    from qcstation.ui.application import application

    application()
    _ui.quiet_qt_warnings()
    with c.temp_dir("qc-bench-save-latency-", args.tmp_dir, args.keep) as base:
        return run(args, base)


if __name__ == "__main__":
    sys.exit(main())
