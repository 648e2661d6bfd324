"""Resubmitted lots: ``lots.resubmission_of`` names the rejected lot inspected again.

A lot resubmitted after it was not accepted (ISO 2859-1 7.6, ANSI/ASQ Z1.4 6.4) is planned
as a lot of its own, normally on tightened inspection, and does not count as an original lot
in the switching rules. Lots before this revision are original lots (NULL).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.add_column(sa.Column("resubmission_of", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_lots_resubmission_of_lots"), "lots", ["resubmission_of"], ["id"]
        )
        batch.create_index(batch.f("ix_lots_resubmission_of"), ["resubmission_of"])


def downgrade() -> None:
    with op.batch_alter_table("lots") as batch:
        batch.drop_index(batch.f("ix_lots_resubmission_of"))
        batch.drop_constraint(batch.f("fk_lots_resubmission_of_lots"), type_="foreignkey")
        batch.drop_column("resubmission_of")
