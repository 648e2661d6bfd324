"""Defects carry copies of their inspection's stage, inspector, SKU, station and start.

The dashboards' Pareto charts count defects by code, stage, inspector or material, over
whichever inspections the filter keeps. Joining every defect to its inspection (200,000
to a million at a plant) to learn those was the whole cost of a chart on PostgreSQL
(0.7-1 s). The copies let a chart read the defects table alone; whether an inspection
counts (completed, not superseded) becomes an anti-join against the few that do not, read
from the partial index ix_inspections_not_counted.

The database fills the copies itself, on every insert and update of a defect, from the
inspection row (a trigger: no path that writes a defect -- the services, sync delivery,
restore, demo data, raw SQL -- can leave them unset or wrong), and refreshes a defect's
copies if its inspection's values ever change (nothing in qcstation changes them, and a
closed inspection cannot change at all on PostgreSQL, migration 0010). They are not part
of the audit trail (store/audit.py EXCLUDED): they repeat the inspection's audited values.

Existing defects are back-filled here. On PostgreSQL the guard that refuses changes to a
completed inspection's defects (0010) is disabled for that one statement, inside this
migration's transaction (ALTER TABLE locks the table: nobody else writes meanwhile).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES = ("stage", "inspector_id", "sku", "station_id", "started_at")
_LIST = ", ".join(COPIES)

PG = [
    # The inspection is read in the trigger's own schema (not the caller's search_path).
    f"""
    CREATE FUNCTION qc_defect_copies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        EXECUTE format('SELECT {_LIST} FROM %I.inspections WHERE id = $1', TG_TABLE_SCHEMA)
            INTO NEW.stage, NEW.inspector_id, NEW.sku, NEW.station_id, NEW.started_at
            USING NEW.inspection_id;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER qc_defect_copies BEFORE INSERT OR UPDATE ON defects "
    "FOR EACH ROW EXECUTE FUNCTION qc_defect_copies()",
    # Touching the defects makes qc_defect_copies read the inspection's new values.
    """
    CREATE FUNCTION qc_inspection_copies() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        EXECUTE format('UPDATE %I.defects SET inspection_id = inspection_id '
            'WHERE inspection_id = $1', TG_TABLE_SCHEMA) USING NEW.id;
        RETURN NULL;
    END $$
    """,
    f"CREATE TRIGGER qc_inspection_copies AFTER UPDATE OF {_LIST} ON inspections "
    "FOR EACH ROW WHEN ((OLD.stage, OLD.inspector_id, OLD.sku, OLD.station_id, "
    "OLD.started_at) IS DISTINCT FROM (NEW.stage, NEW.inspector_id, NEW.sku, "
    "NEW.station_id, NEW.started_at)) EXECUTE FUNCTION qc_inspection_copies()",
]

_FROM_INSPECTION = f"({_LIST}) = (SELECT {_LIST} FROM inspections i WHERE i.id = NEW.inspection_id)"
SQLITE = [
    # SQLite cannot change NEW in a BEFORE trigger: the row is completed right after.
    f"""
    CREATE TRIGGER qc_defect_copies AFTER INSERT ON defects BEGIN
        UPDATE defects SET {_FROM_INSPECTION} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER qc_defect_copies_update AFTER UPDATE OF inspection_id, {_LIST} ON defects
    BEGIN
        UPDATE defects SET {_FROM_INSPECTION} WHERE id = NEW.id;
    END
    """,
    f"""
    CREATE TRIGGER qc_inspection_copies AFTER UPDATE OF {_LIST} ON inspections BEGIN
        UPDATE defects SET ({_LIST}) = (NEW.stage, NEW.inspector_id, NEW.sku, NEW.station_id,
            NEW.started_at) WHERE inspection_id = NEW.id;
    END
    """,
]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("defects") as batch:
        batch.add_column(sa.Column("stage", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("inspector_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sku", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("station_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    if pg:
        op.execute("ALTER TABLE defects DISABLE TRIGGER qc_closed_inspection_rows")
        op.execute(
            f"UPDATE defects d SET ({_LIST}) = (i.stage, i.inspector_id, i.sku, i.station_id, "
            "i.started_at) FROM inspections i WHERE i.id = d.inspection_id"
        )
        op.execute("ALTER TABLE defects ENABLE TRIGGER qc_closed_inspection_rows")
    else:
        op.execute(
            f"UPDATE defects SET ({_LIST}) = (SELECT {_LIST} FROM inspections i "
            "WHERE i.id = defects.inspection_id)"
        )
    for statement in PG if pg else SQLITE:
        op.execute(statement)
    # The few inspections that do not count (yet): in progress, abandoned, void.
    op.create_index(
        "ix_inspections_not_counted",
        "inspections",
        ["id"],
        postgresql_where=sa.text("status <> 'completed'"),
        sqlite_where=sa.text("status <> 'completed'"),
    )
    if pg:
        op.execute("ANALYZE defects")
        op.execute("ANALYZE inspections")


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_inspections_not_counted", table_name="inspections")
    if pg:
        op.execute("DROP TRIGGER qc_inspection_copies ON inspections")
        op.execute("DROP TRIGGER qc_defect_copies ON defects")
        op.execute("DROP FUNCTION qc_inspection_copies()")
        op.execute("DROP FUNCTION qc_defect_copies()")
    else:
        op.execute("DROP TRIGGER qc_inspection_copies")
        op.execute("DROP TRIGGER qc_defect_copies_update")
        op.execute("DROP TRIGGER qc_defect_copies")
    # Not batch mode (see 0017): SQLite 3.35+ drops a column in place.
    for name in reversed(COPIES):
        op.execute(f"ALTER TABLE defects DROP COLUMN {name}")
