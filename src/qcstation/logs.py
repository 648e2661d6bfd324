"""What a run leaves behind for support: a log file, and the stack of a native crash.

Every run (the window or a command) logs to ``DATA_DIR/logs/qcstation.log`` (rotated: a few
files of a few MB), and to stderr when there is one (warnings and errors only, as before).
A windowed Windows executable has no stderr at all: the file is then the only trace.

A crash in native code (Qt, a camera driver, SQLite) ends the process before Python can
say anything. So each run also opens its own crash file, ``logs/crash-KIND-TIME-PID.txt``,
hands it to faulthandler (which writes the stacks of all threads there on a fatal signal)
and holds an exclusive lock on it; a run that ends normally deletes its file. A crash file
that can be locked is therefore one whose run is gone without ending normally: it crashed
(the file holds the stack), or it was killed or lost its power (the file is empty). The
window's next start collects such files: it logs them, keeps the newest in
``logs/last-crash.txt`` and tells the person (app.py). `qcstation logs` shows where all
this is. Nothing here logs a password: sign-ins are logged by user name only.

Standard library only (and store/private.py): the window imports this before anything heavy.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

from qcstation import __version__
from qcstation.store import private

LOGS_DIR = "logs"
LOG_FILE = "qcstation.log"
LOG_BYTES = 2_000_000
LOG_BACKUPS = 4
LAST_CRASH = "last-crash.txt"
CRASH_GLOB = "crash-*.txt"
# An empty crash file this young may belong to a run that is just taking its lock.
YOUNG_S = 10.0
FILE_ONLY = {"file_only": True}  # `extra=` for a record stderr already shows another way
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("qcstation")


@dataclass(frozen=True)
class Crash:
    """A run that did not end normally: its crash file's name and what faulthandler wrote."""

    name: str
    stack: str  # empty: the run was killed or lost its power, no native crash
    when: datetime

    def summary(self) -> str:
        how = "crashed" if self.stack else "stopped without closing (killed or power lost)"
        return f"the run of {self.when:%Y-%m-%d %H:%M} ({self.name}) {how}"


@dataclass
class Session:
    """This run's logging; ``previous`` is what the window found of runs before it."""

    logs_dir: Path | None
    previous: Crash | None = None
    handlers: list[logging.Handler] = field(default_factory=list)
    crash_file: IO[Any] | None = None  # kept open (and locked) while the run lasts
    crash_path: Path | None = None
    faulthandler_was_enabled: bool = False
    level: int = logging.WARNING

    @property
    def log_file(self) -> Path | None:
        return None if self.logs_dir is None else self.logs_dir / LOG_FILE


_current: Session | None = None


def current() -> Session | None:
    return _current


def logs_dir(data_dir: Path) -> Path:
    return data_dir / LOGS_DIR


class _PrivateRotatingFile(RotatingFileHandler):
    """Each log file, the first and those rotated in later, is this account's only."""

    def _open(self) -> Any:
        private.create_file(Path(self.baseFilename))
        return super()._open()


class _NotFileOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False)


def _lock(fh: IO[Any]) -> bool:
    """Take the exclusive lock on an open file without waiting; whether it was free.
    The system lets it go when the process ends, however it ends."""
    try:
        if sys.platform == "win32":
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _dead_runs(directory: Path) -> list[tuple[Path, Crash]]:
    """Crash files of runs that are gone (their lock is free), oldest first."""
    found = []
    for path in directory.glob(CRASH_GLOB):
        try:
            with path.open("rb") as fh:
                if not _lock(fh):
                    continue  # its run is still going
                stat = os.fstat(fh.fileno())
                data = fh.read()
        except OSError:
            continue
        if not data and time.time() - stat.st_mtime < YOUNG_S:
            continue
        when = datetime.fromtimestamp(stat.st_mtime)
        found.append((path, Crash(path.name, data.decode("utf-8", "replace"), when)))
    return sorted(found, key=lambda pc: pc[1].when)


def _newest(dead: list[tuple[Path, Crash]]) -> tuple[Path, Crash]:
    """The one to tell about: the newest crash with a stack, else the newest run."""
    return max(dead, key=lambda pc: (bool(pc[1].stack), pc[1].when))


