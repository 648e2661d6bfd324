"""Measurements and annotations over a captured image: opened, saved, exported.

    opened = annotation_layers.open_image(station, evidence_id)   # image, layer, age limit
    annotation_layers.open_image(station, evidence_id, inspection_id=open_one)  # the bench's
    annotation_layers.save(station, actor, evidence_id, layer)    # the layer's JSON, audited
    annotation_layers.export_copy(station, evidence_id, layer, path)  # burned-in PNG copy

The evidence file is never changed: the layer is a row of its own (one per image, replaced
on save). A new layer starts from the calibration the image was taken with (its evidence
meta) and its capture time, so measurements are judged against the calibration as it was
then. Images of a completed inspection can be opened and exported but not annotated.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from qcstation.domain.inspections import Status
from qcstation.domain.users import Permission, User
from qcstation.imaging.annotations import AnnotationLayer
from qcstation.imaging.calibration import Calibration
from qcstation.imaging.errors import ImagingError
from qcstation.imaging.export import burn_in
from qcstation.imaging.frames import Image, decode_image, encode_png
from qcstation.services import calibration, holds
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qcstation.store.models import AnnotationLayerRow, EvidenceRow, InspectionRow
from qcstation.store.retry import transient


@dataclass(frozen=True)
class OpenedImage:
    evidence_id: int
    inspection_id: str
    item_id: str | None
    image: Image
    layer: AnnotationLayer
    max_age: timedelta
    editable: bool  # False once the inspection is completed or void
    meta: dict[str, object]


def _initial_layer(
    sha256: str, meta: dict[str, object], captured_at: datetime, size: tuple[int, int]
) -> AnnotationLayer:
    cal_d = meta.get("calibration")
    try:
        cal = Calibration.from_dict(cal_d) if isinstance(cal_d, dict) else None
    except ImagingError:
        cal = None  # a damaged record of the calibration: measure as uncalibrated
    taken = meta.get("taken_at")
    try:
        at = datetime.fromisoformat(str(taken)) if taken else captured_at
    except ValueError:
        at = captured_at
    return AnnotationLayer(sha256, size, cal, at)


def open_image(
    station: Station, evidence_id: int, *, inspection_id: str | None = None
) -> OpenedImage:
    """The image and its layer; with ``inspection_id`` (the bench's open inspection), only
    an image of that inspection: another's is refused, never shown in its place."""
    with station.db.read() as s:
        row = s.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFound(f"no evidence {evidence_id}")
        if inspection_id is not None and row.inspection_id != inspection_id:
            raise PermissionDenied(
                f"evidence {evidence_id} belongs to another inspection, not the one open at "
                "this bench; open that inspection from History to see it"
            )
        if not row.media_type.startswith("image/"):
            raise InvalidInput(f"evidence {evidence_id} is a {row.media_type}, not an image")
        ins = s.get(InspectionRow, row.inspection_id)
        editable = ins is not None and ins.status == Status.IN_PROGRESS.value
        stored = s.scalars(
            select(AnnotationLayerRow).where(AnnotationLayerRow.evidence_id == evidence_id)
        ).first()
        layer_json = stored.layer if stored is not None else None
        inspection_id, item_id, meta = row.inspection_id, row.item_id, dict(row.meta or {})
        sha, captured_at = row.sha256, row.captured_at
    data = station.evidence.read(sha)  # checks the hash: a damaged file is named, not shown
    try:
        image = decode_image(data, f"evidence image {sha[:12]}")
        h, w = image.shape[:2]
        layer = (
            AnnotationLayer.from_json(layer_json)
            if layer_json is not None
            else _initial_layer(sha, meta, captured_at, (w, h))
        )
    except ImagingError as exc:
        raise InvalidInput(str(exc)) from exc
    return OpenedImage(
        evidence_id,
        inspection_id,
        item_id,
        image,
        layer,
        calibration.max_age(station),
        editable,
        meta,
    )


@transient
def save(station: Station, actor: User, evidence_id: int, layer: AnnotationLayer) -> int:
    """Store the layer of an image of an inspection in progress; returns its item count."""
    text = layer.to_json()
    with station.db.write(actor, station.name, reason="annotate evidence") as s:
        user = require(s, actor, Permission.INSPECT)
        row = s.get(EvidenceRow, evidence_id)
        if row is None:
            raise NotFound(f"no evidence {evidence_id}")
        if layer.image_sha256 != row.sha256:
            raise InvalidInput("this annotation layer belongs to another image")
        ins = holds.locked(s, row.inspection_id)
        if ins is None or ins.status != Status.IN_PROGRESS.value:
            raise Conflict(
                "the inspection is no longer in progress: its images can be viewed and "
                "exported, not annotated"
            )
        if ins.inspector_id != user.id and not actor.can(Permission.REVIEW):
            raise PermissionDenied("only the inspector who started it or a supervisor may")
        holds.check(s, station, actor, ins)
        stored = s.scalars(
            select(AnnotationLayerRow).where(AnnotationLayerRow.evidence_id == evidence_id)
        ).first()
        if stored is None:
            stored = AnnotationLayerRow(evidence_id=evidence_id, layer=text)
            s.add(stored)
        stored.layer = text
        stored.updated_at = station.now()
        stored.updated_by_id = user.id
        return len(layer.items)


def render_copy(station: Station, image: Image, layer: AnnotationLayer) -> bytes:
    """PNG bytes of the image with the layer and a scale bar burned in."""
    try:
        return encode_png(burn_in(image, layer, max_age=calibration.max_age(station)))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def export_copy(station: Station, image: Image, layer: AnnotationLayer, path: Path) -> Path:
    """Write the burned-in copy to ``path`` (temp file, fsync, rename): a full disk leaves
    no half-written file, and an existing file is replaced only by a complete one."""
    data = render_copy(station, image, layer)
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".png", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InvalidInput(
            f"could not write {path}: {exc.strerror or exc}; choose another folder or free "
            "disk space, then export again"
        ) from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path
