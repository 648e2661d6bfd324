"""Calibrations of the microscope: saved per camera and magnification, dated, audited.

    cal = imaging.calibration.from_pitch(...) or from_two_points(...)
    saved = calibration.save(station, actor, cal)          # supervisors and admins
    calibration.current(station, camera_id, "2.0x")         # the newest, or None
    calibration.check_for(station, camera_id, "2.0x", (w, h))  # VALID / MISSING / STALE / ...

A calibration is never edited: a new one supersedes the old, which stays as history (so an
image taken last month still names the calibration it was taken with). The age limit is the
station setting ``calibration_max_age_days``.

Who may calibrate: supervisors and administrators (the REVIEW permission). A calibration
decides every millimetre measured at the station afterwards, so it is a supervisor's act
in the same way a review is; inspectors measure with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import select

from qcstation.domain.users import Permission, User
from qcstation.imaging.calibration import (
    Calibration,
    CalibrationCheck,
    CalibrationMethod,
    check,
)
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.store.models import CalibrationRow, UserRow

CALIBRATE = Permission.REVIEW


@dataclass(frozen=True)
class SavedCalibration:
    id: int
    calibration: Calibration
    station: str

    @property
    def px_per_mm(self) -> float:
        return self.calibration.px_per_mm


def max_age(station: Station) -> timedelta:
    return timedelta(days=station.location.settings.calibration_max_age_days)


def _out(row: CalibrationRow, username: str) -> SavedCalibration:
    size = (
        (row.image_width, row.image_height)
        if row.image_width is not None and row.image_height is not None
        else None
    )
    cal = Calibration(
        row.camera_id,
        row.magnification,
        row.mm_per_px,
        row.made_at,
        CalibrationMethod(row.method),
        residual=row.residual,
        divisions=row.divisions,
        division_mm=row.division_mm,
        image_size=size,
        made_by=username,
    )
    return SavedCalibration(row.id, cal, row.station)


def save(station: Station, actor: User, cal: Calibration) -> SavedCalibration:
    """Store a new calibration (it supersedes the one in force for its setting)."""
    if not cal.camera_id.strip() or not cal.magnification.strip():
        raise InvalidInput("a calibration needs a camera and a magnification setting")
    if len(cal.camera_id) > 255 or len(cal.magnification) > 32:
        raise InvalidInput("the camera id or magnification name is too long")
    made_at = station.now()
    with station.db.write(actor, station.name, reason="calibrate microscope") as s:
        user = require(s, actor, CALIBRATE)
        row = CalibrationRow(
            camera_id=cal.camera_id,
            magnification=cal.magnification,
            mm_per_px=cal.mm_per_px,
            method=cal.method.value,
            residual=cal.residual,
            divisions=cal.divisions,
            division_mm=cal.division_mm,
            image_width=cal.image_size[0] if cal.image_size else None,
            image_height=cal.image_size[1] if cal.image_size else None,
            made_at=made_at,
            made_by_id=user.id,
            station=station.name,
        )
        s.add(row)
        s.flush()
        return SavedCalibration(
            row.id, replace(cal, made_at=made_at, made_by=user.username), station.name
        )


def history(station: Station, camera_id: str, magnification: str) -> list[SavedCalibration]:
    """Every calibration of this setting, newest first."""
    with station.db.read() as s:
        rows = s.execute(
            select(CalibrationRow, UserRow.username)
            .join(UserRow, UserRow.id == CalibrationRow.made_by_id)
            .where(
                CalibrationRow.camera_id == camera_id,
                CalibrationRow.magnification == magnification,
            )
            .order_by(CalibrationRow.made_at.desc(), CalibrationRow.id.desc())
        ).all()
        return [_out(row, name) for row, name in rows]


def current(station: Station, camera_id: str, magnification: str) -> SavedCalibration | None:
    found = history(station, camera_id, magnification)
    return found[0] if found else None


def check_for(
    station: Station,
    camera_id: str,
    magnification: str,
    image_size: tuple[int, int] | None = None,
) -> CalibrationCheck:
    """May measurements on this camera, magnification and resolution be trusted now?"""
    saved = current(station, camera_id, magnification)
    return check(
        saved.calibration if saved else None,
        camera_id=camera_id,
        magnification=magnification,
        image_size=image_size,
        now=station.now(),
        max_age=max_age(station),
    )
