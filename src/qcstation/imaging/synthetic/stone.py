"""A round brilliant seen from above: table, star, bezel and upper-girdle facets, the
"arrows" of the pavilion seen through the table, a little fire; and a chipped girdle.

Drawn as polygons at twice the resolution with anti-aliasing and area-downsampled, inside
the stone's bounding box only.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.synthetic.view import F32, View

_SS = 3  # supersampling factor
_SHIFT = 4  # fractional bits for cv2 polygon coordinates
_DIAMOND = np.array([1.0, 0.975, 0.95])  # BGR: a faint cool white
_FIRE = (np.array([0.25, 0.55, 1.0]), np.array([1.0, 0.55, 0.25]), np.array([0.35, 1.0, 0.45]))


def _arc(r: float, a0: float, a1: float, n: int = 6) -> list[tuple[float, float]]:
    return [(r * math.cos(a), r * math.sin(a)) for a in np.linspace(a0, a1, n)]


def _pt(r: float, a: float) -> tuple[float, float]:
    return r * math.cos(a), r * math.sin(a)


def brilliant_facets(
    radius: float, phase: float, seed: int
) -> list[tuple[list[tuple[float, float]], NDArray[np.float64]]]:
    """(polygon in mm around the stone centre, BGR colour) for every crown facet, in
    drawing order; the table's arrows come last."""
    rng = np.random.default_rng(seed)
    rt, rs, rg = 0.58 * radius, 0.80 * radius, radius
    corner = [phase + k * math.pi / 4 for k in range(8)]
    mid = [c + math.pi / 8 for c in corner]
    out: list[tuple[list[tuple[float, float]], NDArray[np.float64]]] = []

    def colour(level: float) -> NDArray[np.float64]:
        c = _DIAMOND * level
        if rng.random() < 0.15:  # fire: dispersion throws a colour on some facets
            c = 0.75 * c + 0.25 * level * _FIRE[int(rng.integers(len(_FIRE)))]
        return np.asarray(c, np.float64)

    out.append(([_pt(rt, a) for a in corner], _DIAMOND * 0.78))
    for k in range(8):
        k1 = (k + 1) % 8
        star = [_pt(rt, corner[k]), _pt(rt, corner[k1]), _pt(rs, mid[k])]
        out.append((star, colour(rng.uniform(0.55, 1.0))))
        bezel = [_pt(rt, corner[k]), _pt(rs, mid[k]), _pt(rg, corner[k]), _pt(rs, mid[k - 1])]
        out.append((bezel, colour(rng.uniform(0.25, 0.85))))
        a_end = corner[k] + math.pi / 4
        ug1 = [_pt(rs, mid[k]), *_arc(rg, corner[k], mid[k])]
        ug2 = [_pt(rs, mid[k]), *_arc(rg, mid[k], a_end)]
        out.append((ug1, colour(rng.uniform(0.15, 0.95))))
        out.append((ug2, colour(rng.uniform(0.15, 0.95))))
    for k in range(8):  # arrows: pavilion mains reflected through the table
        a = corner[k]
        w = 0.022 * radius
        n = (-math.sin(a), math.cos(a))
        tip, neck = _pt(0.56 * radius, a), _pt(0.40 * radius, a)
        base = _pt(0.05 * radius, a)
        shaft = [
            (base[0] + n[0] * w, base[1] + n[1] * w),
            (neck[0] + n[0] * w, neck[1] + n[1] * w),
            (neck[0] - n[0] * w, neck[1] - n[1] * w),
            (base[0] - n[0] * w, base[1] - n[1] * w),
        ]
        head = [
            (neck[0] + n[0] * 3.0 * w, neck[1] + n[1] * 3.0 * w),
            tip,
            (neck[0] - n[0] * 3.0 * w, neck[1] - n[1] * 3.0 * w),
        ]
        out.append((shaft, _DIAMOND * 0.48))
        out.append((head, _DIAMOND * 0.42))
    return out


def chip_polygon(
    radius: float, angle: float, width_mm: float, seed: int
) -> list[tuple[float, float]]:
    """A conchoidal notch in the girdle: jagged, deepest in the middle."""
    rng = np.random.default_rng(seed)
    half = width_mm / (2 * radius)
    depth = width_mm * rng.uniform(0.45, 0.7)
    pts = [_pt(radius * 1.02, angle - half * 1.05)]
    for t in np.linspace(-1, 1, 9):
        r = radius - depth * (1 - t * t) ** 0.7 * rng.uniform(0.75, 1.15)
        pts.append(_pt(min(r, radius * 0.995), angle + half * t))
    pts.append(_pt(radius * 1.02, angle + half * 1.05))
    return pts


