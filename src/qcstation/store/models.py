"""SQLAlchemy 2 models. The schema itself changes only through Alembic migrations.

Positions are stored as 0 for "no position" (never NULL), because NULLs are distinct in
unique constraints on both SQLite and PostgreSQL and would let an answer be stored twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from qcstation.store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Station(Base):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class TemplateRow(Base):
    """One imported version of a checklist template, kept forever once used."""

    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("template_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    stage: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DefectCode(Base):
    __tablename__ = "defect_codes"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    stages: Mapped[list[Any]]
    description: Mapped[str] = mapped_column(Text, default="")
    catalog_version: Mapped[int]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectionRow(Base):
    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_started_at", "started_at"),
        Index("ix_inspections_sku_started", "sku", "started_at"),
        Index("ix_inspections_serial", "serial"),
        Index("ix_inspections_job_ticket", "job_ticket"),
        Index("ix_inspections_verdict_started", "verdict", "started_at"),
        Index("ix_inspections_status", "status"),
        Index("ix_inspections_inspector_started", "inspector_id", "started_at"),
        Index("ix_inspections_stage_started", "stage", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_ticket: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    serial: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(8))
    lot_size: Mapped[int | None]
    sample_size: Mapped[int | None]
    stage: Mapped[str] = mapped_column(String(32))
    template_id: Mapped[int] = mapped_column(ForeignKey("templates.id"))
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int]
    position_counts: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    notes: Mapped[str] = mapped_column(Text, default="")


class AnswerRow(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("inspection_id", "item_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))
    readings: Mapped[list[Any]]
    mean: Mapped[float | None] = mapped_column(Float)
    value: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime]
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class EvidenceRow(Base):
    """A file in the evidence store, named by its SHA-256; committed once the file is durable."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(255), default="")
    meta: Mapped[dict[str, Any]]
    captured_at: Mapped[datetime]
    captured_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class DefectRow(Base):
    __tablename__ = "defects"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(ForeignKey("defect_codes.code"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    disposition: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CorrectiveActionRow(Base):
    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    defect_id: Mapped[int | None] = mapped_column(ForeignKey("defects.id"))
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24))
    containment: Mapped[str] = mapped_column(Text, default="")
    root_cause_category: Mapped[str | None] = mapped_column(String(16))
    root_cause: Mapped[str] = mapped_column(Text, default="")
    corrective: Mapped[str] = mapped_column(Text, default="")
    preventive: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due: Mapped[date | None] = mapped_column(Date)
    effectiveness_evidence: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime]
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]


class ReviewRow(Base):
    """A supervisor's decision on an inspection that needs review: accepted or rejected."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime]


class SigningKeyRow(Base):
    """A signing key with its certificate: the plant root, the QR seal, or a user's.

    The private key is stored only sealed: the root and the seal under the root
    passphrase, a user's under a key derived from that user's password. A user key with
    no certificate yet is waiting for an administrator to issue it. ``sealed_plant_key``
    is the seal's private key wrapped to this user key, so the user can sign QR codes.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # root | seal | user
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(24))
    origin: Mapped[str] = mapped_column(String(16))  # plant | imported
    subject: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    certificate: Mapped[str | None] = mapped_column(Text)
    chain: Mapped[str] = mapped_column(Text, default="")
    encrypted_key: Mapped[str] = mapped_column(Text)
    sealed_plant_key: Mapped[str | None] = mapped_column(Text)
    not_after: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str] = mapped_column(Text, default="")


class SignatureRow(Base):
    """An electronic signature: the manifest text exactly as signed, and the signature."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("inspection_id", "meaning"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    meaning: Mapped[str] = mapped_column(String(16))
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    record_hash: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]


class CorrectionRow(Base):
    """A completed inspection corrected by a new version; the old one is kept unchanged."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    supersedes_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    revision: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class DocumentRow(Base):
    """A numbered report or customer certificate issued for one inspection."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("kind", "inspection_id"),
        UniqueConstraint("kind", "station_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # report | certificate
    number: Mapped[str] = mapped_column(String(40), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    sequence: Mapped[int]
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), index=True)
    record_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AuditEntry(Base):
    """One link of the audit chain. ``old`` and ``new`` keep the exact canonical JSON text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(32))
    station: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """A single row holding the chain's tip; locking it serialises appends across stations."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# Tables whose every change is written to the audit chain (see store/audit.py).
AUDITED: tuple[type[Base], ...] = (
    Station,
    UserRow,
    TemplateRow,
    DefectCode,
    InspectionRow,
    AnswerRow,
    EvidenceRow,
    DefectRow,
    CorrectiveActionRow,
    ReviewRow,
    SigningKeyRow,
    SignatureRow,
    CorrectionRow,
    DocumentRow,
)


# Offline sync (migration 0007). Not audited: transport bookkeeping. The records they carry
# are audited where they land, and the station's own entries travel in the receipt.
class OutboxRow(Base):
    """A completed record waiting on a station for the server (sent_at None) or sent."""

    __tablename__ = "sync_outbox"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ReceiptRow(Base):
    """The server's proof that (record_id, version) arrived, once, from one station."""

    __tablename__ = "sync_receipts"
    __table_args__ = (UniqueConstraint("record_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    station: Mapped[str] = mapped_column(String(64))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    station_audit: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
