"""The capture key's whole path against a bare ``cv2.imwrite`` + fsync of the same frame.

bench/capture_evidence.py measures the file part (PNG + EvidenceStore.put). This measures
what the worker runs when the inspector presses the capture key: ``services.microscope.
capture`` = the calibration in force for the camera and magnification (a read), the
lossless PNG with its facts, the durable hash-named file, and the evidence row with its
audit entry (a SQLite write transaction, synchronous=FULL). Reference: ``cv2.imwrite(PNG
compression 1)`` and an ``fsync`` of that file. A new synthetic frame per capture; runs
alternate ours/reference. The database costs a commit and an audit link per capture, so
this ratio is expected above capture_evidence's; it says what the foot pedal costs.

    python bench/capture_service.py            # 30 captures per side and size
    python bench/capture_service.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import _common as c
import cv2
from capture_evidence import reference

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.imaging.calibration import from_two_points
from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.services import accounts, calibration, demo, inspections, microscope
from qcstation.services.context import connect

BENCH = "capture_service"
SIZES = ((1280, 960), (1920, 1080))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--captures", type=int, default=30, help="timed captures per side and size")
    p.add_argument("--quick", action="store_true", help="smoke mode: 4 captures")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    args = p.parse_args(argv)
    if args.quick:
        args.captures = 4
    c.isolate_environment()
    with c.temp_dir("qc-bench-capsvc-", args.tmp_dir) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    loc = config.resolve(base / "station")
    station = connect(loc)
    try:
        demo.ensure_demo_users(station)
        users = {u: pw for u, pw, _r, _n in demo.DEMO_USERS}
        ines = accounts.login(station, "ines", users["ines"])
        sam = accounts.login(station, "sam", users["sam"])
        print(f"{BENCH}: services.microscope.capture (row + audit + file) vs cv2.imwrite + fsync")
        print(
            f"  {c.machine()}, OpenCV {cv2.__version__}; {args.captures} captures per side and "
            f"size, alternating; SQLite in {base}\n"
        )
        rows, metrics = [], []
        for w, h in SIZES:
            mode = Mode(w, h, 30, "MJPG")
            cam = SyntheticCamera(SyntheticConfig(seed=2, mode=mode, modes=(mode,), realtime=False))
            cam.open()
            caps = cam.capabilities()
            cal = from_two_points(
                (10, 10),
                (w - 10, 10),
                100,
                0.01,
                camera_id=cam.camera_id,
                magnification="1.0x",
                image_size=(w, h),
            )
            calibration.save(station, sam, cal)
            ins = inspections.start(station, ines, Stage.CASTING, f"JT-{w}", "RG-1", f"SN{w}")
            folder = base / f"reference-{w}"
            folder.mkdir()
            microscope.capture(station, ines, ins.id, cam.read(), camera=caps, magnification="1.0x")
            reference(folder, cam.read(), 0)
            t_ours: list[float] = []
            t_ref: list[float] = []
            for k in range(1, args.captures + 1):
                for side in ("ours", "ref") if k % 2 else ("ref", "ours"):
                    frame = cam.read()
                    t0 = time.perf_counter()
                    if side == "ours":
                        got = microscope.capture(
                            station, ines, ins.id, frame, camera=caps, magnification="1.0x"
                        )
                        t_ours.append((time.perf_counter() - t0) * 1000)
                        assert got.calibration.ok
                    else:
                        reference(folder, frame, k)
                        t_ref.append((time.perf_counter() - t0) * 1000)
            o, r = statistics.median(t_ours), statistics.median(t_ref)
            rows.append(
                (f"{w}x{h}", r, o, o / r, c.percentile(t_ref, 95), c.percentile(t_ours, 95))
            )
            metrics.append(c.metric(BENCH, f"capture_{w}x{h}_median", o, r, "ms"))
        print(c.table(["frame", "ref ms", "ours ms", "ratio", "ref p95", "ours p95"], rows))
        print("  ours includes the database row, its audit link and the calibration lookup\n")
        c.emit(metrics)
        return 0
    finally:
        station.close()


if __name__ == "__main__":
    sys.exit(main())
