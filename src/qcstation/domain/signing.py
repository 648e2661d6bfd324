"""Electronic signatures: the canonical inspection record, and the manifest a signer signs.

Part 11 / Annex 11 practice, used as the bar: the signer re-enters the password; the
manifest shows the printed name, role, time (UTC and local) and the meaning of the
signature; and it is bound to the SHA-256 of the exact record, so it cannot be moved to
another record and any later change to the record is detected.

The canonical record holds what the inspection *found*: subject, template key and
version, answers, defects, evidence hashes, verdict, and the correction it is (if any).
It leaves out what legitimately moves on after signing (corrective actions, reviews,
other signatures), so signing "approved" does not break the "performed" signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from qcstation.domain.inspections import Inspection
from qcstation.domain.records import canonical_json, record_hash

RECORD_FORMAT = "qcstation-inspection-record/1"
# Format 2 adds "spec": the specification values the inspection froze when it started
# (domain/specs.py). Only a record that froze some is written in it, so every record of
# format 1 (every record made before specifications) gives the same bytes as it always did.
RECORD_FORMAT_SPEC = "qcstation-inspection-record/2"
MANIFEST_FORMAT = "qcstation-signature-manifest/1"


class Meaning(str, Enum):
    PERFORMED = "performed"
    REVIEWED = "reviewed"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return {"performed": "Performed by", "reviewed": "Reviewed by", "approved": "Approved by"}[
            self.value
        ]


@dataclass(frozen=True)
class EvidenceRef:
    sha256: str
    media_type: str
    item_id: str | None
    position: int | None


@dataclass(frozen=True)
class CorrectionInfo:
    """This inspection corrects (supersedes) an earlier, completed one."""

    supersedes_id: str
    revision: int
    reason: str
    created_by: str
    created_at: datetime


def canonical_record(
    inspection: Inspection,
    evidence: Sequence[EvidenceRef],
    correction: CorrectionInfo | None = None,
) -> dict[str, Any]:
    """The record a signature is bound to, as plain data with one spelling per value."""
    answers = [
        {
            "item": a.item_id,
            "position": a.position,
            "outcome": a.outcome,
            "readings": list(a.readings),
            "value": a.value,
            "note": a.note,
            # only where an instrument gave the readings: older records hash as before
            **({"instrument": a.instrument} if a.instrument else {}),
        }
        for a in sorted(inspection.answers.values(), key=lambda a: (a.item_id, a.position or 0))
    ]
    defects = sorted(
        (
            {
                "code": d.code,
                "severity": d.severity,
                "item": d.item_id,
                "position": d.position,
                "disposition": d.disposition,
                "note": d.note,
            }
            for d in inspection.defects
        ),
        key=canonical_json,
    )
    photos = sorted(
        (
            {
                "sha256": e.sha256,
                "media_type": e.media_type,
                "item": e.item_id,
                "position": e.position,
            }
            for e in evidence
        ),
        key=canonical_json,
    )
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "inspection": inspection.id,
        "template": {"key": inspection.template.template, "version": inspection.template.version},
        "stage": inspection.template.stage,
        "job_ticket": inspection.job_ticket,
        "sku": inspection.sku,
        "serial": inspection.serial,
        "subject": inspection.subject,
        "lot_size": inspection.lot_size,
        "sample_size": inspection.sample_size,
        "position_counts": inspection.position_counts,
        "inspector": inspection.inspector,
        "station": inspection.station,
        "started_at": inspection.started_at,
        "completed_at": inspection.completed_at,
        "status": inspection.status,
        "verdict": inspection.verdict,
        "answers": answers,
        "defects": defects,
        "evidence": photos,
        "correction": None
        if correction is None
        else {
            "supersedes": correction.supersedes_id,
            "revision": correction.revision,
            "reason": correction.reason,
        },
    }
    if inspection.spec is not None:
        record["format"] = RECORD_FORMAT_SPEC
        record["spec"] = inspection.spec.to_json()
    return record


def inspection_record_hash(
    inspection: Inspection,
    evidence: Sequence[EvidenceRef],
    correction: CorrectionInfo | None = None,
) -> str:
    return record_hash(canonical_record(inspection, evidence, correction))


@dataclass(frozen=True)
class Manifest:
    """What the signer saw and signed: who, as what, when, meaning what, for which record."""

    inspection_id: str
    record_hash: str
    meaning: Meaning
    username: str
    printed_name: str
    role: str
    signed_at: datetime  # UTC
    local_time: str  # the station's wall clock, ISO 8601 with its offset
    key_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "inspection": self.inspection_id,
            "record_sha256": self.record_hash,
            "meaning": self.meaning,
            "username": self.username,
            "printed_name": self.printed_name,
            "role": self.role,
            "signed_at_utc": self.signed_at,
            "signed_at_local": self.local_time,
            "key_id": self.key_id,
        }

    def encoded(self) -> bytes:
        """The exact bytes the signature is computed over."""
        return canonical_json(self.to_dict()).encode("utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"unknown manifest format {data.get('format')!r}")
        return cls(
            inspection_id=str(data["inspection"]),
            record_hash=str(data["record_sha256"]),
            meaning=Meaning(data["meaning"]),
            username=str(data["username"]),
            printed_name=str(data["printed_name"]),
            role=str(data["role"]),
            signed_at=datetime.fromisoformat(str(data["signed_at_utc"])),
            local_time=str(data["signed_at_local"]),
            key_id=str(data["key_id"]),
        )


@dataclass(frozen=True)
class ESignature:
    """A stored electronic signature, as the screens and reports show it."""

    id: int
    manifest: Manifest
    signature: str  # base64 of the signer's signature over manifest.encoded()
    certificate_subject: str

    @property
    def meaning(self) -> Meaning:
        return self.manifest.meaning


@dataclass(frozen=True)
class SignatureCheck:
    """One electronic signature checked against today's record and the plant's keys."""

    signature: ESignature
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class KeyStatus(str, Enum):
    PENDING = "pending"  # waiting for an administrator to issue the certificate
    ACTIVE = "active"
    RETIRED = "retired"  # replaced by a newer key; its old signatures stay valid
    REVOKED = "revoked"  # no signing; signatures made after revocation fail verification


@dataclass(frozen=True)
class KeyInfo:
    kind: str  # root | seal | document | user
    username: str | None
    key_id: str
    algorithm: str
    origin: str  # plant | imported
    subject: str
    status: KeyStatus
    not_after: datetime | None
    revoked_at: datetime | None = None
    can_seal: bool = False  # holds the plant's issuing keys: may issue reports and certificates
    retired_at: datetime | None = None
