"""Five-frame 1920x1080 focus stack: our aligned pyramid fusion against a bare per-pixel
max-sharpness fusion of the same frames.

Frames: the synthetic microscope at 1920x1080 focused from the deepest surface of a ring
head to its highest (five steps), each shaken by up to 2 px as a stand does (made untimed).
Ours: ``imaging.stacking.focus_stack`` (phase correlation + ECC alignment of each frame to
its neighbour, sharpness weights, Laplacian-pyramid blend). Reference:
``stacking.max_sharpness_fusion`` (each pixel from the frame with the largest |Laplacian|,
no alignment). Medians over repeats, runs alternate. SSIM to the all-in-focus truth is
printed beside the times (the reason for the extra work).

    python bench/focus_stack.py            # 7 repeats
    python bench/focus_stack.py --quick    # smoke run for the tests (960x540)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import _common as c
import cv2
import numpy as np

from qcstation.imaging.frames import Image
from qcstation.imaging.metrics import ssim
from qcstation.imaging.stacking import focus_stack, max_sharpness_fusion
from qcstation.imaging.synthetic import (
    Lighting,
    Optics,
    PieceSpec,
    SensorNoise,
    View,
    defocus,
    render_piece_scene,
    to_uint8,
)

BENCH = "focus_stack"


def frames(width: int, height: int, n: int, seed: int = 4) -> tuple[list[Image], Image]:
    scene = render_piece_scene(PieceSpec.random(seed), View(width, height, width / 10))
    optics, light = Optics(), Lighting()
    truth = to_uint8(light.apply(optics.in_focus(scene.image)))
    lo, hi = scene.depth_range
    rng = np.random.default_rng(seed)
    out = []
    for k, focus in enumerate(np.linspace(lo + 0.1, hi - 0.05, n)):
        sigma = optics.sigma_map(scene.depth, float(focus), scene.px_per_mm)
        img = to_uint8(light.apply(defocus(scene.image, sigma)))
        img = SensorNoise((height, width), 2.0, seed * 10 + k).add(img)
        dx, dy = (0.0, 0.0) if k == n // 2 else rng.uniform(-2, 2, 2)
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        img = cv2.warpAffine(img, m, (width, height), borderMode=cv2.BORDER_REFLECT)
        out.append(np.asarray(img, np.uint8))
    return out, truth


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--quick", action="store_true", help="smoke mode: 960x540, 2 repeats")
    args = p.parse_args(argv)
    if args.quick:
        args.repeats, args.width, args.height = 2, 960, 540
    c.isolate_environment()
    t0 = time.perf_counter()
    stack, truth = frames(args.width, args.height, args.frames)
    made = time.perf_counter() - t0
    sides = {
        "ours": lambda: focus_stack(stack).image,
        "weighted": lambda: focus_stack(stack, fusion="weighted").image,
        "reference": lambda: max_sharpness_fusion(stack),
    }
    times: dict[str, list[float]] = {k: [] for k in sides}
    results: dict[str, Image] = {}
    for r in range(args.repeats):
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for name in order:
            t = time.perf_counter()
            results[name] = sides[name]()
            times[name].append(time.perf_counter() - t)
    print(
        f"{BENCH}: {args.frames}-frame {args.width}x{args.height} stack, aligned pyramid "
        "fusion vs bare per-pixel max-sharpness"
    )
    print(
        f"  {c.machine()}, OpenCV {cv2.__version__}; frames made in {made:.1f} s; "
        f"{args.repeats} repeats\n"
    )
    labels = {
        "ours": "ours: ECC align + pyramid fusion",
        "weighted": "ours: ECC align + weighted fusion",
        "reference": "reference: max |Laplacian| per pixel",
    }
    best_input = max(ssim(f, truth) for f in stack)
    rows = [
        (labels[k], statistics.median(v), min(v), ssim(results[k], truth)) for k, v in times.items()
    ]
    rows.append(("best single frame", 0.0, 0.0, best_input))
    print(c.table(["side", "median s", "min s", "SSIM to truth"], rows))
    ours, ref = statistics.median(times["ours"]), statistics.median(times["reference"])
    print(
        f"\n  ratio of medians {ours / ref:.2f} (no goal: the time buys alignment and "
        "a seamless blend)\n"
    )
    c.emit([c.metric(BENCH, f"stack_{args.frames}x{args.width}x{args.height}", ours, ref, "s")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
