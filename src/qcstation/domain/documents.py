"""What an issued report or certificate states, as the data embedded in its signed PDF.

The content is the record's canonical data (domain/signing.canonical_record) with the
document's own facts: number, kind, who issued it and when, the plant and station, the
settled verdict, the certificate's claims, and the audit trail's head at the issue. It is
canonical JSON, embedded in the PDF inside the revision the plant document key signs, so a
verifier reads exactly what the document claims and compares it with the database; and
offline it prints these facts for a person to compare with the paper.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from qcstation.domain.certificate_claims import as_data, from_data
from qcstation.domain.certificates import Claim
from qcstation.domain.records import canonical_json, record_hash, sha256_hex
from qcstation.domain.stages import Stage
from qcstation.domain.verdicts import FinalVerdict

FORMAT = "qcstation-document/2"
KINDS = ("report", "certificate")


class DocumentContentError(ValueError):
    """Embedded content that is not a qcstation document's, or is damaged."""


@dataclass(frozen=True)
class Person:
    username: str
    name: str
    role: str

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


@dataclass(frozen=True)
class ChainHead:
    """The audit trail's head when the document was issued: entry id and hash."""

    chain: str
    id: int
    hash: str


@dataclass(frozen=True)
class DocumentFacts:
    kind: str
    number: str
    inspection_id: str
    plant: str
    station: str
    issued_at: datetime
    issued_by: Person
    made_at: datetime  # this copy (a reprint keeps the number and the issue)
    made_by: Person
    verdict: FinalVerdict
    claims: tuple[Claim, ...]
    audit_head: ChainHead
    record_sha256: str
    record: dict[str, Any]

    def to_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "number": self.number,
            "inspection": self.inspection_id,
            "plant": self.plant,
            "station": self.station,
            "issued_at": self.issued_at,
            "issued_by": self.issued_by.__dict__,
            "made_at": self.made_at,
            "made_by": self.made_by.__dict__,
            "verdict": {"code": self.verdict.value, "label": self.verdict.label},
            "claims": as_data(self.claims),
            "audit_head": self.audit_head.__dict__,
            "record_sha256": self.record_sha256,
            "record": self.record,
        }

    def content(self) -> bytes:
        return canonical_json(self.to_data()).encode("utf-8")

    @property
    def sha256(self) -> str:
        return sha256_hex(self.content())

    @property
    def record_intact(self) -> bool:
        """The embedded record hashes to the record hash the document names."""
        return record_hash(self.record) == self.record_sha256

    @classmethod
    def from_content(cls, data: bytes) -> DocumentFacts:
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raise ValueError(
                    f"unknown format {raw.get('format') if isinstance(raw, dict) else raw!r}"
                )
            if raw["kind"] not in KINDS:
                raise ValueError(f"unknown kind {raw['kind']!r}")
            head = raw["audit_head"]
            facts = cls(
                kind=str(raw["kind"]),
                number=str(raw["number"]),
                inspection_id=str(raw["inspection"]),
                plant=str(raw["plant"]),
                station=str(raw["station"]),
                issued_at=datetime.fromisoformat(str(raw["issued_at"])),
                issued_by=Person(**{k: str(v) for k, v in raw["issued_by"].items()}),
                made_at=datetime.fromisoformat(str(raw["made_at"])),
                made_by=Person(**{k: str(v) for k, v in raw["made_by"].items()}),
                verdict=FinalVerdict(raw["verdict"]["code"]),
                claims=from_data(raw["claims"]),
                audit_head=ChainHead(str(head["chain"]), int(head["id"]), str(head["hash"])),
                record_sha256=str(raw["record_sha256"]),
                record=dict(raw["record"]),
            )
        except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DocumentContentError(
                f"its embedded content is damaged or foreign ({exc})"
            ) from None
        if facts.content() != data:
            raise DocumentContentError("its embedded content is not in its canonical form")
        return facts

    def lines(self) -> list[str]:
        """The facts in words, for a person to compare with the paper."""
        r = self.record
        template = r.get("template") or {}
        try:
            stage = Stage(r.get("stage")).label
        except ValueError:
            stage = str(r.get("stage"))
        completed = str(r.get("completed_at") or "")[:16].replace("T", " ")
        out = [
            f"{self.kind} {self.number} of inspection {self.inspection_id}",
            f"issued {self.issued_at:%Y-%m-%d %H:%M} UTC by {self.issued_by}, {self.plant} "
            f"(station {self.station})",
        ]
        if (self.made_at, self.made_by) != (self.issued_at, self.issued_by):
            out.append(f"this copy made {self.made_at:%Y-%m-%d %H:%M} UTC by {self.made_by}")
        out += [
            f"verdict: {self.verdict.label}",
            f"subject: SKU {r.get('sku')}, serial {r.get('serial') or '—'}, job ticket "
            f"{r.get('job_ticket')}; {stage}, checklist {template.get('key')} version "
            f"{template.get('version')}, inspected by {r.get('inspector')}, completed "
            f"{completed} UTC",
        ]
        out += [f"claim: {c}" for c in self.claims]
        out += [
            f"record SHA-256 {self.record_sha256}",
            f"audit trail at issue: entry #{self.audit_head.id} ({self.audit_head.hash[:16]}…)",
        ]
        return out
