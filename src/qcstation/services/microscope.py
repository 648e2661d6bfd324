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
from qcstation.services.errors import InvalidInput
from qcstation.services.inspections import EvidenceInfo
from qcstation.store import repositories as repo
from qcstation.store.models import EvidenceRow
from qcstation.store.retry import transient

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


@transient
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
    """A focus stack: every source frame and the fused image, whose meta lists the source
    frames' SHA-256s in order (so the record links them). All files are made durable first,
    then all rows go in one transaction: a full disk or a refusal leaves no partial stack."""
    if len(frames) < 2:
        raise InvalidInput("a focus stack needs at least two frames")
    size = (int(result.image.shape[1]), int(result.image.shape[0]))
    chk = _check(station, camera, magnification, size)
    cal = _usable(chk)
    sources = [
        prepare_evidence(
            f,
            camera,
            cal,
            magnification=magnification,
            extra={
                "calibration_status": chk.status.value,
                "stack_role": "source",
                "stack_index": i,
            },
        )
        for i, f in enumerate(frames)
    ]
    inspections.check_before_files(station, actor, inspection_id)
    stored = [station.evidence.put(ev.data) for ev in sources]
    fused = prepare_stack_evidence(
        result, camera, cal, magnification=magnification, source_sha256=[f.sha256 for f in stored]
    )
    fused.meta["calibration_status"] = chk.status.value
    fused.meta["stack_role"] = "fused"
    fused_file = station.evidence.put(fused.data)
    name = item_id or "inspection"
    with station.db.write(actor.username, station.name, reason="attach focus stack") as s:
        # the same checks and row as inspections.attach_evidence, for several files at once
        row = inspections._open_inspection(s, station, actor, inspection_id)
        if item_id is not None:
            tpl = inspections._template(s, row)
            inspections._check_position(
                inspections._item(tpl, item_id), row.position_counts, position
            )
        now = station.now()
        names = [f"{name}-stack-{i + 1}.png" for i in range(len(stored))] + [f"{name}-stack.png"]
        rows = [
            EvidenceRow(
                inspection_id=inspection_id,
                item_id=item_id,
                position=repo.position_out(position),
                sha256=f.sha256,
                media_type=ev.media_type,
                size_bytes=f.size,
                original_name=original[:255],
                meta=ev.meta,
                captured_at=now,
                captured_by_id=actor.id,
            )
            for f, ev, original in zip([*stored, fused_file], [*sources, fused], names, strict=True)
        ]
        s.add_all(rows)
        s.flush()
        last = rows[-1]
        info = EvidenceInfo(
            last.id, fused_file.sha256, fused_file.size, fused.media_type, item_id, position
        )
    return Captured(info, chk)
