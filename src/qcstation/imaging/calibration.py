"""Calibration: millimetres per pixel, bound to a camera, a magnification and a resolution.

    cal = from_two_points(p1, p2, divisions=50, division_mm=0.01, camera_id=cam.camera_id,
                          magnification="2.0x", image_size=(1280, 960))
    cal = from_detection(detect_ticks(image), division_mm=0.01, camera_id=..., ...)
    check(cal, camera_id=..., magnification=..., image_size=..., max_age=timedelta(days=30))
        -> CalibrationCheck(status=VALID | MISSING | STALE | MISMATCH, message)

A calibration made at another camera, magnification or resolution does not apply (MISMATCH);
one older than the station's maximum age is STALE. Measuring code uses the check to block
(missing, mismatch) or flag (stale) a value. ``to_dict``/``from_dict`` give the JSON-safe row
the UI engineer stores (and that an evidence image records as the calibration it used).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Any

from qcstation.imaging.errors import CalibrationError

Point = tuple[float, float]
DEFAULT_MAX_AGE = timedelta(days=30)
MIN_SPAN_PX = 20.0


class CalibrationMethod(str, Enum):
    TWO_TICKS = "two_ticks"  # a person marked two ticks N divisions apart
    AUTO_TICKS = "auto_ticks"  # ticks found in the image and fitted


class CalibrationStatus(str, Enum):
    VALID = "valid"
    MISSING = "missing"
    STALE = "stale"
    MISMATCH = "mismatch"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Calibration:
    camera_id: str
    magnification: str  # the zoom / objective setting as the station names it, e.g. "2.0x"
    mm_per_px: float
    made_at: datetime  # timezone-aware
    method: CalibrationMethod
    residual: float = 0.0  # relative standard uncertainty of mm_per_px (0.001 = 0.1 %)
    divisions: int = 0
    division_mm: float = 0.0
    image_size: tuple[int, int] | None = None  # (width, height) it was made at
    made_by: str = ""

    def __post_init__(self) -> None:
        if not (self.mm_per_px > 0 and math.isfinite(self.mm_per_px)):
            raise CalibrationError(f"mm per pixel must be a positive number, got {self.mm_per_px}")
        if self.made_at.tzinfo is None:
            raise CalibrationError("a calibration's time must carry its time zone")

    @property
    def px_per_mm(self) -> float:
        return 1.0 / self.mm_per_px

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or utcnow()) - self.made_at

    def is_stale(self, now: datetime | None = None, max_age: timedelta = DEFAULT_MAX_AGE) -> bool:
        return self.age(now) > max_age

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["made_at"] = self.made_at.isoformat()
        d["method"] = self.method.value
        d["image_size"] = list(self.image_size) if self.image_size else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Calibration:
        try:
            size = d.get("image_size")
            return cls(
                camera_id=str(d["camera_id"]),
                magnification=str(d["magnification"]),
                mm_per_px=float(d["mm_per_px"]),
                made_at=datetime.fromisoformat(str(d["made_at"])),
                method=CalibrationMethod(d["method"]),
                residual=float(d.get("residual", 0.0)),
                divisions=int(d.get("divisions", 0)),
                division_mm=float(d.get("division_mm", 0.0)),
                image_size=(int(size[0]), int(size[1])) if size else None,
                made_by=str(d.get("made_by", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"stored calibration is not valid: {exc!r}") from exc


@dataclass(frozen=True)
class CalibrationCheck:
    status: CalibrationStatus
    message: str
    calibration: Calibration | None = None

    @property
    def ok(self) -> bool:
        return self.status is CalibrationStatus.VALID


def check(
    calibration: Calibration | None,
    *,
    camera_id: str | None = None,
    magnification: str | None = None,
    image_size: tuple[int, int] | None = None,
    now: datetime | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> CalibrationCheck:
    """May this calibration be used for an image from this camera/magnification/size?"""
    if calibration is None:
        return CalibrationCheck(
            CalibrationStatus.MISSING,
            "no calibration for this camera and magnification: calibrate with the stage "
            "micrometer before measuring",
        )
    c = calibration
    wrong = []
    if camera_id is not None and camera_id != c.camera_id:
        wrong.append(f"camera {c.camera_id}, not {camera_id}")
    if magnification is not None and magnification != c.magnification:
        wrong.append(f"magnification {c.magnification}, not {magnification}")
    if image_size is not None and c.image_size is not None and tuple(image_size) != c.image_size:
        wrong.append(
            f"{c.image_size[0]}x{c.image_size[1]} pixels, not {image_size[0]}x{image_size[1]}"
        )
    if wrong:
        return CalibrationCheck(
            CalibrationStatus.MISMATCH,
            "the calibration was made for " + "; ".join(wrong) + ": calibrate this setting",
            c,
        )
    age = c.age(now)
    if age > max_age:
        days = age.total_seconds() / 86400
        return CalibrationCheck(
            CalibrationStatus.STALE,
            f"the calibration is {days:.0f} days old (limit {max_age.days} days): "
            "re-verify it with the stage micrometer",
            c,
        )
    return CalibrationCheck(CalibrationStatus.VALID, "calibrated", c)


def from_two_points(
    p1: Point,
    p2: Point,
    divisions: int,
    division_mm: float,
    *,
    camera_id: str,
    magnification: str,
    image_size: tuple[int, int] | None = None,
    now: datetime | None = None,
    click_error_px: float = 0.5,
    made_by: str = "",
) -> Calibration:
    """From two ticks a person marked ``divisions`` divisions apart."""
    if divisions <= 0 or not division_mm > 0:
        raise CalibrationError("give the number of divisions (> 0) and the division size in mm")
    span = math.dist(p1, p2)
    if span < MIN_SPAN_PX:
        raise CalibrationError(
            f"the two ticks are only {span:.1f} px apart: mark ticks further apart "
            f"(at least {MIN_SPAN_PX:.0f} px; more divisions give a better calibration)"
        )
    return Calibration(
        camera_id,
        magnification,
        divisions * division_mm / span,
        now or utcnow(),
        CalibrationMethod.TWO_TICKS,
        residual=math.sqrt(2) * click_error_px / span,
        divisions=divisions,
        division_mm=division_mm,
        image_size=image_size,
        made_by=made_by,
    )


def from_pitch(
    pitch_px: float,
    pitch_stderr_px: float,
    count: int,
    division_mm: float,
    *,
    camera_id: str,
    magnification: str,
    image_size: tuple[int, int] | None = None,
    now: datetime | None = None,
    made_by: str = "",
) -> Calibration:
    """From a fitted tick pitch (:func:`qcstation.imaging.ticks.detect_ticks`)."""
    if not pitch_px > 0 or not division_mm > 0:
        raise CalibrationError("the tick pitch and division size must be positive")
    return Calibration(
        camera_id,
        magnification,
        division_mm / pitch_px,
        now or utcnow(),
        CalibrationMethod.AUTO_TICKS,
        residual=pitch_stderr_px / pitch_px,
        divisions=max(0, count - 1),
        division_mm=division_mm,
        image_size=image_size,
        made_by=made_by,
    )
