"""Turning a frame into evidence bytes and the facts that go with them (no database here).

The capture key's path, from the UI through services::

    frame = grabber.peek()                                   # the newest frame
    ev = prepare_evidence(frame, source.capabilities(), calibration, magnification="2.0x")
    services.inspections.attach_evidence(station, user, inspection_id, ev.data,
                                         ev.media_type, item_id, position, meta=ev.meta)

``data`` is a lossless PNG of exactly the pixels the camera delivered (the store names it
by SHA-256 and makes it durable before the row); ``meta`` is JSON-safe: camera, mode,
control values, frame number and time, image size, and the calibration in force (so a
later measurement uses the calibration the image was taken with). A focus stack is stored
as its fused image (``prepare_stack_evidence``, whose meta lists every source frame) and its
source frames (each through ``prepare_evidence``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from qcstation.imaging.calibration import Calibration
from qcstation.imaging.frames import Frame, Image, encode_png, thumbnail
from qcstation.imaging.source import Capabilities
from qcstation.imaging.stacking import StackResult

PNG = "image/png"


@dataclass(frozen=True)
class Evidence:
    data: bytes
    media_type: str
    meta: dict[str, Any]
    width: int
    height: int


def _camera_meta(caps: Capabilities | None) -> dict[str, Any]:
    if caps is None:
        return {}
    return {
        "camera_id": caps.camera_id,
        "camera_name": caps.name,
        "camera_kind": caps.kind,
        "mode": str(caps.current_mode) if caps.current_mode else None,
        "controls": {
            c.value: info.value
            for c, info in caps.controls.items()
            if info.supported and info.value is not None
        },
    }


def prepare_evidence(
    frame: Frame | Image,
    camera: Capabilities | None = None,
    calibration: Calibration | None = None,
    *,
    magnification: str = "",
    extra: dict[str, Any] | None = None,
) -> Evidence:
    """PNG bytes of the frame, untouched, with what is known about how it was taken."""
    img = frame.image if isinstance(frame, Frame) else frame
    h, w = img.shape[:2]
    meta: dict[str, Any] = {"kind": "microscope", "width": w, "height": h, "encoding": "png"}
    meta |= _camera_meta(camera)
    if isinstance(frame, Frame):
        meta["frame_seq"] = frame.seq
        meta["taken_at"] = datetime.fromtimestamp(frame.wall_time, timezone.utc).isoformat()
    if magnification:
        meta["magnification"] = magnification
    meta["calibration"] = calibration.to_dict() if calibration else None
    if extra:
        meta |= extra
    return Evidence(encode_png(img), PNG, meta, w, h)


def prepare_stack_evidence(
    result: StackResult,
    camera: Capabilities | None = None,
    calibration: Calibration | None = None,
    *,
    magnification: str = "",
    source_sha256: list[str] | None = None,
) -> Evidence:
    """The fused image of a focus stack; pass the stored source frames' SHA-256s (in frame
    order) so the record links them."""
    extra: dict[str, Any] = dict(result.meta())
    if source_sha256 is not None:
        extra["source_sha256"] = list(source_sha256)
    return prepare_evidence(
        result.image, camera, calibration, magnification=magnification, extra=extra
    )


def thumbnail_png(img: Image, max_side: int = 256) -> bytes:
    """A small PNG for lists (never evidence)."""
    return encode_png(thumbnail(img, max_side), compression=3)
