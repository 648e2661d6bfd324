"""Shared pieces for the imaging tests: small synthetic cameras and a video file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from qcstation.imaging.source import Mode
from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig

SMALL = Mode(160, 120, 60, "MJPG")
CameraFactory = Callable[..., SyntheticCamera]


@pytest.fixture
def make_camera() -> CameraFactory:
    """A factory of tiny synthetic cameras (fast to render) delivering at 60 fps."""

    def make(seed: int = 1, realtime: bool = True, **kw: Any) -> SyntheticCamera:
        modes = (SMALL, Mode(320, 240, 30, "MJPG"))
        cfg = SyntheticConfig(seed=seed, mode=SMALL, modes=modes, realtime=realtime, **kw)
        return SyntheticCamera(cfg)

    return make


def write_video(path: Path, frames: int = 12, size: tuple[int, int] = (160, 120)) -> Path:
    """An MJPG AVI whose frame k is flat grey 10 * k."""
    w, h = size
    out = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 30.0, (w, h))
    assert out.isOpened()
    for k in range(frames):
        out.write(np.full((h, w, 3), 10 * k, np.uint8))
    out.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.avi")
