"""Calibration against the synthetic stage micrometer's ground truth, and its rules."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from qcstation.imaging.calibration import (
    Calibration,
    CalibrationMethod,
    CalibrationStatus,
    check,
    from_pitch,
    from_two_points,
)
from qcstation.imaging.errors import CalibrationError
from qcstation.imaging.frames import Image
from qcstation.imaging.measure import CircleDiameter, Length, Polyline, measure
from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import (
    Lighting,
    MicrometerSpec,
    Optics,
    PieceSpec,
    RenderedScene,
    SensorNoise,
    View,
    render_micrometer_scene,
    render_piece_scene,
    to_uint8,
)
from qcstation.imaging.synthetic.camera import SyntheticCamera, SyntheticConfig
from qcstation.imaging.ticks import detect_ticks

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
CAM, MAG = "synthetic:micrometer:1", "4.0x"


def photo(scene: RenderedScene, seed: int) -> Image:
    h, w = scene.image.shape[:2]
    sharp = Optics().in_focus(scene.image)
    return SensorNoise((h, w), 2.0, seed).add(to_uint8(Lighting().apply(sharp)))


def micrometer(seed: int, ppm: float, division_mm: float = 0.01) -> tuple[Image, RenderedScene]:
    """A micrometer at a random angle and place, seen at ``ppm`` px/mm."""
    rng = np.random.default_rng(seed)
    spec = MicrometerSpec(seed=seed, division_mm=division_mm, angle_deg=float(rng.uniform(-8, 8)))
    span = 0.1 * 100 * division_mm
    view = View(
        640,
        480,
        ppm,
        center_mm=(float(rng.uniform(-span, span)), 0.0),
        rotation_deg=float(rng.uniform(-5, 5)),
    )
    scene = render_micrometer_scene(spec, view)
    return photo(scene, seed), scene


def auto(image: Image, division_mm: float = 0.01) -> Calibration:
    d = detect_ticks(image)
    return from_pitch(
        d.pitch_px,
        d.pitch_stderr_px,
        d.count,
        division_mm,
        camera_id=CAM,
        magnification=MAG,
        image_size=(640, 480),
        now=NOW,
    )


@pytest.mark.parametrize("seed", range(8))
def test_automatic_ticks_within_one_percent(seed: int) -> None:
    ppm = float(np.random.default_rng(100 + seed).uniform(600, 1200))
    image, _ = micrometer(seed, ppm)
    cal = auto(image)
    assert cal.method is CalibrationMethod.AUTO_TICKS
    assert abs(cal.mm_per_px * ppm - 1) < 0.01
    assert cal.residual < 0.001  # the fit itself says it is good


def test_two_marked_ticks_within_one_percent() -> None:
    rng = np.random.default_rng(7)
    for seed in range(6):
        ppm = float(rng.uniform(600, 1200))
        image, scene = micrometer(seed, ppm)
        ticks = sorted(int(k.split("_")[1]) for k in scene.points)
        k0, k1 = ticks[2], ticks[-3]
        p0, p1 = (np.add(scene.points[f"tick_{k}"], rng.uniform(-0.7, 0.7, 2)) for k in (k0, k1))
        cal = from_two_points(
            tuple(p0), tuple(p1), k1 - k0, 0.01, camera_id=CAM, magnification=MAG, now=NOW
        )
        assert abs(cal.mm_per_px * ppm - 1) < 0.01
        snapped = detect_ticks(image)  # a click snaps to the nearest detected tick
        (n0, q0), (n1, q1) = snapped.nearest(tuple(p0)), snapped.nearest(tuple(p1))
        cal2 = from_two_points(q0, q1, n1 - n0, 0.01, camera_id=CAM, magnification=MAG, now=NOW)
        assert n1 - n0 == k1 - k0
        assert abs(cal2.mm_per_px * ppm - 1) < 0.01


def test_measured_lengths_on_the_micrometer_within_one_percent() -> None:
    ppm = 900.0
    cal = auto(micrometer(1, ppm)[0])
    ok = check(cal, camera_id=CAM, magnification=MAG, image_size=(640, 480), now=NOW)
    for seed in (11, 12, 13):  # the same magnification, the scale elsewhere and turned
        _image, scene = micrometer(seed, ppm)
        ticks = sorted(int(k.split("_")[1]) for k in scene.points)
        for n in (10, 25, len(ticks) - 1):
            k0 = ticks[0]
            a, b = scene.points[f"tick_{k0}"], scene.points[f"tick_{k0 + n}"]
            m = measure(Length(a, b), ok)
            assert m.usable and m.unit == "mm"
            assert m.value == pytest.approx(n * 0.01, rel=0.01)
        step = (len(ticks) - 1) // 3
        pts = tuple(scene.points[f"tick_{ticks[0] + j * step}"] for j in range(4))
        along = measure(Polyline(pts), ok)
        assert along.value == pytest.approx(3 * step * 0.01, rel=0.01)


def test_stone_diameter_within_one_percent() -> None:
    """Low magnification: calibrate on a 0.1 mm micrometer, measure a stone by 3 points."""
    ppm = 64.0
    cal = auto(micrometer(3, ppm, division_mm=0.1)[0], division_mm=0.1)
    ok = check(cal, now=NOW)
    for seed in (1, 2, 3, 4):
        spec = PieceSpec.random(seed)
        scene = render_piece_scene(spec, View(640, 480, ppm, rotation_deg=7.0 * seed))
        p = scene.points
        m = measure(CircleDiameter(p["girdle_0"], p["girdle_1"], p["girdle_2"]), ok)
        assert m.value == pytest.approx(scene.lengths_mm["stone_diameter"], rel=0.01)


def test_blank_image_has_no_ticks() -> None:
    with pytest.raises(CalibrationError, match="mark two ticks by hand"):
        detect_ticks(np.full((240, 320, 3), 128, np.uint8))


def test_staleness_mismatch_and_missing() -> None:
    cal = from_two_points(
        (10, 10),
        (510, 10),
        50,
        0.01,
        camera_id=CAM,
        magnification=MAG,
        image_size=(640, 480),
        now=NOW,
    )
    assert cal.mm_per_px == pytest.approx(0.001)
    assert check(cal, now=NOW + timedelta(days=29)).status is CalibrationStatus.VALID
    stale = check(cal, now=NOW + timedelta(days=31))
    assert stale.status is CalibrationStatus.STALE and "re-verify" in stale.message
    short = check(cal, now=NOW + timedelta(days=2), max_age=timedelta(days=1))
    assert short.status is CalibrationStatus.STALE
    assert check(cal, camera_id="other", now=NOW).status is CalibrationStatus.MISMATCH
    assert check(cal, magnification="2.0x", now=NOW).status is CalibrationStatus.MISMATCH
    assert check(cal, image_size=(1280, 960), now=NOW).status is CalibrationStatus.MISMATCH
    missing = check(None)
    assert missing.status is CalibrationStatus.MISSING and "stage micrometer" in missing.message


def test_calibration_round_trip_and_bad_input() -> None:
    cal = from_two_points((0, 0), (300, 400), 50, 0.01, camera_id=CAM, magnification=MAG, now=NOW)
    assert Calibration.from_dict(cal.to_dict()) == cal
    assert cal.residual == pytest.approx(math.sqrt(2) * 0.5 / 500)
    with pytest.raises(CalibrationError, match="further apart"):
        from_two_points((0, 0), (5, 0), 5, 0.01, camera_id=CAM, magnification=MAG)
    with pytest.raises(CalibrationError):
        from_two_points((0, 0), (500, 0), 0, 0.01, camera_id=CAM, magnification=MAG)
    with pytest.raises(CalibrationError, match="not valid"):
        Calibration.from_dict({"camera_id": CAM})
    with pytest.raises(CalibrationError, match="time zone"):
        Calibration(CAM, MAG, 0.001, datetime(2026, 1, 1), CalibrationMethod.TWO_TICKS)


def test_the_synthetic_micrometer_camera_calibrates() -> None:
    mode = Mode(640, 480, 30, "MJPG")
    cam = SyntheticCamera(
        SyntheticConfig(scene="micrometer", mode=mode, modes=(mode,), realtime=False)
    )
    cam.open()  # starts focused on the slide
    frame = cam.read()
    d = detect_ticks(frame.image)
    cal = from_pitch(
        d.pitch_px,
        d.pitch_stderr_px,
        d.count,
        0.01,
        camera_id=cam.camera_id,
        magnification=cam.config.magnification,
        image_size=(frame.width, frame.height),
    )
    assert abs(cal.px_per_mm / cam.truth.px_per_mm - 1) < 0.01
    assert check(cal, camera_id=cam.camera_id, magnification="1.0x", image_size=(640, 480)).ok


def test_finding_ticks_reports_its_stages_and_stops_where_it_is_asked() -> None:
    image = micrometer(3, 900.0)[0]
    seen: list[tuple[int, int]] = []
    found = detect_ticks(image, step=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4)] and found.count >= 8

    class Stop(Exception):
        pass

    def stop_at_the_turn(done: int, _total: int) -> None:
        if done == 2:
            raise Stop

    with pytest.raises(Stop):  # a Cancel between stages ends the analysis there
        detect_ticks(image, step=stop_at_the_turn)
