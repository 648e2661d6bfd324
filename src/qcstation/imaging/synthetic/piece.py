"""A solitaire ring head under the microscope: the shank curving away on both sides, a
gallery rail, a round brilliant held by four or six prongs, on a dark bench mat.

Everything is a function of scene millimetres (see :mod:`.view`), with a height for every
surface: the table of the stone is highest (about +1.2 mm), the shank falls away along the
ring's curve, the mat lies at -1.6 mm. Defects are part of the piece's description
(:class:`DefectSpec`), so the same defect appears wherever the piece is seen from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from qcstation.imaging.synthetic import stone as stone_mod
from qcstation.imaging.synthetic.metal import shade
from qcstation.imaging.synthetic.scene import DefectKind, DefectTruth, Mask, RenderedScene
from qcstation.imaging.synthetic.view import F32, View, coverage, noise, soft_blur

GIRDLE_Z = 0.45
MAT_Z = -1.6
FIELD_MM = 10.0  # the default field of view is 10 mm wide (64 px/mm at 640 px)


@dataclass(frozen=True)
class DefectSpec:
    """An injected defect. Porosity: a cluster of pits of radius ``size_mm`` around (x, y);
    scratch: a groove of length ``size_mm`` centred on (x, y) at ``angle``; chip: a notch of
    width ``size_mm`` in the girdle at ``angle``; missing prong: prong number ``index``."""

    kind: DefectKind
    x_mm: float = 0.0
    y_mm: float = 0.0
    size_mm: float = 0.3
    angle: float = 0.0
    index: int = 0
    seed: int = 0


@dataclass(frozen=True)
class PieceSpec:
    seed: int
    metal: str = "yellow"
    stone_radius: float = 2.2
    prongs: int = 4
    prong_phase: float = math.pi / 4
    facet_phase: float = 0.1
    shank_width: float = 2.1
    shank_angle: float = 0.0
    ring_radius: float = 9.0
    defects: tuple[DefectSpec, ...] = ()

    @classmethod
    def random(cls, seed: int) -> PieceSpec:
        rng = np.random.default_rng([seed, 7])
        prongs = int(rng.choice([4, 4, 6]))
        return cls(
            seed=seed,
            metal=str(rng.choice(["yellow", "yellow", "white", "rose"])),
            stone_radius=float(rng.uniform(1.9, 2.4)),
            prongs=prongs,
            prong_phase=float(
                math.pi / 4 + rng.uniform(-0.1, 0.1) if prongs == 4 else rng.uniform(0, 1)
            ),
            facet_phase=float(rng.uniform(0, math.pi / 4)),
            shank_width=float(rng.uniform(1.8, 2.3)),
            shank_angle=float(rng.uniform(-0.15, 0.15)),
        )

    def with_defects(self, *defects: DefectSpec) -> PieceSpec:
        return replace(self, defects=self.defects + tuple(defects))

    def random_defect(self, kind: DefectKind, rng: np.random.Generator) -> DefectSpec:
        """A defect of ``kind`` placed where it belongs (pits and scratches on the shank
        inside the default field, chips between prongs)."""
        seed = int(rng.integers(1 << 30))
        step = 2 * math.pi / self.prongs
        if kind is DefectKind.MISSING_PRONG:
            return DefectSpec(kind, index=int(rng.integers(self.prongs)), seed=seed)
        if kind is DefectKind.CHIP:
            a = self.prong_phase + step * (int(rng.integers(self.prongs)) + rng.uniform(0.3, 0.7))
            return DefectSpec(kind, size_mm=float(rng.uniform(0.35, 0.6)), angle=a, seed=seed)
        side = 1 if rng.random() < 0.5 else -1
        s = side * rng.uniform(1.45 * self.stone_radius, 4.0)
        t = rng.uniform(-0.3, 0.3) * self.shank_width / 2
        ca, sa = math.cos(self.shank_angle), math.sin(self.shank_angle)
        x, y = s * ca - t * sa, s * sa + t * ca
        if kind is DefectKind.POROSITY:
            return DefectSpec(kind, x, y, float(rng.uniform(0.15, 0.3)), seed=seed)
        angle = self.shank_angle + rng.uniform(-0.7, 0.7)
        return DefectSpec(kind, x, y, float(rng.uniform(0.6, 1.3)), angle=angle, seed=seed)


def _pits(d: DefectSpec, px_per_mm: float) -> list[tuple[float, float, float]]:
    rng = np.random.default_rng(d.seed)
    pits = []
    for _ in range(int(rng.integers(4, 9))):
        rr, a = d.size_mm * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        radius = max(rng.uniform(0.025, 0.06), 1.3 / px_per_mm)
        pits.append((d.x_mm + rr * math.cos(a), d.y_mm + rr * math.sin(a), radius))
    return pits


def _segment_distance(x: F32, y: F32, d: DefectSpec) -> F32:
    ux, uy = math.cos(d.angle), math.sin(d.angle)
    px, py = x - d.x_mm, y - d.y_mm
    along = np.clip(px * ux + py * uy, -d.size_mm / 2, d.size_mm / 2)
    return np.hypot(px - along * ux, py - along * uy).astype(np.float32)


def _shank(spec: PieceSpec, view: View, x: F32, y: F32) -> tuple[F32, F32, F32, dict[int, Mask]]:
    """Colour, height and coverage of the shank, and masks of the defects on it."""
    ppm = view.px_per_mm
    ca, sa = math.cos(spec.shank_angle), math.sin(spec.shank_angle)
    s, t = x * ca + y * sa, -x * sa + y * ca
    w = spec.shank_width / 2 * (1 + 0.35 * np.exp(-((s / (1.3 * spec.stone_radius)) ** 2)))
    q2 = np.clip(1 - (t / w) ** 2, 0, 1)
    z = -(s**2) / (2 * spec.ring_radius) - 0.25 + 0.42 * w * np.sqrt(q2)
    cov = coverage(w - np.abs(t), ppm)
    albedo = 1 + 0.05 * noise(spec.seed + 3, t, s, 0.012, 0.6, streak=30.0)
    albedo += 0.03 * noise(spec.seed + 4, x, y, 0.05, 1.0)
    z = z + 0.0004 * noise(spec.seed + 5, t, s, 0.012, 0.6, streak=30.0)
    masks: dict[int, Mask] = {}
    scatter = np.zeros_like(x)
    for i, d in enumerate(spec.defects):
        if d.kind is DefectKind.POROSITY:
            m = np.zeros(x.shape, bool)
            for px, py, pr in _pits(d, ppm):
                dist = np.hypot(x - px, y - py)
                inside = dist < pr
                rel = (dist / pr) ** 2
                z = z - np.where(inside, 0.6 * pr * (1 - rel), 0)
                albedo = albedo * np.where(inside, 0.3 + 0.7 * rel, 1)
                m |= dist < pr * 1.25 + 0.5 / ppm
            masks[i] = m
        elif d.kind is DefectKind.SCRATCH:
            dist = _segment_distance(x, y, d)
            wg = max(0.010, 0.7 / ppm)
            g = np.exp(-((dist / wg) ** 2))
            z = z - 0.004 * g
            scatter = scatter + 0.9 * g
            masks[i] = dist < wg * 1.8 + 0.5 / ppm
    col = shade(z.astype(np.float32), ppm, spec.metal, albedo.astype(np.float32), scatter)
    return col, z.astype(np.float32), cov, masks


def _prongs(spec: PieceSpec, view: View, x: F32, y: F32) -> tuple[F32, F32, F32, Mask | None]:
    ppm, radius = view.px_per_mm, spec.stone_radius
    step = 2 * math.pi / spec.prongs
    phi = np.arctan2(y, x)
    k = np.mod(np.round((phi - spec.prong_phase) / step), spec.prongs).astype(np.int32)
    ang = spec.prong_phase + k * step
    rc = radius * 1.02
    rho = x * np.cos(ang) + y * np.sin(ang) - rc
    tau = -x * np.sin(ang) + y * np.cos(ang)
    a, b = 0.16 * radius + 0.12, 0.10 * radius + 0.08
    d = np.sqrt((rho / a) ** 2 + (tau / b) ** 2)
    cov = coverage((1 - d) * b, ppm)
    z = GIRDLE_Z + 0.1 + 0.16 * np.sqrt(np.clip(1 - d * d, 0, 1)) - 0.08 * rho / a
    missing_mask = None
    for dspec in spec.defects:
        if dspec.kind is DefectKind.MISSING_PRONG:
            gone = k == dspec.index % spec.prongs
            missing_mask = gone & (d < 1.08)
            # what is left of a broken-off prong: a low stump at its base
            ds = np.sqrt(((rho - 0.5 * a) / (0.42 * a)) ** 2 + (tau / (0.75 * b)) ** 2)
            stump_cov = coverage((1 - ds) * 0.75 * b, ppm)
            stump_z = GIRDLE_Z - 0.05 + 0.1 * np.sqrt(np.clip(1 - ds * ds, 0, 1))
            cov = np.where(gone, stump_cov, cov)
            z = np.where(gone, stump_z, z)
    col = shade(z.astype(np.float32), ppm, spec.metal)
    return col, z.astype(np.float32), cov.astype(np.float32), missing_mask


def _blend(base: F32, top: F32, cov: F32) -> F32:
    return (base + (top - base) * cov[..., None]).astype(np.float32)


def render_piece_scene(spec: PieceSpec, view: View) -> RenderedScene:
    """The piece seen through ``view``, all in focus, with its ground truth."""
    ppm, radius = view.px_per_mm, spec.stone_radius
    x, y = view.grid()
    r = np.hypot(x, y)
    # bench mat: dark slate, faint fibres and blotches
    tex = 0.05 * noise(spec.seed + 1, x, y, 0.03, 1.2) + 0.07 * noise(spec.seed + 2, x, y, 0.5)
    img = np.empty((*x.shape, 3), np.float32)
    img[:] = np.array([0.17, 0.155, 0.145], np.float32)
    img *= (1 + tex)[..., None]
    depth = np.full(x.shape, MAT_Z, np.float32)

    sh_col, sh_z, sh_cov, defect_masks = _shank(spec, view, x, y)
    shadow = soft_blur(sh_cov, 0.25 * ppm)
    img *= (1 - 0.6 * shadow)[..., None]
    img = _blend(img, sh_col, sh_cov)
    depth = np.where(sh_cov > 0.5, sh_z, depth)

    rm, hw = 1.05 * radius, 0.09 * radius + 0.05
    ring_cov = coverage(hw - np.abs(r - rm), ppm)
    ring_z = GIRDLE_Z - 0.12 + 0.15 * np.sqrt(np.clip(1 - ((r - rm) / hw) ** 2, 0, 1))
    head_shadow = soft_blur(coverage(rm + hw - r, ppm), 0.2 * ppm)
    img *= (1 - 0.35 * head_shadow)[..., None]
    img = _blend(img, shade(ring_z.astype(np.float32), ppm, spec.metal), ring_cov)
    depth = np.where(ring_cov > 0.5, ring_z, depth)

    chip_spec = next((d for d in spec.defects if d.kind is DefectKind.CHIP), None)
    chip = (
        stone_mod.chip_polygon(radius, chip_spec.angle, chip_spec.size_mm, chip_spec.seed)
        if chip_spec
        else None
    )
    st_cov = coverage(radius - r, ppm)
    st_col, box = stone_mod.render_stone(
        view, (0.0, 0.0), radius, spec.facet_phase, spec.seed, chip
    )
    if st_col.size:
        img[box] = _blend(img[box], st_col, st_cov[box])
    table_z = GIRDLE_Z + 0.32 * radius
    st_z = table_z - np.clip(r - 0.55 * radius, 0, None) * 0.68
    depth = np.where(st_cov > 0.5, st_z, depth)

    pr_col, pr_z, pr_cov, missing = _prongs(spec, view, x, y)
    img = _blend(img, pr_col, pr_cov)
    depth = np.where(pr_cov > 0.5, pr_z, depth)

    prong_top = pr_cov > 0.5
    stone_top = (st_cov > 0.5) & ~prong_top
    shank_top = (sh_cov > 0.5) & ~stone_top & ~prong_top & ~(ring_cov > 0.5)
    truths: list[DefectTruth] = []
    for i, d in enumerate(spec.defects):
        if d.kind in (DefectKind.POROSITY, DefectKind.SCRATCH):
            m = defect_masks[i] & shank_top
        elif d.kind is DefectKind.CHIP and chip is not None:
            poly = np.zeros(x.shape, np.uint8)
            pts = np.array([view.to_pixels(px, py) for px, py in chip])
            cv2.fillPoly(poly, [np.round(pts * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
            m = poly.astype(bool) & (st_cov > 0.5) & ~prong_top
        elif d.kind is DefectKind.MISSING_PRONG and missing is not None:
            m = missing
        else:
            continue
        truth = DefectTruth.from_mask(d.kind, m)
        if truth is not None:
            truths.append(truth)

    step = 2 * math.pi / spec.prongs
    points = {"stone_center": view.to_pixels(0.0, 0.0)}
    for j in range(3):  # three girdle points between prongs: a circle measurement's clicks
        a = spec.prong_phase + step * (j * spec.prongs // 3 + 0.5)
        points[f"girdle_{j}"] = view.to_pixels(radius * math.cos(a), radius * math.sin(a))
    return RenderedScene(
        view=view,
        image=img,
        depth=depth.astype(np.float32),
        defects=truths,
        regions={
            "stone": stone_top,
            "prongs": prong_top,
            "metal": prong_top | (ring_cov > 0.5) & ~stone_top | shank_top,
            "background": depth <= MAT_Z,
        },
        points=points,
        lengths_mm={"stone_diameter": 2 * radius},
    )
