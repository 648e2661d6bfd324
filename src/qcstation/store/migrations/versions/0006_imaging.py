"""Microscope imaging: calibrations per camera and magnification, annotation layers,
golden samples per SKU and stage.

New tables only (an audited table that gained a column would no longer equal the state its
latest audit entry recorded).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=255), nullable=False),
        sa.Column("magnification", sa.String(length=32), nullable=False),
        sa.Column("mm_per_px", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("residual", sa.Float(), nullable=False),
        sa.Column("divisions", sa.Integer(), nullable=False),
        sa.Column("division_mm", sa.Float(), nullable=False),
        sa.Column("image_width", sa.Integer(), nullable=True),
        sa.Column("image_height", sa.Integer(), nullable=True),
        _utc("made_at"),
        sa.Column("made_by_id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["made_by_id"], ["users.id"], name=op.f("fk_calibrations_made_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibrations")),
    )
    op.create_index(
        "ix_calibrations_setting", "calibrations", ["camera_id", "magnification"], unique=False
    )
    op.create_table(
        "annotation_layers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        _utc("updated_at"),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_annotation_layers_evidence_id_evidence")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_annotation_layers_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_layers")),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_annotation_layers_evidence_id")),
    )
    op.create_table(
        "golden_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _utc("set_at"),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_golden_samples_evidence_id_evidence")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_golden_samples_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_golden_samples")),
    )
    op.create_index("ix_golden_samples_sku_stage", "golden_samples", ["sku", "stage"])


def downgrade() -> None:
    op.drop_index("ix_golden_samples_sku_stage", table_name="golden_samples")
    op.drop_table("golden_samples")
    op.drop_table("annotation_layers")
    op.drop_index("ix_calibrations_setting", table_name="calibrations")
    op.drop_table("calibrations")
