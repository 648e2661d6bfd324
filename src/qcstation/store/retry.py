"""Two stations writing the same records at once: retry what a retry resolves, say the rest.

On PostgreSQL two writers can meet in ways that are nobody's mistake: a deadlock, a
serialisation failure, or a unique key both inserted after both saw it missing (a second
attempt then sees the first one's row and updates it, or refuses with a clear reason).
Such a change is run again from the start in a fresh transaction, a few times, after a
short random pause. If it keeps meeting other writers the person is told to try again;
nothing of the change was saved. A unique violation that a retry does not cure is a bug
and stays loud.

SQLite needs none of this: every write transaction begins IMMEDIATE, so writers queue.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from qcstation.store.database import DatabaseError

P = ParamSpec("P")
T = TypeVar("T")

# SQLSTATEs of a transaction that lost a race and may simply run again.
TRANSIENT = {
    "40001": "serialisation failure",
    "40P01": "deadlock",
    "55P03": "lock not available",
}
UNIQUE_VIOLATION = "23505"
ATTEMPTS = 5
UNIQUE_ATTEMPTS = 3  # the first writer's row is visible to the second attempt
PAUSE_S = 0.01


class WriteConflict(DatabaseError):
    """Other writers kept changing the same records; nothing of this change was saved."""


def driver_error(exc: BaseException) -> DBAPIError | None:
    """The driver error behind an exception (Database.write wraps some in DatabaseError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError):
            return seen
        seen = seen.__cause__
    return None


def sqlstate(exc: BaseException) -> str | None:
    found = driver_error(exc)
    if found is None or found.orig is None:
        return None
    state = getattr(found.orig, "sqlstate", None)
    return str(state) if state else None


def run(fn: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """``fn()`` (which opens and commits its own transaction), again after a lost race."""
    unique_failures = 0
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (DBAPIError, DatabaseError) as exc:
            state = sqlstate(exc)
            if state == UNIQUE_VIOLATION:
                unique_failures += 1
                if unique_failures >= UNIQUE_ATTEMPTS:
                    raise
            elif state not in TRANSIENT:
                raise
            if attempt == attempts:
                raise WriteConflict(
                    "other stations kept changing the same records at the same moment "
                    f"({TRANSIENT.get(state or '', 'the same key')}, {attempts} times in a "
                    "row); nothing of this change was saved: try again"
                ) from exc
        time.sleep(random.uniform(0, PAUSE_S * 2**attempt))
    raise AssertionError("unreachable")  # the loop returns or raises


def transient(fn: Callable[P, T]) -> Callable[P, T]:
    """A service call that is run again when it lost a race with another writer."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return run(lambda: fn(*args, **kwargs))

    return wrapper
