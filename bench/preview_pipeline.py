"""Live preview pipeline against a bare OpenCV decode loop of the same MJPG files.

Ours: ``VideoFileSource`` (unthrottled) in a ``FrameGrabber`` capture thread, and a
consumer (standing in for the GUI thread) that takes the newest frame and converts it to
the RGB888 display buffer a QImage is made over (``imaging.display.DisplayConverter``,
which reuses buffers the UI no longer holds). The Qt
paint itself is the UI's and is not measured here: the figures stop at "ready to paint".
Reference: ``cv2.VideoCapture(file)`` + ``read()`` in a loop, nothing else.

Files: 1280x960 and 1920x1080 MJPG AVIs (cv2.VideoWriter, fourcc MJPG) of the synthetic
microscope (a ring head with sensor noise, focus drifting), written to a temp dir.

Metrics (medians over repeats, runs alternate ours/reference):
  fps_<size>          frames made ready to paint per second vs frames decoded per second
                      by the bare loop (goal >= 0.95)
  latency_p95_<size>  read() returned -> display buffer ready, p95, at the file's native
                      30 fps (as the preview runs), vs one frame period (goal < 1)
  rss_end             resident memory after N frames with M evidence captures (PNG +
                      EvidenceStore.put), vs after the warm-up: growth goal < 20 MB

    python bench/preview_pipeline.py            # 300-frame files, 10,000 frames + 100 captures
    python bench/preview_pipeline.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import _common as c
import cv2

from qcstation.imaging.capture import prepare_evidence
from qcstation.imaging.display import DisplayConverter
from qcstation.imaging.files import VideoFileSource
from qcstation.imaging.grabber import FrameGrabber, GrabberEvent, GrabberState
from qcstation.imaging.source import Control, Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.store.evidence import EvidenceStore

BENCH = "preview_pipeline"
SIZES = ((1280, 960), (1920, 1080))
FRAME_PERIOD_MS = 1000 / 30


def make_video(path: Path, size: tuple[int, int], frames: int, distinct: int) -> Path:
    w, h = size
    mode = Mode(w, h, 30, "MJPG")
    cam = SyntheticCamera(SyntheticConfig(seed=3, mode=mode, modes=(mode,), realtime=False))
    cam.open()
    pictures = []
    for k in range(distinct):  # the focus drifts a little (every tenth frame), noise always
        cam.set_control(Control.FOCUS, 0.75 - 0.1 * (k // 10))
        pictures.append(cam.read().image)
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (w, h))
    if not out.isOpened():
        raise SystemExit("OpenCV cannot write MJPG AVI files here")
    for k in range(frames):
        out.write(pictures[k % distinct])
    out.release()
    return path


def bare_decode(path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, _img = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return n / (time.perf_counter() - t0), n


class Consumer:
    """The GUI thread's part: take the newest frame, make the display buffer."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.shown = 0
        self.ended = threading.Event()
        self.converter = DisplayConverter()

    def on_event(self, ev: GrabberEvent) -> None:
        if ev.state in (GrabberState.ENDED, GrabberState.LOST, GrabberState.FAILED):
            self.ended.set()

    def run(self, grabber: FrameGrabber) -> float:
        last = time.perf_counter()
        while True:
            frame = grabber.wait_next(timeout=0.05)
            if frame is None:
                if self.ended.is_set():
                    break
                continue
            buf = self.converter.convert(frame)
            self.latencies.append((time.monotonic() - frame.timestamp) * 1000)
            self.shown += 1
            last = time.perf_counter()
            del buf
        return last


def pipeline(path: Path, realtime: bool) -> tuple[float, list[float], int, int]:
    """(fps made ready to paint, latencies ms, frames shown, frames dropped)."""
    consumer = Consumer()
    src = VideoFileSource(path, loop=False, realtime=realtime)
    grabber = FrameGrabber(src, on_event=consumer.on_event)
    t0 = time.perf_counter()
    grabber.start()
    last = consumer.run(grabber)
    grabber.stop()
    stats = grabber.stats()
    return consumer.shown / (last - t0), consumer.latencies, consumer.shown, stats.dropped


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)


