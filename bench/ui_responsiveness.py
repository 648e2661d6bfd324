"""Responsiveness: how long the GUI thread is kept from its event loop during a scripted
inspection walk, by an event-loop latency probe, against the same probe on an idle loop.

The probe: a ``QTimer`` (PreciseTimer, every ``--interval-ms``, default 10 ms) on the GUI
thread stamps ``perf_counter()`` on each tick. A tick's lateness is the gap since the
previous tick minus the interval (0 if early). Whatever keeps the GUI thread from its
event loop (a slow slot, a long paint, a result callback, waiting for the GIL while the
worker runs Python) shows up as lateness: a block of B ms makes a tick late by between
B - interval and B ms, so the largest gap is an upper bound and the largest lateness a
lower bound on the longest block. Both are printed; the goal is judged on lateness.
Each tick also stamps the GUI thread's CPU time and the process's: for a late tick, a
GUI thread that used the gap's CPU was busy (the app's work on the GUI thread); if the
process's other thread used it, the worker ran while the GUI thread waited (the GIL);
if neither did, the machine gave the CPU to someone else (noise, not the app).

Method, and why: the driver must not be what the probe measures. The walk is therefore
*played from the event loop* (bench/_ui.py, ScriptPlayer): a timer callback sends one
key to the focused widget (``QTest.keyClick``: press and release through the shortcut
map, as a keyboard would), then the real event loop runs (no ``processEvents`` loops, no
sleeps on the GUI thread) until the worker is idle and its results are delivered, polled
by 1 ms single-shot timers; then the next key. So everything inside a tick gap is the
application's own work for that key: its key handler, the worker's result callbacks,
repaints. The script's own time (deciding the next key) is measured separately and
printed; it is a few microseconds per key. Typing is one key per event-loop turn (a
barcode scanner types like that); the next key waits for the worker, as the app's
"busy" guards expect, which is stricter than a person (the worker and the keys overlap).

Reference: the same probe on the same window, signed in on the start page, idle: half of
``--idle-s`` before the walk and half after, in the same process.

The walk (as in ui_memory): sign in as ines (not measured), then ``--inspections``
casting inspections by keys, all measured, the first included (first use of each screen
is part of a real session; the maximum without the first inspection is printed too).
``--stacks`` adds a watchdog thread that records the GUI thread's Python stack when a
tick is ``--stack-threshold-ms`` overdue (it costs GIL switches, so its figures are not
the benchmark's); use it to find what blocks. Goal: no lateness above 50 ms (reported,
never enforced).

    python bench/ui_responsiveness.py            # 30 inspections after demo.fill(40)
    python bench/ui_responsiveness.py --stacks   # and where the GUI thread was when late
    python bench/ui_responsiveness.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import threading
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import _common as c
import _ui
from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer

BENCH = "ui_responsiveness"
GOAL_MS = 50.0


class LatencyProbe(QObject):
    def __init__(self, interval_ms: int):
        super().__init__()
        self.interval_ms = interval_ms
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.ticks: list[tuple[float, float, float]] = []  # wall, GUI-thread CPU, process CPU
        self.last = 0.0

    def _tick(self) -> None:
        self.last = time.perf_counter()
        self.ticks.append((self.last, time.thread_time(), time.process_time()))

    def start(self) -> None:
        self.last = time.perf_counter()
        self.ticks = [(self.last, time.thread_time(), time.process_time())]
        self.timer.start()

    def stop(self) -> list[tuple[float, float, float]]:
        self.timer.stop()
        return self.ticks


@dataclass(frozen=True)
class Late:
    start: float  # the tick before the gap
    end: float  # the late tick
    late_ms: float
    gui_cpu_ms: float  # CPU time the GUI thread used in the gap
    proc_cpu_ms: float  # CPU time the whole process (GUI + worker) used in the gap

    @property
    def why(self) -> str:
        """Does the GUI thread's CPU time explain the lateness, or the worker's (GIL), or
        neither (waiting for I/O, a lock, or a CPU the machine gave to someone else)?"""
        if self.gui_cpu_ms >= self.late_ms:
            return "GUI busy"
        if self.proc_cpu_ms >= self.late_ms:
            return "worker ran"
        return "waiting"

    @property
    def gap_ms(self) -> float:
        return (self.end - self.start) * 1000


def lateness(ticks: list[tuple[float, float, float]], interval_ms: int) -> list[Late]:
    return [
        Late(
            a[0],
            b[0],
            max(0.0, (b[0] - a[0]) * 1000 - interval_ms),
            (b[1] - a[1]) * 1000,
            (b[2] - a[2]) * 1000,
        )
        for a, b in itertools.pairwise(ticks)
    ]


def idle(probe: LatencyProbe, seconds: float) -> list[Late]:
    loop = QEventLoop()
    probe.start()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    return lateness(probe.stop(), probe.interval_ms)


class StallCatcher(threading.Thread):
    """Records the GUI thread's Python stack when the probe is overdue (for --stacks)."""

    def __init__(self, probe: LatencyProbe, threshold_ms: float):
        super().__init__(daemon=True)
        self.probe, self.threshold = probe, threshold_ms / 1000
        self.gui = threading.get_ident()
        self.halt = threading.Event()
        self.stalls: list[tuple[float, str]] = []  # (overdue ms when caught, stack text)

    def run(self) -> None:
        caught_for = -1.0
        while not self.halt.wait(0.003):
            last = self.probe.last
            overdue = time.perf_counter() - last - self.probe.interval_ms / 1000
            if overdue > self.threshold and last != caught_for:
                caught_for = last
                frame = sys._current_frames().get(self.gui)
                stack = traceback.format_stack(frame)[-10:] if frame is not None else []
                self.stalls.append((overdue * 1000, "".join(stack)))


