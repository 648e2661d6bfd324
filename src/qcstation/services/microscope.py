"""Keeping a microscope frame as evidence, with the calibration it was taken with.

One path for every capture in the window (the capture key, the defect form's photo):

    shot = camera_panel.shot()               # GUI thread: the frame, no copy, no encoding
    microscope.capture_shot(station, actor, inspection_id, shot, item_id, position)
    microscope.log_defect(station, actor, inspection_id, code, ..., shot=shot)  # together

A :class:`Shot` is the grabber's frame (its number and time), the camera's description
(id, mode, controls), the magnification, whether the preview was frozen, and what the
camera said was wrong at that moment. The services refuse a shot from a lost camera with a
message that says what to do, encode it losslessly on the caller's thread (in the UI, the
worker) and make the file durable before its row. The evidence meta records the
calibration in force for that camera, magnification and resolution, and what its check
said then (valid, stale, missing, mismatch), so a later measurement on the image uses the
scale it was taken at and shows the same warning; and ``frozen``, so a frozen picture is
never taken for the live one. Scripts and the demo pass a frame to :func:`capture`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from qcstation.domain.defects import Disposition, Severity
from qcstation.domain.users import User
from qcstation.imaging.calibration import CalibrationCheck, CalibrationStatus
from qcstation.imaging.capture import Evidence, prepare_evidence, prepare_stack_evidence
from qcstation.imaging.errors import ImagingError
from qcstation.imaging.frames import Frame, Image, decode_image, thumbnail
from qcstation.imaging.source import Capabilities
from qcstation.imaging.stacking import StackResult
from qcstation.services import calibration, inspections
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput
from qcstation.services.inspections import EvidenceInfo, LoggedDefect
from qcstation.store import repositories as repo
from qcstation.store.evidence import EvidenceError
from qcstation.store.models import EvidenceRow
from qcstation.store.retry import transient

UNKNOWN_CAMERA = "unknown-camera"


@dataclass(frozen=True)
class Captured:
    evidence: EvidenceInfo
    calibration: CalibrationCheck


@dataclass(frozen=True)
class Shot:
    """What the camera gave at the moment of a capture, taken on the GUI thread as is."""

    frame: Frame | None  # None: no picture has come from the camera yet
    camera: Capabilities | None = None
    magnification: str = ""
    frozen: bool = False  # the preview was frozen: this is the frozen picture, not the live one
    problem: str = ""  # what the camera reported wrong at that moment; "" when it was fine


class CameraUnavailable(InvalidInput):
    """Nothing was captured: the camera is lost, or never sent a picture."""

    def __init__(self, reason: str, what_to_do: str):
        self.reason = reason  # what is wrong, for a form that words its own advice
        super().__init__(f"{reason}, so nothing was captured: {what_to_do}")


def usable_frame(shot: Shot) -> Frame:
    """The shot's frame, or a refusal that says what to do (a lost camera's last good
    picture is still on screen, but it is not what lies under the lens now)."""
    if shot.problem:
        raise CameraUnavailable(
            f"the camera is not sending pictures ({shot.problem.rstrip('.')})",
            "wait for the picture to come back, then capture again",
        )
    if shot.frame is None:
        raise CameraUnavailable(
            "there is no camera picture yet",
            "connect the microscope, wait for the picture, then capture again",
        )
    return shot.frame


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


def _known(chk: CalibrationCheck, camera: Capabilities | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"calibration_status": chk.status.value}
    if camera is None:  # say so, rather than leave it to be guessed
        meta["camera_id"] = UNKNOWN_CAMERA
    return meta


def prepare(
    station: Station,
    frame: Frame | Image,
    *,
    camera: Capabilities | None = None,
    magnification: str = "",
    extra: dict[str, Any] | None = None,
) -> tuple[Evidence, CalibrationCheck]:
    """The PNG and its meta (camera, frame number and time, calibration in force)."""
    img = frame.image if isinstance(frame, Frame) else frame
    size = (int(img.shape[1]), int(img.shape[0]))
    chk = _check(station, camera, magnification, size)
    meta = _known(chk, camera) | (extra or {})
    ev = prepare_evidence(frame, camera, _usable(chk), magnification=magnification, extra=meta)
    return ev, chk


def prepare_shot(station: Station, shot: Shot) -> tuple[Evidence, CalibrationCheck]:
    """A shot's evidence, refused from a lost camera; ``frozen`` is always recorded."""
    frame = usable_frame(shot)
    return prepare(
        station,
        frame,
        camera=shot.camera,
        magnification=shot.magnification,
        extra={"frozen": shot.frozen},
    )


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
    ev, chk = prepare(station, frame, camera=camera, magnification=magnification, extra=extra)
    return Captured(_attach(station, actor, inspection_id, ev, item_id, position), chk)


def capture_shot(
    station: Station,
    actor: User,
    inspection_id: str,
    shot: Shot,
    item_id: str | None = None,
    position: int | None = None,
) -> Captured:
    """The capture key's path: the shot kept as evidence of the item (or the inspection)."""
    return attach_prepared(
        station, actor, inspection_id, prepare_shot(station, shot), item_id, position
    )


