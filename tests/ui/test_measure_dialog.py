"""The measuring editor on captured images of the synthetic micrometer (ground truth: tick
positions and pitch): lengths within 1 %, flagged and blocked values, the layer saved and
exported, and a measured value filling the checklist's measurement item."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.imaging.calibration import from_pitch
from qcstation.imaging.frames import decode_image
from qcstation.imaging.source import Capabilities, Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.imaging.ticks import detect_ticks
from qcstation.services import accounts, annotation_layers, calibration, inspections, microscope
from qcstation.services.context import Station
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.measure_dialog import MeasureDialog

from .conftest import PASSWORDS, WAIT_MS, Driver

MODE = Mode(640, 480, 30, "MJPG")


class MicrometerCamera:
    """The synthetic micrometer as the panel sees a camera (one rendered frame)."""

    def __init__(self) -> None:
        self.cam = SyntheticCamera(
            SyntheticConfig(scene="micrometer", mode=MODE, modes=(MODE,), realtime=False)
        )
        self.cam.open()
        self.frame = self.cam.read().image
        self.seq = 0

    def latest(self) -> tuple[np.ndarray, int] | None:
        self.seq += 1
        return self.frame, self.seq

    def status(self) -> str:
        return "synthetic micrometer (test)"

    def capabilities(self) -> Capabilities:
        return self.cam.capabilities()

    def tick(self, k: int) -> tuple[float, float]:
        return self.cam.truth.points[f"tick_{k}"]

    def ticks(self) -> list[int]:
        return sorted(int(k.split("_")[1]) for k in self.cam.truth.points if k.startswith("tick_"))


def login(station: Station, name: str) -> User:
    return accounts.login(station, name, PASSWORDS[name])


def calibrate(station: Station, scope: MicrometerCamera) -> None:
    d = detect_ticks(scope.frame)
    cal = from_pitch(
        d.pitch_px,
        d.pitch_stderr_px,
        d.count,
        0.01,
        camera_id=scope.cam.camera_id,
        magnification="1.0x",
        image_size=(640, 480),
    )
    calibration.save(station, login(station, "sam"), cal)


def captured(station: Station, scope: MicrometerCamera, stage: Stage = Stage.CASTING) -> int:
    ines = login(station, "ines")
    ins = inspections.start(station, ines, stage, "JT-7", "RG-1", "SN7")
    got = microscope.capture(
        station, ines, ins.id, scope.frame, camera=scope.capabilities(), magnification="1.0x"
    )
    return got.evidence.id


def dialog_for(
    qtbot: QtBot, win: MainWindow, ctx: UiContext, evidence_id: int, unit: str | None = "mm"
) -> MeasureDialog:
    opened = annotation_layers.open_image(ctx.station, evidence_id)
    d = MeasureDialog(ctx, opened, unit, win)  # as the window opens it: modal over it
    d.resize(1200, 760)
    d.open()
    qtbot.waitExposed(d)
    d.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is d)
    d.view.setFocus()
    return d


def click(qtbot: QtBot, d: MeasureDialog, point: tuple[float, float]) -> None:
    qtbot.mouseClick(d.view, Qt.MouseButton.LeftButton, pos=d.view.click_at_pixel(point).toPoint())


def test_lengths_on_the_micrometer_within_one_percent(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    scope = MicrometerCamera()
    calibrate(ctx.station, scope)
    ctx.user = login(ctx.station, "ines")
    d = dialog_for(qtbot, win, ctx, captured(ctx.station, scope))
    assert "Calibrated" in d.calibration_note.text()
    ticks = scope.ticks()
    for n in (10, 30, ticks[-1] - ticks[0]):
        click(qtbot, d, scope.tick(ticks[0]))
        click(qtbot, d, scope.tick(ticks[0] + n))
        m = d.measurements()[d.layer.items[-1].id]
        assert m.usable and m.value == pytest.approx(n * 0.01, rel=0.01)
    # a polyline along the scale, finished with Enter
    qtbot.keyClick(d.view, Qt.Key.Key_P)
    for k in (ticks[0], ticks[0] + 20, ticks[0] + 40):
        click(qtbot, d, scope.tick(k))
    qtbot.keyClick(d.view, Qt.Key.Key_Return)
    poly = d.measurements()[d.layer.items[-1].id]
    assert poly.kind == "polyline" and poly.value == pytest.approx(0.40, rel=0.01)
    # the chosen value goes to the checklist item
    with qtbot.waitSignal(d.value_chosen) as got:
        qtbot.keyClick(d.view, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert got.args[0] == pytest.approx(poly.value)


def test_circle_angle_arrow_ellipse_text_and_undo(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    scope = MicrometerCamera()
    calibrate(ctx.station, scope)
    ctx.user = login(ctx.station, "ines")
    d = dialog_for(qtbot, win, ctx, captured(ctx.station, scope))
    mm_per_px = d.layer.calibration.mm_per_px  # type: ignore[union-attr]
    cx, cy, r = 320.0, 240.0, 150.0
    d.set_tool("circle")
    for a in (0.3, 2.0, 4.1):
        d.click(cx + r * math.cos(a), cy + r * math.sin(a))
    circle = d.measurements()[d.layer.items[-1].id]
    assert circle.value == pytest.approx(2 * r * mm_per_px, rel=1e-6)
    d.set_tool("angle")
    for pt in ((400.0, 240.0), (300.0, 240.0), (300.0, 100.0)):
        d.click(*pt)
    angle = d.measurements()[d.layer.items[-1].id]
    assert angle.unit == "deg" and angle.value == pytest.approx(90.0)
    d.set_tool("arrow")
    d.click(100, 100)
    d.click(150, 150)
    d.set_tool("ellipse")
    d.click(200, 300)
    d.click(240, 320)
    d.label.setText("lifted prong tip")
    d.set_tool("text")
    d.click(50, 400)
    kinds = [i.type for i in d.layer.items]
    assert kinds == ["measure", "measure", "arrow", "ellipse", "text"]
    assert d.layer.items[-1].text == "lifted prong tip"  # type: ignore[union-attr]
    qtbot.keyClick(d.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(d.layer.items) == 4
    plain = d.view.grab().toImage()
    d.items.setCurrentRow(0)
    assert d.view.grab().toImage() != plain  # the chosen item is drawn highlighted


def test_without_calibration_lengths_are_blocked(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    scope = MicrometerCamera()
    ctx.user = login(ctx.station, "ines")
    d = dialog_for(qtbot, win, ctx, captured(ctx.station, scope))
    assert "BLOCKED" in d.calibration_note.text()
    d.click(100, 240)
    d.click(500, 240)
    m = d.measurements()[d.layer.items[-1].id]
    assert m.value is None and m.pixels == pytest.approx(400)
    assert "not measured" in d.items.item(0).text()
    assert not d.use.isEnabled()


def test_a_stale_calibration_flags_values_and_keeps_them_out_of_the_checklist(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    scope = MicrometerCamera()
    calibrate(ctx.station, scope)
    now = ctx.station.now()
    days = ctx.station.location.settings.calibration_max_age_days
    ctx.station.clock = lambda: now + timedelta(days=days + 5)
    ctx.user = login(ctx.station, "ines")
    d = dialog_for(qtbot, win, ctx, captured(ctx.station, scope))
    assert "FLAGGED" in d.calibration_note.text()
    d.click(100, 240)
    d.click(500, 240)
    m = d.measurements()[d.layer.items[-1].id]
    assert m.value is not None and not m.usable
    assert "stale" in d.items.item(0).text()
    assert not d.use.isEnabled()


def test_saved_layer_reopens_and_the_export_burns_it_in(
    qtbot: QtBot, window: tuple[MainWindow, UiContext], tmp_path: Path
) -> None:
    win, ctx = window
    scope = MicrometerCamera()
    calibrate(ctx.station, scope)
    ctx.user = login(ctx.station, "ines")
    eid = captured(ctx.station, scope)
    d = dialog_for(qtbot, win, ctx, eid)
    d.click(100, 240)
    d.click(500, 240)
    with qtbot.waitSignal(d.layer_saved, timeout=WAIT_MS):
        d.save()
    again = annotation_layers.open_image(ctx.station, eid)
    assert again.layer == d.layer
    out = tmp_path / "copy.png"
    d.export_to(out)
    qtbot.waitUntil(lambda: "Exported" in d.status.text(), timeout=WAIT_MS)
    copy = decode_image(out.read_bytes())
    assert copy.shape == scope.frame.shape and not np.array_equal(copy, scope.frame)
    # the evidence file is still exactly what the camera saw
    again = annotation_layers.open_image(ctx.station, eid)
    assert np.array_equal(again.image, scope.frame)
    sha = again.layer.image_sha256
    assert hashlib.sha256(ctx.station.evidence.read(sha)).hexdigest() == sha


def test_capture_then_measure_fills_the_checklist_reading(driver: Driver) -> None:
    scope = MicrometerCamera()
    station = driver.ctx.station
    calibrate(station, scope)
    driver.win.camera.set_source(scope)
    driver.sign_in("ines")
    ins = inspections.start(station, driver.ctx.actor, Stage.CASTING, "JT-8", "RG-1", "SN8")
    driver.win.open_inspection(ins)
    page = driver.win.checklist
    page.go_to(next(i for i, s in enumerate(page.steps) if s[0].id == "min-wall"))
    driver.qtbot.waitUntil(lambda: driver.win.camera.view.frame is not None)
    driver.win.capture()
    driver.settle()
    assert driver.win.camera.strip.newest() is not None
    driver.win.measure_last()
    driver.settle()
    d = driver.win.findChild(MeasureDialog)
    assert isinstance(d, MeasureDialog) and d.use.isEnabled() is False
    ticks = scope.ticks()
    click(driver.qtbot, d, scope.tick(ticks[0]))
    click(driver.qtbot, d, scope.tick(ticks[0] + 60))
    assert d.use.isEnabled()
    d.use_selected()
    assert page.editor.readings[0].text() == "0.60"


def test_a_past_inspections_image_opens_view_only_and_can_become_golden(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    import random

    from qcstation.services import demo, golden
    from qcstation.ui.pages.inspection_view import InspectionDialog

    win, ctx = window
    ines = login(ctx.station, "ines")
    ins_id = demo.run_inspection(ctx.station, ines, Stage.FINAL_QC, random.Random(1))
    images = [e for e in inspections.evidence_of(ctx.station, ins_id)]
    assert images, "the demo inspection has photos"
    ctx.user = login(ctx.station, "sam")
    view = InspectionDialog(ctx, ins_id, win)
    view.open()
    qtbot.waitUntil(lambda: view.photos.count() == len(images), timeout=WAIT_MS)
    thumb = view.photos.itemAt(0).widget()
    thumb.click()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: view.findChild(MeasureDialog) is not None, timeout=WAIT_MS)
    d = view.findChild(MeasureDialog)
    assert isinstance(d, MeasureDialog)
    assert not d.opened.editable and not d.save_button.isEnabled()
    assert "closed" in d.status.text()
    d.click(10, 10)
    d.click(50, 10)
    assert d.layer.items == ()  # nothing drawn on a closed inspection's image
    d.set_golden()
    qtbot.waitUntil(lambda: "golden sample of" in d.status.text(), timeout=WAIT_MS)
    ins = inspections.get(ctx.station, ins_id)
    assert golden.current(ctx.station, ins.sku, Stage.FINAL_QC) is not None