def render_stone(
    view: View,
    center: tuple[float, float],
    radius: float,
    phase: float,
    seed: int,
    chip: list[tuple[float, float]] | None,
) -> tuple[F32, tuple[slice, slice]]:
    """The stone's colours (float32 BGR, 0-1) inside its bounding box, and that box."""
    cu, cv = view.to_pixels(*center)
    rp = radius * view.px_per_mm + 3
    x0, x1 = max(0, int(cu - rp)), min(view.width, math.ceil(cu + rp) + 1)
    y0, y1 = max(0, int(cv - rp)), min(view.height, math.ceil(cv + rp) + 1)
    box = (slice(y0, y1), slice(x0, x1))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0, 3), np.float32), box
    hs, ws = (y1 - y0) * _SS, (x1 - x0) * _SS
    labels = np.full((hs, ws), -1, np.int32)

    def poly(pts_mm: list[tuple[float, float]]) -> NDArray[np.int32]:
        px = []
        for x, y in pts_mm:
            u, v = view.to_pixels(center[0] + x, center[1] + y)
            px.append(((u - x0 + 0.5) * _SS - 0.5, (v - y0 + 0.5) * _SS - 0.5))
        return np.round(np.array(px) * (1 << _SHIFT)).astype(np.int32)

    facets = brilliant_facets(radius, phase, seed)
    for i, (pts, _col) in enumerate(facets):
        cv2.fillPoly(labels, [poly(pts)], i, cv2.LINE_8, _SHIFT)
    # each facet's reflection brightens across it along its own direction (scene frame)
    rng = np.random.default_rng([seed, 11])
    cols = np.array([c for _p, c in facets] + [np.zeros(3)], np.float32)
    grad = rng.uniform(-0.35, 0.35, (len(facets) + 1, 2)).astype(np.float32)
    grad[-16:] *= 0.3  # arrows stay dark
    scale = view.px_per_mm * radius * _SS
    a = np.radians(view.rotation_deg)
    u = (np.arange(ws, dtype=np.float32) + 0.5) / _SS + x0 - 0.5 - cu
    v = (np.arange(hs, dtype=np.float32) + 0.5) / _SS + y0 - 0.5 - cv
    uu, vv = np.meshgrid(u * _SS / scale, v * _SS / scale)
    sx = np.cos(a) * uu + np.sin(a) * vv
    sy = -np.sin(a) * uu + np.cos(a) * vv
    lab = np.where(labels < 0, len(facets), labels)
    bright = 1 + grad[lab, 0] * sx + grad[lab, 1] * sy
    table = lab == 0
    wedges = 0.82 + 0.18 * np.cos(16 * (np.arctan2(sy, sx) - phase))
    bright = np.where(
        table, bright * wedges * (1 - 0.5 * np.exp(-(sx * sx + sy * sy) / 0.004)), bright
    )
    canvas = np.clip(cols[lab] * bright[..., None] * 255, 0, 255).astype(np.uint8)
    edge = (58, 56, 54)
    for pts, _col in facets[:-16]:
        cv2.polylines(canvas, [poly(pts)], True, edge, 1, cv2.LINE_AA, _SHIFT)
    girdle = poly(_arc(radius * 0.985, 0, 2 * math.pi, 72))
    cv2.polylines(canvas, [girdle], True, (40, 40, 42), _SS, cv2.LINE_AA, _SHIFT)
    for _ in range(int(rng.integers(4, 8))):  # sparkles: the ring light caught by a facet
        rr, aa = radius * 0.9 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        p = poly([_pt(rr, aa)])[0]
        size = int(rng.uniform(0.02, 0.05) * view.px_per_mm * _SS * (1 << _SHIFT))
        cv2.circle(canvas, (int(p[0]), int(p[1])), size, (255, 255, 255), -1, cv2.LINE_AA, _SHIFT)
    if chip is not None:
        cv2.fillPoly(canvas, [poly(chip)], (214, 212, 206), cv2.LINE_AA, _SHIFT)
        cv2.polylines(canvas, [poly(chip)], True, (70, 70, 72), _SS, cv2.LINE_AA, _SHIFT)
        inner = [(0.6 * x + 0.4 * chip[5][0], 0.6 * y + 0.4 * chip[5][1]) for x, y in chip[2:-2]]
        cv2.polylines(canvas, [poly(inner)], False, (150, 150, 152), 1, cv2.LINE_AA, _SHIFT)
    small = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0, box
