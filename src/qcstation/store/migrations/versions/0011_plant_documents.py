"""Documents only the plant can issue: plant keys held by reviewers only, reissues.

- ``plant_key_wraps``: the certificate seal and the new plant document key, each wrapped to
  the signing key of a person who may issue documents (supervisors, administrators).
  Audited (the envelope as a digest).
- Until now every user's key held a copy of the seal (``signing_keys.sealed_plant_key``),
  so any inspector could seal a QR code. Those copies are removed here, every one: the
  seal they open was in every user's hands, so it is noted in ``plant_key_exposures`` and
  must be rotated (`qcstation keys rotate --root-passphrase`), which also makes the plant
  document key and wraps both to the reviewers. That column leaves the audited record
  (store/audit.py EXCLUDED), so emptying it is not a change behind the application's back.
- ``document_reissues``: a certificate replaced by a new number, with the reason; a
  certificate may now have several numbers over time, so (kind, inspection) is no longer
  unique on ``documents``.

Documents issued before this revision keep their rows; they were signed with the
exporter's own key and their content is not bound to the record (services/verify.py says
what can and cannot be proven about them; `db upgrade` counts them).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from qcstation.store.types import UTCDateTime, utcnow

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEWERS = ("supervisor", "admin")


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plant_key_wraps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plant_key_id", sa.Integer(), nullable=False),
        sa.Column("holder_key_id", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        _utc("granted_at"),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plant_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_plant_key_wraps_plant_key_id_signing_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_plant_key_wraps_holder_key_id_signing_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["users.id"], name=op.f("fk_plant_key_wraps_granted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_key_wraps")),
        sa.UniqueConstraint(
            "plant_key_id",
            "holder_key_id",
            name=op.f("uq_plant_key_wraps_plant_key_id_holder_key_id"),
        ),
    )
    op.create_index(op.f("ix_plant_key_wraps_holder_key_id"), "plant_key_wraps", ["holder_key_id"])
    op.create_table(
        "plant_key_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signing_key_id", sa.Integer(), nullable=False),
        _utc("noted_at"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signing_key_id"],
            ["signing_keys.id"],
            name=op.f("fk_plant_key_exposures_signing_key_id_signing_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plant_key_exposures")),
    )
    op.create_index(
        op.f("ix_plant_key_exposures_signing_key_id"), "plant_key_exposures", ["signing_key_id"]
    )
    op.create_table(
        "document_reissues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _utc("reissued_at"),
        sa.Column("reissued_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_reissues_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["documents.id"],
            name=op.f("fk_document_reissues_replaced_by_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["reissued_by_id"], ["users.id"], name=op.f("fk_document_reissues_reissued_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_reissues")),
        sa.UniqueConstraint("document_id", name=op.f("uq_document_reissues_document_id")),
        sa.UniqueConstraint("replaced_by_id", name=op.f("uq_document_reissues_replaced_by_id")),
    )
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_kind_inspection_id", type_="unique")
    _take_the_seal_back()


def _take_the_seal_back() -> None:
    """Empty every user key's copy of the seal; note the seal as exposed when anyone who
    may not issue documents held a copy."""
    conn = op.get_bind()
    holders = conn.execute(
        sa.text(
            "SELECT u.role FROM signing_keys k JOIN users u ON u.id = k.user_id "
            "WHERE k.sealed_plant_key IS NOT NULL"
        )
    ).scalars()
    roles = list(holders)
    others = sum(1 for r in roles if r not in REVIEWERS)
    if others:
        seals = conn.execute(
            sa.text("SELECT id FROM signing_keys WHERE kind = 'seal' AND revoked_at IS NULL")
        ).scalars()
        exposures = sa.table(
            "plant_key_exposures",
            sa.column("signing_key_id", sa.Integer()),
            sa.column("noted_at", UTCDateTime()),
            sa.column("reason", sa.Text()),
        )
        now = utcnow()
        reason = (
            f"every user's key held a copy of this seal (qcstation < 0.2): {others} of the "
            f"{len(roles)} keys that held it belong to people who may not issue certificates"
        )
        rows = [{"signing_key_id": i, "noted_at": now, "reason": reason} for i in seals]
        if rows:
            op.bulk_insert(exposures, rows)
    conn.execute(
        sa.text(
            "UPDATE signing_keys SET sealed_plant_key = NULL WHERE sealed_plant_key IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.create_unique_constraint("uq_documents_kind_inspection_id", ["kind", "inspection_id"])
    op.drop_table("document_reissues")
    op.drop_index(op.f("ix_plant_key_exposures_signing_key_id"), table_name="plant_key_exposures")
    op.drop_table("plant_key_exposures")
    op.drop_index(op.f("ix_plant_key_wraps_holder_key_id"), table_name="plant_key_wraps")
    op.drop_table("plant_key_wraps")
