"""Calibrations saved per camera and magnification, and every captured image naming its own,
on SQLite and PostgreSQL."""

from __future__ import annotations

import errno
from datetime import timedelta

import pytest

from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.calibration import CalibrationStatus, from_pitch, from_two_points
from qcstation.imaging.scenes import render_piece
from qcstation.imaging.source import Capabilities, Mode
from qcstation.services import audit, calibration, inspections, microscope
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, PermissionDenied
from qcstation.store import evidence
from qcstation.store.evidence import EvidenceError

CAM = "synthetic:micrometer:1"


def caps(camera_id: str = CAM) -> Capabilities:
    mode = Mode(320, 240, 30, "MJPG")
    return Capabilities(camera_id, "test scope", "synthetic", (mode,), mode, {})


def two_ticks(mag: str = "2.0x", size: tuple[int, int] | None = (320, 240)):  # type: ignore[no-untyped-def]
    return from_two_points(
        (10.0, 50.0),
        (210.0, 50.0),
        50,
        0.01,
        camera_id=CAM,
        magnification=mag,
        image_size=size,
    )


def test_a_supervisor_calibrates_and_it_is_in_force(
    station: Station, supervisor: User, inspector: User
) -> None:
    assert calibration.current(station, CAM, "2.0x") is None
    chk = calibration.check_for(station, CAM, "2.0x", (320, 240))
    assert chk.status is CalibrationStatus.MISSING and "calibrate" in chk.message
    saved = calibration.save(station, supervisor, two_ticks())
    assert saved.px_per_mm == pytest.approx(200 / 0.5)
    assert saved.calibration.made_by == supervisor.username
    got = calibration.current(station, CAM, "2.0x")
    assert got is not None and got.calibration.mm_per_px == pytest.approx(0.0025)
    assert got.calibration.image_size == (320, 240)
    assert calibration.check_for(station, CAM, "2.0x", (320, 240)).ok
    # another magnification and another resolution are not calibrated by it
    assert calibration.check_for(station, CAM, "4.0x").status is CalibrationStatus.MISSING
    mismatch = calibration.check_for(station, CAM, "2.0x", (640, 480))
    assert mismatch.status is CalibrationStatus.MISMATCH
    # a newer calibration supersedes; the old one stays as history
    newer = from_pitch(
        40.2, 0.01, 20, 0.01, camera_id=CAM, magnification="2.0x", image_size=(320, 240)
    )
    calibration.save(station, supervisor, newer)
    hist = calibration.history(station, CAM, "2.0x")
    assert len(hist) == 2 and hist[0].calibration.mm_per_px == pytest.approx(0.01 / 40.2)
    assert audit.verify(station).ok


def test_inspectors_may_not_calibrate(station: Station, inspector: User) -> None:
    with pytest.raises(PermissionDenied, match="may not review"):
        calibration.save(station, inspector, two_ticks())
    assert calibration.current(station, CAM, "2.0x") is None


def test_bad_calibration_input(station: Station, supervisor: User) -> None:
    with pytest.raises(InvalidInput, match="magnification"):
        calibration.save(station, supervisor, two_ticks(mag=" "))


def test_an_old_calibration_is_stale(station: Station, supervisor: User) -> None:
    calibration.save(station, supervisor, two_ticks())
    now = station.now()
    days = station.location.settings.calibration_max_age_days
    station.clock = lambda: now + timedelta(days=days + 1)
    chk = calibration.check_for(station, CAM, "2.0x", (320, 240))
    assert chk.status is CalibrationStatus.STALE and "re-verify" in chk.message


def test_every_captured_image_records_its_calibration(
    station: Station, supervisor: User, inspector: User
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")
    img = render_piece(3, 320, 240)
    before = microscope.capture(
        station, inspector, ins.id, img, camera=caps(), magnification="2.0x"
    )
    assert before.calibration.status is CalibrationStatus.MISSING
    saved = calibration.save(station, supervisor, two_ticks())
    after = microscope.capture(station, inspector, ins.id, img, camera=caps(), magnification="2.0x")
    assert after.calibration.ok
    metas = {e.id: m for e, m in _metas(station, ins.id)}
    assert metas[before.evidence.id]["calibration"] is None
    assert metas[before.evidence.id]["calibration_status"] == "missing"
    recorded = metas[after.evidence.id]["calibration"]
    assert recorded["mm_per_px"] == pytest.approx(saved.calibration.mm_per_px)
    assert recorded["magnification"] == "2.0x" and recorded["camera_id"] == CAM
    assert metas[after.evidence.id]["calibration_status"] == "valid"
    # the original pixels, losslessly
    data = inspections.read_evidence(station, after.evidence.sha256)
    import cv2
    import numpy as np

    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, img)


def test_a_full_disk_while_capturing_loses_nothing(
    station: Station, inspector: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ins = inspections.start(station, inspector, Stage.CASTING, "JT-1", "RG-1", "SN1")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence.os, "fsync", full)
    with pytest.raises(EvidenceError, match="free disk space"):
        microscope.capture(station, inspector, ins.id, render_piece(4, 320, 240), camera=caps())
    monkeypatch.undo()
    assert inspections.evidence_of(station, ins.id) == []
    root = station.location.evidence_dir
    assert [p for p in root.rglob("*") if p.is_file()] == []
    assert inspections.get(station, ins.id).status.value == "in_progress"
    assert audit.verify(station).ok


def _metas(station: Station, inspection_id: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from qcstation.store.models import EvidenceRow

    with station.db.read() as s:
        rows = s.scalars(select(EvidenceRow).where(EvidenceRow.inspection_id == inspection_id))
        return [(r, dict(r.meta)) for r in rows]
