"""One audit chain per station: no plant-wide lock on the save path.

- ``audit_log.chain`` and ``audit_log.seq``: the station whose chain an entry belongs to,
  and its place there (gap-free per station, unique with the chain). Entries written before
  this revision keep both empty: they are the single plant chain of format 1 and verify
  as they always did; ``audit_head`` keeps that chain's tip, frozen from here on, and every
  station chain starts from it (docs/multi-station.md).
- ``audit_chains``: one row per station chain, its tip; a station locks only its own.
- On PostgreSQL ``audit_log.id`` (the plant-wide order) now comes from its sequence, which
  is moved past the entries written so far.

Nothing existing is rewritten: columns are added empty, a table is created.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = "qcstation_station"  # services/plant_roles.py DEFAULT_GROUP


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("chain", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.create_index("uq_audit_log_chain_seq", "audit_log", ["chain", "seq"], unique=True)
    op.create_table(
        "audit_chains",
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chains")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(
        sa.text(
            "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), "
            "(SELECT coalesce(max(id), 0) + 1 FROM audit_log), false)"
        )
    )
    # A plant whose stations already log in as the group keeps working without `db roles`.
    has_group = bind.execute(
        sa.text("SELECT 1 FROM pg_roles WHERE rolname = :g"), {"g": GROUP}
    ).first()
    if has_group:
        bind.execute(sa.text(f"GRANT SELECT, INSERT ON audit_chains TO {GROUP}"))
        bind.execute(
            sa.text(f"GRANT UPDATE (last_seq, last_hash, last_id) ON audit_chains TO {GROUP}")
        )
        # The plant chain of format 1 is closed: nothing moves its tip any more.
        bind.execute(sa.text(f"REVOKE UPDATE ON audit_head FROM {GROUP}"))


def downgrade() -> None:
    op.drop_table("audit_chains")
    op.drop_index("uq_audit_log_chain_seq", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("seq")
        batch.drop_column("chain")
