"""Measurements, the annotation layer and burning it into an exported copy."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from qcstation.imaging.annotations import (
    AnnotationLayer,
    ArrowItem,
    EllipseItem,
    MeasureItem,
    TextItem,
    new_id,
)
from qcstation.imaging.calibration import CalibrationStatus, check, from_two_points
from qcstation.imaging.errors import AnnotationFormatError
from qcstation.imaging.export import burn_in, nice_length
from qcstation.imaging.measure import (
    Angle,
    CircleDiameter,
    Length,
    MeasureFlag,
    Polyline,
    circle_through,
    measure,
    shape_from_points,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
CAL = from_two_points(
    (0, 0), (500, 0), 50, 0.01, camera_id="cam", magnification="2x", image_size=(320, 240), now=T0
)  # 0.001 mm per px


def test_geometry() -> None:
    ok = check(CAL, now=T0)
    assert measure(Length((0, 0), (300, 400)), ok).value == pytest.approx(0.5)
    assert measure(Polyline(((0, 0), (100, 0), (100, 100))), ok).value == pytest.approx(0.2)
    right = measure(Angle((10, 0), (0, 0), (0, 10)), ok)
    assert right.value == pytest.approx(90) and right.unit == "deg"
    assert measure(Angle((10, 0), (0, 0), (-10, 0.0001)), ok).value == pytest.approx(180, abs=0.01)
    circle = circle_through((100, 0), (0, 100), (-100, 0))
    assert circle is not None and circle[1] == pytest.approx(100)
    assert measure(CircleDiameter((100, 0), (0, 100), (-100, 0)), ok).value == pytest.approx(0.2)
    flat = measure(CircleDiameter((0, 0), (1, 1), (2, 2)), ok)
    assert flat.flag is MeasureFlag.DEGENERATE and flat.value is None


def test_measurement_blocked_or_flagged() -> None:
    line = Length((0, 0), (100, 0))
    ok = measure(line, check(CAL, now=T0))
    assert (
        ok.usable
        and ok.text() == "0.100 mm"
        and ok.uncertainty == pytest.approx(0.1 * CAL.residual)
    )
    stale = measure(line, check(CAL, now=T0 + timedelta(days=90)))
    assert stale.flag is MeasureFlag.STALE_CALIBRATION and not stale.usable
    assert stale.value == pytest.approx(0.1) and "stale" in stale.text()
    missing = measure(line, check(None))
    assert missing.value is None and missing.flag is MeasureFlag.NO_CALIBRATION
    assert "100.0 px" in missing.text()
    other = measure(line, check(CAL, camera_id="other", now=T0))
    assert other.value is None and other.flag is MeasureFlag.CALIBRATION_MISMATCH
    angle = measure(Angle((1, 0), (0, 0), (0, 1)), check(None))
    assert angle.usable  # angles need no scale


def layer() -> AnnotationLayer:
    lay = AnnotationLayer("ab" * 32, (320, 240), CAL, T0)
    lay = lay.add(MeasureItem("m1", Length((20, 200), (220, 200)), "shank"))
    lay = lay.add(MeasureItem("m2", CircleDiameter((160, 40), (210, 90), (160, 140)), "stone"))
    lay = lay.add(MeasureItem("m3", Angle((60, 60), (20, 100), (60, 140))))
    lay = lay.add(MeasureItem("m4", Polyline(((250, 20), (280, 40), (300, 20)))))
    lay = lay.add(ArrowItem("a1", (40, 30), (100, 60), "porosity"))
    lay = lay.add(EllipseItem("e1", (250, 150), (30, 15), 20.0, "chip"))
    return lay.add(TextItem("t1", (10, 230), "Prüfung ok", "#00ff00"))


def test_layer_round_trips_as_json() -> None:
    lay = layer()
    text = lay.to_json()
    assert json.loads(text)["schema"] == 1
    back = AnnotationLayer.from_json(text)
    assert back == lay
    values = {i.id: m.value for i, m in back.measurements()}
    assert values["m1"] == pytest.approx(0.2) and values["m2"] == pytest.approx(0.1)
    assert back.remove("m1").items[0].id == "m2"
    with pytest.raises(ValueError, match="already"):
        lay.add(ArrowItem("a1", (0, 0), (1, 1)))
    assert len(new_id()) == 12


def test_measurements_are_judged_at_capture_time() -> None:
    lay = layer()  # captured the day the calibration was made: valid, even read years later
    assert lay.calibration_check().status is CalibrationStatus.VALID
    late = AnnotationLayer(lay.image_sha256, lay.image_size, CAL, T0 + timedelta(days=60))
    assert late.calibration_check().status is CalibrationStatus.STALE


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(schema=9), "schema"),
        (lambda d: d["items"][0].update(color="red"), "item 1"),
        (lambda d: d["items"][1].update(points=[[0, 0], [1, 1]]), "item 2"),
        (lambda d: d["items"][4].update(type="blob"), "item 5"),
        (lambda d: d["items"][5].update(axes=[0, 5]), "item 6"),
        (lambda d: d["items"][6].update(text="x" * 600), "item 7"),
        (lambda d: d.update(image_size="big"), "header"),
        (lambda d: d["items"][0].update(points=[[0, "nan"], [1, 1]]), "item 1"),
    ],
)
def test_bad_layers_are_refused_with_the_field_named(change: object, field: str) -> None:
    d = layer().to_dict()
    change(d)  # type: ignore[operator]
    with pytest.raises(AnnotationFormatError, match=field):
        AnnotationLayer.from_dict(d)


def test_not_json() -> None:
    with pytest.raises(AnnotationFormatError, match="not JSON"):
        AnnotationLayer.from_json("{oops")
    with pytest.raises(ValueError):
        shape_from_points("circle", [(0, 0), (1, 1)])


def test_burn_in_draws_on_a_copy() -> None:
    img = np.full((240, 320, 3), 60, np.uint8)
    before = img.copy()
    out = burn_in(img, layer())
    assert np.array_equal(img, before)  # the original is untouched
    assert out.shape == img.shape and out is not img
    assert (np.abs(out.astype(int) - img).sum(axis=2) > 0).mean() > 0.02
    bar = out[200:236, 250:316]  # the scale bar sits bottom right, white
    assert (bar == 255).all(axis=2).sum() > 50
    bare = burn_in(img, AnnotationLayer("ab" * 32, (320, 240)))
    assert (bare[0:30, 0:200, 2] > 200).any()  # "UNCALIBRATED" in red, no scale bar
    assert not (bare[200:236, 250:316] == 255).all(axis=2).any()
    with pytest.raises(ValueError, match="320x240"):
        burn_in(np.zeros((10, 10, 3), np.uint8), layer())


def test_nice_lengths() -> None:
    assert [nice_length(v) for v in (0.73, 0.2, 1.9, 0.0049, 12)] == [0.5, 0.2, 1.0, 0.002, 10.0]
