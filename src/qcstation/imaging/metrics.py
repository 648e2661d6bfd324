"""Image similarity: SSIM (Wang et al. 2004, Gaussian window) and PSNR, with numpy/OpenCV."""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.frames import Image, to_gray


def ssim_map(a: Image, b: Image, sigma: float = 1.5) -> NDArray[np.float64]:
    """Per-pixel SSIM of two same-sized images (compared in grey, 8-bit dynamic range)."""
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f"images differ in size: {a.shape[:2]} vs {b.shape[:2]}")
    x = to_gray(a).astype(np.float64)
    y = to_gray(b).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(m: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(cv2.GaussianBlur(m, (11, 11), sigma), np.float64)

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * cxy + c2)
    den = (mx * mx + my * my + c1) * (vx + vy + c2)
    return np.asarray(num / den, np.float64)


def ssim(a: Image, b: Image, border: int = 5) -> float:
    """Mean SSIM, ignoring ``border`` pixels at the edges (the window falls off there)."""
    m = ssim_map(a, b)
    if border > 0:
        m = m[border:-border, border:-border]
    return float(m.mean())


def psnr(a: Image, b: Image) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)