def collect(directory: Path) -> Crash | None:
    """Log the runs that ended without closing, keep the newest crash (the newest with a
    stack first) in last-crash.txt, remove their files; the one to tell about."""
    dead = _dead_runs(directory)
    if not dead:
        return None
    for _path, crash in dead:
        log.warning("%s%s", crash.summary(), f":\n{crash.stack}" if crash.stack else "")
    _path, chosen = _newest(dead)
    header = f"{chosen.summary()}\n\n"
    private.write_atomically(directory / LAST_CRASH, (header + chosen.stack).encode("utf-8"))
    for path, _crash in dead:
        with contextlib.suppress(OSError):
            path.unlink()
    return chosen


def last_crash(directory: Path) -> tuple[Path, str] | None:
    """For `qcstation logs`: the newest dead run not collected yet, else last-crash.txt."""
    dead = _dead_runs(directory) if directory.is_dir() else []
    if dead:
        path, crash = _newest(dead)
        return path, f"{crash.summary()}\n\n{crash.stack}"
    kept = directory / LAST_CRASH
    try:
        return kept, kept.read_text("utf-8", "replace")
    except OSError:
        return None


def _open_crash_file(directory: Path, kind: str) -> tuple[Path, IO[Any]] | None:
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    path = directory / f"crash-{kind}-{stamp}-{os.getpid()}.txt"
    fh = private.open_new(path, "w", encoding="utf-8")
    if not _lock(fh):
        fh.close()
        path.unlink()
        return None
    return path, fh


def start(data_dir: Path | None, kind: str = "command", collect_crashes: bool = False) -> Session:
    """Set up this run's logging (once: a second call ends the first). With no data
    directory, or one that cannot be written, the run logs to stderr only."""
    global _current
    if _current is not None:
        end()
    session = Session(None, faulthandler_was_enabled=faulthandler.is_enabled())
    root = logging.getLogger()
    if sys.stderr is not None:
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setLevel(logging.WARNING)
        to_stderr.setFormatter(logging.Formatter("qcstation: %(message)s"))
        to_stderr.addFilter(_NotFileOnly())
        session.handlers.append(to_stderr)
    problem = None
    if data_dir is not None:
        try:
            directory = private.make_dir(private.make_dir(data_dir) / LOGS_DIR)
            to_file = _PrivateRotatingFile(
                directory / LOG_FILE, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
            to_file.setFormatter(logging.Formatter(FORMAT))
            session.handlers.append(to_file)
            session.logs_dir = directory
            opened = _open_crash_file(directory, kind)
            if opened is not None:
                session.crash_path, session.crash_file = opened
                faulthandler.enable(session.crash_file, all_threads=True)
        except OSError as exc:
            problem = exc
    for handler in session.handlers:
        root.addHandler(handler)
    session.level = root.level
    root.setLevel(logging.INFO)
    _current = session
    if problem is not None:
        log.warning("no log file in %s: %s", data_dir, problem)
    log.info("qcstation %s started (%s, pid %d)", __version__, kind, os.getpid())
    if collect_crashes and session.logs_dir is not None:
        try:
            session.previous = collect(session.logs_dir)
        except OSError as exc:
            log.warning("could not look at earlier runs' crash files: %s", exc)
    return session


def end() -> None:
    """This run ends normally: its crash file goes, its handlers are closed."""
    global _current
    session, _current = _current, None
    if session is None:
        return
    log.info("qcstation ended")
    if session.crash_file is not None:
        faulthandler.disable()
        if session.faulthandler_was_enabled and sys.__stderr__ is not None:
            faulthandler.enable(sys.__stderr__)
        session.crash_file.close()  # the lock goes with it
        if session.crash_path is not None:
            with contextlib.suppress(OSError):
                session.crash_path.unlink()
    root = logging.getLogger()
    for handler in session.handlers:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(session.level)


def crash_note(session: Session | None) -> str | None:
    """What the window tells a person after a run that did not end normally."""
    if session is None or session.previous is None or session.logs_dir is None:
        return None
    crash = session.previous
    how = "crashed" if crash.stack else "was closed without ending normally (killed or power lost)"
    return (
        f"qcstation {how} the last time it ran ({crash.when:%Y-%m-%d %H:%M}). Your work is "
        "safe: every answer was saved when it was given.\n\n"
        f"If this happens again, please tell support and send them the log folder: "
        f"{session.logs_dir}"
    )
