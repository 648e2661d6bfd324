"""What the layouts draw: plain data the services assemble from the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from qcstation.domain.corrective import CorrectiveAction
from qcstation.domain.inspections import Inspection
from qcstation.domain.signing import CorrectionInfo, ESignature

Paper = Literal["a4", "letter"]
CertificateSize = Literal["a4", "letter", "card"]


class Overlay(Protocol):
    """Drawn over a photo: a scale bar, measurements, annotations (from imaging, later).

    The photo itself is the original evidence; an overlay is a separate layer drawn on
    top, in PDF points, inside the photo's box.
    """

    def draw(self, canvas: Any, x: float, y: float, width: float, height: float) -> None: ...


@dataclass(frozen=True)
class Photo:
    path: Path  # the evidence file (JPEG or PNG), read when the page is drawn
    media_type: str
    sha256: str
    caption: str
    overlay: Overlay | None = None


@dataclass(frozen=True)
class Review:
    decision: str
    reviewer: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ReportContent:
    number: str
    plant: str
    station: str
    inspection: Inspection
    record_hash: str
    issued_at: datetime
    issued_by: str
    defect_names: dict[str, str] = field(default_factory=dict)
    actions: Sequence[CorrectiveAction] = ()
    photos: Sequence[Photo] = ()
    signatures: Sequence[ESignature] = ()
    correction: CorrectionInfo | None = None
    superseded_by: str | None = None
    review: Review | None = None
    paper: Paper = "a4"
    verdict: str = ""  # the settled verdict (ACCEPTED ON REVIEW...); "" derives it
    copy: str = ""  # "made 2026-… by …" when this copy is not the first issue


@dataclass(frozen=True)
class CertificateContent:
    number: str
    plant: str
    issued: date
    title: str
    description: Sequence[tuple[str, str]]  # label, value: the claims, then the inspection
    verdict: str  # the printed verdict, e.g. "PASS", "ACCEPTED ON REVIEW"
    verdict_ok: bool
    signers: Sequence[ESignature]
    qr_text: str
    record_hash: str
    seal_key_id: str
    photo: Photo | None = None
    verify_hint: str = ""
    summary: Sequence[str] = ()  # what the inspection found, one short line each
    issued_by: str = ""  # the person who issued it, with their role


@dataclass(frozen=True)
class SignatureArea:
    """Where the visible PDF signature goes: page (1-based) and box in points."""

    page: int
    box: tuple[float, float, float, float]
