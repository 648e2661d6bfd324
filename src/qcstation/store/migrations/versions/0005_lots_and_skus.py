"""Lots inspected by ISO 2859-1, the switching state of each stream, SKU materials, and
indexes for the quality dashboards.

New tables and indexes only (see 0003 on why audited tables do not gain columns).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "skus",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=False),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_skus")),
    )
    op.create_table(
        "lots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("job_ticket", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("supplier", sa.String(length=120), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("stream_kind", sa.String(length=16), nullable=False),
        sa.Column("stream_key", sa.String(length=120), nullable=False),
        sa.Column("lot_size", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("plans", sa.JSON(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("sample", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        _utc("created_at"),
        _utc("decided_at", nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_lots_inspector_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_lots_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_lots_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots")),
    )
    op.create_index("ix_lots_stream", "lots", ["stream_kind", "stream_key", "stage", "created_at"])
    op.create_index("ix_lots_created_at", "lots", ["created_at"])
    op.create_table(
        "switching_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_kind", sa.String(length=16), nullable=False),
        sa.Column("stream_key", sa.String(length=120), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("consecutive_accepted", sa.Integer(), nullable=False),
        sa.Column("recent_results", sa.String(length=8), nullable=False),
        sa.Column("switching_score", sa.Integer(), nullable=False),
        sa.Column("rejected_while_tightened", sa.Integer(), nullable=False),
        sa.Column("discontinued", sa.Boolean(), nullable=False),
        sa.Column("lots", sa.Integer(), nullable=False),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_switching_states")),
        sa.UniqueConstraint(
            "stream_kind",
            "stream_key",
            "stage",
            "severity",
            name=op.f("uq_switching_states_stream_kind_stream_key_stage_severity"),
        ),
    )
    op.create_index(
        "ix_inspections_dashboard_lookup",
        "inspections",
        ["id", "status", "stage", "started_at", "sku", "inspector_id", "station_id"],
    )
    op.create_index("ix_defects_inspection_code", "defects", ["inspection_id", "code"])
    if op.get_bind().dialect.name == "sqlite":
        # The day an inspection started, as services/dashboards.py groups by it (text
        # 'YYYY-MM-DD ...' in UTC): the daily GROUP BY reads this index in order instead
        # of sorting every inspection. PostgreSQL hash-aggregates and needs no such index.
        op.execute(
            "CREATE INDEX ix_inspections_dashboard_day ON inspections "
            "(status, substr(started_at, 1, 10), stage, verdict, id)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_inspections_dashboard_day")
    op.drop_index("ix_defects_inspection_code", table_name="defects")
    op.drop_index("ix_inspections_dashboard_lookup", table_name="inspections")
    op.drop_table("switching_states")
    op.drop_index("ix_lots_created_at", table_name="lots")
    op.drop_index("ix_lots_stream", table_name="lots")
    op.drop_table("lots")
    op.drop_table("skus")
