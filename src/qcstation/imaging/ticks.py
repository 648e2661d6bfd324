"""Find the ticks of a stage micrometer in an image and fit their pitch.

1. A windowed 2-D FFT of the image's centre gives the scale's direction and a first pitch
   (the strongest periodic peak; if half or a third of that frequency is strong too, the
   peak was a harmonic of thin lines and the lower one is the pitch).
2. The image is rotated so the scale runs left to right; the rows whose content is periodic
   at that pitch are the tick band, and their mean is the projection profile.
3. Every tick's centre is the centroid of its peak in the profile (sub-pixel); a straight
   line through (tick number, centre) gives the pitch, its standard error and the residual.

Works for dark ticks on a bright field and for bright on dark, at any angle.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.errors import CalibrationError
from qcstation.imaging.frames import Image, to_gray

Point = tuple[float, float]
F32 = NDArray[np.float32]


@dataclass(frozen=True)
class TickDetection:
    angle_deg: float  # direction of the scale axis in the image (0: left to right)
    pitch_px: float  # fitted distance between neighbouring ticks
    pitch_stderr_px: float
    residual_px: float  # RMS distance of tick centres from the fitted regular grid
    centers: tuple[Point, ...]  # tick centres on the band's mid-line, image pixels, in order
    numbers: tuple[int, ...]  # each centre's tick number relative to the first

    @property
    def count(self) -> int:
        return len(self.centers)

    def mm_per_px(self, division_mm: float) -> float:
        return division_mm / self.pitch_px

    def nearest(self, point: Point) -> tuple[int, Point]:
        """The detected tick nearest to ``point`` (its number and centre): snap a click."""
        d = [math.dist(point, c) for c in self.centers]
        i = int(np.argmin(d))
        return self.numbers[i], self.centers[i]


def _fft_peak(gray: F32) -> tuple[float, float]:
    """(angle of the periodicity in radians, a period in px) from the image's centre. The
    strongest peak may be a harmonic (thin lines) or the long ticks' period: its direction
    is right either way, the pitch itself comes from the profile."""
    h, w = gray.shape
    n = min(h, w, 1024)
    y0, x0 = (h - n) // 2, (w - n) // 2
    crop = gray[y0 : y0 + n, x0 : x0 + n]
    crop = crop - float(crop.mean())
    win = cv2.createHanningWindow((n, n), cv2.CV_32F)
    mag = np.abs(np.fft.fftshift(np.fft.fft2(crop * win)))
    c = n // 2
    ky, kx = np.mgrid[-c : n - c, -c : n - c]
    radius = np.hypot(kx, ky)
    low = max(6.0, n / 48)  # at most 48 px between ticks: at least ten in view
    mag[(radius < low) | (kx < 0) | ((kx == 0) & (ky < 0))] = 0  # DC, slow shading, half-plane
    iy, ix = np.unravel_index(int(np.argmax(mag)), mag.shape)
    fx, fy = float(kx[iy, ix]), float(ky[iy, ix])
    return math.atan2(fy, fx), n / math.hypot(fx, fy)


def _band(rot: F32, period: float) -> tuple[int, int]:
    """The rows whose content repeats at ``period``: the tick band."""
    x = np.arange(rot.shape[1], dtype=np.float32)
    wave = np.exp(-2j * np.pi * x / period)
    rows = rot - rot.mean(axis=1, keepdims=True)
    energy = np.abs(rows @ wave) / rot.shape[1]
    energy = np.convolve(energy, np.ones(3) / 3, mode="same")
    top = int(np.argmax(energy))
    keep = energy > 0.5 * energy[top]
    lo = hi = top
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    while hi < len(keep) - 1 and keep[hi + 1]:
        hi += 1
    return lo, hi + 1


def _centres(profile: F32, period: float) -> list[float]:
    """Sub-pixel centres of the profile's peaks spaced about ``period`` apart."""
    half = max(1, int(period * 0.4))
    smooth = cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), max(0.5, period * 0.08)).ravel()
    spread = float(np.percentile(smooth, 95) - np.percentile(smooth, 5))
    out: list[float] = []
    for i in range(half, len(smooth) - half):
        seg = smooth[i - half : i + half + 1]
        if smooth[i] < seg.max() or smooth[i] - seg.min() < 0.3 * spread:
            continue
        raw = profile[i - half : i + half + 1]
        wts = np.clip(raw - np.percentile(raw, 20), 0, None)
        if wts.sum() <= 0:
            continue
        c = i - half + float((wts * np.arange(len(wts))).sum() / wts.sum())
        if not out or c - out[-1] > 0.6 * period:
            out.append(c)
    return out


STAGES = 4  # the steps detect_ticks reports: the angle, the turn, its refinement, the fit


def _rotate(gray: F32, theta: float) -> tuple[F32, F32, NDArray[np.float64]]:
    """The image turned so that direction ``theta`` runs left to right (and its valid mask)."""
    h, w = gray.shape
    rot_m = cv2.getRotationMatrix2D((w / 2, h / 2), math.degrees(theta), 1.0)
    size = int(math.hypot(w, h)) + 2
    rot_m[0, 2] += (size - w) / 2
    rot_m[1, 2] += (size - h) / 2
    valid = cv2.warpAffine(np.ones_like(gray), rot_m, (size, size), flags=cv2.INTER_NEAREST)
    rot = cv2.warpAffine(gray, rot_m, (size, size), flags=cv2.INTER_LINEAR)
    rot = np.where(valid > 0, rot, float(np.median(gray))).astype(np.float32)
    return (
        np.asarray(rot, np.float32),
        np.asarray(valid, np.float32),
        np.asarray(rot_m, np.float64),
    )


