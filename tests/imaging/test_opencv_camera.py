"""The OpenCV camera's logic against a fake device (this machine has no camera), and the
real OpenCV failing cleanly when there is none."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import pytest

from qcstation.imaging.errors import CameraDisconnected, CameraNotFound, ModeNotSupported
from qcstation.imaging.opencv_camera import OpenCVCamera, list_devices
from qcstation.imaging.source import CameraSettings, Control, ControlStatus, Mode

MJPG = cv2.VideoWriter.fourcc(*"MJPG")
YUYV = cv2.VideoWriter.fourcc(*"YUYV")


class FakeCapture:
    """A V4L2-like device: snaps sizes to the ones it has, clamps exposure, has no focus."""

    SIZES = ((640, 480), (1280, 960), (1920, 1080))
    RATES: ClassVar[dict[tuple[int, int], float]] = {
        (640, 480): 30.0,
        (1280, 960): 30.0,
        (1920, 1080): 15.0,
    }

    def __init__(self, mjpg: bool = True, frames: int = 10**9) -> None:
        self.opened = True
        self.size = (640, 480)
        self.fps = 30.0
        self.fourcc = YUYV
        self.mjpg = mjpg
        self.frames = frames
        self.props: dict[int, float] = {
            cv2.CAP_PROP_EXPOSURE: -6.0,
            cv2.CAP_PROP_AUTO_EXPOSURE: 3.0,
            cv2.CAP_PROP_GAIN: 0.0,
            cv2.CAP_PROP_WB_TEMPERATURE: 4600.0,
            cv2.CAP_PROP_AUTO_WB: 1.0,
        }
        self.sets: list[tuple[int, float]] = []

    def isOpened(self) -> bool:
        return self.opened

    def release(self) -> None:
        self.opened = False

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.frames <= 0:
            return False, None
        self.frames -= 1
        w, h = self.size
        return True, np.zeros((h, w, 3), np.uint8)

    def set(self, prop: int, value: float) -> bool:
        self.sets.append((prop, value))
        if prop == cv2.CAP_PROP_FOURCC:
            if self.mjpg and int(value) == MJPG:
                self.fourcc = MJPG
            return self.mjpg
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            self.size = min(self.SIZES, key=lambda s: abs(s[0] - value))
            return True
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return True
        if prop == cv2.CAP_PROP_FPS:
            self.fps = min(value, self.RATES[self.size])
            return True
        if prop == cv2.CAP_PROP_EXPOSURE:
            self.props[prop] = float(min(-1.0, max(-13.0, round(value))))
            return True
        if prop == cv2.CAP_PROP_GAIN:
            return value <= 100  # refuses higher gains
        if prop in self.props:
            self.props[prop] = float(value)
            return True
        return False

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FRAME_WIDTH:
            return float(self.size[0])
        if prop == cv2.CAP_PROP_FRAME_HEIGHT:
            return float(self.size[1])
        if prop == cv2.CAP_PROP_FPS:
            return self.fps
        if prop == cv2.CAP_PROP_FOURCC:
            return float(self.fourcc)
        return self.props.get(prop, -1.0)


def camera(fake: FakeCapture | None, **kw: object) -> OpenCVCamera:
    return OpenCVCamera(0, capture_factory=lambda i, b: fake, **kw)  # type: ignore[arg-type]


def test_no_camera_gives_a_clear_error() -> None:
    missing = FakeCapture()
    missing.opened = False
    with pytest.raises(CameraNotFound, match="connect the microscope"):
        camera(missing).open()


def test_real_opencv_without_a_device_fails_cleanly() -> None:
    cam = OpenCVCamera(63)  # no machine running these tests has 64 cameras
    with pytest.raises(CameraNotFound, match="no camera at index 63"):
        cam.open()
    assert not cam.is_open
    with pytest.raises(CameraDisconnected):
        cam.read()


def test_opens_with_mjpg_and_the_best_fast_mode() -> None:
    fake = FakeCapture()
    cam = camera(fake)
    cam.open()
    caps = cam.capabilities()
    assert (cv2.CAP_PROP_FOURCC, MJPG) in fake.sets
    assert {(m.width, m.height) for m in caps.modes} == set(FakeCapture.SIZES)
    assert all(m.fourcc == "MJPG" for m in caps.modes)
    assert caps.current_mode == Mode(1280, 960, 30.0, "MJPG")  # largest at >= 25 fps
    frame = cam.read()
    assert frame.image.shape == (960, 1280, 3) and frame.seq == 1


def test_a_camera_without_mjpg_says_so() -> None:
    cam = camera(FakeCapture(mjpg=False))
    cam.open()
    assert any("MJPG" in n for n in cam.capabilities().notes)


def test_unsupported_resolution() -> None:
    cam = camera(FakeCapture())
    cam.open()
    with pytest.raises(ModeNotSupported) as err:
        cam.set_mode(Mode(1024, 768, 30))
    assert err.value.nearest.width == 1280 and "nearest is 1280x960" in str(err.value)
    assert cam.set_mode(Mode(1024, 768, 30), exact=False) == err.value.nearest
    assert cam.set_mode(Mode(1920, 1080)).fps == 15.0
    assert cam.capabilities().current_mode == Mode(1920, 1080, 15.0, "MJPG")


def test_requested_mode_at_open() -> None:
    cam = camera(FakeCapture(), mode=Mode(640, 480, 30))
    cam.open()
    assert cam.capabilities().current_mode == Mode(640, 480, 30.0, "MJPG")


def test_controls_are_probed_and_read_back() -> None:
    cam = camera(FakeCapture())
    cam.open()
    caps = cam.capabilities()
    assert caps.supports(Control.EXPOSURE) and caps.supports(Control.WHITE_BALANCE)
    assert not caps.supports(Control.FOCUS) and not caps.supports(Control.AUTOFOCUS)
    assert caps.controls[Control.FOCUS].note  # says why, for the disabled control
    assert cam.set_control(Control.EXPOSURE, -7).status is ControlStatus.APPLIED
    adjusted = cam.set_control(Control.EXPOSURE, -20)
    assert adjusted.status is ControlStatus.ADJUSTED and adjusted.actual == -13.0
    assert cam.set_control(Control.GAIN, 500).status is ControlStatus.REJECTED
    focus = cam.set_control(Control.FOCUS, 10)
    assert focus.status is ControlStatus.UNSUPPORTED and not focus.ok and focus.message


def test_settings_are_remembered_and_applied() -> None:
    cam = camera(FakeCapture())
    cam.open()
    settings = CameraSettings(
        cam.camera_id, "", Mode(640, 480, 30), {"exposure": -5, "auto_exposure": 1, "focus": 3}
    )
    again = CameraSettings.from_dict(settings.to_dict())
    assert again == settings
    results = again.apply(cam)
    assert results[0].control is Control.AUTO_EXPOSURE  # auto switches first
    assert {r.control: r.status for r in results}[Control.FOCUS] is ControlStatus.UNSUPPORTED
    assert cam.capabilities().current_mode.width == 640  # type: ignore[union-attr]


def test_read_failure_means_disconnected() -> None:
    cam = camera(FakeCapture(frames=1))
    cam.open()
    cam.read()
    with pytest.raises(CameraDisconnected, match="USB cable"):
        cam.read()


def test_device_names_from_sysfs(tmp_path: Path) -> None:
    for n, name, index in (
        (0, "USB Microscope", "0"),
        (1, "USB Microscope", "1"),
        (2, "Webcam", "0"),
    ):
        node = tmp_path / f"video{n}"
        node.mkdir()
        (node / "name").write_text(name + "\n")
        (node / "index").write_text(index + "\n")
    devices = list_devices(tmp_path)
    assert [(d.index, d.name, d.path) for d in devices] == [
        (0, "USB Microscope", "/dev/video0"),
        (2, "Webcam", "/dev/video2"),
    ]
    assert list_devices(tmp_path / "absent") == []  # no sysfs and no probing: nothing


def test_replugged_camera_is_found_by_name(tmp_path: Path) -> None:
    node = tmp_path / "video4"
    node.mkdir()
    (node / "name").write_text("USB Microscope\n")
    opened: list[int] = []

    def factory(index: int, backend: int) -> FakeCapture:
        opened.append(index)
        return FakeCapture()

    cam = OpenCVCamera(0, name="USB Microscope", capture_factory=factory, sysfs=tmp_path)
    cam.open()
    assert opened == [4] and cam.camera_id == "opencv:USB Microscope"
