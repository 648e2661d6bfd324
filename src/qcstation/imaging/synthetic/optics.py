"""The microscope's optics and sensor: depth-dependent blur, light, white balance, noise.

Blur: a surface ``dz`` mm away from the focus plane is blurred by a Gaussian of sigma
``max(0, |dz| - dof/2) * blur_rate * px_per_mm`` pixels (capped). The image is blurred at a
ladder of sigmas and each pixel interpolates between the two rungs around its own sigma
(linear in sigma), which is how a depth map and a focus position become per-pixel blur.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.synthetic.view import F32

_LADDER = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.5, 7.5, 10.0, 14.0)


@dataclass(frozen=True)
class Optics:
    dof_mm: float = 0.25  # depth of field: this band around the focus plane is sharp
    blur_rate: float = 0.06  # sigma in px per mm of defocus, per px/mm of magnification
    max_sigma: float = 14.0
    psf_px: float = 0.6  # the lens's own blur in focus (it also keeps highlights from aliasing)

    def sigma_map(self, depth: F32, focus_mm: float, px_per_mm: float) -> F32:
        excess = np.clip(np.abs(depth - focus_mm) - self.dof_mm / 2, 0, None)
        defocus = excess * self.blur_rate * px_per_mm
        sigma = np.sqrt(defocus * defocus + self.psf_px * self.psf_px)
        return np.asarray(np.minimum(sigma, self.max_sigma), np.float32)

    def in_focus(self, image: F32) -> F32:
        """Everything in focus: only the lens's own blur."""
        if self.psf_px <= 0:
            return np.array(image, np.float32, copy=True)
        return np.asarray(cv2.GaussianBlur(image, (0, 0), self.psf_px), np.float32)


def defocus(image: F32, sigma: F32) -> F32:
    """Blur each pixel of ``image`` (H, W, C float32) by its own ``sigma`` (H, W)."""
    top = float(sigma.max())
    if top <= 0.0:
        return np.array(image, np.float32, copy=True)
    out = np.zeros_like(image)
    for i, s in enumerate(_LADDER):
        lo = _LADDER[i - 1] if i else None
        hi = _LADDER[i + 1] if i + 1 < len(_LADDER) else None
        if lo is not None and lo >= top:
            break
        w = np.zeros_like(sigma)  # the hat function of this rung, linear in sigma
        if lo is not None:
            m = (sigma > lo) & (sigma <= s)
            w[m] = (sigma[m] - lo) / (s - lo)
        if hi is not None:
            m = (sigma > s) & (sigma < hi)
            w[m] = (hi - sigma[m]) / (hi - s)
        else:
            w[sigma >= s] = 1.0
        if i == 0:
            w[sigma <= 0] = 1.0
        if not w.any():
            continue
        out += _level(image, sigma, s) * w[..., None]
    return out


def _level(image: F32, sigma: F32, s: float) -> F32:
    """``image`` blurred by ``s``, gathering only from pixels blurred about as much:
    a sharp foreground must not glow into the blurred background behind it."""
    if s == 0:
        return image
    if s < 2:
        return np.asarray(cv2.GaussianBlur(image, (0, 0), s), np.float32)
    m = np.clip(2 * sigma / s - 1, 0, 1).astype(np.float32)
    num = cv2.GaussianBlur(image * m[..., None], (0, 0), s)
    den = cv2.GaussianBlur(m, (0, 0), s)[..., None]
    plain = cv2.GaussianBlur(image, (0, 0), s)
    return np.asarray(np.where(den > 0.05, num / np.maximum(den, 1e-6), plain), np.float32)


@dataclass(frozen=True)
class Lighting:
    """Exposure and light: ``gain`` scales everything, ``wb`` per BGR channel, ``offset``
    adds (0-1 units), ``gradient`` is the fractional brightness change across the field in
    x and y (an uneven ring light), ``vignetting`` the darkening at the corners."""

    gain: float = 1.0
    wb: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: float = 0.0
    gradient: tuple[float, float] = (0.0, 0.0)
    vignetting: float = 0.18

    def apply(self, image: F32) -> F32:
        h, w = image.shape[:2]
        u = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        v = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        field = 1 + self.gradient[0] * u / 2 + self.gradient[1] * v / 2
        field = field * (1 - self.vignetting * ((u * u + v * v) / 2) ** 1.5)
        gains = np.asarray(self.wb, np.float32) * self.gain
        return (image * field[..., None] * gains + self.offset).astype(np.float32)


def to_uint8(image: F32) -> NDArray[np.uint8]:
    """Radiance (0-1, highlights above) to 8-bit with a gentle shoulder, as cameras do."""
    x = np.clip(image, 0, None)
    y = np.where(x < 0.8, x, 0.8 + 0.2 * (1 - np.exp(-(x - 0.8) / 0.2)))
    return np.asarray(np.clip(y * 255 + 0.5, 0, 255), np.uint8)


class SensorNoise:
    """Cheap, seeded sensor noise: one noise field (with a margin) made once, and each frame
    adds a differently placed window of it (saturating uint8 arithmetic, no float pass)."""

    MARGIN = 48

    def __init__(self, shape: tuple[int, int], sigma: float, seed: int):
        self.rng = np.random.default_rng(seed)
        self.sigma = sigma
        h, w = shape
        field = self.rng.normal(0, sigma, (h + self.MARGIN, w + self.MARGIN, 3))
        self.pos = np.clip(np.round(field), 0, 255).astype(np.uint8)
        self.neg = np.clip(np.round(-field), 0, 255).astype(np.uint8)
        self.shape = shape

    def add(self, image: NDArray[np.uint8]) -> NDArray[np.uint8]:
        if self.sigma <= 0:
            return np.array(image, np.uint8, copy=True)
        h, w = self.shape
        dy, dx = (int(v) for v in self.rng.integers(0, self.MARGIN, 2))
        out = cv2.add(image, self.pos[dy : dy + h, dx : dx + w])
        return np.asarray(cv2.subtract(out, self.neg[dy : dy + h, dx : dx + w]), np.uint8)
