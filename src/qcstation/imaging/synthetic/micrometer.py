"""A stage micrometer under the microscope: a glass slide with a ruled scale of known pitch.

The classic slide is "1 mm in 100 divisions" (0.01 mm per division): dark lines on a bright
field, every fifth tick longer, every tenth longer still and numbered, a baseline under them
all. Lines are drawn with exact (analytic) anti-aliasing, so a tick's centre is where the
ground truth says, to a small fraction of a pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from qcstation.imaging.synthetic.scene import RenderedScene
from qcstation.imaging.synthetic.view import F32, View, noise


@dataclass(frozen=True)
class MicrometerSpec:
    seed: int = 0
    division_mm: float = 0.01
    divisions: int = 100
    angle_deg: float = 0.0  # the scale's direction in the scene (0: left to right)
    line_width: float = 0.14  # as a fraction of a division
    tilt: float = 0.0  # slide tilt: height change in mm per mm along the scale

    @property
    def long_tick(self) -> float:
        return 8 * self.division_mm

    def tick_length(self, k: int) -> float:
        if k % 10 == 0:
            return self.long_tick
        return (6 if k % 5 == 0 else 4) * self.division_mm


def _scale_coords(spec: MicrometerSpec, x: F32, y: F32) -> tuple[F32, F32]:
    """Along (s: 0 at tick 0) and across (t: 0 on the baseline, negative up the ticks)."""
    a = math.radians(spec.angle_deg)
    s = x * math.cos(a) + y * math.sin(a) + spec.divisions * spec.division_mm / 2
    t = -x * math.sin(a) + y * math.cos(a) - spec.long_tick / 2
    return s.astype(np.float32), t.astype(np.float32)


def _tick_point(spec: MicrometerSpec, k: int) -> tuple[float, float]:
    """Scene point (mm) of tick k's centre on the baseline."""
    a = math.radians(spec.angle_deg)
    s = k * spec.division_mm - spec.divisions * spec.division_mm / 2
    t = spec.long_tick / 2
    return s * math.cos(a) - t * math.sin(a), s * math.sin(a) + t * math.cos(a)


def _labels(spec: MicrometerSpec, s: F32, t: F32, ppm: float) -> F32:
    """Numbers over every tenth tick, drawn upright in scale coordinates and sampled."""
    div = spec.division_mm
    res = min(ppm, 2000.0)
    margin = 10 * div
    width = int((spec.divisions * div + 2 * margin) * res)
    height = int(5 * div * res)  # the band just above the long ticks
    canvas = np.zeros((height, width), np.uint8)
    scale = 2.6 * div * res / 22.0  # Hershey simplex: cap height about 22 px at scale 1
    thick = max(1, round(scale * 1.6))
    for k in range(0, spec.divisions + 1, 10):
        text = str(k)
        (tw, _th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        cx = (k * div + margin) * res
        cv2.putText(
            canvas,
            text,
            (int(cx - tw / 2), int(height - 1.0 * div * res)),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            255,
            thick,
            cv2.LINE_AA,
        )
    mx = ((s + margin) * res).astype(np.float32)
    my = ((t + spec.long_tick + 5 * div) * res).astype(np.float32)
    out = cv2.remap(canvas, mx, my, cv2.INTER_LINEAR, borderValue=0)
    return np.asarray(out, np.float32) / 255.0


def render_micrometer_scene(spec: MicrometerSpec, view: View) -> RenderedScene:
    ppm, div = view.px_per_mm, spec.division_mm
    x, y = view.grid()
    s, t = _scale_coords(spec, x, y)
    half_w = spec.line_width * div / 2
    k = np.clip(np.round(s / div), 0, spec.divisions).astype(np.int32)
    ds = np.abs(s - k * div)
    length = np.where(k % 10 == 0, 8.0, np.where(k % 5 == 0, 6.0, 4.0)).astype(np.float32) * div
    cov_s = np.clip((half_w - ds) * ppm + 0.5, 0, 1)
    cov_t = np.clip(np.minimum(t + length, half_w - t) * ppm + 0.5, 0, 1)
    ink = cov_s * cov_t
    end = spec.divisions * div
    base_s = np.clip(np.minimum(s + half_w, end + half_w - s) * ppm + 0.5, 0, 1)
    base_t = np.clip((half_w - np.abs(t - 0.0)) * ppm + 0.5, 0, 1)
    ink = np.maximum(ink, base_s * base_t)
    ink = np.maximum(ink, _labels(spec, s, t, ppm))
    # a bright, faintly warm field with a soft gradient, dust and a few scratches in the glass
    field = 0.80 + 0.05 * noise(spec.seed + 21, x, y, 0.05, 2.0)
    rng = np.random.default_rng([spec.seed, 3])
    dust = np.zeros_like(x)
    for _ in range(int(rng.integers(3, 9))):
        cx, cy = rng.uniform(x.min(), x.max()), rng.uniform(y.min(), y.max())
        rad = rng.uniform(0.6, 3.0) * div
        dust = np.maximum(dust, np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (rad * rad)))
    field = field * (1 - 0.35 * dust)
    lum = field * (1 - 0.88 * ink)
    img = lum[..., None] * np.array([0.95, 0.98, 1.0], np.float32)
    depth = (s - end / 2) * spec.tilt
    points = {}
    for kk in range(spec.divisions + 1):
        u, v = view.to_pixels(*_tick_point(spec, kk))
        if 0 <= u < view.width and 0 <= v < view.height:
            points[f"tick_{kk}"] = (u, v)
    return RenderedScene(
        view=view,
        image=img.astype(np.float32),
        depth=depth.astype(np.float32),
        regions={"ink": ink > 0.5},
        points=points,
        lengths_mm={"division": div},
    )
