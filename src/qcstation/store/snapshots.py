"""Copies of a SQLite database, and what a copy from elsewhere must look like before use.

A backup keeps a station's SQLite database as the file itself (copied with SQLite's online
backup API). A file is more than rows: it carries its own schema, and a trigger or view
hidden in it would run inside every station that opened it. So a copy that comes back
from an archive is compared with the schema qcstation's own migrations make at its
revision (a scratch file migrated here), object by object, before anything uses it.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import tempfile
from pathlib import Path

from qcstation.store.database import DatabaseError

# Objects SQLite makes by itself: the indexes behind UNIQUE and PRIMARY KEY constraints
# (derived from the table's own text), AUTOINCREMENT's counters, ANALYZE's statistics.
_INTERNAL = ("sqlite_autoindex_", "sqlite_sequence", "sqlite_stat")


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (other connections may keep writing)."""
    if not source.exists():
        raise DatabaseError(f"there is no database file {source} to back up")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            # One self-contained file: no -wal beside it to lose on the way.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"could not copy the database {source}: {exc}") from exc
    finally:
        src.close()


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _normal(sql: str | None) -> str:
    """One spelling of a schema statement. A table Alembic rebuilt (batch mode on SQLite)
    lists its constraints in the order reflection met them, which varies from run to run:
    the columns keep their order, the CONSTRAINT clauses are sorted."""
    text = re.sub(r"\s+", " ", (sql or "").replace('"', "")).strip()
    head, paren, body = text.partition("(")
    if not head.upper().startswith("CREATE TABLE") or not body.endswith(")"):
        return text
    parts = _clauses(body[:-1])
    columns = [c for c in parts if not c.upper().startswith("CONSTRAINT ")]
    constraints = sorted(c for c in parts if c.upper().startswith("CONSTRAINT "))
    return f"{head}{paren} {', '.join(columns + constraints)} )"


def _clauses(body: str) -> list[str]:
    """The top-level comma-separated parts of a CREATE TABLE body."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return [p for p in parts if p]


def objects(path: Path) -> set[tuple[str, str, str, str]]:
    """The schema a SQLite file declares: (type, name, table, SQL text normalised)."""
    con = read_only(path)
    try:
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    finally:
        con.close()
    return {
        (str(t), str(n), str(tb), _normal(s))
        for t, n, tb, s in rows
        if not str(n).startswith(_INTERNAL)
    }


@functools.cache
def expected_objects(revision: str) -> frozenset[tuple[str, str, str, str]]:
    """What qcstation's migrations make, up to ``revision``, in a fresh SQLite file."""
    from qcstation.store import schema
    from qcstation.store.database import create

    with tempfile.TemporaryDirectory(prefix="qcstation-schema-") as tmp:
        path = Path(tmp) / "expected.db"
        engine = create(f"sqlite:///{path}")
        try:
            with engine.begin() as conn:
                schema.migrate(conn, revision)
        finally:
            engine.dispose()
        return frozenset(objects(path))


def schema_problems(path: Path, revision: str) -> list[str]:
    """What in the file is not exactly the schema of ``revision`` (empty: it is)."""
    try:
        con = read_only(path)
        try:
            checked = con.execute("PRAGMA quick_check").fetchone()
            versions = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
        finally:
            con.close()
        found = objects(path)
    except sqlite3.Error as exc:
        return [f"it is not a readable SQLite database ({exc})"]
    if not checked or checked[0] != "ok":
        return [f"SQLite finds it damaged ({checked[0] if checked else 'no answer'})"]
    if versions != [revision]:
        return [f"it says it is at schema {', '.join(versions) or 'none'}, not {revision}"]
    expected = expected_objects(revision)
    problems = []
    for kind, name, table, _sql in sorted(found - expected):
        same_name = any(e[0] == kind and e[1] == name for e in expected)
        problems.append(
            f"its {kind} {name!r}"
            + (f" on {table}" if table != name else "")
            + (
                " is not defined as qcstation's migrations define it"
                if same_name
                else " is not one qcstation's migrations make"
            )
        )
    for kind, name, _table, _sql in sorted(expected - found):
        if not any(f[0] == kind and f[1] == name for f in found):
            problems.append(f"its {kind} {name!r} is missing")
    return problems
