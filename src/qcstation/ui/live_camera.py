"""The camera behind the preview: a FrameGrabber (its own thread, newest frame only) seen
through the small interface the camera panel polls."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from qcstation.config import Settings
from qcstation.imaging.errors import ImagingError
from qcstation.imaging.focus import FocusMeter
from qcstation.imaging.frames import Frame
from qcstation.imaging.grabber import FrameGrabber, GrabberEvent, GrabberState
from qcstation.imaging.opencv_camera import OpenCVCamera, list_devices
from qcstation.imaging.source import (
    CameraSource,
    Capabilities,
    Control,
    ControlResult,
    Mode,
)
from qcstation.imaging.synthetic.camera import SyntheticCamera, SyntheticConfig

_TROUBLE = (GrabberState.LOST, GrabberState.RECONNECTING, GrabberState.FAILED, GrabberState.ENDED)


class GrabberFeed:
    """Adapts a running FrameGrabber to the panel: latest frame, state words, focus."""

    def __init__(self, source: CameraSource, controls: Mapping[str, float] | None = None):
        self._lock = threading.Lock()
        self._initial = dict(controls or {})
        self.control_results: list[ControlResult] = []
        self._message = "connecting to the camera…"
        self.grabber = FrameGrabber(source, on_event=self._on_event)
        self.focus = FocusMeter()
        self._focus_seq = -1
        self.focus_level = 0.0
        # The focus score reads the whole frame (grey, then made small): on a 4K camera that
        # is milliseconds the GUI thread must not spend, so it runs on a thread of its own,
        # one frame at a time; the bar shows the newest level it has.
        self._meter = ThreadPoolExecutor(1, thread_name_prefix="focus-meter")
        self._measuring: Future[None] | None = None
        self._caps: Capabilities | None = None

    def start(self) -> GrabberFeed:
        self.grabber.start()
        return self

    def stop(self) -> None:
        self.grabber.stop()
        self._meter.shutdown(wait=False, cancel_futures=True)

    def _on_event(self, event: GrabberEvent) -> None:  # on a grabber thread: keep it short
        caps = None
        if event.state is GrabberState.RUNNING:
            # RUNNING is emitted from the capture thread, the one thread that may talk to
            # the device; the GUI reads the copy (camera id for calibrations, mode, controls)
            with contextlib.suppress(ImagingError):
                self._apply_initial()
                caps = self.grabber.source.capabilities()
        with self._lock:
            self._message = event.message
            if caps is not None:
                self._caps = caps

    def _apply_initial(self) -> None:
        """The remembered controls, set on (re)connect from the capture thread; each result
        (applied, adjusted, unsupported, rejected) is kept for the settings page to show."""
        results = []
        for name, value in self._initial.items():
            try:
                control = Control(name)
            except ValueError:
                continue  # a control this qcstation does not know (settings from a newer one)
            results.append(self.grabber.source.set_control(control, value))
        with self._lock:
            self.control_results = results

    def set_control(self, control: Control, value: float) -> ControlResult:
        """Set a camera control (focus for a stack sweep, exposure...) while it runs. The
        sources serialise this against their own read (the synthetic camera holds a lock;
        OpenCV's capture backends take property changes between grabs)."""
        return self.grabber.source.set_control(control, value)

    def capabilities(self) -> Capabilities | None:
        """What the camera said of itself when it last connected (None before that)."""
        with self._lock:
            return self._caps

    def latest(self) -> tuple[np.ndarray, int] | None:
        frame = self.grabber.peek()
        if frame is None:
            return None
        measuring = self._measuring
        idle = measuring is None or measuring.done()
        if idle and frame.seq - self._focus_seq >= 5:  # the bar needs no more than ~6 Hz
            self._focus_seq = frame.seq
            with contextlib.suppress(RuntimeError):  # stopped meanwhile: no more readings
                self._measuring = self._meter.submit(self._measure, frame.image)
        return frame.image, frame.seq

    def _measure(self, image: np.ndarray) -> None:
        """On the focus meter's thread (the meter is used from there only)."""
        self.focus_level = self.focus.update(image).level

    def newest(self) -> Frame | None:
        """The grabber's newest frame with its number and times (the last good one while the
        camera is lost: :meth:`problem` says so)."""
        return self.grabber.peek()

    def problem(self) -> str | None:
        """What is wrong with the camera, for a banner over the last frame; None if nothing.

        LOST comes within the grabber's frame timeout (1 s) of the last frame, so the
        person hears of an unplugged camera within 2 s at the panel's poll rate."""
        if self.grabber.state in _TROUBLE:
            with self._lock:
                return self._message
        return None

    def status(self) -> str:
        state = self.grabber.state
        if state is GrabberState.RUNNING:
            stats = self.grabber.stats()
            name = getattr(self.grabber.source, "name", "camera")
            return f"{name} · {stats.fps:.0f} fps"
        with self._lock:
            return self._message


def demo_feed(seed: int = 7) -> GrabberFeed:
    """The synthetic microscope: a ring head with prongs and a stone, focus falling off."""
    return GrabberFeed(SyntheticCamera(SyntheticConfig(seed=seed))).start()


def device_feed(settings: Settings | None = None) -> GrabberFeed | None:
    """The camera chosen in the settings (or the first the system lists) in the chosen
    mode with the remembered controls; None when there is no camera at all."""
    devices = list_devices()
    if not devices:
        return None
    chosen = devices[0]
    if settings is not None and settings.camera_index is not None:
        chosen = next((d for d in devices if d.index == settings.camera_index), chosen)
    mode = None
    if settings is not None and settings.camera_mode:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            mode = Mode.from_dict(settings.camera_mode)
    controls = settings.camera_controls if settings is not None else {}
    return GrabberFeed(OpenCVCamera(chosen.index, chosen.name, mode=mode), controls).start()
