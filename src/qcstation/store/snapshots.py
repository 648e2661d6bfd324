"""Copies of a whole database: SQLite through its online backup API, PostgreSQL through
pg_dump (plain SQL) and psql. Used by backup and restore (services/backup.py)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from qcstation.store.database import DatabaseError, redact

TOOL_TIMEOUT_S = 3600


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


def _libpq(url: str) -> tuple[URL, dict[str, str], list[str]]:
    """The URL as libpq wants it (no password on a command line), its environment, and
    the schema named by a search_path option (tests put each plant in a schema)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    schemas: list[str] = []
    options = parsed.query.get("options")
    if isinstance(options, str) and "search_path=" in options:
        schemas = [options.split("search_path=", 1)[1].split()[0].split(",")[0]]
    plain = parsed.set(drivername="postgresql", password=None)
    return plain, env, schemas


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise DatabaseError(
            f"{name} is not on PATH: install the PostgreSQL client tools "
            "(the same major version as the server) to back up or restore a plant database"
        )
    return found


def pg_dump(url: str, target: Path) -> None:
    plain, env, schemas = _libpq(url)
    args = [_tool("pg_dump"), "--no-owner", "--no-privileges", "--format=plain"]
    args += [f"--schema={s}" for s in schemas]
    args += ["--file", str(target), "--dbname", plain.render_as_string(hide_password=False)]
    _run(args, env, f"pg_dump of {redact(url)}")


def psql_restore(url: str, dump: Path) -> None:
    """Replay a plain dump in one transaction: all of it or nothing."""
    plain, env, _ = _libpq(url)
    args = [
        _tool("psql"),
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        "--file",
        str(dump),
        "--dbname",
        plain.render_as_string(hide_password=False),
    ]
    _run(args, env, f"restoring into {redact(url)}")


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        proc = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatabaseError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        raise DatabaseError(f"{what} failed: {lines[-1] if lines else proc.returncode}")
