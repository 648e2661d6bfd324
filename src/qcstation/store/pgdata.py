"""A plant database as data: each table's rows as CSV, written and read by COPY.

A backup of a PostgreSQL plant holds no SQL. Its rows leave the server through
``COPY table (columns) TO STDOUT`` inside one REPEATABLE READ snapshot, and come back
through ``COPY table (columns) FROM STDIN`` into a schema qcstation's own migrations made:
COPY parses values for typed columns and runs nothing, whatever the text says. Tables and
columns are the ones the target schema has (read from the server, never from the archive),
quoted as identifiers; an archive naming anything else is refused before a row is sent.
Sequences are data too: their positions are saved and set after the rows are in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from psycopg import sql
from sqlalchemy import Connection, text

from qcstation.store.models import Base

# Bookkeeping of the migrations themselves: written by Alembic, never by a backup.
ALEMBIC_TABLE = "alembic_version"
IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
CHUNK = 1 << 20


class DataError(ValueError):
    """Rows that do not fit the schema they are loaded into; the message names the table."""


def _raw(conn: Connection) -> Any:
    return conn.connection.driver_connection


def columns(conn: Connection) -> dict[str, list[str]]:
    """Every base table of the current schema (less Alembic's) with its columns in order."""
    rows = conn.execute(
        text(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position"
        )
    ).all()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        if table != ALEMBIC_TABLE:
            out.setdefault(str(table), []).append(str(column))
    return out


def load_order(tables: Iterable[str]) -> list[str]:
    """Parents before children (foreign keys hold row by row); unknown tables last."""
    wanted = set(tables)
    known = [t.name for t in Base.metadata.sorted_tables if t.name in wanted]
    return known + sorted(wanted - set(known))


def _copy_sql(table: str, cols: list[str], direction: str) -> sql.Composed:
    return sql.SQL("COPY {} ({}) {} WITH (FORMAT csv, HEADER {})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in cols),
        sql.SQL(direction),
        sql.SQL("true" if direction == "TO STDOUT" else "false"),
    )


def dump_table(conn: Connection, table: str, cols: list[str], out: IO[bytes]) -> int:
    """Write the table's rows as CSV with a header line; returns how many rows."""
    with _raw(conn).cursor() as cur:
        with cur.copy(_copy_sql(table, cols, "TO STDOUT")) as copy:
            for chunk in copy:
                out.write(chunk)
        return int(cur.rowcount)


def load_table(conn: Connection, table: str, cols: list[str], rows: Iterator[bytes]) -> int:
    """Feed CSV rows (no header) to COPY FROM STDIN; returns how many the server took."""
    with _raw(conn).cursor() as cur:
        with cur.copy(_copy_sql(table, cols, "FROM STDIN")) as copy:
            for chunk in rows:
                copy.write(chunk)
        return int(cur.rowcount)


def sequences(conn: Connection, tables: dict[str, list[str]]) -> dict[str, list[Any]]:
    """Where each serial column's sequence stands: {"table.column": [last_value, is_called]}."""
    out: dict[str, list[Any]] = {}
    for table, cols in sorted(tables.items()):
        for col in cols:
            seq = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": sql.Identifier(table).as_string(_raw(conn)), "c": col},
            ).scalar()
            if seq is None:
                continue
            last, called = conn.execute(
                text(f"SELECT last_value, is_called FROM {seq}")  # a name the server gave
            ).one()
            out[f"{table}.{col}"] = [int(last), bool(called)]
    return out


def set_sequences(
    conn: Connection, tables: dict[str, list[str]], saved: dict[str, Any]
) -> list[str]:
    """Put each serial column's sequence where the backup had it (a sequence the backup
    does not name: after the highest id loaded); returns the names of the sequences set.
    Kept exactly, not raised to the rows: audit_log's ids are the chain's own, never drawn
    from its sequence, and the restored database must be the one backed up."""
    done = []
    for table, cols in sorted(tables.items()):
        for col in cols:
            ident = sql.Identifier(table).as_string(_raw(conn))
            seq = conn.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": ident, "c": col}
            ).scalar()
            if seq is None:
                continue
            value = saved.get(f"{table}.{col}")
            if isinstance(value, list) and _pair(value):
                last, called = int(value[0]), bool(value[1])
            else:
                top = conn.execute(
                    text(f"SELECT max({sql.Identifier(col).as_string(_raw(conn))}) FROM {ident}")
                ).scalar()
                last, called = (int(top), True) if top is not None else (1, False)
            conn.execute(text("SELECT setval(:s, :v, :c)"), {"s": seq, "v": last, "c": called})
            done.append(str(seq))
    return done


def _pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], bool)
    )


@contextmanager
def rules_aside(conn: Connection, tables: Iterable[str]) -> Iterator[None]:
    """A restore replaces every row in one transaction, as the database's owner: the plant's
    own rules (migration 0010's triggers: append-only trail, closed inspections) stand aside
    for it and are back before it commits, so no other session ever sees them off."""
    names = sorted(tables)
    for verb in ("DISABLE", "ENABLE"):
        for n in names:
            conn.exec_driver_sql(
                sql.SQL("ALTER TABLE {} " + verb + " TRIGGER USER")
                .format(sql.Identifier(n))
                .as_string(_raw(conn))
            )
        if verb == "DISABLE":
            yield


def truncate(conn: Connection, tables: Iterable[str]) -> None:
    """Empty the tables in one statement (their foreign keys among themselves allow it);
    grants, triggers and indexes stay as the migrations made them."""
    names = sorted(tables)
    if names:
        conn.exec_driver_sql(
            sql.SQL("TRUNCATE {} RESTART IDENTITY")
            .format(sql.SQL(", ").join(sql.Identifier(n) for n in names))
            .as_string(_raw(conn))
        )


def csv_rows(fh: IO[bytes], table: str = "") -> Iterator[bytes]:
    """The rows of a CSV member, in chunks, for load_table (COPY takes any split).

    A line holding only ``\\.`` outside quotes would end COPY's data there, and the server
    would drop the rest unread. COPY TO never writes one (it quotes such a value), so one
    here was put in by hand: the member is refused rather than half loaded."""
    quoted = False  # inside a quoted field that spans lines
    partial = b""
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        for line in lines:
            quoted = _line(line, quoted, table)
        yield chunk
    _line(partial, quoted, table)


def _line(line: bytes, quoted: bool, table: str) -> bool:
    if not quoted and line.rstrip(b"\r") == b"\\.":
        raise DataError(f"the rows of {table or 'a table'} hold an end-of-data marker (\\.)")
    return quoted ^ bool(line.count(b'"') % 2)


def write_dump(conn: Connection, tables: dict[str, list[str]], folder: Path) -> dict[str, Any]:
    """Dump every table into folder/<table>.csv; returns {table: {"columns", "rows"}}."""
    facts: dict[str, Any] = {}
    for table in load_order(tables):
        with (folder / f"{table}.csv").open("wb") as fh:
            rows = dump_table(conn, table, tables[table], fh)
        facts[table] = {"columns": tables[table], "rows": rows}
    return facts
