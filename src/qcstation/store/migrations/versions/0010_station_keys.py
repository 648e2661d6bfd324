"""Station keys and a plant database that keeps its own rules.

- The outbox carries each record's station signature (the station key signs the payload's
  hash) and can set a refused record aside; the server's receipt keeps the signature.
- On PostgreSQL, triggers that hold for every role, the owner included, until someone
  who owns the tables drops or disables them: the audit trail, signatures, documents,
  corrections and sync receipts are append-only (no UPDATE, DELETE or TRUNCATE); a
  completed (or void, or abandoned) inspection never changes, nor do its answers, defects and evidence
  (rows may still be added in the very transaction that wrote the inspection, which is how
  a synced record arrives). A station's database role has no UPDATE or DELETE on these
  tables either (services/plant_roles.py): the grants and the triggers guard each other.

SQLite gets no triggers: the bench's own account owns the file and could drop them; what
protects a lone bench is the signed audit trail and its anchor (docs/security.md).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = {
    "audit_log": "the audit trail is append-only: an entry is never changed or removed",
    "signatures": "an electronic signature is never changed or removed",
    "documents": "an issued report or certificate is never changed or removed (reissue it)",
    "corrections": "a correction is never changed or removed",
    "sync_receipts": "a receipt of a synced record is never changed or removed",
}
CHILDREN = ("answers", "defects", "evidence")
CLOSED = "('completed', 'void', 'abandoned')"

FUNCTIONS = [
    # TG_ARGV[0] says why, in words a DBA or a support person can act on.
    """
    CREATE FUNCTION qc_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'qcstation: % on %.% refused: %',
            TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    f"""
    CREATE FUNCTION qc_closed_inspection() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.status IN {CLOSED} THEN
            RAISE EXCEPTION 'qcstation: % of inspection % refused: it is %, and a completed '
                'inspection never changes (a correction is a new inspection)',
                TG_OP, OLD.id, OLD.status
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END $$
    """,
    # The inspection is read in the trigger's own schema (not the caller's search_path).
    # xmin = this transaction: the inspection row was written by it (a synced record
    # arriving, or the completion itself), so its rows may still be added alongside.
    f"""
    CREATE FUNCTION qc_closed_inspection_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        ids text[];
        one text;
        state text;
        fresh boolean;
    BEGIN
        IF TG_OP = 'INSERT' THEN
            ids := ARRAY[NEW.inspection_id];
        ELSIF TG_OP = 'DELETE' THEN
            ids := ARRAY[OLD.inspection_id];
        ELSE
            ids := ARRAY[OLD.inspection_id, NEW.inspection_id];
        END IF;
        FOREACH one IN ARRAY ids LOOP
            EXECUTE format(
                'SELECT status, xmin = pg_current_xact_id()::xid FROM %I.inspections '
                'WHERE id = $1', TG_TABLE_SCHEMA)
                INTO state, fresh USING one;
            IF state IN {CLOSED} AND NOT (TG_OP = 'INSERT' AND fresh) THEN
                RAISE EXCEPTION 'qcstation: % on %.% refused: inspection % is %, and a '
                    'completed inspection''s answers, defects and evidence never change',
                    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, one, state
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        END LOOP;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END $$
    """,
]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _triggers() -> list[str]:
    out = []
    for table, why in APPEND_ONLY.items():
        out.append(
            f"CREATE TRIGGER qc_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION qc_append_only({_quote(why)})"
        )
        out.append(
            f"CREATE TRIGGER qc_append_only_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION qc_append_only({_quote(why)})"
        )
    out.append(
        "CREATE TRIGGER qc_closed_inspection BEFORE UPDATE OR DELETE ON inspections "
        "FOR EACH ROW EXECUTE FUNCTION qc_closed_inspection()"
    )
    for table in (*CHILDREN, "inspections"):
        out.append(
            f"CREATE TRIGGER qc_closed_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            "EXECUTE FUNCTION qc_append_only('completed inspections never change')"
        )
    for table in CHILDREN:
        out.append(
            f"CREATE TRIGGER qc_closed_inspection_rows BEFORE INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION qc_closed_inspection_rows()"
        )
    return out


def upgrade() -> None:
    with op.batch_alter_table("sync_outbox") as batch:
        batch.add_column(sa.Column("station_key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("station_signature", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sync_receipts") as batch:
        batch.add_column(sa.Column("station_key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("station_signature", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in FUNCTIONS + _triggers():
            op.execute(sa.text(statement))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(sa.text(f"DROP TRIGGER qc_append_only ON {table}"))
            op.execute(sa.text(f"DROP TRIGGER qc_append_only_truncate ON {table}"))
        op.execute(sa.text("DROP TRIGGER qc_closed_inspection ON inspections"))
        for table in (*CHILDREN, "inspections"):
            op.execute(sa.text(f"DROP TRIGGER qc_closed_truncate ON {table}"))
        for table in CHILDREN:
            op.execute(sa.text(f"DROP TRIGGER qc_closed_inspection_rows ON {table}"))
        for name in ("qc_closed_inspection_rows", "qc_closed_inspection", "qc_append_only"):
            op.execute(sa.text(f"DROP FUNCTION {name}()"))
    with op.batch_alter_table("sync_receipts") as batch:
        batch.drop_column("station_signature")
        batch.drop_column("station_key_id")
    with op.batch_alter_table("sync_outbox") as batch:
        batch.drop_column("refused_at")
        batch.drop_column("station_signature")
        batch.drop_column("station_key_id")
