"""How sharp an image is: focus scores for the preview's focus bar and for stacking.

- :func:`focus_score` - one number per image (variance of the Laplacian, or Tenengrad: the
  mean squared Sobel gradient), computed on grey at most ``max_side`` pixels wide so it is
  cheap enough for every preview frame and comparable across resolutions.
- :class:`FocusMeter` - turns scores into a 0-1 bar: the score over a peak that is held and
  slowly decays (half-life a few seconds), so the bar reads "how close to the best focus
  seen lately" whatever the subject's contrast.
- :func:`sharpness_map` - per-pixel local sharpness (smoothed Laplacian energy), the weight
  of focus stacking.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.frames import Image, to_gray

Roi = tuple[int, int, int, int]  # x, y, w, h


def _prepare(img: Image, roi: Roi | None, max_side: int | None) -> NDArray[np.float32]:
    g = to_gray(img)
    if roi is not None:
        x, y, w, h = roi
        g = g[y : y + h, x : x + w]
    if max_side and max(g.shape) > max_side:
        s = max_side / max(g.shape)
        size = (max(1, int(g.shape[1] * s)), max(1, int(g.shape[0] * s)))
        g = np.asarray(cv2.resize(g, size, interpolation=cv2.INTER_AREA), np.uint8)
    return np.asarray(g, np.float32)


def laplacian_variance(img: Image, roi: Roi | None = None, max_side: int | None = 640) -> float:
    lap = cv2.Laplacian(_prepare(img, roi, max_side), cv2.CV_32F, ksize=3)
    return float(lap.var())


def tenengrad(img: Image, roi: Roi | None = None, max_side: int | None = 640) -> float:
    g = _prepare(img, roi, max_side)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    return float(np.mean(gx * gx + gy * gy))


def focus_score(
    img: Image, method: str = "laplacian", roi: Roi | None = None, max_side: int | None = 640
) -> float:
    """Higher is sharper. ``method``: "laplacian" (variance of Laplacian) or "tenengrad"."""
    if method == "laplacian":
        return laplacian_variance(img, roi, max_side)
    if method == "tenengrad":
        return tenengrad(img, roi, max_side)
    raise ValueError(f"unknown focus method {method!r}; use 'laplacian' or 'tenengrad'")


def sharpness_map(gray: NDArray[np.float32], sigma: float = 2.0) -> NDArray[np.float32]:
    """Local sharpness per pixel: the Laplacian's energy smoothed over about ``sigma`` px."""
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=3)
    return np.asarray(cv2.GaussianBlur(lap * lap, (0, 0), sigma), np.float32)


@dataclass(frozen=True)
class FocusReading:
    score: float
    level: float  # 0-1: score / held peak (for a bar)
    peak: float


class FocusMeter:
    """Focus bar state for the live preview (call :meth:`update` for frames you show)."""

    def __init__(self, method: str = "laplacian", half_life: float = 4.0, roi: Roi | None = None):
        self.method, self.half_life, self.roi = method, half_life, roi
        self._peak = 0.0
        self._at: float | None = None

    def update(self, img: Image, now: float | None = None) -> FocusReading:
        now = time.monotonic() if now is None else now
        score = focus_score(img, self.method, self.roi)
        if self._at is not None and self.half_life > 0:
            self._peak *= math.pow(0.5, max(0.0, now - self._at) / self.half_life)
        self._at = now
        self._peak = max(self._peak, score)
        level = score / self._peak if self._peak > 0 else 0.0
        return FocusReading(score, level, self._peak)

    def reset(self) -> None:
        self._peak, self._at = 0.0, None
