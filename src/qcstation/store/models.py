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
    FetchedValue,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    cast,
    func,
    literal_column,
    text,
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
    # Why this version was made (the editor asks for it on saving); none for a file imported.
    change_note: Mapped[str | None] = mapped_column(Text, nullable=True)


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
    # Migration 0013: the SKU specification's values frozen when it started (domain/specs.py
    # Frozen); None when its checklist takes nothing from a specification.
    spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


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
    # The balance or caliper that gave the readings (migration 0015); None: typed.
    instrument: Mapped[str | None] = mapped_column(String(120), default=None)


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
    # Migration 0018: copies of the inspection's values, filled by the database itself on
    # every insert and update (a trigger), so the dashboards' Pareto charts read this table
    # alone. Never set them: whatever is written is replaced by the inspection's values.
    # Not audited (store/audit.py EXCLUDED): they repeat the inspection's audited values.
    stage: Mapped[str | None] = mapped_column(
        String(32), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    inspector_id: Mapped[int | None] = mapped_column(
        Integer, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    sku: Mapped[str | None] = mapped_column(
        String(64), server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    station_id: Mapped[int | None] = mapped_column(
        Integer, server_default=FetchedValue(), server_onupdate=FetchedValue()
    )
    started_at: Mapped[datetime | None] = mapped_column(
        server_default=FetchedValue(), server_onupdate=FetchedValue()
    )


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
    no certificate yet is waiting for an administrator to issue it. The plant's seal and
    document key reach the people who issue documents as rows of ``plant_key_wraps``;
    ``sealed_plant_key`` is where qcstation < 0.2 wrapped the seal to every user's key
    (emptied by migration 0011, no longer part of the audited record).
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # root | seal | document | user
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
    """A numbered report or customer certificate issued for one inspection.

    A report keeps its number for every copy. A certificate's number is issued once; a
    reissue (document_reissues) gets a new number and the old one verifies as superseded.
    ``details`` holds what the document states, fixed at its issue (format 2: the settled
    verdict, the claims, the plant document key); older rows hold what was typed at export.
    """

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("kind", "station_id", "sequence"),)

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
    actor: Mapped[str] = mapped_column(String(80))
    station: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The last entry of every flush carries its actor's signature over the chain's head
    # (store/audit.py seal_message); the entries before it in that flush are covered by it.
    key_id: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    # Migration 0012: every station appends to a chain of its own (named by the station);
    # ``seq`` numbers that chain's entries without a gap. None on the entries of the single
    # plant chain written before it (format 1); ``id`` stays the plant-wide order.
    chain: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(Integer)


Index("uq_audit_log_chain_seq", AuditEntry.chain, AuditEntry.seq, unique=True)


class AuditChain(Base):
    """One station's chain tip (migration 0012): locking it serialises that station's
    appends only, so stations never wait for each other."""

    __tablename__ = "audit_chains"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    last_id: Mapped[int] = mapped_column(Integer, default=0)  # audit_log.id of last_seq


class AuditHead(Base):
    """The plant's row: its chain id, and the tip of the single chain written before
    migration 0012 (frozen there; every station chain starts from it)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # Names this chain in signatures and in each station's anchor file (store/anchors.py).
    chain_id: Mapped[str | None] = mapped_column(String(32))
    # Entries from this id on must be signed; older ones were made before signing existed.
    signed_from: Mapped[int | None] = mapped_column(Integer)


class DispositionRow(Base):
    """What was decided for a defect found on a completed inspection (the defect row, part of
    the signed record, stays as it was logged)."""

    __tablename__ = "dispositions"
    __table_args__ = (Index("ix_dispositions_decided_at", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    defect_id: Mapped[int] = mapped_column(ForeignKey("defects.id"), unique=True)
    disposition: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime]


class ReworkRow(Base):
    """A re-inspection made after rework, pointing at the inspection whose piece was reworked."""

    __tablename__ = "reworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    reworks_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), unique=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class CapaDetailRow(Base):
    """What an 8D needs beyond the corrective_actions row: trend, why-chain, preventive owner,
    evidence files and the sign-off (a side table, so old audited rows keep their shape)."""

    __tablename__ = "capa_details"

    capa_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id"), primary_key=True)
    trend_code: Mapped[str | None] = mapped_column(ForeignKey("defect_codes.code"))
    trend_from: Mapped[date | None] = mapped_column(Date)
    trend_to: Mapped[date | None] = mapped_column(Date)
    why_chain: Mapped[list[Any]]
    preventive_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    preventive_due: Mapped[date | None] = mapped_column(Date)
    evidence_files: Mapped[list[Any]]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]


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
    DispositionRow,
    ReworkRow,
    CapaDetailRow,
)


class DocumentReissueRow(Base):
    """A certificate replaced by a new one (a new number), with the reason: the old one
    verifies as superseded from then on."""

    __tablename__ = "document_reissues"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    reissued_at: Mapped[datetime]
    reissued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class PlantKeyWrapRow(Base):
    """A plant key (the certificate seal, the document key) wrapped to one holder's signing
    key: what lets a supervisor or administrator issue documents. Only people who may
    issue documents hold one (services/_plant_keys.py)."""

    __tablename__ = "plant_key_wraps"
    __table_args__ = (UniqueConstraint("plant_key_id", "holder_key_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plant_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    holder_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    envelope: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class PlantKeyExposureRow(Base):
    """A plant key that left the circle of those who may issue documents (handed to every
    user by qcstation < 0.2, or held by someone revoked or no longer a supervisor): it
    must be rotated. Not audited: migration 0011 writes the first ones, and what it says
    is derived again at every rotation."""

    __tablename__ = "plant_key_exposures"

    id: Mapped[int] = mapped_column(primary_key=True)
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"), index=True)
    noted_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


# Microscope imaging (issue 4): calibrations and annotation layers. New tables only (see
# migration 0006): the evidence rows themselves never change.
class CalibrationRow(Base):
    """A stage-micrometer calibration of one camera at one magnification; the newest row
    for a (camera, magnification) is the one in force, older ones stay as history."""

    __tablename__ = "calibrations"
    __table_args__ = (Index("ix_calibrations_setting", "camera_id", "magnification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(255))
    magnification: Mapped[str] = mapped_column(String(32))
    mm_per_px: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(16))
    residual: Mapped[float] = mapped_column(Float, default=0.0)
    divisions: Mapped[int] = mapped_column(Integer, default=0)
    division_mm: Mapped[float] = mapped_column(Float, default=0.0)
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    made_at: Mapped[datetime]
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(String(64))


class AnnotationLayerRow(Base):
    """Measurements and annotations over one evidence image (imaging.annotations JSON);
    the image file stays what the camera saw."""

    __tablename__ = "annotation_layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), unique=True)
    layer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class GoldenSampleRow(Base):
    """The reference image of a SKU at a stage; the newest row for a (sku, stage) is the one
    in force, older ones stay as history. The image itself is an evidence row."""

    __tablename__ = "golden_samples"
    __table_args__ = (Index("ix_golden_samples_sku_stage", "sku", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(32))
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    set_at: Mapped[datetime]
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


AUDITED = (*AUDITED, CalibrationRow, AnnotationLayerRow, GoldenSampleRow)
# Documents only the plant issues (migration 0011): who holds the plant keys, and reissues.
AUDITED = (*AUDITED, PlantKeyWrapRow, DocumentReissueRow)


class SkuRow(Base):
    """What a SKU is made of: the material dashboards group defects by."""

    __tablename__ = "skus"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    material: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime]


class SkuSpecRow(Base):
    """One revision of a SKU's (or one job ticket's) specification (migration 0013).

    A revision never changes: an import adds the next one, so an inspection that froze
    revision 3 still names what revision 3 said. The newest revision is the one in force."""

    __tablename__ = "sku_specs"
    __table_args__ = (UniqueConstraint("sku", "job_ticket", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    job_ticket: Mapped[str] = mapped_column(String(64), default="")
    revision: Mapped[int]
    content: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text, default="")  # the file it was imported from
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class LotRow(Base):
    """A lot inspected by ISO 2859-1: its plans per severity class, the sample, the verdict."""

    __tablename__ = "lots"
    __table_args__ = (
        Index("ix_lots_stream", "stream_kind", "stream_key", "stage", "created_at"),
        Index("ix_lots_created_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_ticket: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    supplier: Mapped[str] = mapped_column(String(120), default="")
    stage: Mapped[str] = mapped_column(String(32))
    stream_kind: Mapped[str] = mapped_column(String(16))
    stream_key: Mapped[str] = mapped_column(String(120))
    lot_size: Mapped[int]
    level: Mapped[str] = mapped_column(String(4))
    plans: Mapped[dict[str, Any]]  # severity -> aql, mode, letters, n, Ac, Re, 100 %
    sample_size: Mapped[int]
    seed: Mapped[int]
    sample: Mapped[list[Any]]  # piece numbers in draw order
    status: Mapped[str] = mapped_column(String(16))  # planned | decided
    counts: Mapped[dict[str, Any] | None]
    verdict: Mapped[str | None] = mapped_column(String(16))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # migration 0014: the rejected lot this one is a resubmission of (None: an original lot,
    # the only kind the switching rules count)
    resubmission_of: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("lots.id"), index=True
    )


class SwitchingStateRow(Base):
    """Where one stream of lots stands in the clause-9 switching scheme, per severity class."""

    __tablename__ = "switching_states"
    __table_args__ = (UniqueConstraint("stream_kind", "stream_key", "stage", "severity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream_kind: Mapped[str] = mapped_column(String(16))
    stream_key: Mapped[str] = mapped_column(String(120))
    stage: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    consecutive_accepted: Mapped[int]
    recent_results: Mapped[str] = mapped_column(String(8))  # A accepted / R rejected, oldest first
    switching_score: Mapped[int]
    rejected_while_tightened: Mapped[int]
    discontinued: Mapped[bool] = mapped_column(Boolean)
    lots: Mapped[int]
    updated_at: Mapped[datetime]


# Made for the dashboards' join of every defect with its inspection (indexes only, in
# inspection order); since migration 0018 the Pareto charts read the defects' own copies
# instead. On SQLite migration 0005 also adds an index on the inspection's day (an
# expression, so it is not declared here), which the daily charts still read.
Index(
    "ix_inspections_dashboard_lookup",
    InspectionRow.id,
    InspectionRow.status,
    InspectionRow.stage,
    InspectionRow.started_at,
    InspectionRow.sku,
    InspectionRow.inspector_id,
    InspectionRow.station_id,
)
Index("ix_defects_inspection_code", DefectRow.inspection_id, DefectRow.code)
# Migration 0018: the few inspections that do not count on a dashboard (in progress,
# abandoned, void), which a Pareto anti-joins its defects against.
Index(
    "ix_inspections_not_counted",
    InspectionRow.id,
    postgresql_where=text("status <> 'completed'"),
    sqlite_where=text("status <> 'completed'"),
)
# On PostgreSQL (migration 0016) the day an inspection started, in UTC, as the dashboards
# group by it: its statistics tell the planner how few days there are.
Index(
    "ix_inspections_dashboard_day_pg",
    InspectionRow.status,
    cast(func.timezone(literal_column("'UTC'"), InspectionRow.started_at), Date),
).ddl_if(dialect="postgresql")

# Appended rather than written into the tuple above, to keep merges with other branches small.
AUDITED = (*AUDITED, SkuRow, LotRow, SwitchingStateRow)


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
    # Migration 0010: the station key's signature over payload_sha256 (sync_checks.py),
    # and when the server refused the record (kept aside with the reason in last_error).
    station_key_id: Mapped[str | None] = mapped_column(String(64))
    station_signature: Mapped[str | None] = mapped_column(Text)
    refused_at: Mapped[datetime | None]


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
    station_key_id: Mapped[str | None] = mapped_column(String(64))  # migration 0010
    station_signature: Mapped[str | None] = mapped_column(Text)


class LoginStats(Base):
    """Sign-ins refused for names that are no user's (migration 0008). Not audited: it
    exists so that a wrong name costs the same write as a wrong password for a real one."""

    __tablename__ = "login_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    unknown_failures: Mapped[int] = mapped_column(Integer, default=0)


# Who holds an unfinished inspection (migration 0009; domain/holds.py has the rules). A table
# of its own rather than columns on inspections: audited rows keep their shape, and every
# hand-over is an audited change of this row. An inspection without a row (started before
# 0009) is held by the station that started it, for its inspector.
class HoldRow(Base):
    __tablename__ = "inspection_holds"
    __table_args__ = (Index("ix_inspection_holds_state", "state"),)

    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # held | parked | completed | abandoned
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    since: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    taken_from_station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    taken_from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


AUDITED = (*AUDITED, HoldRow)
AUDITED = (*AUDITED, SkuSpecRow)
