"""Evidence bytes and their facts: exactly the camera's pixels, JSON-safe meta."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from qcstation.imaging.calibration import from_two_points
from qcstation.imaging.capture import prepare_evidence, prepare_stack_evidence, thumbnail_png
from qcstation.imaging.frames import decode_image
from qcstation.imaging.stacking import focus_stack
from qcstation.imaging.synthetic import SyntheticCamera


def test_evidence_is_lossless_with_its_facts(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False)
    cam.open()
    frame = cam.read()
    cal = from_two_points((0, 0), (100, 0), 10, 0.1, camera_id=cam.camera_id, magnification="1.0x")
    ev = prepare_evidence(frame, cam.capabilities(), cal, magnification="1.0x")
    assert ev.media_type == "image/png"
    assert np.array_equal(decode_image(ev.data), frame.image)
    meta = json.loads(json.dumps(ev.meta))
    assert meta["camera_id"] == cam.camera_id and meta["frame_seq"] == frame.seq
    assert meta["mode"].startswith("160x120") and meta["controls"]["focus"] == 0.75
    assert meta["calibration"]["mm_per_px"] == cal.mm_per_px
    assert (meta["width"], meta["height"]) == (160, 120)


def test_stack_evidence_lists_its_frames(make_camera: Callable[..., SyntheticCamera]) -> None:
    cam = make_camera(realtime=False)
    cam.open()
    frames = [cam.read() for _ in range(3)]
    result = focus_stack(frames)
    ev = prepare_stack_evidence(result, cam.capabilities(), None, source_sha256=["a", "b", "c"])
    meta = json.loads(json.dumps(ev.meta))
    assert meta["kind"] == "focus_stack" and len(meta["frames"]) == 3
    assert meta["source_sha256"] == ["a", "b", "c"] and meta["calibration"] is None
    assert decode_image(thumbnail_png(result.image, 64)).shape == (48, 64, 3)
