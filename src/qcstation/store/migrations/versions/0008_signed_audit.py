"""Signed audit entries: each flush's last entry carries its actor's signature; the chain
gets an id that signatures and station anchors name; refused sign-ins for unknown names
are counted (login_stats) so they cost what a wrong password costs.

Entries made before this revision stay as they are (unsigned); ``signed_from`` marks where
signing begins, and `audit verify` reports the older ones as made before signing existed.
They stay protected by the hash chain: every signature after them covers them.

Revision ID: 0008
Revises: 0007
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("signature", sa.Text(), nullable=True))
        # Station actors ("station:NAME") are longer than user names.
        batch.alter_column("actor", existing_type=sa.String(length=32), type_=sa.String(length=80))
    op.add_column("audit_head", sa.Column("chain_id", sa.String(length=32), nullable=True))
    op.add_column("audit_head", sa.Column("signed_from", sa.Integer(), nullable=True))
    op.create_table(
        "login_stats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unknown_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_stats")),
    )
    op.execute(
        sa.text(
            "UPDATE audit_head SET chain_id = :chain, signed_from = last_id + 1 WHERE id = 1"
        ).bindparams(chain=secrets.token_hex(16))
    )


def downgrade() -> None:
    op.drop_table("login_stats")
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("signed_from")
        batch.drop_column("chain_id")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("signature")
        batch.drop_column("key_id")
        batch.alter_column("actor", existing_type=sa.String(length=80), type_=sa.String(length=32))
