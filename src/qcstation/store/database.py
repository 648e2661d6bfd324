"""Opening the database: engine settings, write transactions, and errors a person can act on.

SQLite (the default, one file per station) runs in WAL with synchronous=FULL, foreign
keys on and a busy timeout; every write transaction starts with BEGIN IMMEDIATE so a
read-then-write never meets SQLITE_BUSY halfway. PostgreSQL (a plant's shared server)
uses the same models, migrations and audit chain.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker

from qcstation.store import anchors, audit, private

BUSY_TIMEOUT_MS = 10_000


class DatabaseError(RuntimeError):
    """A database problem a person can act on; the message says what to do."""


class DatabaseBusy(DatabaseError):
    pass


class DatabaseUnavailable(DatabaseError):
    pass


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# The driver-level error type, for callers above the store that must not import SQLAlchemy.
DriverError = DBAPIError


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases or in-memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def create(url: str, password: str | None = None) -> Engine:
    """An engine for a URL, with the settings this application relies on; ``password``
    (from the secret store) is added when the URL has none."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            f"{url!r} is not a database URL; expected e.g. "
            "postgresql+psycopg://user@host/qcstation or sqlite:///path/to/file.db"
        ) from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, never psycopg2
    if password is not None and parsed.password is None:
        parsed = parsed.set(password=password)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        if parsed.get_backend_name() == "postgresql":
            return create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except NoSuchModuleError:
        pass
    raise DatabaseError(
        f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or postgresql://..."
    )


def _sqlite_engine(url: Any) -> Engine:
    path = Path(url.database) if url.database and url.database != ":memory:" else None
    if path is not None and not path.exists() and path.parent.is_dir():
        # Made 0600 before SQLite opens it: its -wal and -shm files take the same mode.
        private.create_file(path)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.execute("PRAGMA foreign_keys = ON")
        except UnicodeDecodeError as exc:
            # SQLite's own message quoted damaged bytes of the schema: sqlite3 cannot even
            # decode it into an error.
            raise damaged(str(url), f"undecodable bytes in its schema: {exc.reason}") from None
        finally:
            cur.close()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> Exception | None:
        # The same for a damaged table page read later (the driver's message, or a text
        # value, holds bytes that are not UTF-8).
        if isinstance(context.original_exception, UnicodeDecodeError):
            return damaged(str(url), f"undecodable bytes: {context.original_exception.reason}")
        return None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("qc_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# Driver errors that come from the world (locks, disks, networks, damaged files), as
# opposed to IntegrityError/ProgrammingError, which mean a bug and must stay loud.
def is_environmental(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and not isinstance(exc, (IntegrityError, ProgrammingError))


def translate(exc: DBAPIError, url: str | None) -> DatabaseError:
    """Turn a driver error into one that says what happened and what to do."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    where = redact(url) if url else "the station database"
    if "database is locked" in text or "database is busy" in text:
        return DatabaseBusy(
            f"the database {where} is locked by another program and stayed locked for "
            f"{BUSY_TIMEOUT_MS // 1000} s; close the other program (or wait) and try again"
        )
    if "unable to open database file" in text:
        return DatabaseUnavailable(
            f"cannot open the database {where}: check that the folder exists and is writable"
        )
    if "readonly database" in text:
        return DatabaseUnavailable(f"the database {where} is read-only: check its permissions")
    if "disk is full" in text or "database or disk is full" in text:
        return DatabaseError(
            f"the disk holding {where} is full: free some space and try again; "
            "nothing committed was lost"
        )
    if (
        "file is not a database" in text
        or "malformed" in text
        or "Could not decode to UTF-8" in text
    ):
        return damaged(url, text.strip().splitlines()[0][:80])
    if "connection" in text.lower() or "could not" in text.lower() or "timeout" in text.lower():
        return DatabaseUnavailable(
            f"cannot reach the database server {where}: {text.strip().splitlines()[0]}; "
            "check the URL, the network and that the server is running"
        )
    return DatabaseError(f"database error on {where}: {text.strip().splitlines()[0]}")


def damaged(url: str | None, detail: str) -> DatabaseUnavailable:
    """A database file that cannot be read as one: name it and say how to get it back."""
    file = sqlite_file(url) if url else None
    where = f"the database file {file}" if file is not None else redact(url or "") or "the database"
    return DatabaseUnavailable(
        f"{where} is not a readable qcstation database (damaged or another kind of file: "
        f"{detail}); restore it from a backup with `qcstation restore BACKUP --force "
        "--root-passphrase` (what it replaces is kept aside)"
    )


class Actor(Protocol):
    """Who a write transaction acts for: a signed-in user (domain.users.User) or the plant
    root. Its credential signs the audit entries; the name is what they record."""

    @property
    def audit_name(self) -> str: ...

    @property
    def credential(self) -> audit.Signer | None: ...


class Database:
    """One engine plus the two kinds of session the services use."""

    def __init__(self, url: str, anchor_path: Path | None = None, password: str | None = None):
        self.url = url
        # Where this station remembers the newest signed head (store/anchors.py).
        self.anchor_path = anchor_path
        self.engine = create(url, password)
        self.dialect = self.engine.dialect.name
        # SQLite has one writer. Threads of this process that want to write queue here and
        # go the moment the write before them ends, rather than in SQLite's busy handler,
        # which sleeps in growing steps (1, 2, 5, 10, 15, 20, 25 ms...) and so lets a short
        # save wait far past the end of the write it was behind. (Re-entrant: a write
        # opened inside another on the same thread is SQLite's to refuse, as before.)
        self._writers: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )
        writer = self.engine.execution_options(qc_begin="IMMEDIATE")
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(writer, expire_on_commit=False)
        audit.install(self._write)
        audit.install(self._read)  # a stray write through a read session is still audited

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._read() as session:
                yield session
        except DBAPIError as exc:
            if not is_environmental(exc):
                raise
            raise translate(exc, self.url) from exc

    @contextmanager
    def write(self, actor: Actor | None, station: str, reason: str = "") -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE on SQLite), committed when the block ends.

        Audited changes are signed with the actor's credential; with no actor (or one with
        no credential) only unaudited state may change (a wrong-password count, the outbox).
        """
        head = None
        try:
            with self._writers, self._write() as session:
                with session.begin():
                    session.info.update(
                        {
                            audit.INFO_ACTOR: actor.audit_name if actor else None,
                            audit.INFO_STATION: station,
                            audit.INFO_REASON: reason,
                            audit.INFO_SIGNER: actor.credential if actor else None,
                        }
                    )
                    yield session
                head = session.info.pop(audit.LAST_SIGNED, None)
        except DBAPIError as exc:
            if not is_environmental(exc):
                raise
            raise translate(exc, self.url) from exc
        if head is not None and self.anchor_path is not None:
            chain_id, signed = head
            # The anchor only narrows what verify can prove: a failure to note it leaves the
            # commit standing.
            with contextlib.suppress(OSError):
                anchors.advance(self.anchor_path, chain_id, signed)

    def dispose(self) -> None:
        self.engine.dispose()
