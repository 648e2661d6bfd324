"""Inspection holds: which station (and who there) holds an unfinished inspection, parked
and abandoned ones, each hand-over audited.

A new table only: no row for an inspection started earlier means it is held by the
station that started it, for its inspector (services/holds.py), so nothing is back-filled
outside the audit trail.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inspection_holds",
        sa.Column("inspection_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("taken_from_station_id", sa.Integer(), nullable=True),
        sa.Column("taken_from_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_holds_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_inspection_holds_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_inspection_holds_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["taken_from_station_id"],
            ["stations.id"],
            name=op.f("fk_inspection_holds_taken_from_station_id_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["taken_from_user_id"],
            ["users.id"],
            name=op.f("fk_inspection_holds_taken_from_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("inspection_id", name=op.f("pk_inspection_holds")),
    )
    # The start page lists parked inspections at every station: find them without a scan.
    op.create_index("ix_inspection_holds_state", "inspection_holds", ["state"])


def downgrade() -> None:
    op.drop_index("ix_inspection_holds_state", table_name="inspection_holds")
    op.drop_table("inspection_holds")
