"""A USB microscope through OpenCV, and the list of cameras the system has.

    devices = list_devices()                 # [DeviceInfo(index, name, path)], names on Linux
    cam = OpenCVCamera(devices[0].index, name=devices[0].name)
    cam.open()                               # CameraNotFound says what to do
    cam.capabilities().modes                 # probed: what the device really accepted
    cam.set_mode(Mode(1280, 960, 30))        # ModeNotSupported names the nearest offered mode

On open the camera is asked for MJPG (USB2 microscopes reach 30 fps at 1280x960 only
compressed) and the fourcc read back says whether it took. Modes are probed by asking for
each common size and reading back what the driver chose; without a requested mode the largest
one at >= 25 fps is used. Controls are probed the same way (set the current value, read it
back): those that fail are reported unsupported, and every ``set_control`` reads the value
back and says applied, adjusted, rejected or unverified.

Backends: DirectShow on Windows (MSMF opens slowly and mangles MJPG), AVFoundation on macOS,
V4L2 on Linux, where a re-plugged camera is found again by its name even if its index moved.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2

from qcstation.imaging.errors import CameraDisconnected, CameraNotFound
from qcstation.imaging.frames import Frame
from qcstation.imaging.source import (
    Capabilities,
    Control,
    ControlInfo,
    ControlResult,
    ControlStatus,
    Mode,
    select_mode,
    unsupported,
)

SYSFS_V4L = Path("/sys/class/video4linux")
COMMON_SIZES = (
    (640, 480),
    (800, 600),
    (1024, 768),
    (1280, 720),
    (1280, 960),
    (1280, 1024),
    (1600, 1200),
    (1920, 1080),
    (2048, 1536),
    (2592, 1944),
    (3840, 2160),
)
COMMON_RATES = (60.0, 30.0, 15.0)
PROPS = {
    Control.EXPOSURE: cv2.CAP_PROP_EXPOSURE,
    Control.AUTO_EXPOSURE: cv2.CAP_PROP_AUTO_EXPOSURE,
    Control.GAIN: cv2.CAP_PROP_GAIN,
    Control.WHITE_BALANCE: cv2.CAP_PROP_WB_TEMPERATURE,
    Control.AUTO_WHITE_BALANCE: cv2.CAP_PROP_AUTO_WB,
    Control.FOCUS: cv2.CAP_PROP_FOCUS,
    Control.AUTOFOCUS: cv2.CAP_PROP_AUTOFOCUS,
}
CaptureFactory = Callable[[int, int], Any]  # (index, backend) -> a cv2.VideoCapture lookalike


def default_backend() -> int:
    if sys.platform.startswith("win"):
        return int(cv2.CAP_DSHOW)
    if sys.platform == "darwin":
        return int(cv2.CAP_AVFOUNDATION)
    return int(cv2.CAP_V4L2)


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    path: str = ""


def list_devices(sysfs: Path = SYSFS_V4L, probe: int = 0) -> list[DeviceInfo]:
    """Cameras with names where the OS gives them (Linux: sysfs, capture nodes only).
    Elsewhere, ``probe`` > 0 tries to open indices 0..probe-1 (slow: only on request)."""
    found: list[DeviceInfo] = []
    if sysfs.is_dir():
        for node in sorted(sysfs.glob("video*"), key=lambda p: _node_number(p.name)):
            index_file = node / "index"
            if index_file.is_file() and index_file.read_text().strip() not in ("", "0"):
                continue  # a UVC camera's second (metadata) node
            name = (node / "name").read_text().strip() if (node / "name").is_file() else ""
            n = _node_number(node.name)
            found.append(DeviceInfo(n, name or f"Camera {n}", f"/dev/{node.name}"))
        return found
    for i in range(probe):
        with _quiet_opencv():
            cap = cv2.VideoCapture(i, default_backend())
            ok = cap.isOpened()
            cap.release()
        if ok:
            found.append(DeviceInfo(i, f"Camera {i}"))
    return found


def _node_number(name: str) -> int:
    m = re.search(r"(\d+)$", name)
    return int(m.group(1)) if m else 0


@contextmanager
def _quiet_opencv() -> Iterator[None]:
    """OpenCV prints warnings to stderr when a device does not open; we raise instead."""
    log = cv2.utils.logging
    old = log.getLogLevel()
    log.setLogLevel(log.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        log.setLogLevel(old)


def _fourcc_text(value: float) -> str:
    v = int(value)
    return "".join(chr((v >> (8 * i)) & 0xFF) for i in range(4)).strip("\0 ")


class OpenCVCamera:
    def __init__(
        self,
        index: int = 0,
        name: str = "",
        mode: Mode | None = None,
        backend: int | None = None,
        prefer_mjpg: bool = True,
        capture_factory: CaptureFactory | None = None,
        sysfs: Path = SYSFS_V4L,
        sizes: tuple[tuple[int, int], ...] = COMMON_SIZES,
    ):
        self.index, self.name = index, name or f"Camera {index}"
        self._named = bool(name)
        self.backend = default_backend() if backend is None else backend
        self.prefer_mjpg, self.sizes, self.sysfs = prefer_mjpg, sizes, sysfs
        self._factory: CaptureFactory = capture_factory or (lambda i, b: cv2.VideoCapture(i, b))
        self._requested = mode
        self._cap: Any = None
        self._lock = threading.Lock()
        self._modes: tuple[Mode, ...] | None = None
        self._mode: Mode | None = None
        self._controls: dict[Control, ControlInfo] = {}
        self._notes: list[str] = []
        self._seq = 0

    @property
    def camera_id(self) -> str:
        return f"opencv:{self.name}" if self._named else f"opencv:{self.index}"

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        if self._named and self.sysfs.is_dir():  # a re-plugged camera may get another index
            for dev in list_devices(self.sysfs):
                if dev.name == self.name:
                    self.index = dev.index
                    break
        with _quiet_opencv():
            cap = self._factory(self.index, self.backend)
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            raise CameraNotFound(
                f"no camera at index {self.index} ({self.name}): connect the microscope, close "
                "any other program using it (one program at a time), then choose it in the "
                "camera settings"
            )
        self._cap, self._notes = cap, []
        if self.prefer_mjpg:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            got = _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
            if got and got != "MJPG":
                self._notes.append(f"the camera did not accept MJPG (uses {got}): lower fps")
        with self._lock:
            if self._modes is None:
                self._modes = self._probe_modes()
            wanted = self._requested or _default_mode(self._modes)
        if wanted is not None:
            self._apply_mode(select_mode(wanted, self._modes, exact=False))
        self._controls = self._probe_controls()

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def read(self) -> Frame:
        for attempt in range(3):  # a single bad USB transfer is not an unplugged camera
            with self._lock:
                cap = self._cap
                if cap is None:
                    raise CameraDisconnected(f"{self.name} is not open")
                ok, img = cap.read()
            if ok and img is not None:
                self._seq += 1
                return Frame(img, self._seq, source_id=self.camera_id)
            time.sleep(0.05 * (attempt + 1))
        raise CameraDisconnected(
            f"{self.name} stopped sending frames; check the USB cable and power"
        )

    def capabilities(self) -> Capabilities:
        return Capabilities(
            self.camera_id,
            self.name,
            "opencv",
            self._modes or (),
            self._mode,
            dict(self._controls) or {c: ControlInfo(c, False, note="not open") for c in Control},
            tuple(self._notes),
        )

    def set_mode(self, mode: Mode, exact: bool = True) -> Mode:
        if self._modes is None:
            raise CameraDisconnected(f"{self.name} is not open: open it to see its modes")
        chosen = select_mode(mode, self._modes, exact)
        self._requested = chosen
        if self._cap is not None:
            self._apply_mode(chosen)
        return chosen

    def set_control(self, control: Control, value: float) -> ControlResult:
        info = self._controls.get(control)
        if info is None or not info.supported:
            why = info.note if info else "the camera is not open"
            return unsupported(control, value, why or f"{self.name} cannot set {control.value}")
        prop = PROPS[control]
        with self._lock:
            if self._cap is None:
                return unsupported(control, value, f"{self.name} is not open")
            accepted = bool(self._cap.set(prop, float(value)))
            back = float(self._cap.get(prop))
        if not accepted:
            return ControlResult(
                control, value, back, ControlStatus.REJECTED, f"{self.name} refused {value:g}"
            )
        if back == -1:
            return ControlResult(
                control, value, None, ControlStatus.UNVERIFIED, "the camera does not report it"
            )
        self._controls[control] = ControlInfo(control, True, back, note=info.note)
        if abs(back - value) <= max(1e-6, 1e-3 * abs(value)):
            return ControlResult(control, value, back, ControlStatus.APPLIED)
        return ControlResult(
            control, value, back, ControlStatus.ADJUSTED, f"the camera reports {back:g}"
        )

    # ---------------------------------------------------------------- probing
    def _probe_modes(self) -> tuple[Mode, ...]:
        cap = self._cap
        seen: set[Mode] = set()
        for w, h in self.sizes:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, w)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, h)
            aw, ah = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            if aw <= 0 or ah <= 0:
                continue
            code = _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
            rates = set()
            for fps in COMMON_RATES:
                cap.set(cv2.CAP_PROP_FPS, fps)
                got = float(cap.get(cv2.CAP_PROP_FPS))
                if got > 0:
                    rates.add(round(got, 2))
            for fps in rates or {0.0}:
                seen.add(Mode(aw, ah, fps, code))
        return tuple(sorted(seen, key=lambda m: (m.pixels, m.fps)))

    def _apply_mode(self, mode: Mode) -> None:
        with self._lock:
            cap = self._cap
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, mode.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, mode.height)
            if mode.fps:
                cap.set(cv2.CAP_PROP_FPS, mode.fps)
            w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
            fps = float(cap.get(cv2.CAP_PROP_FPS))
            code = _fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
        self._mode = Mode(w, h, fps if fps > 0 else mode.fps, code)
        if (w, h) != (mode.width, mode.height):
            self._notes.append(f"asked for {mode}, the camera delivers {self._mode}")

    def _probe_controls(self) -> dict[Control, ControlInfo]:
        out: dict[Control, ControlInfo] = {}
        with self._lock:
            cap = self._cap
            for control, prop in PROPS.items():
                value = float(cap.get(prop))
                ok = value != -1 and bool(cap.set(prop, value))
                if ok:
                    out[control] = ControlInfo(control, True, value, note="backend units")
                else:
                    why = "the camera or its driver does not offer this setting"
                    out[control] = ControlInfo(control, False, note=why)
        return out


def _default_mode(modes: tuple[Mode, ...]) -> Mode | None:
    if not modes:
        return None
    fast = [m for m in modes if m.fps >= 25 or not m.fps]
    return max(fast or modes, key=lambda m: (m.pixels, m.fps, m.fourcc == "MJPG"))
