"""Resident memory of the window: after login on demo data, and over scripted inspections.

Ours, in a fresh child process (so the demo data made beforehand does not count): the
real composition (``open_station`` on a data directory filled with ``demo.fill``, 40
inspections by default; ``build_window``; show) and its RSS with the login window shown;
then sign-in as ines by keys, and the RSS after login. Then ``--inspections`` scripted
inspections driven through the window by keys (bench/_ui.py: scan, Ctrl+Enter, every
item answered by P / readings / text, Ctrl+Enter to complete, Enter for the next piece;
``--fail-every K`` also fails one item with a defect in every K-th inspection). RSS is
read after ``--warmup`` inspections and then every ``--every`` inspections, each time
after deferred deletes, ``processEvents`` and ``gc.collect``. Growth = last reading minus
the reading after the warm-up; the slope is a least-squares fit over those readings.
Widget, QObject and Python object counts are printed beside RSS, to tell a leak of
widgets from one of data.

Reference: a child process running this same script with the same imports
(``qcstation.ui.main_window``, ``ui.application``, the services) and a bare
``QApplication``, no window: the median of 3 such processes. The growth metric has no
process to compare with; its reference is the goal (20 MB), so its ratio is the share of
the budget used.

RSS is VmRSS from /proc/self/status (psutil only where there is no /proc). Goals:
under 300 MB after login; under 20 MB growth after the warm-up over 200 inspections
(reported, never enforced). Run it with ``--fail-every 10`` as well: logging defects
exercises the defect form, which the all-pass walk never opens.

Two things the script works around, and reports: if this PySide6 build loses references
to True/None (see bench/_ui.py), the child holds ``--ballast`` extra references, taken
after the login reading, so that 200 inspections can finish, and it prints after how many
inspections the app itself would abort; if no widget has the keyboard focus when an item
comes up, the script gives it back the way a click would and counts it.

    python bench/ui_memory.py                   # 200 inspections after demo.fill(40)
    python bench/ui_memory.py --fail-every 10   # with a defect logged every 10th
    python bench/ui_memory.py --quick           # smoke run for the tests
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import _ui
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

# The same imports in both children: the window's modules, loaded but (for the reference)
# never used. ``_ui`` already imports qcstation.ui.application and ui.main_window.
import qcstation.ui.main_window  # noqa: F401

BENCH = "ui_memory"
GOAL_LOGIN_MB = 300.0
GOAL_GROWTH_MB = 20.0
RESULT = "RESULT "


# --------------------------------------------------------------------------- children


def child_reference() -> dict[str, Any]:
    app = QApplication(sys.argv[:1])
    _ui.settle_memory()
    rss = _ui.rss_mb()
    app.quit()
    return {"rss": rss}


def counts(window: QObject) -> tuple[int, int, int]:
    return (
        len(QApplication.allWidgets()),
        len(window.findChildren(QObject)),
        len(gc.get_objects()),
    )


def emit_line(kind: str, data: Any) -> None:
    """Results go to the parent as they come, so a crash still leaves what was measured."""
    print(f"{kind} {json.dumps(data)}", flush=True)


def child_ours(args: argparse.Namespace) -> dict[str, Any]:
    _ui.quiet_qt_warnings()
    from qcstation.ui.application import application

    application()
    b = _ui.open_window(args.data_dir, camera=args.camera)
    player = _ui.ScriptPlayer(b.ctx, _ui.PlayLog(record=False))
    player.play(iter(()))  # anything the window started on its own
    _ui.settle_memory()
    rss_window = _ui.rss_mb()
    t0 = time.perf_counter()
    _ui.sign_in(b, player)
    _ui.settle_memory()
    rss_login = _ui.rss_mb()
    refs_login = _ui.singleton_refs()
    loss = _ui.refcount_loss()
    ballast = 0
    if (loss["emit"] > 0 or loss["void"] > 0) and not args.no_ballast:
        ballast = args.ballast
        _ui.hold_ballast(ballast)  # after the login reading: it does not count there
    emit_line(
        "LOGIN",
        {
            "rss_window": rss_window,
            "rss_login": rss_login,
            "refs_login": refs_login,
            "loss": loss,
            "ballast": ballast,
            "qt": _ui.machine_qt(),
        },
    )
    emit_line("SAMPLE", [0, rss_login, *counts(b.window), refs_login])

    def after_each(n: int) -> None:
        done = n + 1
        if (
            done == args.warmup
            or done == args.inspections
            or (done > args.warmup and (done - args.warmup) % args.every == 0)
        ):
            _ui.settle_memory()
            emit_line("SAMPLE", [done, _ui.rss_mb(), *counts(b.window), _ui.singleton_refs()])

    t1 = time.perf_counter()
    _ui.walk(b, player, args.inspections, fail_every=args.fail_every, after_each=after_each)
    walk_s = time.perf_counter() - t1
    _ui.close_window(b)
    return {
        "login_s": t1 - t0,
        "walk_s": walk_s,
        "focus_lost": player.log.focus_lost,
        "keys": player.log.played,
    }


def run_child(mode: str, args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    """Run a child; its lines by kind (LOGIN, SAMPLE, RESULT), plus its exit and stderr."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--data-dir",
        str(data_dir),
        "--inspections",
        str(args.inspections),
        "--warmup",
        str(args.warmup),
        "--every",
        str(args.every),
        "--fail-every",
        str(args.fail_every),
        "--ballast",
        str(args.ballast),
    ]
    if args.camera:
        cmd.append("--camera")
    if args.no_ballast:
        cmd.append("--no-ballast")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    out: dict[str, Any] = {"SAMPLE": [], "exit": proc.returncode, "stderr": proc.stderr}
    for line in proc.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "SAMPLE":
            out["SAMPLE"].append(json.loads(rest))
        elif kind in ("LOGIN", "RESULT"):
            out[kind] = json.loads(rest)
    if ("LOGIN" not in out and mode == "ours") or ("RESULT" not in out and mode == "reference"):
        raise RuntimeError(
            f"the {mode} child failed (exit {proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return out


# --------------------------------------------------------------------------- main


def slope_kb(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of RSS over inspections, KB per inspection."""
    if len(points) < 2:
        return 0.0
    xs = [float(x) for x, _ in points]
    ys = [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if den == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den * 1024


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inspections", type=int, default=200, help="scripted inspections")
    p.add_argument("--warmup", type=int, default=10, help="inspections before the baseline")
    p.add_argument("--every", type=int, default=10, help="read RSS every N inspections")
    p.add_argument("--fill", type=int, default=40, help="demo inspections made beforehand")
    p.add_argument("--fail-every", type=int, default=0, help="a defect every K-th inspection")
    p.add_argument("--camera", action="store_true", help="a still synthetic camera (preview on)")
    p.add_argument(
        "--ballast",
        type=int,
        default=200_000,
        help="extra references to True/False/None held if PySide6 loses them (see _ui.py)",
    )
    p.add_argument("--no-ballast", action="store_true", help="never hold extra references")
    p.add_argument(
        "--quick", action="store_true", help="smoke mode: 5 inspections, fill 2, one reference"
    )
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--child", choices=("ours", "reference"), help=argparse.SUPPRESS)
    p.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.inspections, args.warmup, args.every, args.fill = 5, 2, 1, 2
    if args.inspections < 1 or args.warmup < 1 or args.every < 1 or args.fill < 0:
        p.error("--inspections, --warmup and --every must be positive, --fill not negative")
    if args.warmup >= args.inspections:
        p.error("--warmup must be below --inspections")

    _ui.isolate_qt_environment()
    if args.child:
        result = child_ours(args) if args.child == "ours" else child_reference()
        print(RESULT + json.dumps(result), flush=True)
        return 0

    with c.temp_dir("qc-bench-memory-", args.tmp_dir, args.keep) as base:
        return run(args, base)


def fatal_line(stderr: str) -> str:
    for line in stderr.splitlines():
        if line.startswith("Fatal Python error"):
            return line
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "(nothing on stderr)"


def run(args: argparse.Namespace, base: Path) -> int:
    data_dir = base / "data"
    setup_s = _ui.prepare_data_dir(data_dir, args.fill)
    # Three references around ours (one in a smoke run: its figures are not judged)
    refs = [run_child("reference", args, data_dir)["RESULT"]["rss"]]
    if not args.quick:
        refs.append(run_child("reference", args, data_dir)["RESULT"]["rss"])
    child = run_child("ours", args, data_dir)
    if not args.quick:
        refs.append(run_child("reference", args, data_dir)["RESULT"]["rss"])
    ref = statistics.median(refs)
    login, result = child["LOGIN"], child.get("RESULT")
    crashed = child["exit"] != 0 or result is None

    samples: list[list[Any]] = child["SAMPLE"]
    after = [(int(s[0]), float(s[1])) for s in samples if s[0] >= args.warmup]
    base_rss = after[0][1] if after else math.nan
    growth = after[-1][1] - base_rss if after else math.nan
    slope = slope_kb(after)

    print(f"{BENCH}: resident memory of the window after login, and over scripted inspections")
    print(f"  {c.machine()}; {login['qt']}")
    walked = (
        f"{result['keys']} keys in {result['walk_s']:.1f} s"
        if result
        else f"CRASHED after {samples[-1][0]} inspection(s) read"
    )
    print(
        f"  demo data: demo.fill({args.fill}) (set-up {setup_s:.1f} s); walk: "
        f"{args.inspections} inspections of the casting checklist by keys"
        f"{f', a defect every {args.fail_every}' if args.fail_every else ''}"
        f"{', still camera' if args.camera else ', no camera'}; {walked}"
    )
    print(f"  temp dir {base}\n")
    print(
        c.table(
            ["process", "RSS MB"],
            [
                (f"reference: bare QApplication + the same imports (median of {len(refs)})", ref),
                ("qcstation: login window shown", login["rss_window"]),
                ("qcstation: after login (ines, start page)", login["rss_login"]),
                ("difference: after login - reference", login["rss_login"] - ref),
            ],
        )
    )
    ok = login["rss_login"] < GOAL_LOGIN_MB
    print(
        f"after login: {login['rss_login']:.1f} MB (goal < {GOAL_LOGIN_MB:g} MB: "
        f"{'met' if ok else 'NOT met'})\n"
    )
    rows = [
        (
            "after login" if n == 0 else (f"{n} (warm-up)" if n == args.warmup else str(n)),
            rss,
            rss - base_rss if n >= args.warmup else "",
            widgets,
            qobjects,
            objs,
            refs_now["True"],
            refs_now["None"],
        )
        for n, rss, widgets, qobjects, objs, refs_now in samples
    ]
    headers = ["inspections", "RSS MB", "vs warm-up", "widgets", "window QObjects"]
    headers += ["py objects", "refs True", "refs None"]
    print(c.table(headers, rows))
    if after:
        ok = growth < GOAL_GROWTH_MB
        print(
            f"growth from inspection {args.warmup} to {after[-1][0]}: {growth:+.2f} MB "
            f"(goal < {GOAL_GROWTH_MB:g} MB: {'met' if ok else 'NOT met'}); slope "
            f"{slope:+.1f} KB per inspection"
        )
    report_refcounts(args, login, samples)
    if result and result["focus_lost"]:
        lost = result["focus_lost"]
        print(
            f"APP PROBLEM: no widget had the keyboard focus at {len(lost)} item(s) (first: "
            f"{lost[0]}); the script put it back with ItemEditor.focus_entry(), as a click would"
        )
    if crashed:
        print(
            f"APP CRASHED: the qcstation process ended with exit {child['exit']} after "
            f"{samples[-1][0]} inspection(s) were read: {fatal_line(child['stderr'])}"
        )
    print()
    metrics = [
        c.metric(BENCH, "rss_login_window", login["rss_window"], ref, "MB"),
        c.metric(BENCH, "rss_after_login", login["rss_login"], ref, "MB"),
    ]
    if not crashed:  # a partial walk is no answer to "growth over N inspections"
        metrics.append(c.metric(BENCH, "rss_growth", growth, GOAL_GROWTH_MB, "MB"))
    c.emit(metrics)
    return 1 if crashed else 0


def report_refcounts(
    args: argparse.Namespace, login: dict[str, Any], samples: list[list[Any]]
) -> None:
    """The PySide6 reference-count loss, if this build has it, and what it means."""
    loss = login["loss"]
    if loss["emit"] <= 0 and loss["void"] <= 0:
        return
    print(
        f"PYSIDE6 BUG: this PySide6 drops {loss['emit']:g} reference(s) to True per "
        f"Signal.emit() and {loss['void']:g} to None per void call (Python "
        f"{sys.version_info.major}.{sys.version_info.minor}); at zero the process aborts."
    )
    later = [s for s in samples if s[0] >= args.warmup]
    if len(later) >= 2:
        (n0, *_r0, refs0), (n1, *_r1, refs1) = later[0], later[-1]
        per = (refs0["True"] - refs1["True"]) / (n1 - n0)
        if per > 0:
            lasts = login["refs_login"]["True"] / per
            print(
                f"  the walk loses {per:.1f} reference(s) to True per inspection: without help "
                f"qcstation would abort after about {lasts:.0f} inspections in one session"
            )
    if login["ballast"]:
        print(
            f"  this run held {login['ballast']:,} extra references to True, False and None "
            f"(taken after the login reading) so the walk could finish (--no-ballast: off)"
        )


if __name__ == "__main__":
    sys.exit(main())
