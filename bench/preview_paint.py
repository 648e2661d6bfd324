"""The live preview's paint: the camera panel's view (fit, zoom, pan, 1:1, overlays) against
a bare widget that only draws the frame scaled to fit.

bench/preview_pipeline.py stops at "ready to paint"; this measures the Qt side, offscreen:
per frame, the view takes a new frame (``show_frame``: a QImage over the array, no copy)
and is repainted synchronously (``repaint()``, which runs paintEvent into the backing
store). Reference: a plain QWidget whose paintEvent does ``QPainter.drawImage(fit rect,
QImage)`` of the same frame (what the panel did before zoom and pan), with the same
smoothing rule (smooth when downscaling).

Views measured (1280x960 and 1920x1080 synthetic microscope frames, a 960x720 widget):
  fit        the whole frame fitted, as the preview opens
  zoom2x     zoomed 2x about the centre, grid and crosshair on (only the visible part is
             drawn, so this may be cheaper than fit)
  one_to_one 1:1 pixels
Metric per size and view: median ms per painted frame vs the bare fit paint (ratio; the
goal is that the new view costs no more than the old fit paint: ratio <= 1.05 for fit).

    python bench/preview_paint.py            # 300 frames per case, 7 repeats
    python bench/preview_paint.py --quick    # smoke run for the tests
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import _common as c
import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from qcstation.imaging.scenes import render_piece
from qcstation.ui.image_view import ImageView, to_qimage

BENCH = "preview_paint"
SIZES = ((1280, 960), (1920, 1080))
WIDGET = (960, 720)


class BareView(QWidget):
    """The reference: draw the frame scaled to fit, nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.frame: np.ndarray | None = None
        self.image: Any = None

    def show_frame(self, frame: np.ndarray) -> None:
        self.frame = frame
        self.image = to_qimage(frame)

    def paintEvent(self, event: Any) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#101214"))
        if self.image is not None:
            iw, ih = self.image.width(), self.image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1)
            p.drawImage(QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h), self.image)
        p.end()


def frames_of(size: tuple[int, int], n: int = 4) -> list[np.ndarray]:
    """A few distinct frames (noise differs), cycled: the paint never sees a cached image."""
    base = render_piece(5, *size).astype(np.int16)
    rng = np.random.default_rng(1)
    return [np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8) for _ in range(n)]


def run(view: Any, frames: list[np.ndarray], count: int) -> float:
    """Median ms per frame: new frame in, synchronous repaint."""
    app = QApplication.instance()
    assert app is not None
    times = []
    for k in range(count):
        t0 = time.perf_counter()
        view.show_frame(frames[k % len(frames)])
        view.repaint()
        times.append((time.perf_counter() - t0) * 1000)
        if k % 50 == 0:
            app.processEvents()
    return statistics.median(times)


def setup() -> ImageView:
    v = ImageView()
    v.resize(*WIDGET)
    v.show()
    return v


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--frames", type=int, default=300)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="smoke mode: few frames and repeats")
    args = p.parse_args(argv)
    if args.quick:
        args.frames, args.repeats = 30, 2
    c.isolate_environment()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"{BENCH}: camera panel view paint vs a bare fit-and-draw widget (offscreen)")
    print(
        f"  {c.machine()}, widget {WIDGET[0]}x{WIDGET[1]}, {args.frames} frames x {args.repeats}\n"
    )
    rows, metrics = [], []
    for size in SIZES:
        frames = frames_of(size)
        bare = BareView()
        bare.resize(*WIDGET)
        bare.show()
        views = {"fit": setup(), "zoom2x": setup(), "one_to_one": setup()}
        for v in views.values():
            v.show_frame(frames[0])
        views["zoom2x"].zoom_by(2.0)
        views["zoom2x"].grid = views["zoom2x"].crosshair = True
        views["one_to_one"].one_to_one()
        app.processEvents()
        results: dict[str, list[float]] = {"bare": [], **{k: [] for k in views}}
        for r in range(args.repeats):
            order = ["bare", *views] if r % 2 == 0 else [*views, "bare"]
            for name in order:
                target = bare if name == "bare" else views[name]
                results[name].append(run(target, frames, args.frames))
        ref = statistics.median(results["bare"])
        label = f"{size[0]}x{size[1]}"
        for name in views:
            ours = statistics.median(results[name])
            rows.append((f"{label} {name}", ref, ours, ours / ref))
            metrics.append(c.metric(BENCH, f"paint_{name}_{label}", ours, ref, "ms"))
        bare.close()
        for v in views.values():
            v.close()
    print(c.table(["case", "bare fit ms", "ours ms", "ratio"], rows))
    print("  median ms per frame (show_frame + synchronous repaint); goal for fit: ratio <= 1.05\n")
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
