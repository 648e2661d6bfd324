"""Template change notes: why a checklist version was made, as its editor wrote it.

One nullable column on ``templates``: a version saved in the checklist editor carries the
supervisor's note; versions imported from files (every one before this revision) have none,
so nothing is back-filled outside the audit trail (a column added later reads as null there).

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("templates") as batch:
        batch.add_column(sa.Column("change_note", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies the table and drops the old one, which the
    # foreign keys of existing inspections refuse. SQLite 3.35+ drops a column in place.
    op.execute("ALTER TABLE templates DROP COLUMN change_note")
