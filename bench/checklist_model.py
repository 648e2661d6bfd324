"""Long walks of the checklist model against the real window: how many, and any failure.

The model (tests/ui/checklist_model.py, the same one the suite runs a few walks of) drives
the real main window by keys over a real SQLite station: answers by P + F - N, digits,
readings typed with a decimal comma (German) or point (English) and Enter, text, arrows
and page keys, D and the defect form (Esc or Enter), the capture key, the summary and
Complete, while the worker's results are held back and let go at random. After every
step it compares each row, the status line, the verdict and progress with what the
database holds and the services derive. Here it walks at random (new walks every run),
many more and longer than in the suite; a walk that finds the screen and the database
disagreeing is shrunk to its shortest steps and printed, and the exit code is 1.

Figures, for scale rather than speed: milliseconds per model step (a key with its checks:
a database read of the inspection and its evidence, and the wait for its results), median
over walks, beside the reference: one answer saved through the services directly (the
work a step sets off at least), median over as many saves, in the same run and station.

    python bench/checklist_model.py                      # 150 German + 50 English walks of 40 steps
    python bench/checklist_model.py --walks 1000 --steps 60
    python bench/checklist_model.py --quick              # smoke run for the tests
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

import _common as c
import _ui

sys.path.insert(0, str(c.REPO))  # the model lives with the tests

BENCH = "checklist_model"


def walk(base: Path, locale_name: str, walks: int, steps: int, shrink: bool) -> tuple[object, bool]:
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test
    from tests.ui.checklist_model import ENGLISH, GERMAN, Bench, machine_for

    locale, separators = (GERMAN, ",") if locale_name == "de" else (ENGLISH, ".")
    bench = Bench(base / locale_name, locale, separators)
    ok = True
    try:
        run_state_machine_as_test(
            machine_for(bench),
            settings=settings(
                max_examples=walks,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
                report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except Exception:  # a disagreement: hypothesis has printed the steps that lead to it
        traceback.print_exc(file=sys.stdout)
        ok = False
    finally:
        bench.close()
    return bench, ok


def reference_saves(base: Path, n: int) -> list[float]:
    """One pass answer saved through the services, timed, on a station like the walks'."""
    from qcstation import config
    from qcstation.domain.inspections import Answer, Outcome
    from qcstation.domain.stages import Stage
    from qcstation.services import accounts, demo, inspections
    from qcstation.services.context import connect

    station = connect(config.resolve(base / "reference"))
    try:
        demo.ensure_demo_users(station)
        ines = accounts.login(station, "ines", "ines-demo-pass")
        times: list[float] = []
        while len(times) < n:
            ins = inspections.start(station, ines, Stage.CASTING, "JT-R", "RG-1", "SN-R")
            for item in ins.template.items():
                if item.kind != "pass_fail" or len(times) >= n:
                    continue
                t0 = time.perf_counter()
                inspections.record_answer(
                    station, ines, ins.id, Answer(item.id, None, Outcome.PASS)
                )
                times.append(time.perf_counter() - t0)
        return times
    finally:
        station.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--walks", type=int, default=150, help="German walks (English: a third)")
    p.add_argument("--steps", type=int, default=40, help="steps per walk, at most")
    p.add_argument("--no-shrink", action="store_true", help="print a failing walk as found")
    p.add_argument("--quick", action="store_true", help="smoke mode: 2 + 1 walks of 12 steps")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    if args.quick:
        args.walks, args.steps = 2, 12
    if args.walks < 1 or args.steps < 1:
        p.error("--walks and --steps must be positive")
    _ui.isolate_qt_environment()
    with c.temp_dir("qc-bench-model-", args.tmp_dir, args.keep) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    from qcstation.ui.application import application

    _ui.quiet_qt_warnings()
    application()
    t0 = time.perf_counter()
    results = [
        (name, *walk(base, name, n, args.steps, not args.no_shrink))
        for name, n in (("de", args.walks), ("en", max(1, args.walks // 3)))
    ]
    seconds = time.perf_counter() - t0
    seen: Counter[str] = Counter()
    timings: list[tuple[float, int]] = []
    rows = []
    for name, bench, ok in results:
        seen.update(bench.seen)  # type: ignore[attr-defined]
        timings += bench.timings  # type: ignore[attr-defined]
        steps = sum(s for _t, s in bench.timings)  # type: ignore[attr-defined]
        rows.append([name, bench.walks, steps, "ok" if ok else "FAILED"])  # type: ignore[attr-defined]
    per_step = [t / s * 1000 for t, s in timings if s]
    saves = reference_saves(base, max(20, min(400, len(per_step))))
    walks, steps = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{BENCH}: {walks} walks, {steps} steps in {seconds:.0f} s")
    print(f"  {c.machine()}; {_ui.machine_qt()}")
    print(c.table(["locale", "walks", "steps", "result"], rows))
    print(c.table(["what the walks did", "times"], sorted(seen.items(), key=lambda kv: -kv[1])))
    step_ms = statistics.median(per_step) if per_step else 0.0
    save_ms = statistics.median(saves) * 1000
    print(f"\nper step {step_ms:.1f} ms (median over walks); one save alone {save_ms:.1f} ms")
    if not all(ok for _n, _b, ok in results):
        print("\nA walk found the screen and the database disagreeing: see the steps above.")
        return 1
    c.emit([c.metric(BENCH, "step", step_ms, save_ms, "ms")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
