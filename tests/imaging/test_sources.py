"""Video file, image folder and synthetic camera sources; reading image files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from qcstation.imaging.errors import (
    CameraDisconnected,
    CameraNotFound,
    EndOfStream,
    ImageReadError,
    ModeNotSupported,
)
from qcstation.imaging.files import ImageFolderSource, VideoFileSource
from qcstation.imaging.focus import focus_score
from qcstation.imaging.frames import decode_image, encode_png, read_image
from qcstation.imaging.source import CameraSource, Control, ControlStatus, Mode
from qcstation.imaging.synthetic import DefectKind, SyntheticCamera


def test_read_image_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageReadError, match="is a folder"):
        read_image(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match=r"empty\.png is empty"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(ImageReadError, match=r"notes\.jpg is not an image"):
        read_image(tmp_path / "notes.jpg")
    good = encode_png(np.full((20, 30, 3), 99, np.uint8))
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 3])
    with pytest.raises(ImageReadError, match=r"cut\.png"):
        read_image(tmp_path / "cut.png")


def test_png_is_lossless_and_grey_becomes_bgr(tmp_path: Path) -> None:
    img = np.random.default_rng(1).integers(0, 256, (31, 47, 3), dtype=np.uint8)
    assert np.array_equal(decode_image(encode_png(img)), img)
    grey = np.arange(256, dtype=np.uint8).reshape(16, 16)
    path = tmp_path / "grey ü.png"  # non-ASCII names work
    path.write_bytes(encode_png(grey))
    back = read_image(path)
    assert back.shape == (16, 16, 3) and np.array_equal(back[..., 0], grey)


def test_video_file_source(video: Path) -> None:
    src = VideoFileSource(video, loop=False, realtime=False)
    assert isinstance(src, CameraSource)
    src.open()
    caps = src.capabilities()
    assert caps.current_mode == Mode(160, 120, 30.0, "MJPG")
    assert not any(info.supported for info in caps.controls.values())
    assert src.set_control(Control.EXPOSURE, 1).status is ControlStatus.UNSUPPORTED
    levels = [int(src.read().image.mean()) for _ in range(12)]
    assert levels == sorted(levels) and abs(levels[-1] - 110) <= 3
    with pytest.raises(EndOfStream):
        src.read()
    src.close()


def test_video_file_loops(video: Path) -> None:
    src = VideoFileSource(video, loop=True, realtime=False)
    src.open()
    seqs = [src.read().seq for _ in range(30)]
    assert seqs == list(range(1, 31))


def test_video_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        VideoFileSource(tmp_path / "missing.avi").open()
    (tmp_path / "bad.avi").write_bytes(b"RIFF....garbage")
    with pytest.raises(ImageReadError, match="not a video"):
        VideoFileSource(tmp_path / "bad.avi").open()


def test_image_folder_source(tmp_path: Path) -> None:
    for k in range(3):
        cv2.imwrite(str(tmp_path / f"{k:02d}.png"), np.full((8, 10, 3), 40 * k, np.uint8))
    (tmp_path / "readme.txt").write_text("ignored")
    src = ImageFolderSource(tmp_path, loop=False, realtime=False)
    src.open()
    assert [int(src.read().image[0, 0, 0]) for _ in range(3)] == [0, 40, 80]
    with pytest.raises(EndOfStream):
        src.read()


def test_image_folder_reports_a_bad_file_and_carries_on(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((8, 10, 3), np.uint8))
    (tmp_path / "b.png").write_bytes(b"\x89PNG broken")
    cv2.imwrite(str(tmp_path / "c.png"), np.full((8, 10, 3), 7, np.uint8))
    src = ImageFolderSource(tmp_path, loop=False, realtime=False)
    src.open()
    src.read()
    with pytest.raises(ImageReadError, match=r"b\.png"):
        src.read()
    src.close()
    src.open()  # what the grabber does after an error
    assert int(src.read().image[0, 0, 0]) == 7


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="does not exist"):
        ImageFolderSource(tmp_path / "missing").open()
    with pytest.raises(ImageReadError, match="holds no images"):
        ImageFolderSource(tmp_path).open()


def test_synthetic_camera_is_deterministic(make_camera: Callable[..., SyntheticCamera]) -> None:
    a, b = make_camera(seed=5, realtime=False), make_camera(seed=5, realtime=False)
    a.open()
    b.open()
    for _ in range(3):
        assert np.array_equal(a.read().image, b.read().image)
    c = make_camera(seed=6, realtime=False)
    c.open()
    assert not np.array_equal(a.read().image, c.read().image)


def test_synthetic_camera_controls_and_modes(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False, controls=frozenset({Control.FOCUS, Control.EXPOSURE}))
    cam.open()
    caps = cam.capabilities()
    assert caps.supports(Control.FOCUS) and not caps.supports(Control.GAIN)
    assert cam.set_control(Control.GAIN, 3).status is ControlStatus.UNSUPPORTED
    assert cam.set_control(Control.FOCUS, 9).status is ControlStatus.ADJUSTED
    dark = cam.set_control(Control.EXPOSURE, 4)
    assert dark.status is ControlStatus.APPLIED
    assert cam.read().image.mean() < 40
    with pytest.raises(ModeNotSupported, match="nearest is 320x240"):
        cam.set_mode(Mode(400, 300))
    cam.set_mode(Mode(320, 240))
    assert cam.read().image.shape == (240, 320, 3)
    assert cam.truth.px_per_mm == pytest.approx(2 * make_camera().view(160, 120).px_per_mm)


def test_focus_follows_the_depth(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False, noise=0.0)
    cam.set_mode(Mode(320, 240))
    cam.open()
    stone = cam.truth.regions["stone"]
    table = float(np.median(cam.truth.depth[stone]))
    scores = {}
    for focus in (table - 1.5, table - 0.75, table, table + 0.75):
        cam.set_control(Control.FOCUS, focus)
        ys, xs = np.nonzero(stone)
        roi = (int(xs.min()), int(ys.min()), int(np.ptp(xs)), int(np.ptp(ys)))
        scores[focus] = focus_score(cam.read().image, roi=roi)
    assert max(scores, key=lambda f: scores[f]) == table


def test_defects_come_with_their_truth(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False, defects=tuple(DefectKind))
    cam.set_mode(Mode(320, 240))
    cam.open()
    kinds = {d.kind for d in cam.truth.defects}
    assert kinds == set(DefectKind)
    for d in cam.truth.defects:
        x, y, w, h = d.bbox
        assert d.mask.sum() > 0 and x >= 0 and x + w <= 320 and y >= 0 and y + h <= 240


def test_unplugged_synthetic_camera(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False)
    cam.open()
    cam.read()
    cam.unplug()
    with pytest.raises(CameraDisconnected, match="USB cable"):
        cam.read()
    cam.close()
    with pytest.raises(CameraNotFound, match="plug it in"):
        cam.open()
    cam.replug()
    cam.open()
    assert cam.read().seq == 2
