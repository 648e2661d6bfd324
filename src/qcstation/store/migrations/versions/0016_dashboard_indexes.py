"""The inspection's UTC day, indexed on PostgreSQL for the quality dashboards.

services/dashboards.py groups inspections by the UTC day they started. On PostgreSQL the
planner knows nothing of that expression unless an index holds it: it then guesses half a
million groups in a million inspections and sorts them all on disk (2.5 s for the daily
p-chart). With this index ANALYZE keeps the expression's statistics (a few hundred days),
so the day charts hash-aggregate in parallel. SQLite has its own day index (0005).

An index only: nothing to do for older rows.

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The very expression of services/dashboards.py _day_of_start on PostgreSQL.
DAY = "(CAST(timezone('UTC', started_at) AS date))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_inspections_dashboard_day_pg ON inspections (status, {DAY})")
        op.execute("ANALYZE inspections")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_inspections_dashboard_day_pg")