def memory_run(path: Path, store: EvidenceStore, frames: int, captures: int) -> dict[str, float]:
    """Loop the file through the pipeline for ``frames`` frames with ``captures`` captures."""
    src = VideoFileSource(path, loop=True, realtime=False)
    grabber = FrameGrabber(src)
    grabber.start()
    converter = DisplayConverter()
    every = max(1, frames // captures)
    next_capture = every // 2
    shown = taken = 0
    start = None
    try:
        while grabber.stats().frames < frames:
            frame = grabber.wait_next(timeout=1.0)
            if frame is None:
                continue
            converter.convert(frame)
            shown += 1
            if frame.seq >= next_capture and taken < captures:  # the pedal, every N frames
                ev = prepare_evidence(frame, src.capabilities(), None)
                store.put(ev.data)
                taken += 1
                next_capture += every
            if start is None and shown >= min(200, frames // 10) and taken >= 1:
                start = rss_mb()  # after warm-up: buffers, PNG encoder, first capture
    finally:
        grabber.stop()
    end = rss_mb()
    return {"start": start or end, "end": end, "frames": grabber.stats().frames, "captures": taken}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--frames", type=int, default=300, help="frames per video file")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--memory-frames", type=int, default=10_000)
    p.add_argument("--captures", type=int, default=100)
    p.add_argument("--quick", action="store_true", help="smoke mode: short files, few repeats")
    p.add_argument("--no-memory", action="store_true", help="skip the memory run")
    p.add_argument("--tmp-dir", type=Path, default=None)
    args = p.parse_args(argv)
    if args.quick:
        args.frames, args.repeats, args.memory_frames, args.captures = 40, 2, 300, 5
    c.isolate_environment()
    with c.temp_dir("qc-bench-preview-", args.tmp_dir) as base:
        return run(args, base)


def run(args: argparse.Namespace, base: Path) -> int:
    t0 = time.perf_counter()
    files = {
        s: make_video(base / f"clip_{s[0]}x{s[1]}.avi", s, args.frames, 4 if args.quick else 20)
        for s in SIZES
    }
    print(f"{BENCH}: capture thread + RGB888 conversion vs bare cv2 decode loop (MJPG AVI)")
    print(f"  {c.machine()}, OpenCV {cv2.__version__}")
    print(
        f"  {args.frames} frames per file, {args.repeats} repeats; files made in "
        f"{time.perf_counter() - t0:.1f} s; the Qt paint is not included\n"
    )
    metrics, rows = [], []
    for (w, h), path in files.items():
        ours_fps, bare_fps, dropped, paired = [], [], [], []
        for r in range(args.repeats):
            order = ("ours", "bare") if r % 2 == 0 else ("bare", "ours")
            for side in order:
                if side == "bare":
                    bare_fps.append(bare_decode(path)[0])
                else:
                    fps, _lat, _shown, drop = pipeline(path, realtime=False)
                    ours_fps.append(fps)
                    dropped.append(drop)
            paired.append(ours_fps[-1] / bare_fps[-1])  # neighbours in time share the noise
        _fps, lat, _shown, _d = pipeline(path, realtime=True)
        o, b = statistics.median(ours_fps), statistics.median(bare_fps)
        p95 = c.percentile(lat, 95)
        spread = f"{min(paired):.2f}-{max(paired):.2f}"
        pair = statistics.median(paired)
        drop = int(statistics.median(dropped))
        rows.append((f"{w}x{h}", b, o, o / b, pair, spread, drop, statistics.median(lat), p95))
        metrics.append(c.metric(BENCH, f"fps_{w}x{h}", o, b, "fps"))
        metrics.append(c.metric(BENCH, f"latency_p95_{w}x{h}", p95, FRAME_PERIOD_MS, "ms"))
    print(
        c.table(
            [
                "file",
                "bare fps",
                "ours fps",
                "ratio",
                "paired",
                "pairs",
                "dropped",
                "lat med ms",
                "lat p95 ms",
            ],
            rows,
        )
    )
    print("  ratio: of the medians; paired: median of back-to-back run ratios (their range)")
    print(
        "  ratio goal >= 0.95; latency measured at the file's native 30 fps, goal p95 < "
        f"{FRAME_PERIOD_MS:.1f} ms (one frame period)\n"
    )

    if args.no_memory:
        c.emit(metrics)
        return 0
    store = EvidenceStore(base / "evidence")
    mem = memory_run(files[SIZES[0]], store, args.memory_frames, args.captures)
    growth = mem["end"] - mem["start"]
    print(
        c.table(
            ["memory (1280x960)", "frames", "captures", "RSS start MB", "RSS end MB", "growth MB"],
            [
                (
                    "preview + captures",
                    int(mem["frames"]),
                    int(mem["captures"]),
                    mem["start"],
                    mem["end"],
                    growth,
                )
            ],
        )
    )
    print(f"  growth goal < 20 MB: {'met' if growth < 20 else 'NOT met'}\n")
    metrics.append(c.metric(BENCH, "rss_end", mem["end"], mem["start"], "MB"))
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
