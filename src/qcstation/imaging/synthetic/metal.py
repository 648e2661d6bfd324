"""Polished metal under a microscope ring light, shaded from a height map.

Polished metal shows what it reflects: a surface tilted so that it mirrors the ring light
(about 13 degrees) is bright, a flat top mirrors the dark objective and is mid-grey, steep
flanks mirror the room and go dark. The ring has four segments, so curved parts show
streaks; the tint comes from the alloy, highlights go white.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.synthetic.view import F32

METALS: dict[str, tuple[float, float, float]] = {  # BGR reflectance
    "yellow": (0.28, 0.62, 0.90),
    "white": (0.80, 0.80, 0.82),
    "rose": (0.50, 0.58, 0.92),
}


def environment(gx: F32, gy: F32) -> F32:
    """Brightness reflected by a mirror surface of slope (gx, gy), camera looking down."""
    slope = np.sqrt(gx * gx + gy * gy)
    refl = 2.0 * np.arctan(slope)  # angle of the reflected ray from the optical axis
    psi = np.arctan2(gy, gx)
    ring = np.exp(-(((refl - 0.5) / 0.33) ** 2)) * (0.93 + 0.07 * np.cos(4 * psi + 0.3))
    coax = 0.45 * np.exp(-((refl / 0.3) ** 2))
    room = 0.22 + 0.05 * np.cos(psi - 1.0) * np.minimum(1.0, refl)
    room = room - 0.14 * np.clip((refl - 1.1) / 1.0, 0, 1)
    diffuse = 0.12 / np.sqrt(1 + slope * slope)
    return np.asarray(ring + coax + room + diffuse, np.float32)


def shade(
    z: F32,
    px_per_mm: float,
    metal: str,
    albedo: F32 | None = None,
    scatter: F32 | None = None,
) -> F32:
    """BGR float32 colours of a metal surface of height ``z`` (mm) seen at ``px_per_mm``;
    ``albedo`` scales the reflection (pits are dark), ``scatter`` adds diffuse light
    (a scratch scatters the ring light whatever the surface mirrors)."""
    gy, gx = np.gradient(z, 1.0 / px_per_mm)
    env = environment(np.asarray(gx, np.float32), np.asarray(gy, np.float32))
    if albedo is not None:
        env = env * albedo
    if scatter is not None:
        env = env + scatter
    tint = np.asarray(METALS[metal], np.float32)
    out: NDArray[np.float32] = env[..., None] * tint
    out += np.clip(env - 0.9, 0.0, None)[..., None] * 0.8  # highlights burn towards white
    return out.astype(np.float32)
