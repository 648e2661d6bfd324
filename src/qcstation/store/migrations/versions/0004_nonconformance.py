"""Nonconformance dispositions, rework links and the 8D details of corrective actions.

New tables only (as 0003): a defect's disposition is decided in its own row, so the
defect row (part of a signed record) and the audited corrective_actions rows keep the
shape their audit entries and signatures recorded.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str, key: str = "id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.{key}"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("defect_id", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        _utc("decided_at"),
        _fk("dispositions", "defect_id", "defects"),
        _fk("dispositions", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
        sa.UniqueConstraint("defect_id", name=op.f("uq_dispositions_defect_id")),
    )
    op.create_index("ix_dispositions_decided_at", "dispositions", ["decided_at"])
    op.create_table(
        "reworks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.String(length=36), nullable=False),
        sa.Column("reworks_id", sa.String(length=36), nullable=False),
        _utc("created_at"),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        _fk("reworks", "inspection_id", "inspections"),
        _fk("reworks", "reworks_id", "inspections"),
        _fk("reworks", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reworks")),
        sa.UniqueConstraint("inspection_id", name=op.f("uq_reworks_inspection_id")),
        sa.UniqueConstraint("reworks_id", name=op.f("uq_reworks_reworks_id")),
    )
    op.create_table(
        "capa_details",
        sa.Column("capa_id", sa.Integer(), nullable=False),
        sa.Column("trend_code", sa.String(length=16), nullable=True),
        sa.Column("trend_from", sa.Date(), nullable=True),
        sa.Column("trend_to", sa.Date(), nullable=True),
        sa.Column("why_chain", sa.JSON(), nullable=False),
        sa.Column("preventive_owner_id", sa.Integer(), nullable=True),
        sa.Column("preventive_due", sa.Date(), nullable=True),
        sa.Column("evidence_files", sa.JSON(), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        _utc("verified_at", nullable=True),
        _fk("capa_details", "capa_id", "corrective_actions"),
        _fk("capa_details", "trend_code", "defect_codes", "code"),
        _fk("capa_details", "preventive_owner_id", "users"),
        _fk("capa_details", "verified_by_id", "users"),
        sa.PrimaryKeyConstraint("capa_id", name=op.f("pk_capa_details")),
    )


def downgrade() -> None:
    op.drop_table("capa_details")
    op.drop_table("reworks")
    op.drop_table("dispositions")
