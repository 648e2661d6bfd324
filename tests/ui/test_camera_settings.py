"""Camera settings: what the running camera reports, unsupported controls shown disabled
with the reason, live changes with their result, and the choice remembered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from qcstation import config
from qcstation.imaging.source import Control, ControlStatus, Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
from qcstation.ui.context import UiContext
from qcstation.ui.live_camera import GrabberFeed
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.camera_settings import CameraSettings
from qcstation.ui.pages.settings import SettingsPage

from .conftest import WAIT_MS, Driver

MODES = (Mode(320, 240, 60, "MJPG"), Mode(640, 480, 30, "MJPG"))


def camera() -> SyntheticCamera:
    return SyntheticCamera(
        SyntheticConfig(
            seed=3,
            mode=MODES[0],
            modes=MODES,
            controls=frozenset({Control.EXPOSURE, Control.FOCUS}),
        )
    )


@pytest.fixture
def feed() -> Iterator[GrabberFeed]:
    f = GrabberFeed(camera(), {"exposure": 30.0, "gain": 6.0, "no_such_control": 1.0}).start()
    yield f
    f.stop()


def test_remembered_controls_are_set_when_the_camera_connects(
    qtbot: QtBot, feed: GrabberFeed
) -> None:
    qtbot.waitUntil(lambda: feed.capabilities() is not None, timeout=WAIT_MS)
    caps = feed.capabilities()
    assert caps is not None and caps.controls[Control.EXPOSURE].value == 30.0
    by = {r.control: r for r in feed.control_results}
    assert by[Control.EXPOSURE].status is ControlStatus.APPLIED
    assert by[Control.GAIN].status is ControlStatus.UNSUPPORTED  # said, never silently ignored


def test_settings_show_modes_and_controls_and_remember_them(
    driver: Driver, feed: GrabberFeed
) -> None:
    win: MainWindow = driver.win
    ctx: UiContext = driver.ctx
    win.camera.set_source(feed)
    driver.qtbot.waitUntil(lambda: feed.capabilities() is not None, timeout=WAIT_MS)
    driver.sign_in("ada")
    win.show_page(SettingsPage)
    driver.settle()
    cs = win.findChild(CameraSettings)
    assert isinstance(cs, CameraSettings)
    modes = [cs.modes.itemText(i) for i in range(cs.modes.count())]
    assert "640x480 @ 30 fps MJPG" in modes and "320x240 @ 60 fps MJPG" in modes
    assert not cs.spins[Control.GAIN].isEnabled()
    assert not cs.spins[Control.WHITE_BALANCE].isEnabled()
    assert "no such control" in cs.results[Control.GAIN].text()  # the reason the camera gives
    assert cs.spins[Control.EXPOSURE].isEnabled() and cs.spins[Control.EXPOSURE].value() == 30.0
    cs.spins[Control.FOCUS].setValue(1.25)  # applied live, and said so
    assert cs.results[Control.FOCUS].text() == "applied"
    caps = feed.grabber.source.capabilities()
    assert caps.controls[Control.FOCUS].value == 1.25
    cs.modes.setCurrentIndex(cs.modes.findText("640x480 @ 30 fps MJPG"))
    cs.magnifications.setText("1.0x, 2.0x, , 2.0x, 4.5x")
    cs.calibration_days.setValue(7)
    page = win.findChild(SettingsPage)
    assert isinstance(page, SettingsPage)
    page.save()
    driver.settle()
    saved, warnings = config.load_settings(ctx.station.location.data_dir)
    assert not warnings
    assert saved.camera_mode == {"width": 640, "height": 480, "fps": 30.0, "fourcc": "MJPG"}
    assert saved.magnifications == ["1.0x", "2.0x", "4.5x"]
    assert saved.calibration_max_age_days == 7
    assert [win.camera.magnification_box.itemText(i) for i in range(3)] == saved.magnifications
    assert saved.camera_controls["focus"] == 1.25 and saved.camera_controls["exposure"] == 30.0


def test_a_remembered_mode_the_camera_does_not_offer_is_named(
    driver: Driver, feed: GrabberFeed
) -> None:
    win: MainWindow = driver.win
    win.camera.set_source(feed)
    driver.qtbot.waitUntil(lambda: feed.capabilities() is not None, timeout=WAIT_MS)
    driver.sign_in("ada")
    cs = win.findChild(CameraSettings)
    assert isinstance(cs, CameraSettings)
    odd = {"width": 1000, "height": 750, "fps": 25.0, "fourcc": "YUYV"}
    cs.load(driver.ctx.settings.model_copy(update={"camera_mode": odd}))
    driver.settle()
    assert "not offered: the nearest is used" in cs.modes.currentText()
    assert cs.collected()["camera_mode"] == odd  # kept as chosen until changed