def attach_prepared(
    station: Station,
    actor: User,
    inspection_id: str,
    prepared: tuple[Evidence, CalibrationCheck],
    item_id: str | None = None,
    position: int | None = None,
) -> Captured:
    """Keep evidence made by ``prepare_shot`` (the encoding, done beforehand and maybe on
    another thread): one short transaction."""
    ev, chk = prepared
    return Captured(_attach(station, actor, inspection_id, ev, item_id, position), chk)


def _attach(
    station: Station,
    actor: User,
    inspection_id: str,
    ev: Evidence,
    item_id: str | None,
    position: int | None,
) -> EvidenceInfo:
    return inspections.attach_evidence(
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


def log_defect(
    station: Station,
    actor: User,
    inspection_id: str,
    code: str,
    item_id: str | None = None,
    position: int | None = None,
    severity: Severity | None = None,
    disposition: Disposition = Disposition.PENDING,
    note: str = "",
    *,
    shot: Shot | None = None,
    photo: Evidence | None = None,
) -> LoggedDefect:
    """The defect form's one call: the defect and, with a shot, its photo, committed
    together (inspections.log_defect); a shot from a lost camera refuses both, so the form
    keeps what was typed and says why. ``photo``: the shot already made into evidence by
    ``prepare_shot`` (the encoding, maybe on another thread), instead of ``shot``."""
    if photo is None and shot is not None:
        photo = prepare_shot(station, shot)[0]
    return inspections.log_defect(
        station,
        actor,
        inspection_id,
        code,
        item_id,
        position,
        severity,
        disposition,
        note,
        photo=photo,
    )


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
    step: Callable[[int, int], None] | None = None,
) -> Captured:
    """A focus stack: every source frame and the fused image, whose meta lists the source
    frames' SHA-256s in order (so the record links them). All files are made durable first,
    then all rows go in one transaction: a full disk or a refusal leaves no partial stack.

    ``step(done, total)`` is called before each frame is encoded: progress, and the place to
    stop (it may raise); once the files are being stored, the stack is kept whole. No
    transaction is open while frames are encoded."""
    if len(frames) < 2:
        raise InvalidInput("a focus stack needs at least two frames")
    size = (int(result.image.shape[1]), int(result.image.shape[0]))
    chk = _check(station, camera, magnification, size)
    cal = _usable(chk)
    sources = []
    for i, f in enumerate(frames):
        if step is not None:
            step(i, len(frames) + 1)
        sources.append(
            prepare_evidence(
                f,
                camera,
                cal,
                magnification=magnification,
                # the dialog takes fresh frames from the live camera, never the frozen picture
                extra=_known(chk, camera)
                | {"frozen": False, "stack_role": "source", "stack_index": i},
            )
        )
    if step is not None:
        step(len(frames), len(frames) + 1)  # the last moment to stop: nothing stored yet
    inspections.check_before_files(station, actor, inspection_id)
    stored = [station.evidence.put(ev.data) for ev in sources]
    fused = prepare_stack_evidence(
        result, camera, cal, magnification=magnification, source_sha256=[f.sha256 for f in stored]
    )
    fused.meta.update(_known(chk, camera) | {"frozen": False, "stack_role": "fused"})
    fused_file = station.evidence.put(fused.data)
    name = item_id or "inspection"
    with station.db.write(actor, station.name, reason="attach focus stack") as s:
        # the same checks and row as inspections.attach_evidence, for several files at once
        row = inspections._open_inspection(s, station, actor, inspection_id)
        if item_id is not None:
            tpl = inspections._template(s, row)
            inspections._check_position(
                inspections._item(tpl, item_id), row.position_counts, position
            )
        names = [f"{name}-stack-{i + 1}.png" for i in range(len(stored))] + [f"{name}-stack.png"]
        rows = [
            inspections.evidence_row(
                station,
                actor,
                inspection_id,
                f,
                ev.media_type,
                item_id,
                position,
                original,
                ev.meta,
            )
            for f, ev, original in zip([*stored, fused_file], [*sources, fused], names, strict=True)
        ]
        s.add_all(rows)
        s.flush()
        info = inspections.evidence_info(rows[-1])
    return Captured(info, chk)


@dataclass(frozen=True)
class Thumbnail:
    evidence_id: int
    item_id: str | None
    position: int | None
    image: Image  # at most THUMBNAIL_SIDE pixels on its longer side


THUMBNAIL_SIDE = 160


def recent_images(station: Station, inspection_id: str, limit: int = 6) -> list[Thumbnail]:
    """The inspection's newest stored images, oldest first, small: what the bench's strip
    shows when an inspection is opened again or the bench is unlocked. A file that fails
    its hash check is left out here (opening it names the damage)."""
    with station.db.read() as s:
        rows = list(
            s.scalars(
                select(EvidenceRow)
                .where(
                    EvidenceRow.inspection_id == inspection_id,
                    EvidenceRow.media_type.like("image/%"),
                )
                .order_by(EvidenceRow.id.desc())
                .limit(limit)
            )
        )
        found = [(r.id, r.item_id, repo.position_in(r.position), r.sha256) for r in rows]
    out = []
    for evidence_id, item_id, position, sha in reversed(found):
        try:
            image = decode_image(station.evidence.read(sha), f"evidence {evidence_id}")
        except (EvidenceError, ImagingError):
            continue
        out.append(Thumbnail(evidence_id, item_id, position, thumbnail(image, THUMBNAIL_SIDE)))
    return out
