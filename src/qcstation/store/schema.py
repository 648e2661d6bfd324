"""Schema versions through Alembic: where a database stands and bringing it up to date."""

from __future__ import annotations

from enum import Enum

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import Engine


class SchemaState(str, Enum):
    EMPTY = "empty"  # no tables yet: run init (or db upgrade)
    BEHIND = "behind"  # made by an older qcstation: run db upgrade
    CURRENT = "current"
    AHEAD = "ahead"  # made by a newer qcstation: refuse


class SchemaTooNew(RuntimeError):
    pass


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "qcstation.store:migrations")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def state(engine: Engine) -> tuple[SchemaState, str | None]:
    rev = current(engine)
    if rev is None:
        return SchemaState.EMPTY, None
    if rev == head():
        return SchemaState.CURRENT, rev
    known = {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
    return (SchemaState.BEHIND if rev in known else SchemaState.AHEAD), rev


def known(revision: str) -> bool:
    """True when this qcstation's migrations include ``revision``."""
    return revision in {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def migrate(connection: Connection, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` on a connection, inside its transaction."""
    command.upgrade(_config(connection), revision)


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Migrate to the newest schema; return (from, to). Refuses a database from the future."""
    st, rev = state(engine)
    if st is SchemaState.AHEAD:
        raise SchemaTooNew(
            f"this database was made by a newer qcstation (schema {rev}); this one knows up "
            f"to {head()}: install the newer qcstation, or point this one at another database"
        )
    if st is not SchemaState.CURRENT:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
    return rev, head()
