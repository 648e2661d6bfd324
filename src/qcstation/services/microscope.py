"""Keeping a microscope frame as evidence, with the calibration it was taken with.

    info = microscope.capture(station, actor, inspection_id, frame, item_id, position,
                              camera=caps, magnification="2.0x")

The frame is encoded losslessly (imaging.capture.prepare_evidence) on the caller's thread,
which in the UI is the worker; the file is made durable before its row (attach_evidence).
The evidence meta records the calibration in force for that camera, magnification and
resolution, and what its check said then (valid, stale, missing, mismatch), so a later
measurement on the image uses the scale it was taken at and shows the same warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qcstation.domain.users import User
from qcstation.imaging.calibration import CalibrationCheck, CalibrationStatus
from qcstation.imaging.capture import prepare_evidence, prepare_stack_evidence
from qcstation.imaging.frames import Frame, Image
from qcstation.imaging.source import Capabilities
from qcstation.imaging.stacking import StackResult
from qcstation.services import calibration, inspections
from qcstation.services.context import Station
from qcstation.services.inspections import EvidenceInfo

UNKNOWN_CAMERA = "unknown-camera"


@dataclass(frozen=True)
class Captured:
    evidence: EvidenceInfo
    calibration: CalibrationCheck


def _check(
    station: Station, camera: Capabilities | None, magnification: str, size: tuple[int, int]
) -> CalibrationCheck:
    camera_id = camera.camera_id if camera is not None else UNKNOWN_CAMERA
    return calibration.check_for(station, camera_id, magnification, size)


def _usable(chk: CalibrationCheck) -> Any:
    # a mismatched calibration is not this image's scale: record none rather than a wrong one
    if chk.status in (CalibrationStatus.VALID, CalibrationStatus.STALE):
        return chk.calibration
    return None


def capture(
    station: Station,
    actor: User,
    inspection_id: str,
    frame: Frame | Image,
    item_id: str | None = None,
    position: int | None = None,
    *,
    camera: Capabilities | None = None,
    magnification: str = "",
    extra: dict[str, Any] | None = None,
) -> Captured:
    img = frame.image if isinstance(frame, Frame) else frame
    size = (int(img.shape[1]), int(img.shape[0]))
    chk = _check(station, camera, magnification, size)
    meta = {"calibration_status": chk.status.value} | (extra or {})
    ev = prepare_evidence(frame, camera, _usable(chk), magnification=magnification, extra=meta)
    info = inspections.attach_evidence(
        station,
        actor,
        inspection_id,
        ev.data,
        ev.media_type,
        item_id,
        position,
        original_name=f"{item_id or 'inspection'}.png",
        meta=ev.meta,
    )
    return Captured(info, chk)


def capture_stack(
    station: Station,
    actor: User,
    inspection_id: str,
    frames: list[Frame | Image],
    result: StackResult,
    item_id: str | None = None,
    position: int | None = None,
    *,
    camera: Capabilities | None = None,
    magnification: str = "",
) -> Captured:
    """A focus stack: every source frame as evidence of its own, then the fused image whose
    meta lists the source frames' SHA-256s in order (so the record links them)."""
    sources = [
        capture(
            station,
            actor,
            inspection_id,
            f,
            item_id,
            position,
            camera=camera,
            magnification=magnification,
            extra={"stack_role": "source", "stack_index": i},
        ).evidence.sha256
        for i, f in enumerate(frames)
    ]
    h, w = result.image.shape[:2]
    chk = _check(station, camera, magnification, (int(w), int(h)))
    ev = prepare_stack_evidence(
        result, camera, _usable(chk), magnification=magnification, source_sha256=sources
    )
    ev.meta["calibration_status"] = chk.status.value
    ev.meta["stack_role"] = "fused"
    info = inspections.attach_evidence(
        station,
        actor,
        inspection_id,
        ev.data,
        ev.media_type,
        item_id,
        position,
        original_name=f"{item_id or 'inspection'}-stack.png",
        meta=ev.meta,
    )
    return Captured(info, chk)
