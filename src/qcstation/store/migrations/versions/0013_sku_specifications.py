"""SKU specifications, and the values an inspection froze from one.

- ``sku_specs``: one row per revision of a SKU's (or one job ticket's) specification, as
  imported from an ERP export (services/specs.py). A revision never changes; an import
  that differs adds the next. Audited.
- ``inspections.spec``: the specification values an inspection took when it started
  (domain/specs.py Frozen). NULL for every inspection before this revision and for any
  whose checklist takes nothing from a specification, so older rows stay as they were
  (their audited record leaves a NULL column out).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sku_specs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("job_ticket", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"], name=op.f("fk_sku_specs_imported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_specs")),
        sa.UniqueConstraint(
            "sku", "job_ticket", "revision", name=op.f("uq_sku_specs_sku_job_ticket_revision")
        ),
    )
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("spec", sa.JSON(), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+): batch mode would copy the table and drop the old one,
    # which the foreign keys of existing rows refuse.
    op.execute("ALTER TABLE inspections DROP COLUMN spec")
    op.drop_table("sku_specs")
