"""The calibration dialog on the synthetic stage micrometer (ground truth: its px/mm)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.services import accounts, calibration
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.calibration_dialog import CalibrationDialog

from .conftest import PASSWORDS, WAIT_MS

MODE = Mode(640, 480, 30, "MJPG")


def micrometer() -> tuple[np.ndarray, SyntheticCamera]:
    cam = SyntheticCamera(
        SyntheticConfig(scene="micrometer", mode=MODE, modes=(MODE,), realtime=False)
    )
    cam.open()
    return cam.read().image, cam


def sign(ctx: UiContext, name: str) -> None:
    ctx.user = accounts.login(ctx.station, name, PASSWORDS[name])


def open_dialog(qtbot: QtBot, ctx: UiContext, frame: np.ndarray, cam_id: str) -> CalibrationDialog:
    dialog = CalibrationDialog(ctx, frame, cam_id, "1.0x")
    qtbot.addWidget(dialog)
    dialog.resize(1100, 700)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_found_ticks_calibrate_within_one_percent_and_are_saved(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    _win, ctx = window
    sign(ctx, "sam")
    frame, cam = micrometer()
    dialog = open_dialog(qtbot, ctx, frame, cam.camera_id)
    qtbot.waitUntil(lambda: dialog.detection is not None, timeout=WAIT_MS)
    assert dialog.candidate is not None
    assert dialog.candidate.px_per_mm == pytest.approx(cam.truth.px_per_mm, rel=0.01)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.calibration_saved, timeout=WAIT_MS):
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = calibration.current(ctx.station, cam.camera_id, "1.0x")
    assert saved is not None and saved.calibration.made_by == "sam"
    assert saved.px_per_mm == pytest.approx(cam.truth.px_per_mm, rel=0.01)
    assert saved.calibration.image_size == (640, 480)


def test_two_marked_ticks_calibrate_within_one_percent(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    _win, ctx = window
    sign(ctx, "sam")
    frame, cam = micrometer()
    dialog = open_dialog(qtbot, ctx, frame, cam.camera_id)
    qtbot.waitUntil(lambda: dialog.detection is not None, timeout=WAIT_MS)
    ticks = sorted(int(k.split("_")[1]) for k in cam.truth.points if k.startswith("tick_"))
    k0, k1 = ticks[1], ticks[-2]
    for k in (k0, k1):
        x, y = cam.truth.points[f"tick_{k}"]
        at = dialog.view.click_at_pixel((x + 1.2, y - 0.8)).toPoint()  # a slightly off click
        qtbot.mouseClick(dialog.view, Qt.MouseButton.LeftButton, pos=at)
    assert len(dialog.marks) == 2
    assert dialog.divisions.value() == k1 - k0  # counted from the found ticks
    c = dialog.candidate
    assert c is not None and c.method.value == "two_ticks"
    assert c.px_per_mm == pytest.approx(cam.truth.px_per_mm, rel=0.01)


def test_without_ticks_the_person_types_the_divisions(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    _win, ctx = window
    sign(ctx, "sam")
    blank = np.full((480, 640, 3), 128, np.uint8)
    dialog = open_dialog(qtbot, ctx, blank, "cam-x")
    qtbot.waitUntil(lambda: "No ticks found" in dialog.found.text(), timeout=WAIT_MS)
    assert dialog.candidate is None and not dialog.save_button.isEnabled()
    dialog.mark(100.0, 200.0)
    dialog.mark(105.0, 200.0)  # too close to be a calibration
    assert dialog.candidate is None and "further apart" in dialog.error.text()
    dialog.mark(100.0, 200.0)
    dialog.mark(500.0, 200.0)
    dialog.divisions.setValue(40)
    assert dialog.candidate is not None
    assert dialog.candidate.px_per_mm == pytest.approx(400 / 0.4)


def test_an_inspector_sees_the_result_but_cannot_save(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    _win, ctx = window
    sign(ctx, "ines")
    frame, cam = micrometer()
    dialog = open_dialog(qtbot, ctx, frame, cam.camera_id)
    qtbot.waitUntil(lambda: dialog.detection is not None, timeout=WAIT_MS)
    assert dialog.candidate is not None and not dialog.save_button.isEnabled()
    assert "supervisor" in dialog.permission_note.text()
    dialog.save()
    assert calibration.current(ctx.station, cam.camera_id, "1.0x") is None


def test_the_window_shows_whether_the_camera_is_calibrated(
    qtbot: QtBot, window: tuple[MainWindow, UiContext]
) -> None:
    win, ctx = window
    sign(ctx, "sam")
    win.refresh_calibration()
    label = win.camera.calibration_label
    qtbot.waitUntil(lambda: "Not for measuring" in label.text(), timeout=WAIT_MS)
    assert "calibrate" in label.text()
