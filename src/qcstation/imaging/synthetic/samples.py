"""Photographs of synthetic pieces as an inspector takes them: a golden sample at its
nominal pose and light, and production pieces placed a little differently, under a light
that drifted, with their own injected defects.
"""

from __future__ import annotations

import math

import numpy as np

from qcstation.imaging.frames import Image
from qcstation.imaging.synthetic.optics import Lighting, Optics, SensorNoise, to_uint8
from qcstation.imaging.synthetic.piece import FIELD_MM, PieceSpec, render_piece_scene
from qcstation.imaging.synthetic.scene import DefectKind, RenderedScene
from qcstation.imaging.synthetic.view import View


def random_lighting(rng: np.random.Generator) -> Lighting:
    """Exposure +-20 %, white balance +-6 %, an offset and a gradient of up to 20 %."""
    return Lighting(
        gain=float(rng.uniform(0.8, 1.2)),
        wb=(float(rng.uniform(0.94, 1.06)), 1.0, float(rng.uniform(0.94, 1.06))),
        offset=float(rng.uniform(-0.03, 0.03)),
        gradient=(float(rng.uniform(-0.2, 0.2)), float(rng.uniform(-0.2, 0.2))),
        vignetting=float(rng.uniform(0.1, 0.3)),
    )


def photograph(
    spec: PieceSpec,
    width: int,
    height: int,
    rng: np.random.Generator | None = None,
    *,
    max_shift_mm: float = 0.3,
    max_rotation_deg: float = 3.0,
    noise: float = 2.0,
    field_mm: float = FIELD_MM,
) -> tuple[Image, RenderedScene]:
    """The piece in focus; with ``rng``, placed up to ``max_shift_mm`` off and turned up to
    ``max_rotation_deg``, under a random light; without, at the nominal pose and light."""
    if rng is None:
        view = View(width, height, width / field_mm)
        light = Lighting()
        seed = spec.seed
    else:
        r, a = max_shift_mm * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        view = View(
            width,
            height,
            width / field_mm,
            center_mm=(r * math.cos(a), r * math.sin(a)),
            rotation_deg=float(rng.uniform(-max_rotation_deg, max_rotation_deg)),
        )
        light = random_lighting(rng)
        seed = int(rng.integers(1 << 30))
    scene = render_piece_scene(spec, view)
    sharp = Optics().in_focus(scene.image)
    img = SensorNoise((height, width), noise, seed).add(to_uint8(light.apply(sharp)))
    return img, scene


def production_piece(
    sku: PieceSpec, rng: np.random.Generator, clean_rate: float = 0.25, most: int = 2
) -> PieceSpec:
    """The SKU as made: clean, or with 1..``most`` defects of different kinds."""
    if rng.random() < clean_rate:
        return sku
    kinds = list(DefectKind)
    chosen = rng.choice(len(kinds), size=int(rng.integers(1, most + 1)), replace=False)
    return sku.with_defects(*(sku.random_defect(kinds[int(i)], rng) for i in chosen))
