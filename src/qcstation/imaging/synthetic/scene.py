"""What a synthetic scene hands the camera: sharp colours, depth, and the ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
from numpy.typing import NDArray

from qcstation.imaging.synthetic.view import F32, View

Mask = NDArray[np.bool_]


class DefectKind(str, Enum):
    POROSITY = "porosity"
    SCRATCH = "scratch"
    CHIP = "chip"
    MISSING_PRONG = "missing_prong"


@dataclass(frozen=True)
class DefectTruth:
    """Where an injected defect is in this view: a pixel mask, its box and its centre."""

    kind: DefectKind
    mask: Mask
    bbox: tuple[int, int, int, int]  # x, y, w, h in pixels
    center: tuple[float, float]  # pixels

    @classmethod
    def from_mask(cls, kind: DefectKind, mask: Mask) -> DefectTruth | None:
        ys, xs = np.nonzero(mask)
        if xs.size == 0:
            return None  # outside this view
        x0, y0 = int(xs.min()), int(ys.min())
        bbox = (x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1)
        return cls(kind, mask, bbox, (float(xs.mean()), float(ys.mean())))


@dataclass
class RenderedScene:
    """A scene seen through a :class:`View`, before the optics: everything in focus.

    ``image`` is float32 BGR radiance (about 0-1, highlights above), ``depth`` the height of
    each pixel's surface in mm (the focus plane is compared with it), ``px_per_mm`` the true
    scale. ``defects`` are the injected defects visible here; ``regions`` name masks of parts
    (``metal``, ``stone``, ``prongs``, ``background``) and ``points`` true positions (pixels)
    useful to tests, e.g. ``stone_center`` or a micrometer's ``tick_0``.
    """

    view: View
    image: F32
    depth: F32
    defects: list[DefectTruth] = field(default_factory=list)
    regions: dict[str, Mask] = field(default_factory=dict)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    lengths_mm: dict[str, float] = field(default_factory=dict)

    @property
    def px_per_mm(self) -> float:
        return self.view.px_per_mm

    @property
    def depth_range(self) -> tuple[float, float]:
        return float(self.depth.min()), float(self.depth.max())
