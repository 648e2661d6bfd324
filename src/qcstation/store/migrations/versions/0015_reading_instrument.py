"""Which instrument gave a measurement's readings: ``answers.instrument``.

A balance or caliper read straight into the checklist (services/instruments.py) names
itself here ("Balance (Mettler Toledo MT-SICS, COM3)"); a typed reading leaves it empty.
A new nullable column only: every earlier answer was typed and stays valid as it is, and
the audit trail compares rows without their empty columns (store/audit_verify.py).

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("answers", sa.Column("instrument", sa.String(length=120), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+): batch mode would copy the table and drop the old one,
    # which the foreign keys of existing rows refuse.
    op.execute("ALTER TABLE answers DROP COLUMN instrument")
