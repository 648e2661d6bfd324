"""Measurements on an image, in millimetres through a calibration (plain numpy, no Qt).

Shapes hold pixel points (OpenCV convention: pixel centres at integers):
:class:`Length` (2 points), :class:`Polyline` (2 or more), :class:`Angle` (arm, vertex, arm)
and :class:`CircleDiameter` (3 points on the circle). :func:`measure` turns a shape and a
:class:`~qcstation.imaging.calibration.CalibrationCheck` into a :class:`Measurement`:

- calibration VALID: value in mm (angles in degrees), ``flag`` OK, ``usable`` True;
- STALE: value in mm but ``flag`` STALE_CALIBRATION, ``usable`` False (show it flagged; do not
  fill a checklist item from it without re-verifying the calibration);
- MISSING or MISMATCH: blocked, ``value`` None (only the pixel length is given).

Angles need no scale: they are usable whatever the calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from qcstation.imaging.calibration import CalibrationCheck, CalibrationStatus

Point = tuple[float, float]


@dataclass(frozen=True)
class Length:
    p0: Point
    p1: Point
    kind = "length"

    @property
    def points(self) -> tuple[Point, ...]:
        return (self.p0, self.p1)


@dataclass(frozen=True)
class Polyline:
    vertices: tuple[Point, ...]
    kind = "polyline"

    @property
    def points(self) -> tuple[Point, ...]:
        return self.vertices


@dataclass(frozen=True)
class Angle:
    a: Point
    vertex: Point
    b: Point
    kind = "angle"

    @property
    def points(self) -> tuple[Point, ...]:
        return (self.a, self.vertex, self.b)


@dataclass(frozen=True)
class CircleDiameter:
    p1: Point
    p2: Point
    p3: Point
    kind = "circle"

    @property
    def points(self) -> tuple[Point, ...]:
        return (self.p1, self.p2, self.p3)


Shape = Length | Polyline | Angle | CircleDiameter
SHAPES: dict[str, type[Length] | type[Polyline] | type[Angle] | type[CircleDiameter]] = {
    "length": Length,
    "polyline": Polyline,
    "angle": Angle,
    "circle": CircleDiameter,
}
POINT_COUNTS = {"length": (2, 2), "polyline": (2, 10_000), "angle": (3, 3), "circle": (3, 3)}


def shape_from_points(kind: str, points: Sequence[Point]) -> Shape:
    """Build a shape from its kind and points (as stored); ValueError when they do not fit."""
    if kind not in SHAPES:
        raise ValueError(f"unknown measurement kind {kind!r} (use {', '.join(SHAPES)})")
    lo, hi = POINT_COUNTS[kind]
    pts = tuple((float(x), float(y)) for x, y in points)
    if not lo <= len(pts) <= hi or not all(math.isfinite(v) for p in pts for v in p):
        raise ValueError(f"a {kind} needs {lo}{'' if lo == hi else '+'} finite points")
    if kind == "polyline":
        return Polyline(pts)
    cls = SHAPES[kind]
    return cls(*pts)  # type: ignore[arg-type]


def circle_through(p1: Point, p2: Point, p3: Point) -> tuple[Point, float] | None:
    """Centre and radius of the circle through three points; None if they are collinear."""
    (x1, y1), (x2, y2), (x3, y3) = p1, p2, p3
    d = 2 * (x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2))
    scale = max(math.dist(p1, p2), math.dist(p2, p3), math.dist(p1, p3), 1e-9)
    if abs(d) < 1e-9 * scale * scale:
        return None
    s1, s2, s3 = x1 * x1 + y1 * y1, x2 * x2 + y2 * y2, x3 * x3 + y3 * y3
    ux = (s1 * (y2 - y3) + s2 * (y3 - y1) + s3 * (y1 - y2)) / d
    uy = (s1 * (x3 - x2) + s2 * (x1 - x3) + s3 * (x2 - x1)) / d
    return (ux, uy), math.dist((ux, uy), p1)


def angle_degrees(a: Point, vertex: Point, b: Point) -> float | None:
    v1 = (a[0] - vertex[0], a[1] - vertex[1])
    v2 = (b[0] - vertex[0], b[1] - vertex[1])
    if math.hypot(*v1) == 0 or math.hypot(*v2) == 0:
        return None
    ang = math.degrees(math.atan2(v1[0] * v2[1] - v1[1] * v2[0], v1[0] * v2[0] + v1[1] * v2[1]))
    return abs(ang)


def pixel_size(shape: Shape) -> float | None:
    """The shape's size in pixels (angle: degrees); None when degenerate."""
    if isinstance(shape, Length):
        return math.dist(shape.p0, shape.p1)
    if isinstance(shape, Polyline):
        v = shape.vertices
        return sum(math.dist(v[i], v[i + 1]) for i in range(len(v) - 1))
    if isinstance(shape, Angle):
        return angle_degrees(shape.a, shape.vertex, shape.b)
    circle = circle_through(shape.p1, shape.p2, shape.p3)
    return None if circle is None else 2 * circle[1]


class MeasureFlag(str, Enum):
    OK = "ok"
    STALE_CALIBRATION = "stale_calibration"
    NO_CALIBRATION = "no_calibration"
    CALIBRATION_MISMATCH = "calibration_mismatch"
    DEGENERATE = "degenerate"  # e.g. three collinear points for a circle


@dataclass(frozen=True)
class Measurement:
    kind: str
    value: float | None  # mm (deg for angles); None when blocked or degenerate
    unit: str  # "mm" or "deg"
    pixels: float | None  # size in pixels (angles: degrees)
    flag: MeasureFlag
    message: str = ""
    uncertainty: float | None = None  # standard uncertainty from the calibration, same unit

    @property
    def usable(self) -> bool:
        """May fill a checklist item: measured on a valid calibration."""
        return self.flag is MeasureFlag.OK and self.value is not None

    def text(self, digits: int = 3) -> str:
        if self.value is None:
            px = f" ({self.pixels:.1f} px)" if self.pixels is not None else ""
            return f"not measured: {self.flag.value.replace('_', ' ')}{px}"
        label = "D " if self.kind == "circle" else ""
        value = f"{label}{self.value:.{1 if self.unit == 'deg' else digits}f} {self.unit}"
        return (
            value
            if self.flag is MeasureFlag.OK
            else f"{value} ({self.flag.value.replace('_', ' ')})"
        )


_FLAGS = {
    CalibrationStatus.VALID: MeasureFlag.OK,
    CalibrationStatus.STALE: MeasureFlag.STALE_CALIBRATION,
    CalibrationStatus.MISSING: MeasureFlag.NO_CALIBRATION,
    CalibrationStatus.MISMATCH: MeasureFlag.CALIBRATION_MISMATCH,
}


def measure(shape: Shape, check: CalibrationCheck) -> Measurement:
    px = pixel_size(shape)
    if px is None:
        why = "the three points are on one line" if shape.kind == "circle" else "points coincide"
        return Measurement(shape.kind, None, "", None, MeasureFlag.DEGENERATE, why)
    if isinstance(shape, Angle):
        return Measurement(shape.kind, px, "deg", px, MeasureFlag.OK)
    flag = _FLAGS[check.status]
    cal = check.calibration
    if flag in (MeasureFlag.NO_CALIBRATION, MeasureFlag.CALIBRATION_MISMATCH) or cal is None:
        return Measurement(shape.kind, None, "mm", px, flag, check.message)
    mm = px * cal.mm_per_px
    return Measurement(
        shape.kind,
        mm,
        "mm",
        px,
        flag,
        "" if flag is MeasureFlag.OK else check.message,
        uncertainty=mm * cal.residual,
    )
