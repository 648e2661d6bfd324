"""Golden samples: the reference image of a SKU at a stage, and comparing a piece with it.

    golden.set_from_evidence(station, actor, evidence_id, note="")  # its inspection's SKU+stage
    golden.current(station, sku, stage)        # GoldenSample or None
    golden.compare(station, evidence_id)       # the piece vs the golden sample of its SKU+stage

A golden sample is an evidence image already in the store (lossless, hash-checked), so
setting one copies nothing. Setting is a supervisor's decision (the REVIEW permission): every
later comparison is judged against it. A newer one supersedes; history stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcstation.domain.stages import Stage
from qcstation.domain.users import Permission, User
from qcstation.imaging.compare import Comparison, compare_to_golden
from qcstation.imaging.errors import ImagingError
from qcstation.imaging.frames import Image, decode_image
from qcstation.services.accounts import require
from qcstation.services.context import Station
from qcstation.services.errors import InvalidInput, NotFound
from qcstation.store.models import EvidenceRow, GoldenSampleRow, InspectionRow, UserRow

SET_GOLDEN = Permission.REVIEW


@dataclass(frozen=True)
class GoldenSample:
    id: int
    sku: str
    stage: Stage
    evidence_id: int
    sha256: str
    note: str
    set_at: datetime
    set_by: str


@dataclass(frozen=True)
class GoldenComparison:
    golden: GoldenSample
    piece: Image  # the evidence image as stored
    reference: Image  # the golden sample's image
    result: Comparison


def _image_row(s: Session, evidence_id: int) -> tuple[EvidenceRow, InspectionRow]:
    ev = s.get(EvidenceRow, evidence_id)
    if ev is None:
        raise NotFound(f"no evidence {evidence_id}")
    if not ev.media_type.startswith("image/"):
        raise InvalidInput(f"evidence {evidence_id} is a {ev.media_type}, not an image")
    ins = s.get(InspectionRow, ev.inspection_id)
    if ins is None:
        raise NotFound(f"the inspection of evidence {evidence_id} is missing")
    return ev, ins


def set_from_evidence(
    station: Station, actor: User, evidence_id: int, note: str = ""
) -> GoldenSample:
    """Make this captured image the golden sample of its inspection's SKU and stage."""
    with station.db.write(actor, station.name, reason="set golden sample") as s:
        user = require(s, actor, SET_GOLDEN)
        ev, ins = _image_row(s, evidence_id)
        row = GoldenSampleRow(
            sku=ins.sku,
            stage=ins.stage,
            evidence_id=ev.id,
            note=note.strip()[:2000],
            set_at=station.now(),
            set_by_id=user.id,
        )
        s.add(row)
        s.flush()
        return GoldenSample(
            row.id, row.sku, Stage(row.stage), ev.id, ev.sha256, row.note, row.set_at, user.username
        )


def current(station: Station, sku: str, stage: Stage) -> GoldenSample | None:
    with station.db.read() as s:
        found = s.execute(
            select(GoldenSampleRow, EvidenceRow.sha256, UserRow.username)
            .join(EvidenceRow, EvidenceRow.id == GoldenSampleRow.evidence_id)
            .join(UserRow, UserRow.id == GoldenSampleRow.set_by_id)
            .where(GoldenSampleRow.sku == sku, GoldenSampleRow.stage == stage.value)
            .order_by(GoldenSampleRow.set_at.desc(), GoldenSampleRow.id.desc())
        ).first()
        if found is None:
            return None
        row, sha, name = found
        return GoldenSample(
            row.id, row.sku, Stage(row.stage), row.evidence_id, sha, row.note, row.set_at, name
        )


def _decode(station: Station, sha256: str, what: str) -> Image:
    try:
        return decode_image(station.evidence.read(sha256), what)
    except ImagingError as exc:
        raise InvalidInput(str(exc)) from exc


def compare(
    station: Station, evidence_id: int, step: Callable[[int, int], None] | None = None
) -> GoldenComparison:
    """Align the piece's image to the golden sample of its SKU and stage and mark what
    differs (imaging.compare: tolerant of small shifts and lighting changes). Two short
    reads, then the decoding and comparing with no transaction open; ``step(done, total)``
    between them (progress, and a place to stop: it may raise)."""
    step = step or (lambda _d, _t: None)
    with station.db.read() as s:
        ev, ins = _image_row(s, evidence_id)
        sku, stage, sha = ins.sku, Stage(ins.stage), ev.sha256
    gold = current(station, sku, stage)
    if gold is None:
        raise NotFound(
            f"there is no golden sample for {sku} at {stage.value.replace('_', ' ')}: a "
            "supervisor sets one from a good piece's captured image"
        )
    step(0, 3)
    piece = _decode(station, sha, f"evidence image {sha[:12]}")
    step(1, 3)
    reference = _decode(station, gold.sha256, f"golden sample image {gold.sha256[:12]}")
    step(2, 3)
    try:
        result = compare_to_golden(piece, reference)
    except ImagingError as exc:
        raise InvalidInput(
            f"the piece could not be aligned to the golden sample ({exc}); capture it at the "
            "same magnification and roughly the same view"
        ) from exc
    return GoldenComparison(gold, piece, reference, result)
