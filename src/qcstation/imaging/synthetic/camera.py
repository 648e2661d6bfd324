"""The synthetic camera: a :class:`~qcstation.imaging.source.CameraSource` that films a
rendered piece or stage micrometer, with focus, exposure, gain, white balance, sensor noise,
its own frame rate, and a cable that can be pulled.

    cam = SyntheticCamera(SyntheticConfig(scene="piece", seed=7, defects=(DefectKind.CHIP,)))
    cam.open(); frame = cam.read()
    cam.truth.px_per_mm, cam.truth.defects      # ground truth of the current mode
    cam.set_control(Control.FOCUS, 0.2)         # mm: the focus plane's height
    cam.unplug()                                # read() raises CameraDisconnected, open() fails
    cam.unplug(stall=True)                      # read() hangs (up to stall_timeout), then fails
    cam.replug()

Deterministic by seed: the same config gives the same scene and the same noise sequence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from qcstation.imaging.errors import CameraDisconnected, CameraNotFound
from qcstation.imaging.frames import Frame, Image
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
from qcstation.imaging.synthetic.micrometer import MicrometerSpec, render_micrometer_scene
from qcstation.imaging.synthetic.optics import Lighting, Optics, SensorNoise, defocus, to_uint8
from qcstation.imaging.synthetic.piece import FIELD_MM, PieceSpec, render_piece_scene
from qcstation.imaging.synthetic.scene import DefectKind, RenderedScene
from qcstation.imaging.synthetic.view import View

DEFAULT_MODES = (
    Mode(640, 480, 30, "MJPG"),
    Mode(1280, 960, 30, "MJPG"),
    Mode(1920, 1080, 15, "MJPG"),
    Mode(2592, 1944, 10, "MJPG"),
)
ALL_CONTROLS = frozenset({Control.FOCUS, Control.EXPOSURE, Control.GAIN, Control.WHITE_BALANCE})
# control: (minimum, maximum, default, unit)
_RANGES: Mapping[Control, tuple[float, float, float, str]] = {
    Control.FOCUS: (-2.0, 2.0, 0.75, "mm (height of the focus plane)"),
    Control.EXPOSURE: (1.0, 100.0, 16.0, "ms"),
    Control.GAIN: (0.0, 24.0, 0.0, "dB"),
    Control.WHITE_BALANCE: (2800.0, 7500.0, 5000.0, "K"),
}


@dataclass(frozen=True)
class SyntheticConfig:
    scene: str = "piece"  # "piece" or "micrometer"
    seed: int = 1
    piece: PieceSpec | None = None  # default: PieceSpec.random(seed) with ``defects`` placed
    defects: tuple[DefectKind, ...] = ()
    micrometer: MicrometerSpec = field(default_factory=MicrometerSpec)
    field_mm: float | None = None  # width of the view; default 10 mm (piece), 0.8 mm (micrometer)
    modes: tuple[Mode, ...] = DEFAULT_MODES
    mode: Mode = DEFAULT_MODES[1]
    realtime: bool = True  # deliver at the mode's frame rate; False: as fast as rendered
    noise: float = 2.0  # sensor noise sigma in 8-bit levels
    optics: Optics = field(default_factory=Optics)
    lighting: Lighting = field(default_factory=Lighting)
    controls: frozenset[Control] = ALL_CONTROLS  # which controls this "camera" has
    focus_mm: float | None = None  # initial focus; default: the prongs, or the slide
    magnification: str = "1.0x"
    jitter_px: float = 0.0  # random sub-pixel shake per frame (a stand that is not rigid)
    stall_timeout: float = 3.0  # an unplugged camera "stalls" this long before failing


class SyntheticCamera:
    def __init__(self, config: SyntheticConfig | None = None, name: str = "Synthetic microscope"):
        self.config = cfg = config or SyntheticConfig()
        piece = cfg.piece
        if cfg.scene == "piece" and piece is None:
            piece = PieceSpec.random(cfg.seed)
            rng = np.random.default_rng([cfg.seed, 99])
            piece = piece.with_defects(*(piece.random_defect(k, rng) for k in cfg.defects))
        self.piece = piece
        self.name = name
        self._lock = threading.Lock()
        self._plugged = threading.Event()
        self._plugged.set()
        self._stall = False
        self._open = False
        self._mode = select_mode(cfg.mode, cfg.modes, exact=True)
        self._values = {c: _RANGES[c][2] for c in cfg.controls}
        if Control.FOCUS in self._values:  # in focus to begin with: the slide, or the head
            self._values[Control.FOCUS] = (
                cfg.focus_mm
                if cfg.focus_mm is not None
                else (_RANGES[Control.FOCUS][2] if cfg.scene == "piece" else 0.0)
            )
        self._scenes: dict[tuple[int, int], RenderedScene] = {}
        self._base: tuple[tuple[object, ...], Image] | None = None  # exposed, noise-free
        self._noise: SensorNoise | None = None
        self._rng = np.random.default_rng([cfg.seed, 5])
        self._seq = 0
        self._next_due = 0.0

    # ---------------------------------------------------------------- the source interface
    @property
    def camera_id(self) -> str:
        return f"synthetic:{self.config.scene}:{self.config.seed}"

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if not self._plugged.is_set():
            raise CameraNotFound(
                f"{self.name} is not connected; plug it in (or choose another camera) and "
                "the preview reconnects by itself"
            )
        self._scene(self._mode.width, self._mode.height)  # the slow part, done before frames
        self._open = True
        self._next_due = time.monotonic()

    def close(self) -> None:
        self._open = False

    def read(self) -> Frame:
        if not self._open:
            raise CameraDisconnected(f"{self.name} is not open")
        if not self._plugged.is_set():
            if self._stall:  # like a USB camera that stops answering: hang, then fail
                self._plugged.wait(self.config.stall_timeout)
            if not self._plugged.is_set():
                raise CameraDisconnected(
                    f"{self.name} stopped sending frames; check the USB cable and power"
                )
        if self.config.realtime and self._mode.fps:
            delay = self._next_due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._next_due = max(self._next_due, time.monotonic() - 0.1) + 1.0 / self._mode.fps
        image = self._render()
        self._seq += 1
        return Frame(image, self._seq, source_id=self.camera_id)

    def capabilities(self) -> Capabilities:
        controls = {}
        for c in Control:
            if c in self.config.controls:
                lo, hi, _d, unit = _RANGES[c]
                controls[c] = ControlInfo(c, True, self._values[c], lo, hi, unit)
            else:
                controls[c] = ControlInfo(c, False, note="this camera has no such control")
        return Capabilities(
            self.camera_id, self.name, "synthetic", self.config.modes, self._mode, controls
        )

    def set_mode(self, mode: Mode, exact: bool = True) -> Mode:
        chosen = select_mode(mode, self.config.modes, exact)
        with self._lock:
            self._mode = chosen
            self._base = None
            self._noise = None
        return chosen

    def set_control(self, control: Control, value: float) -> ControlResult:
        if control not in self.config.controls:
            return unsupported(control, value, f"{self.name} has no {control.value} control")
        lo, hi, _d, _unit = _RANGES[control]
        actual = float(min(hi, max(lo, value)))
        with self._lock:
            self._values[control] = actual
        if actual != value:
            return ControlResult(
                control, value, actual, ControlStatus.ADJUSTED, f"limited to {lo:g}..{hi:g}"
            )
        return ControlResult(control, value, actual, ControlStatus.APPLIED)

    # ---------------------------------------------------------------- simulation and truth
    def unplug(self, stall: bool = False) -> None:
        """Pull the cable: reads fail (at once, or after hanging when ``stall``)."""
        self._stall = stall
        self._plugged.clear()

    def replug(self) -> None:
        self._plugged.set()

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def truth(self) -> RenderedScene:
        """The ground truth of what the current mode sees (scale, defects, tick points)."""
        return self._scene(self._mode.width, self._mode.height)

    def view(self, width: int, height: int) -> View:
        cfg = self.config
        fov = cfg.field_mm or (FIELD_MM if cfg.scene == "piece" else 0.8)
        return View(width, height, width / fov)

    def all_in_focus(self) -> Image:
        """The current mode's picture with everything sharp and no noise (stacking truth)."""
        return self._expose(self.config.optics.in_focus(self.truth.image))

    def _scene(self, width: int, height: int) -> RenderedScene:
        key = (width, height)
        if key not in self._scenes:
            view = self.view(width, height)
            if self.config.scene == "piece":
                assert self.piece is not None
                self._scenes[key] = render_piece_scene(self.piece, view)
            else:
                self._scenes[key] = render_micrometer_scene(self.config.micrometer, view)
        return self._scenes[key]

    def _expose(self, radiance: np.ndarray, values: dict[Control, float] | None = None) -> Image:
        v = self._values if values is None else values
        gain = v.get(Control.EXPOSURE, 16.0) / 16.0 * 10 ** (v.get(Control.GAIN, 0.0) / 20)
        kelvin = v.get(Control.WHITE_BALANCE, 5000.0)
        warm = (kelvin - 5000.0) / 2500.0  # the camera's balance set for a warmer light
        wb = (1 + 0.18 * warm, 1.0, 1 - 0.18 * warm)
        light = replace(self.config.lighting, gain=self.config.lighting.gain * gain, wb=wb)
        return to_uint8(light.apply(radiance))

    def _render(self) -> Image:
        with self._lock:  # a snapshot: set_mode/set_control may run on another thread
            mode, values = self._mode, dict(self._values)
            base, sensor = self._base, self._noise
        key = (mode.width, mode.height, *sorted((c.value, x) for c, x in values.items()))
        if base is None or base[0] != key:
            scene = self._scene(mode.width, mode.height)
            focus = values.get(Control.FOCUS, 0.0 if self.config.scene != "piece" else 0.75)
            sigma = self.config.optics.sigma_map(scene.depth, focus, scene.px_per_mm)
            base = (key, self._expose(defocus(scene.image, sigma), values))
        if sensor is None or sensor.shape != (mode.height, mode.width):
            seed = int(self._rng.integers(1 << 31))
            sensor = SensorNoise((mode.height, mode.width), self.config.noise, seed)
        with self._lock:
            self._base, self._noise = base, sensor
        img = sensor.add(base[1])
        j = self.config.jitter_px
        if j > 0:
            dx, dy = self._rng.uniform(-j, j, 2)
            m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
            img = np.asarray(
                cv2.warpAffine(img, m, (mode.width, mode.height), borderMode=cv2.BORDER_REFLECT),
                np.uint8,
            )
        return img
