"""Alembic environment: migrations run on a connection qcstation hands over."""

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning

from qcstation.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through `qcstation db upgrade`, which supplies the connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
)
with context.begin_transaction(), warnings.catch_warnings():
    # Batch mode on SQLite reflects the tables a copied table refers to; the expression
    # index on inspections cannot be reflected, and is not needed: only the table being
    # altered is copied, and its own indexes are plain columns.
    warnings.filterwarnings(
        "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
    )
    context.run_migrations()
