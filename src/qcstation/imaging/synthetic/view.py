"""Where the synthetic camera looks: pixel grid <-> scene millimetres, and noise textures.

Scenes are drawn analytically in millimetres (x right, y down, the piece's own frame), so
one scene can be seen at any resolution, shift and rotation without resampling an image:
the ground truth (scale, defect masks) follows exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]


@dataclass(frozen=True)
class View:
    """A camera of ``width`` x ``height`` pixels at ``px_per_mm``, looking at scene point
    ``center_mm``, the scene rotated by ``rotation_deg`` (counter-clockwise on screen)."""

    width: int
    height: int
    px_per_mm: float
    center_mm: tuple[float, float] = (0.0, 0.0)
    rotation_deg: float = 0.0

    def grid(self) -> tuple[F32, F32]:
        """Scene coordinates (mm) of every pixel centre, each an (H, W) float32 array."""
        u = (np.arange(self.width, dtype=np.float32) + 0.5 - self.width / 2) / self.px_per_mm
        v = (np.arange(self.height, dtype=np.float32) + 0.5 - self.height / 2) / self.px_per_mm
        cu, cv = np.meshgrid(u, v)
        c, s = self._cos_sin()
        x = c * cu + s * cv + self.center_mm[0]
        y = -s * cu + c * cv + self.center_mm[1]
        return x.astype(np.float32), y.astype(np.float32)

    def to_pixels(self, x_mm: float, y_mm: float) -> tuple[float, float]:
        """Pixel coordinates of a scene point (OpenCV convention: pixel centres are integers)."""
        dx, dy = x_mm - self.center_mm[0], y_mm - self.center_mm[1]
        c, s = self._cos_sin()
        cu = c * dx - s * dy
        cv = s * dx + c * dy
        return (
            cu * self.px_per_mm + self.width / 2 - 0.5,
            cv * self.px_per_mm + self.height / 2 - 0.5,
        )

    def to_pixels_many(self, pts_mm: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.empty_like(pts_mm, dtype=np.float64)
        for i, (x, y) in enumerate(pts_mm):
            out[i] = self.to_pixels(float(x), float(y))
        return out

    def _cos_sin(self) -> tuple[float, float]:
        a = math.radians(self.rotation_deg)
        return math.cos(a), math.sin(a)


def coverage(signed_mm: NDArray[np.floating[Any]], px_per_mm: float) -> F32:
    """Anti-aliased inside-coverage from a signed distance (mm, positive inside)."""
    return np.asarray(np.clip(signed_mm * px_per_mm + 0.5, 0.0, 1.0), np.float32)


_EXTENT_MM = 12.0  # one noise table covers 24 mm and wraps; a seed shifts where it is read


@lru_cache(maxsize=8)
def _noise_table(cell_mm: float, smooth: float, streak: float) -> F32:
    n = round(2 * _EXTENT_MM / cell_mm)
    rng = np.random.default_rng(20240601)
    tab = rng.standard_normal((n, n)).astype(np.float32)
    sx, sy = (max(smooth, 0.3), streak) if streak > 0 else (smooth, smooth)  # streak: along y
    if sx > 0:
        px, py = int(3 * sx) + 1, int(3 * sy) + 1  # pad by wrapping: the table tiles seamlessly
        big = np.pad(tab, ((py, py), (px, px)), mode="wrap")
        blurred = cv2.GaussianBlur(big, (0, 0), sigmaX=sx, sigmaY=sy)
        tab = np.array(blurred[py:-py, px:-px], np.float32)
    tab /= float(tab.std()) + 1e-6
    tab.setflags(write=False)
    return tab


def noise(
    seed: int, x: F32, y: F32, cell_mm: float, smooth: float = 1.0, streak: float = 0.0
) -> F32:
    """Unit-variance noise sampled at scene coordinates: same value at the same mm point
    whatever the view (so two views of one scene agree); ``seed`` picks the pattern."""
    tab = _noise_table(cell_mm, smooth, streak)
    rng = np.random.default_rng(seed)
    ox, oy = rng.uniform(0, 2 * _EXTENT_MM, 2)
    mx = ((x + ox) / cell_mm).astype(np.float32)
    my = ((y + oy) / cell_mm).astype(np.float32)
    return np.asarray(
        cv2.remap(tab, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP), np.float32
    )


def soft_blur(img: F32, sigma: float) -> F32:
    """A wide Gaussian blur done at a quarter of the size (shadows, glows)."""
    if sigma < 6:
        return np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), np.float32)
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / 4)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)


def smoothstep(e0: float, e1: float, v: F32) -> F32:
    t = np.clip((v - e0) / (e1 - e0), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), np.float32)
