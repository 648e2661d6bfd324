"""Files and folders readable by this account only.

A station's data directory holds every record, the password hashes, the sealed keys, the
anchor file and (when the file store is chosen) the plant database password. Other users
of the same computer must not read any of it. So the data directory is 0700 and every file
qcstation creates is 0600: the process runs with umask 077 (`umask`, set by the command
line around every command and the window), and the places that create files name the mode
explicitly as well (`create_file`, `open_new`, `make_dir`), so that a library caller or a
test with another umask gets the same modes. `tighten` fixes what an older qcstation left
world-readable.

Windows has no such modes: there the data directory lives in the user's profile
(%LOCALAPPDATA%), whose access list admits only that user, SYSTEM and administrators;
these functions do nothing beyond creating what is asked for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"
# Files a data directory may hold directly, besides the databases' own -wal/-shm/-journal.
KNOWN_FILES = (
    "settings.yaml",
    "qcstation.db",
    "offline.db",
    "audit-anchors.json",
    "secrets.json",
)
KNOWN_DIRS = ("backups",)
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


@contextlib.contextmanager
def umask() -> Iterator[None]:
    """Run the block with umask 077: whatever it creates is this account's only."""
    if not POSIX:
        yield
        return
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _mine(path: Path) -> bool:
    try:
        return path.stat().st_uid == os.getuid()
    except OSError:
        return False


def make_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) with the last folder 0700; tighten it if it exists."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if POSIX and _mine(path) and path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def create_file(path: Path) -> Path:
    """Make sure ``path`` exists as a file only this account reads (its content untouched).

    SQLite creates a database's -wal and -shm files with the database file's own mode, so
    creating the database file 0600 first keeps all three private."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if POSIX and os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_new(path: Path, mode: str = "w", **kw: Any) -> IO[Any]:
    """Open ``path`` for writing from empty, created 0600 (an existing file is narrowed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        if POSIX and os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kw)
    except BaseException:
        os.close(fd)
        raise


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (0600), fsynced before the rename: after a power cut
    the file is the old one or the new one, never a half-written one."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open_new(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def exposed(path: Path) -> bool:
    """Whether other accounts of this computer may read (or enter) ``path``."""
    try:
        return POSIX and bool(path.stat().st_mode & 0o077)
    except OSError:
        return False


def tighten(data_dir: Path) -> list[Path]:
    """Narrow a data directory an older qcstation made readable by others, and the files
    it keeps at its top (the folder's own mode already guards what lies deeper).
    Returns what was changed; anything not this account's own is left alone."""
    if not POSIX or not data_dir.is_dir() or not _mine(data_dir):
        return []
    changed: list[Path] = []
    candidates = [data_dir] + [data_dir / d for d in KNOWN_DIRS]
    for name in KNOWN_FILES:
        candidates.append(data_dir / name)
        if name.endswith(".db"):
            candidates += [data_dir / f"{name}{s}" for s in SQLITE_SIDECARS]
    backups = data_dir / "backups"
    if backups.is_dir():
        candidates += sorted(p for p in backups.iterdir() if p.is_file())
    for path in candidates:
        if not path.exists() or path.is_symlink() or not exposed(path) or not _mine(path):
            continue
        with contextlib.suppress(OSError):
            path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
            changed.append(path)
    return changed
