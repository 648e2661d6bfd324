"""The live preview: fit / zoom / pan / 1:1 by wheel, keys and buttons, freeze, overlays,
and a camera pulled out mid-preview (a banner within 2 s, back by itself)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.ui.camera_panel import CameraPanel
from qcstation.ui.live_camera import GrabberFeed

from .conftest import WAIT_MS

SMALL = Mode(320, 240, 60, "MJPG")


class CountingCamera:
    """A still 1280x960 picture whose sequence number moves on every poll."""

    def __init__(self) -> None:
        rng = np.random.default_rng(3)
        self.frame = rng.integers(0, 255, (960, 1280, 3), dtype=np.uint8)
        self.seq = 0

    def latest(self) -> tuple[np.ndarray, int] | None:
        self.seq += 1
        return self.frame, self.seq

    def status(self) -> str:
        return "counting camera (test)"


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[CameraPanel]:
    p = CameraPanel(CountingCamera())
    qtbot.addWidget(p)
    p.resize(660, 560)
    p.show()
    qtbot.waitExposed(p)
    qtbot.waitUntil(lambda: p.view.frame is not None)
    yield p
    p.timer.stop()


def test_fits_then_zooms_pans_and_goes_one_to_one(qtbot: QtBot, panel: CameraPanel) -> None:
    view = panel.view
    assert view.fitted and view.zoom < 1  # 1280 wide picture in a ~660 px panel
    assert not view.can_pan()
    fit_zoom = view.zoom
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom == pytest.approx(fit_zoom * 1.25**2)
    assert not view.fitted and view.can_pan()
    assert panel.zoom_label.text().endswith("%")
    assert view.viewport is not None
    before = view.viewport.center
    qtbot.keyClick(view, Qt.Key.Key_Right)  # see more of the right: the centre moves right
    after = view.viewport.center
    assert after[0] > before[0] and after[1] == before[1]
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert view.zoom == 1.0
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert view.fitted and view.zoom == pytest.approx(fit_zoom)


def test_wheel_zooms_about_the_pointer_and_drag_pans(qtbot: QtBot, panel: CameraPanel) -> None:
    view = panel.view
    assert view.viewport is not None
    at = QPointF(view.width() * 0.4, view.height() * 0.4)
    under = view.viewport.to_image((at.x(), at.y()))
    wheel = QWheelEvent(
        at,
        view.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, 480),  # four notches: past the widget on both axes
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, wheel)
    vp = view.viewport
    assert vp.zoom == pytest.approx(1.25**4 * Viewport_fit_zoom(panel))
    # the image point under the pointer stays under the pointer
    still = vp.to_image((at.x(), at.y()))
    assert still == pytest.approx(under, abs=1.0)
    centre = vp.center
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 200))
    qtbot.mouseMove(view, QPoint(260, 200))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(260, 200))
    assert view.viewport.center[0] > centre[0]  # dragged left: the view moved right


def Viewport_fit_zoom(panel: CameraPanel) -> float:
    return min(panel.view.width() / 1280, panel.view.height() / 960)


def test_freeze_keeps_the_picture_and_says_so(qtbot: QtBot, panel: CameraPanel) -> None:
    panel.set_frozen(True)
    assert panel.freeze.isChecked()
    shown = panel.view.frame
    qtbot.wait(200)  # many polls of a source whose frames keep coming
    assert panel.view.frame is shown
    assert "Frozen" in panel.view.banner
    panel.freeze.click()
    assert not panel.frozen and panel.view.banner == ""


def test_grid_and_crosshair_paint(qtbot: QtBot, panel: CameraPanel) -> None:
    plain = panel.view.grab().toImage()
    panel.set_overlay(True)
    panel.set_crosshair(True)
    drawn = panel.view.grab().toImage()
    assert plain != drawn


def test_camera_unplugged_shows_a_banner_within_two_seconds_and_comes_back(
    qtbot: QtBot,
) -> None:
    cam = SyntheticCamera(SyntheticConfig(seed=2, mode=SMALL, modes=(SMALL,)))
    feed = GrabberFeed(cam).start()
    p = CameraPanel(feed)
    qtbot.addWidget(p)
    p.show()
    try:
        qtbot.waitUntil(lambda: p.view.frame is not None, timeout=WAIT_MS)
        assert p.view.banner == ""
        cam.unplug()
        t0 = time.monotonic()
        qtbot.waitUntil(lambda: "Camera problem" in p.view.banner, timeout=WAIT_MS)
        assert time.monotonic() - t0 < 2.0
        assert p.view.frame is not None  # the last good picture stays
        cam.replug()
        qtbot.waitUntil(lambda: p.view.banner == "", timeout=WAIT_MS)
        seq = p._seq
        qtbot.waitUntil(lambda: p._seq > seq, timeout=WAIT_MS)  # frames flow again
        assert feed.grabber.stats().reconnects >= 1
    finally:
        p.timer.stop()
        feed.stop()


def test_no_camera_says_what_to_do(qtbot: QtBot) -> None:
    p = CameraPanel(None)
    qtbot.addWidget(p)
    assert "No camera" in p.view.message
    assert not p.capture.isEnabled()


def test_capture_while_the_camera_is_lost_stores_nothing_and_says_why(driver) -> None:  # type: ignore[no-untyped-def]
    from qcstation.domain.stages import Stage
    from qcstation.services import inspections
    from qcstation.services.errors import ServiceError

    class Lost(CountingCamera):
        def problem(self) -> str:
            return "Camera 0 stopped sending frames; check the USB cable"

    driver.sign_in("ines")
    ins = inspections.start(
        driver.ctx.station, driver.ctx.actor, Stage.CASTING, "JT-1", "RG-1", "SN1"
    )
    driver.win.open_inspection(ins)
    driver.win.camera.set_source(Lost())
    driver.qtbot.waitUntil(lambda: driver.win.camera.problem != "")
    driver.win.capture()
    driver.settle()
    shown = driver.ctx.errors.shown[-1]
    assert isinstance(shown, ServiceError) and "not sending pictures" in str(shown)
    assert inspections.evidence_of(driver.ctx.station, ins.id) == []
