"""Capture to durable evidence against a bare ``cv2.imwrite`` + fsync of the same frame.

Ours: ``imaging.capture.prepare_evidence`` (lossless PNG, compression 1, plus the frame's
facts) and ``store.evidence.EvidenceStore.put`` (SHA-256, temp file, fsync, rename, folder
fsync): the file is durable and named by its hash when this returns.
Reference: ``cv2.imwrite(path, frame, PNG compression 1)`` and an ``fsync`` of that file.
Frames: the synthetic microscope (a ring head with sensor noise), a new frame for every
capture (identical bytes would be deduplicated by the store). The files go to a temp dir
on the data disk (``--tmp-dir``), runs alternate ours/reference. Goal: ratio of medians
<= 1.2.

    python bench/capture_evidence.py            # 40 captures per side and size
    python bench/capture_evidence.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import _common as c
import cv2

from qcstation.imaging.capture import prepare_evidence
from qcstation.imaging.frames import Frame
from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.store.evidence import EvidenceStore

BENCH = "capture_evidence"
GOAL = 1.2
SIZES = ((1280, 960), (1920, 1080))


def ours(store: EvidenceStore, cam: SyntheticCamera, frame: Frame) -> None:
    ev = prepare_evidence(frame, cam.capabilities(), None)
    store.put(ev.data)


def reference(folder: Path, frame: Frame, n: int) -> None:
    path = folder / f"ref-{n:05d}.png"
    if not cv2.imwrite(str(path), frame.image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
        raise SystemExit(f"cv2.imwrite failed for {path}")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--captures", type=int, default=40, help="timed captures per side and size")
    p.add_argument("--quick", action="store_true", help="smoke mode: 4 captures")
    p.add_argument("--tmp-dir", type=Path, default=None, help="where the temp dir goes")
    args = p.parse_args(argv)
    if args.quick:
        args.captures = 4
    c.isolate_environment()
    with c.temp_dir("qc-bench-capture-", args.tmp_dir) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    print(f"{BENCH}: PNG + EvidenceStore.put (durable, hash-named) vs cv2.imwrite + fsync")
    print(
        f"  {c.machine()}, OpenCV {cv2.__version__}; {args.captures} captures per side and "
        f"size, alternating; files in {base}\n"
    )
    rows, metrics = [], []
    for w, h in SIZES:
        mode = Mode(w, h, 30, "MJPG")
        cam = SyntheticCamera(SyntheticConfig(seed=2, mode=mode, modes=(mode,), realtime=False))
        cam.open()
        store = EvidenceStore(base / f"evidence-{w}")
        folder = base / f"reference-{w}"
        folder.mkdir()
        ours(store, cam, cam.read())  # warm-up: encoder, folders
        reference(folder, cam.read(), 0)
        t_ours: list[float] = []
        t_ref: list[float] = []
        for k in range(1, args.captures + 1):
            for side in ("ours", "ref") if k % 2 else ("ref", "ours"):
                frame = cam.read()  # a new frame each time (untimed)
                t0 = time.perf_counter()
                if side == "ours":
                    ours(store, cam, frame)
                    t_ours.append((time.perf_counter() - t0) * 1000)
                else:
                    reference(folder, frame, k)
                    t_ref.append((time.perf_counter() - t0) * 1000)
        o, r = statistics.median(t_ours), statistics.median(t_ref)
        size = sum(f.stat().st_size for f in folder.iterdir()) / len(list(folder.iterdir()))
        rows.append(
            (
                f"{w}x{h}",
                r,
                o,
                o / r,
                c.percentile(t_ref, 95),
                c.percentile(t_ours, 95),
                size / 2**20,
            )
        )
        metrics.append(c.metric(BENCH, f"capture_{w}x{h}_median", o, r, "ms"))
    print(c.table(["frame", "ref ms", "ours ms", "ratio", "ref p95", "ours p95", "PNG MB"], rows))
    worst = max(row[3] for row in rows)
    print(
        f"\n  worst ratio of medians {worst:.2f} (goal <= {GOAL}: "
        f"{'met' if worst <= GOAL else 'NOT met'})\n"
    )
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
