"""`sync` in a process that kills itself (SIGKILL) at an injected commit, for the fault
tests of exactly-once delivery.

Usage: sync_worker.py DATA_DIR WHERE N [BATCH]
WHERE: server-before | server-after | local-before | local-after | none — die just
before or just after the N-th COMMIT on that database. BATCH: records per server
transaction (services/sync.py BATCH; default as shipped).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from sqlalchemy import event

from qcstation import config
from qcstation.services import accounts, offline_copy, sync
from qcstation.services.context import open_station


def main() -> int:
    data_dir, where, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:
        sync.BATCH = int(sys.argv[4])
    loc = config.resolve(data_dir)
    local = offline_copy.open_local(loc)
    server = open_station(loc)
    seen: dict[str, int] = {}

    def tick(point: str) -> None:
        seen[point] = seen.get(point, 0) + 1
        if point == where and seen[point] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    for name, station in (("server", server), ("local", local)):

        def before(*_a: Any, name: str = name) -> None:
            tick(f"{name}-before")

        def after(*_a: Any, name: str = name) -> None:
            tick(f"{name}-after")

        event.listen(station.db.engine, "commit", before)
        event.listen(station.db._write, "after_commit", after)
    alice = accounts.login(server, "alice", os.environ["QCSTATION_PASSWORD"])
    result = sync.sync(server, local, alice)
    server.close()
    local.close()
    print(json.dumps({"sent": result.sent, "already": result.already, "seen": seen}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
