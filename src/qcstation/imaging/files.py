"""Camera sources over files: a video file and a folder of images.

Both follow :class:`~qcstation.imaging.source.CameraSource`. ``realtime=True`` delivers at
the file's frame rate (the video's own, or ``fps`` for a folder), ``False`` as fast as they
decode (benchmarks, tests). At the end they loop or raise
:class:`~qcstation.imaging.errors.EndOfStream`. They have no camera controls: every control
reports unsupported.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np

from qcstation.imaging.errors import CameraDisconnected, EndOfStream, ImageReadError
from qcstation.imaging.frames import IMAGE_SUFFIXES, Frame, read_image
from qcstation.imaging.source import (
    Capabilities,
    Control,
    ControlInfo,
    ControlResult,
    Mode,
    select_mode,
    unsupported,
)


def _no_controls(why: str) -> dict[Control, ControlInfo]:
    return {c: ControlInfo(c, False, note=why) for c in Control}


class _Pacer:
    def __init__(self) -> None:
        self.due = 0.0

    def wait(self, fps: float) -> None:
        if fps <= 0:
            return
        now = time.monotonic()
        if self.due > now:
            time.sleep(self.due - now)
        self.due = max(self.due, time.monotonic() - 0.1) + 1.0 / fps


class VideoFileSource:
    def __init__(self, path: Path | str, loop: bool = False, realtime: bool = True):
        self.path = Path(path)
        self.loop, self.realtime = loop, realtime
        self.name = self.path.name
        self._cap: cv2.VideoCapture | None = None
        self._mode: Mode | None = None
        self._seq = 0
        self._pacer = _Pacer()
        self._lock = threading.Lock()

    @property
    def camera_id(self) -> str:
        return f"file:{self.path}"

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    def open(self) -> None:
        if not self.path.is_file():
            raise ImageReadError(f"video file {self.path} does not exist; check the path")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise ImageReadError(
                f"{self.path} is not a video that can be played (damaged or an unsupported "
                "format); use an AVI/MP4 file"
            )
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        code = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\0 ")
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._mode = Mode(w, h, float(cap.get(cv2.CAP_PROP_FPS) or 0.0), code)
        self._cap = cap
        self._pacer = _Pacer()

    def close(self) -> None:
        with self._lock:
            if self._cap is not None:
                self._cap.release()
                self._cap = None

    def read(self) -> Frame:
        cap = self._cap
        if cap is None:
            raise CameraDisconnected(f"{self.name} is not open")
        if self.realtime and self._mode is not None:
            self._pacer.wait(self._mode.fps)
        ok, img = cap.read()
        if not ok and self.loop:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, img = cap.read()
        if not ok or img is None:
            if self.loop:
                raise ImageReadError(f"{self.path} has no frame that can be decoded")
            raise EndOfStream(f"{self.name} has ended")
        self._seq += 1
        return Frame(np.asarray(img, np.uint8), self._seq, source_id=self.camera_id)

    def capabilities(self) -> Capabilities:
        modes = (self._mode,) if self._mode else ()
        return Capabilities(
            self.camera_id,
            self.name,
            "video",
            modes,
            self._mode,
            _no_controls("a video file has no camera controls"),
        )

    def set_mode(self, mode: Mode, exact: bool = True) -> Mode:
        return select_mode(mode, self.capabilities().modes, exact)

    def set_control(self, control: Control, value: float) -> ControlResult:
        return unsupported(control, value, "a video file has no camera controls")


class ImageFolderSource:
    """The images of a folder in name order, as frames (all must have one size)."""

    def __init__(
        self, folder: Path | str, loop: bool = True, fps: float = 10.0, realtime: bool = True
    ):
        self.folder = Path(folder)
        self.loop, self.fps, self.realtime = loop, fps, realtime
        self.name = self.folder.name or str(self.folder)
        self._files: list[Path] = []
        self._index = 0
        self._open = False
        self._mode: Mode | None = None
        self._seq = 0
        self._pacer = _Pacer()

    @property
    def camera_id(self) -> str:
        return f"folder:{self.folder}"

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        if not self.folder.is_dir():
            raise ImageReadError(f"image folder {self.folder} does not exist; check the path")
        files = sorted(
            p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
        )
        if not files:
            kinds = ", ".join(IMAGE_SUFFIXES)
            raise ImageReadError(f"{self.folder} holds no images ({kinds})")
        first = read_image(files[0])
        self._mode = Mode(first.shape[1], first.shape[0], self.fps)
        if files != self._files:  # reopened after a bad file: carry on after it
            self._files, self._index = files, 0
        self._open = True
        self._pacer = _Pacer()

    def close(self) -> None:
        self._open = False

    def read(self) -> Frame:
        if not self._open:
            raise CameraDisconnected(f"{self.name} is not open")
        if self._index >= len(self._files):
            if not self.loop:
                raise EndOfStream(f"no more images in {self.folder}")
            self._index = 0
        if self.realtime:
            self._pacer.wait(self.fps)
        path = self._files[self._index]
        self._index += 1
        img = read_image(path)  # ImageReadError names the file
        if self._mode and (img.shape[1], img.shape[0]) != (self._mode.width, self._mode.height):
            raise ImageReadError(
                f"{path} is {img.shape[1]}x{img.shape[0]}, the folder's first image is "
                f"{self._mode.width}x{self._mode.height}; keep one size per folder"
            )
        self._seq += 1
        return Frame(img, self._seq, source_id=self.camera_id)

    def capabilities(self) -> Capabilities:
        modes = (self._mode,) if self._mode else ()
        return Capabilities(
            self.camera_id,
            self.name,
            "folder",
            modes,
            self._mode,
            _no_controls("an image folder has no camera controls"),
        )

    def set_mode(self, mode: Mode, exact: bool = True) -> Mode:
        return select_mode(mode, self.capabilities().modes, exact)

    def set_control(self, control: Control, value: float) -> ControlResult:
        return unsupported(control, value, "an image folder has no camera controls")
