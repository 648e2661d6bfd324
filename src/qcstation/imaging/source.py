"""The one interface every camera source follows, and the values it speaks in.

Sources: :class:`~qcstation.imaging.opencv_camera.OpenCVCamera` (a USB microscope),
:class:`~qcstation.imaging.files.VideoFileSource`,
:class:`~qcstation.imaging.files.ImageFolderSource`
and :class:`~qcstation.imaging.synthetic.camera.SyntheticCamera`. Use them like this::

    src.open()                      # CameraNotFound with what to do, if it cannot
    caps = src.capabilities()       # modes offered, current mode, each control supported or not
    src.set_mode(Mode(1280, 960, 30))   # ModeNotSupported names the nearest mode (exact=True)
    r = src.set_control(Control.EXPOSURE, -6)   # ControlResult: applied / adjusted / unsupported
    frame = src.read()              # blocks for the next Frame; CameraDisconnected, EndOfStream
    src.close()

``read()`` is called from one thread at a time (the grabber's); ``set_control`` and
``capabilities`` may be called from the GUI thread between reads (sources serialise them).
A control the backend cannot set is reported ``supported=False`` in the capabilities (show
it disabled) and ``ControlStatus.UNSUPPORTED`` when set: never silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol, runtime_checkable

from qcstation.imaging.errors import ModeNotSupported
from qcstation.imaging.frames import Frame


class Control(str, Enum):
    """Camera settings a station may adjust. Units are the backend's (see ControlInfo.unit)."""

    EXPOSURE = "exposure"
    AUTO_EXPOSURE = "auto_exposure"
    GAIN = "gain"
    WHITE_BALANCE = "white_balance"
    AUTO_WHITE_BALANCE = "auto_white_balance"
    FOCUS = "focus"
    AUTOFOCUS = "autofocus"


class ControlStatus(str, Enum):
    APPLIED = "applied"  # read back as requested
    ADJUSTED = "adjusted"  # accepted, but the camera reports another value (clamped/rounded)
    UNSUPPORTED = "unsupported"  # this source/backend cannot set it
    REJECTED = "rejected"  # the backend refused the value (out of range, wrong state)
    UNVERIFIED = "unverified"  # accepted, but the camera does not report the value back


@dataclass(frozen=True, order=True)
class Mode:
    width: int
    height: int
    fps: float = 0.0  # 0: unknown / not reported
    fourcc: str = ""  # "MJPG", "YUYV", ... or "" when the backend does not say

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def __str__(self) -> str:
        rate = f" @ {self.fps:g} fps" if self.fps else ""
        code = f" {self.fourcc}" if self.fourcc else ""
        return f"{self.width}x{self.height}{rate}{code}"

    def to_dict(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "fps": self.fps, "fourcc": self.fourcc}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Mode:
        return cls(
            int(d["width"]), int(d["height"]), float(d.get("fps", 0)), str(d.get("fourcc", ""))
        )


@dataclass(frozen=True)
class ControlInfo:
    control: Control
    supported: bool
    value: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    note: str = ""  # why unsupported, or what the unit means


@dataclass(frozen=True)
class ControlResult:
    control: Control
    requested: float
    actual: float | None
    status: ControlStatus
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (ControlStatus.APPLIED, ControlStatus.ADJUSTED)


@dataclass(frozen=True)
class Capabilities:
    camera_id: str  # stable: calibrations and settings are bound to it
    name: str  # for people
    kind: str  # "opencv", "video", "folder", "synthetic"
    modes: tuple[Mode, ...]
    current_mode: Mode | None
    controls: Mapping[Control, ControlInfo]
    notes: tuple[str, ...] = ()

    def supports(self, control: Control) -> bool:
        info = self.controls.get(control)
        return bool(info and info.supported)


@runtime_checkable
class CameraSource(Protocol):
    """What the grabber, the preview and capture need from any source."""

    @property
    def camera_id(self) -> str: ...

    @property
    def is_open(self) -> bool: ...

    def open(self) -> None: ...

    def read(self) -> Frame: ...

    def close(self) -> None: ...

    def capabilities(self) -> Capabilities: ...

    def set_mode(self, mode: Mode, exact: bool = True) -> Mode: ...

    def set_control(self, control: Control, value: float) -> ControlResult: ...


def unsupported(control: Control, value: float, why: str) -> ControlResult:
    return ControlResult(control, value, None, ControlStatus.UNSUPPORTED, why)


def mode_distance(a: Mode, b: Mode) -> float:
    """How far two modes are apart: resolution first (log area, aspect), then frame rate."""
    area = abs(math.log(a.pixels / b.pixels))
    aspect = abs(math.log((a.width / a.height) / (b.width / b.height)))
    rate = abs(math.log(a.fps / b.fps)) if a.fps and b.fps else 0.0
    return 4 * area + 2 * aspect + rate


def select_mode(requested: Mode, available: Iterable[Mode], exact: bool = True) -> Mode:
    """The offered mode matching ``requested`` (size, and fps/fourcc when given).

    With ``exact`` a mismatch raises :class:`ModeNotSupported` naming the nearest mode;
    without, the nearest mode is returned (the caller reports it to the person).
    """
    modes = list(available)
    if not modes:
        raise ModeNotSupported(
            "the camera reports no video modes; reconnect it or choose another camera",
            requested,
            (),
            requested,
        )

    def matches(m: Mode) -> bool:
        return (
            (m.width, m.height) == (requested.width, requested.height)
            and (not requested.fps or not m.fps or abs(m.fps - requested.fps) < 0.5)
            and (not requested.fourcc or not m.fourcc or m.fourcc == requested.fourcc)
        )

    found = [m for m in modes if matches(m)]
    if found:
        return max(found, key=lambda m: (m.fps, m.fourcc == "MJPG"))
    nearest = min(modes, key=lambda m: mode_distance(requested, m))
    if exact:
        offered = ", ".join(str(m) for m in sorted(set(modes), reverse=True))
        raise ModeNotSupported(
            f"the camera does not offer {requested}; nearest is {nearest} "
            f"(offered: {offered}). Choose one of these in the camera settings",
            requested,
            modes,
            nearest,
        )
    return nearest


@dataclass(frozen=True)
class CameraSettings:
    """The chosen camera and its settings, as remembered between sessions (JSON-safe dict)."""

    camera_id: str
    device_name: str = ""
    mode: Mode | None = None
    controls: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "camera_id": self.camera_id,
            "device_name": self.device_name,
            "mode": self.mode.to_dict() if self.mode else None,
            "controls": dict(self.controls),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CameraSettings:
        mode = d.get("mode")
        return cls(
            str(d["camera_id"]),
            str(d.get("device_name", "")),
            Mode.from_dict(mode) if mode else None,
            {str(k): float(v) for k, v in dict(d.get("controls") or {}).items()},
        )

    def apply(self, source: CameraSource, exact_mode: bool = False) -> list[ControlResult]:
        """Apply the mode and the controls to an open source; every result is returned
        (an unsupported control is reported, not skipped). Auto switches go first, so a
        manual exposure is not overridden by auto exposure turning on afterwards."""
        if self.mode is not None:
            source.set_mode(self.mode, exact=exact_mode)
        order = sorted(self.controls.items(), key=lambda kv: not kv[0].startswith("auto"))
        return [source.set_control(Control(name), value) for name, value in order]
