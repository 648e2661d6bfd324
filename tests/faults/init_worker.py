"""`qcstation init` in a process that kills itself (SIGKILL) at an injected point.

Usage: init_worker.py DATA_DIR POINT N  (the password comes from QCSTATION_PASSWORD)
POINT is where to die, on its N-th occurrence, in any engine the command makes:
  execute  before the N-th SQL statement is sent (mid-transaction)
  commit   before the N-th COMMIT is sent (everything before it is committed)
  none     never: prints the counts of a whole run as JSON (a control run)
"""

from __future__ import annotations

import json
import os
import signal
import sys

from sqlalchemy import event
from sqlalchemy.engine import Engine

from qcstation import cli


def main() -> int:
    data_dir, point, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seen: dict[str, int] = {}

    def tick(where: str) -> None:
        seen[where] = seen.get(where, 0) + 1
        if where == point and seen[where] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "before_cursor_execute", lambda *a, **k: tick("execute"))
    event.listen(Engine, "commit", lambda *a: tick("commit"))
    code = cli.main(["init", "--admin", "alice", "--data-dir", data_dir])
    print(json.dumps(seen), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