def _shift(a: F32, b: F32, limit: float) -> float:
    """Sub-pixel shift of profile b against profile a, searched within +-``limit`` px (the
    profiles are periodic: the nearest correlation peak is the one wanted)."""
    a = a - a.mean()
    b = b - b.mean()
    n = len(a)
    xc = np.fft.irfft(np.fft.rfft(a, 2 * n) * np.conj(np.fft.rfft(b, 2 * n)))
    xc = np.concatenate([xc[-n + 1 :], xc[:n]])
    lag = max(1, int(limit))
    window = xc[n - 1 - lag : n + lag]
    i = int(np.argmax(window)) + n - 1 - lag
    if 0 < i < len(xc) - 1:
        y0, y1, y2 = xc[i - 1], xc[i], xc[i + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    else:
        frac = 0.0
    return -(i - (n - 1) + frac)


def _pitch(profile: F32) -> float:
    """The spacing of the profile's peaks (median of neighbour distances)."""
    smooth = cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), 0.7).ravel()
    spread = float(np.percentile(smooth, 95) - np.percentile(smooth, 5))
    peaks = [
        i
        for i in range(2, len(smooth) - 2)
        if smooth[i] == smooth[i - 2 : i + 3].max()
        and smooth[i] - min(smooth[max(0, i - 6) : i + 7]) > 0.3 * spread
    ]
    if len(peaks) < 3:
        return 0.0
    return float(np.median(np.diff(peaks)))


def _no_step(done: int, total: int) -> None:
    pass


def detect_ticks(
    image: Image, min_ticks: int = 8, step: Callable[[int, int], None] = _no_step
) -> TickDetection:
    """Find a stage micrometer's ticks; :class:`CalibrationError` when there are too few.

    ``step(done, total)`` is called between the stages of the analysis (a window's
    progress and the place where its Cancel stops it, by raising)."""
    gray = to_gray(image).astype(np.float32)
    h, w = gray.shape
    step(0, STAGES)
    theta, period = _fft_peak(gray)
    step(1, STAGES)
    rot, valid, rot_m = _rotate(gray, theta)
    lo, hi = _band(rot, period)
    step(2, STAGES)
    if hi - lo >= 6:  # refine the angle: the band's top and bottom halves must line up
        mid = (lo + hi) // 2
        dx = _shift(rot[lo:mid].mean(axis=0), rot[mid:hi].mean(axis=0), period / 2)
        theta -= math.atan2(dx, (hi - lo) / 2)
        rot, valid, rot_m = _rotate(gray, theta)
        lo, hi = _band(rot, period)
    step(3, STAGES)
    profile = rot[lo:hi].mean(axis=0).astype(np.float32)
    cover = valid[lo:hi].min(axis=0) > 0
    if cover.sum() < 16:
        raise CalibrationError("no micrometer scale in view: put its ticks in the picture")
    skew = float(np.mean((profile[cover] - profile[cover].mean()) ** 3))
    if skew < 0:  # dark ticks on a bright field: make ticks the peaks
        profile = -profile
    profile[~cover] = float(np.median(profile[cover]))
    pitch0 = _pitch(profile)
    if not 2.5 <= pitch0 <= max(h, w) / min_ticks:
        raise CalibrationError(
            "no regular ticks found: put the stage micrometer's scale in view and in focus, "
            "or mark two ticks by hand"
        )
    found = [c for c in _centres(profile, pitch0) if cover[int(c)]]
    if len(found) < min_ticks:
        raise CalibrationError(
            f"found only {len(found)} ticks (need {min_ticks}): focus the micrometer, make "
            "its scale fill the view, or mark two ticks by hand"
        )
    cs = np.array(found)
    steps = np.maximum(1, np.round(np.diff(cs) / pitch0)).astype(int)  # neighbour by neighbour:
    numbers = np.concatenate([[0], np.cumsum(steps)])  # robust to a rough pitch0
    keep = np.ones(len(cs), bool)
    for _ in range(3):  # fit, drop ticks far off the regular grid, refit
        slope, icpt = np.polyfit(numbers[keep], cs[keep], 1)
        res = cs - (slope * numbers + icpt)
        keep = np.abs(res) < max(0.5, 0.15 * slope)
        if keep.sum() < min_ticks:
            raise CalibrationError("the ticks found are not regularly spaced; refocus and retry")
    n = numbers[keep].astype(float)
    r = res[keep]
    dof = max(1, len(n) - 2)
    sigma = math.sqrt(float((r * r).sum()) / dof)
    stderr = sigma / math.sqrt(float(((n - n.mean()) ** 2).sum()))
    inv = cv2.invertAffineTransform(rot_m)
    mid_row = (lo + hi - 1) / 2
    pts = [inv @ np.array([c, mid_row, 1.0]) for c in cs[keep]]
    return TickDetection(
        angle_deg=math.degrees(theta),
        pitch_px=float(slope),
        pitch_stderr_px=stderr,
        residual_px=float(np.sqrt(np.mean(r * r))),
        centers=tuple((float(p[0]), float(p[1])) for p in pts),
        numbers=tuple(int(v - numbers[keep][0]) for v in numbers[keep]),
    )
