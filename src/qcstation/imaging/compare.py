"""Golden-sample comparison: align a piece to its golden sample and mark what differs.

    result = compare_to_golden(piece_bgr, golden_bgr)
    result.aligned      # the piece warped onto the golden sample (for an aligned overlay)
    result.difference   # float32 0-1 map in the golden sample's geometry (for a heat view)
    result.regions      # Region boxes (golden and piece coordinates) that differ, worst first

Steps: (1) ORB features on contrast-equalised (CLAHE) grey, ratio-tested matches and a RANSAC
similarity (shift, rotation, scale) from the piece to the golden sample; too few inliers
fall back to phase correlation + ECC; then ECC refines the warp to a fraction of a pixel.
(2) Lighting is equalised in two steps: one monotonic tone curve (the golden sample's
median grey for each grey of the piece: exposure, gamma, clipped highlights), then a local
linear fit (a guided-filter style ``a * piece + b`` over a wide window) for gradients and
vignetting; neither can bend to a small defect. (3) The difference is taken against the
golden sample's 3x3 min/max envelope, so a residual sub-pixel misalignment of sharp edges
does not count; it is smoothed, thresholded, closed (pits of one porosity cluster join
into one region), and components smaller than ``min_area`` are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.errors import AlignmentError
from qcstation.imaging.frames import Image, ecc_warp, to_gray

F32 = NDArray[np.float32]
Box = tuple[int, int, int, int]  # x, y, w, h


@dataclass(frozen=True)
class Region:
    box: Box  # in the golden sample's pixels
    box_in_piece: Box  # the same region in the piece image's pixels
    area: int  # pixels above the threshold
    score: float  # the strongest difference inside, in 8-bit grey levels


@dataclass(frozen=True)
class Comparison:
    aligned: Image  # the piece warped onto the golden sample
    difference: F32  # 0-1 per pixel (1 = 64 grey levels or more)
    mask: NDArray[np.bool_]  # pixels that differ
    regions: tuple[Region, ...]
    homography: NDArray[np.float64]  # 3x3, piece pixel -> golden pixel
    inliers: int  # feature matches that agreed (0 when the fallback aligned it)
    method: str  # "orb" or "ecc"

    @property
    def differs(self) -> bool:
        return bool(self.regions)


@dataclass(frozen=True)
class CompareSettings:
    threshold: float = 20.0  # grey levels above the golden sample's local envelope
    min_area: int = 6  # pixels
    join_px: int = 5  # regions closer than this are one
    light_window: float = 0.06  # the lighting fit's window, as a fraction of the width
    orb_features: int = 1500
    min_inliers: int = 25
    border: int = 6  # pixels near the edge of the overlap are ignored


def _clahe(gray: Image) -> Image:
    return np.asarray(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray), np.uint8)


def _orb(piece: Image, golden: Image, s: CompareSettings) -> tuple[NDArray[np.float64], int]:
    orb = cv2.ORB.create(nfeatures=s.orb_features, fastThreshold=10)
    k1, d1 = orb.detectAndCompute(piece, None)
    k2, d2 = orb.detectAndCompute(golden, None)
    if d1 is None or d2 is None or len(k1) < s.min_inliers or len(k2) < s.min_inliers:
        raise AlignmentError("too few features")
    pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d1, d2, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < s.min_inliers:
        raise AlignmentError("too few matches")
    src = np.array([k1[m.queryIdx].pt for m in good], np.float32)
    dst = np.array([k2[m.trainIdx].pt for m in good], np.float32)
    m, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0)
    if m is None or inl is None or int(inl.sum()) < s.min_inliers:
        raise AlignmentError("no consistent transform")
    return np.vstack([m, [0, 0, 1]]).astype(np.float64), int(inl.sum())


def _ecc(piece: F32, golden: F32, start: NDArray[np.float64]) -> NDArray[np.float64]:
    """Refine a piece->golden similarity with ECC (on smoothed grey); returns it as 3x3."""
    inv = np.linalg.inv(start)[:2].astype(np.float32)  # ECC's warp: golden -> piece
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 80, 1e-6)
    warp = ecc_warp(golden, piece, inv, cv2.MOTION_EUCLIDEAN, criteria)
    return np.linalg.inv(np.vstack([warp, [0, 0, 1]]).astype(np.float64))


def align_to_golden(
    piece: Image, golden: Image, settings: CompareSettings | None = None
) -> tuple[NDArray[np.float64], int, str]:
    """3x3 transform from piece pixels to golden pixels, ORB inliers, and the method."""
    s = settings or CompareSettings()
    gp, gg = _clahe(to_gray(piece)), _clahe(to_gray(golden))
    fp = np.float32(cv2.GaussianBlur(gp, (0, 0), 1.0))
    fg = np.float32(cv2.GaussianBlur(gg, (0, 0), 1.0))
    try:
        start, inliers = _orb(gp, gg, s)
        method = "orb"
    except AlignmentError:
        (dx, dy), _r = cv2.phaseCorrelate(fg, fp)  # the piece's shift against the golden
        start = np.array([[1, 0, -dx], [0, 1, -dy], [0, 0, 1]], np.float64)
        inliers, method = 0, "ecc"
    try:
        return _ecc(fp, fg, start), inliers, method
    except cv2.error:
        if method == "orb":
            return start, inliers, method
        raise AlignmentError(
            "the piece could not be aligned with its golden sample: place it as the golden "
            "sample lies (same side up, about the same spot) and compare again"
        ) from None


def _box(mask: NDArray[np.bool_]) -> Box:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def _piece_box(box: Box, h_inv: NDArray[np.float64], size: tuple[int, int]) -> Box:
    x, y, w, h = box
    corners = np.array([[x, y], [x + w, y], [x, y + h], [x + w, y + h]], np.float64)
    corners = corners.reshape(-1, 1, 2)
    pts = cv2.perspectiveTransform(corners, h_inv).reshape(-1, 2)
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(size[0], int(x1)), min(size[1], int(y1))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def _tone_map(piece: F32, golden: F32, valid: F32) -> F32:
    """The piece's grey through one monotonic curve fitted to the golden sample's (median
    golden level per piece level): exposure, gamma and the shoulder of clipped highlights."""
    m = valid > 0
    p = np.clip(piece[m], 0, 255).astype(np.int32)
    g = golden[m]
    order = np.argsort(p, kind="stable")
    p, g = p[order], g[order]
    levels = np.arange(256)
    starts = np.searchsorted(p, levels, side="left")
    ends = np.searchsorted(p, levels, side="right")
    known, values = [], []
    for lv in levels:
        n = ends[lv] - starts[lv]
        if n >= 20:
            known.append(lv)
            values.append(float(np.median(g[starts[lv] : ends[lv]])))
    if len(known) < 8:
        return piece
    lut = np.interp(levels, known, values)
    lut = np.maximum.accumulate(np.convolve(np.pad(lut, 2, mode="edge"), np.ones(5) / 5, "valid"))
    idx = np.clip(piece, 0, 255)
    lo = np.floor(idx).astype(np.int32)
    hi = np.minimum(lo + 1, 255)
    frac = idx - lo
    return np.asarray(lut[lo] * (1 - frac) + lut[hi] * frac, np.float32)


def _relight(piece: F32, golden: F32, valid: F32, sigma: float) -> F32:
    """The piece's grey mapped onto the golden sample's lighting: a * piece + b, where a, b
    are fitted over a Gaussian window inside the valid overlap (fitted at a quarter of the
    size, as a fast guided filter does: a and b are smooth)."""
    h, w = piece.shape
    k = 4 if min(h, w) >= 64 else 1
    small = (max(1, w // k), max(1, h // k))

    def down(x: F32) -> F32:
        return np.asarray(cv2.resize(x, small, interpolation=cv2.INTER_AREA), np.float32)

    sp, sg, sv = down(piece), down(golden), down(valid)
    den = cv2.GaussianBlur(sv, (0, 0), sigma / k)

    def mean(x: F32) -> F32:
        num = cv2.GaussianBlur(x * sv, (0, 0), sigma / k)
        return np.asarray(num / np.maximum(den, 1e-3), np.float32)

    mp, mg = mean(sp), mean(sg)
    var = mean(sp * sp) - mp * mp
    cov = mean(sp * sg) - mp * mg
    a = np.clip(cov / (var + 25.0), 0.3, 3.0).astype(np.float32)
    b = (mg - a * mp).astype(np.float32)
    a_full = cv2.resize(mean(a), (w, h), interpolation=cv2.INTER_LINEAR)
    b_full = cv2.resize(mean(b), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(a_full * piece + b_full, np.float32)


def compare_to_golden(
    piece: Image, golden: Image, settings: CompareSettings | None = None
) -> Comparison:
    s = settings or CompareSettings()
    h, w = golden.shape[:2]
    hom, inliers, method = align_to_golden(piece, golden, s)
    aligned = np.asarray(cv2.warpPerspective(piece, hom, (w, h), flags=cv2.INTER_LINEAR), np.uint8)
    ones = np.full(piece.shape[:2], 255, np.uint8)
    valid_u8 = cv2.warpPerspective(ones, hom, (w, h), flags=cv2.INTER_NEAREST)
    valid_u8 = cv2.erode(valid_u8, np.ones((2 * s.border + 1,) * 2, np.uint8))
    valid = (valid_u8 > 0).astype(np.float32)
    gg = to_gray(golden).astype(np.float32)
    gp = to_gray(aligned).astype(np.float32)
    fitted = _relight(_tone_map(gp, gg, valid), gg, valid, max(4.0, s.light_window * w))
    kernel = np.ones((3, 3), np.uint8)
    hi = cv2.dilate(gg, kernel)
    lo = cv2.erode(gg, kernel)
    diff = np.maximum(fitted - hi, lo - fitted)
    diff = np.clip(diff, 0, None) * valid
    diff = np.asarray(cv2.GaussianBlur(diff, (0, 0), 0.8), np.float32)
    mask = diff > s.threshold
    joined = cv2.morphologyEx(
        mask.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((2 * s.join_px + 1,) * 2, np.uint8)
    )
    count, labels, _stats, _c = cv2.connectedComponentsWithStats(joined, connectivity=8)
    h_inv = np.asarray(np.linalg.inv(hom), np.float64)
    regions = []
    for k in range(1, count):
        comp = (labels == k) & mask
        area = int(comp.sum())
        if area < s.min_area:
            continue
        box = _box(labels == k)
        score = float(diff[comp].max())
        regions.append(
            Region(box, _piece_box(box, h_inv, (piece.shape[1], piece.shape[0])), area, score)
        )
    regions.sort(key=lambda r: -r.score * r.area)
    return Comparison(
        aligned,
        np.clip(diff / 64.0, 0, 1).astype(np.float32),
        mask,
        tuple(regions),
        hom,
        inliers,
        method,
    )
