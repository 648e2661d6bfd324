"""Whatever this station creates is readable by this account only (store/private.py).

Light on purpose: the command line enters this before every command and before the
window, which must not wait for the database stack.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from qcstation.store import private


@contextlib.contextmanager
def only_mine() -> Iterator[None]:
    """Run the block with umask 077: files and folders it creates are this account's only."""
    with private.umask():
        yield