@dataclass(frozen=True)
class Collection:
    start: float
    end: float
    generation: int
    gui: bool  # run on the GUI thread (else on the worker, holding the GIL)

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


class GcWatch:
    """Python's cyclic garbage collections (gc.callbacks): when, how long, which thread."""

    def __init__(self) -> None:
        self.gui = threading.get_ident()
        self.runs: list[Collection] = []
        self._started: dict[int, float] = {}

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        now, thread = time.perf_counter(), threading.get_ident()
        if phase == "start":
            self._started[thread] = now
        elif thread in self._started:
            self.runs.append(
                Collection(self._started.pop(thread), now, info["generation"], thread == self.gui)
            )

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self)


def stats_row(name: str, lates: list[Late]) -> tuple[object, ...]:
    ms = [x.late_ms for x in lates]
    return (
        name,
        len(ms),
        statistics.median(ms),
        c.percentile(ms, 95),
        c.percentile(ms, 99),
        max(ms),
        max(x.gap_ms for x in lates),
        sum(1 for v in ms if v > 16),
        sum(1 for v in ms if v > GOAL_MS),
    )


def attribute(late: Late, keys: list[_ui.KeyRecord], collections: list[Collection]) -> str:
    """What the walk was doing when the GUI thread was late."""
    gcs = [g for g in collections if g.end >= late.start and g.start <= late.end and g.ms > 2]
    if gcs:
        g = max(gcs, key=lambda g: g.ms)
        where = "GUI thread" if g.gui else "worker, holding the GIL"
        return f"Python GC, generation {g.generation}, {g.ms:.0f} ms on the {where}"
    during = [k for k in keys if late.start <= k.sent <= late.end]
    if during:
        k = max(during, key=lambda k: k.dispatch_ms)
        return f"key '{k.label}' (its handler ran {k.dispatch_ms:.1f} ms)"
    before = [k for k in keys if k.sent < late.start]
    if before:
        k = before[-1]
        since = (late.start - k.sent) * 1000
        return (
            f"{since:.0f} ms after key '{k.label}' (worker result callbacks, repaints; "
            f"key handled in {k.dispatch_ms:.1f} ms)"
        )
    return "before the first key"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inspections", type=int, default=30, help="scripted inspections")
    p.add_argument("--interval-ms", type=int, default=10, help="probe interval")
    p.add_argument("--idle-s", type=float, default=6.0, help="idle reference, seconds in all")
    p.add_argument("--fill", type=int, default=40, help="demo inspections made beforehand")
    p.add_argument("--fail-every", type=int, default=0, help="a defect every K-th inspection")
    p.add_argument("--gap-ms", type=int, default=0, help="pause between keys, after idle")
    p.add_argument("--camera", action="store_true", help="a still synthetic camera (preview on)")
    p.add_argument("--stacks", action="store_true", help="record the GUI stack when late")
    p.add_argument("--stack-threshold-ms", type=float, default=30.0)
    p.add_argument("--quick", action="store_true", help="smoke mode: 3 inspections, 1 s idle")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    if args.quick:
        args.inspections, args.idle_s, args.fill = 3, 1.0, 2
    if args.inspections < 1 or args.interval_ms < 1 or args.idle_s <= 0 or args.fill < 0:
        p.error("--inspections, --interval-ms and --idle-s must be positive")

    _ui.isolate_qt_environment()
    with c.temp_dir("qc-bench-responsive-", args.tmp_dir, args.keep) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    from qcstation.ui.application import application

    data_dir = base / "data"
    setup_s = _ui.prepare_data_dir(data_dir, args.fill)
    _ui.quiet_qt_warnings()
    application()
    b = _ui.open_window(data_dir, camera=args.camera)
    try:
        log = _ui.PlayLog()
        player = _ui.ScriptPlayer(b.ctx, log, gap_ms=args.gap_ms)
        _ui.sign_in(b, player)
        loss = _ui.refcount_loss()
        if loss["emit"] > 0 or loss["void"] > 0:
            _ui.hold_ballast(200_000)  # see _ui.py: lets the walk finish on a buggy PySide6
        gc.collect()
        probe = LatencyProbe(args.interval_ms)
        idle_before = idle(probe, args.idle_s / 2)

        catcher = StallCatcher(probe, args.stack_threshold_ms) if args.stacks else None
        bounds: list[float] = []
        log.keys.clear()
        log.driver_ms.clear()
        if catcher is not None:
            catcher.start()
        probe.start()
        t0 = time.perf_counter()
        with GcWatch() as gcw:
            _ui.walk(
                b,
                player,
                args.inspections,
                fail_every=args.fail_every,
                after_each=lambda _n: bounds.append(time.perf_counter()),
            )
        walk_s = time.perf_counter() - t0
        walked = lateness(probe.stop(), args.interval_ms)
        if catcher is not None:
            catcher.halt.set()
            catcher.join()
        idle_after = idle(probe, args.idle_s / 2)
    finally:
        _ui.close_window(b)
    idle_all = idle_before + idle_after

    print(f"{BENCH}: GUI-thread event-loop latency during a scripted inspection walk vs idle")
    print(f"  {c.machine()}; {_ui.machine_qt()}")
    print(
        f"  probe: QTimer every {args.interval_ms} ms (precise) on the GUI thread; demo data "
        f"demo.fill({args.fill}) (set-up {setup_s:.1f} s); walk: {args.inspections} casting "
        f"inspections by keys{f', a defect every {args.fail_every}' if args.fail_every else ''}"
        f"{', still camera' if args.camera else ', no camera'}, {len(log.keys)} keys in "
        f"{walk_s:.1f} s; idle: {args.idle_s:g} s (half before, half after)"
    )
    print(f"  temp dir {base}\n")
    headers = ["probe", "ticks", "median ms", "p95 ms", "p99 ms", "max ms", "max gap ms"]
    headers += [">16 ms", f">{GOAL_MS:g} ms"]
    rest = [x for x in walked if bounds and x.start >= bounds[0]]
    rows = [
        stats_row("idle event loop (reference)", idle_all),
        stats_row("inspection walk", walked),
    ]
    if len(bounds) > 1 and rest:
        rows.append(stats_row("  walk without the first inspection", rest))
    print("Lateness of the probe's ticks:")
    print(c.table(headers, rows))

    top = sorted(walked, key=lambda x: -x.late_ms)[:8]
    print("\nThe latest ticks during the walk, and what the walk was doing:")
    print(
        c.table(
            ["during", "late ms", "gap ms", "GUI CPU ms", "all CPU ms", "so", "at s"],
            [
                (
                    attribute(x, log.keys, gcw.runs),
                    x.late_ms,
                    x.gap_ms,
                    x.gui_cpu_ms,
                    x.proc_cpu_ms,
                    x.why,
                    x.start - t0,
                )
                for x in top
            ],
        )
    )

    by_label: dict[str, list[float]] = defaultdict(list)
    for k in log.keys:
        by_label[k.label].append(k.dispatch_ms)
    print("\nKey handling on the GUI thread (the synchronous part of each key, QTest.keyClick):")
    print(
        c.table(
            ["key", "n", "median ms", "max ms"],
            sorted(
                ((lbl, len(v), statistics.median(v), max(v)) for lbl, v in by_label.items()),
                key=lambda r: -r[3],
            ),
        )
    )
    print("\nPython garbage collections during the walk (gc.callbacks):")
    gc_rows = []
    for gen in (0, 1, 2):
        runs = [g for g in gcw.runs if g.generation == gen]
        if runs:
            gc_rows.append(
                (
                    f"generation {gen}",
                    len(runs),
                    sum(1 for g in runs if g.gui),
                    statistics.median(g.ms for g in runs),
                    max(g.ms for g in runs),
                )
            )
    print(c.table(["collection", "n", "on GUI thread", "median ms", "max ms"], gc_rows))
    print(f"  objects tracked by the collector after the walk: {len(gc.get_objects()):,}")
    drv = log.driver_ms
    print(
        f"The script's own time per key: median {statistics.median(drv) * 1000:.0f} us, max "
        f"{max(drv):.2f} ms ({sum(drv) / 1000 / walk_s * 100:.2f} % of the walk)"
    )
    if catcher is not None:
        print(f"\n--stacks: {len(catcher.stalls)} stall(s) over {args.stack_threshold_ms:g} ms;")
        for overdue, stack in sorted(catcher.stalls, key=lambda s: -s[0])[:5]:
            print(f"--- overdue {overdue:.0f} ms when caught; GUI thread was in:\n{stack}")
    if log.focus_lost:
        print(
            f"APP PROBLEM: no widget had the keyboard focus at {len(log.focus_lost)} item(s) "
            f"(first: {log.focus_lost[0]}); the script put it back with "
            f"ItemEditor.focus_entry(), as a click would"
        )
    if loss["emit"] > 0 or loss["void"] > 0:
        print(
            "PYSIDE6 BUG: this PySide6 loses references to True/None (see ui_memory); "
            "200,000 extra references were held so the walk could finish"
        )

    ours = [x.late_ms for x in walked]
    ref = [x.late_ms for x in idle_all]
    worst = max(ours)
    verdict = "met" if worst <= GOAL_MS else "NOT met"
    print(
        f"\nwalk: max lateness {worst:.1f} ms, p99 {c.percentile(ours, 99):.1f} ms, p95 "
        f"{c.percentile(ours, 95):.1f} ms; idle: max {max(ref):.1f} ms "
        f"(goal: never late by more than {GOAL_MS:g} ms: {verdict})"
    )
    print()
    c.emit(
        [
            c.metric(BENCH, "lateness_max", worst, max(ref), "ms"),
            c.metric(BENCH, "lateness_p99", c.percentile(ours, 99), c.percentile(ref, 99), "ms"),
            c.metric(BENCH, "lateness_p95", c.percentile(ours, 95), c.percentile(ref, 95), "ms"),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
