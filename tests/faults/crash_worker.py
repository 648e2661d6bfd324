"""A station process for the fault tests that kills itself (SIGKILL) at an injected point.

Usage: crash_worker.py DATA_DIR POINT N
POINT is where to die, on its N-th occurrence:
  execute       before the N-th SQL statement is sent (mid-transaction)
  commit        before the N-th COMMIT is sent
  after_commit  right after the N-th COMMIT returned (the service call has not returned)
  fsync         before the N-th os.fsync (a file written but not yet durable)
  replace       before the N-th os.replace (the evidence or PDF still under its temp name)
  none          never (a control run)
The worker starts an inspection, captures evidence, answers, completes and signs it. After
each service call returns it appends what is now committed to DATA_DIR/journal (fsynced),
so the parent knows exactly what must have survived.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event

from qcstation import config
from qcstation.domain.inspections import positions_of
from qcstation.domain.signing import Meaning
from qcstation.domain.stages import Stage
from qcstation.domain.templates import PhotoItem
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, inspections, signing
from qcstation.services.context import open_station
from qcstation.services.demo_answers import passing_answer
from qcstation.store import anchors

PASSWORD = "correct horse battery"


def main() -> int:
    data_dir, point, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    station = open_station(config.resolve(data_dir))
    user = accounts.login(station, "ines", PASSWORD)
    seen: dict[str, int] = {}

    def tick(where: str) -> None:
        seen[where] = seen.get(where, 0) + 1
        if where == point and seen[where] == n:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(station.db.engine, "before_cursor_execute", lambda *a, **k: tick("execute"))
    event.listen(station.db.engine, "commit", lambda *a: tick("commit"))
    event.listen(station.db._write, "after_commit", lambda *a: tick("after_commit"))
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: Any) -> None:
        tick("fsync")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name != anchors.FILE:  # the anchor is advisory: killed there, nothing lost
            tick("replace")
        real_replace(src, dst)

    os.fsync, os.replace = fsync, replace  # type: ignore[assignment]

    journal = (data_dir / "journal").open("a", encoding="utf-8")

    def committed(**what: Any) -> None:
        journal.write(json.dumps(what) + "\n")
        journal.flush()
        real_fsync(journal.fileno())

    photo = encode_png(render_piece(3, 96, 72))
    ins = inspections.start(station, user, Stage.FINAL_QC, "JT-F", "RG-SOL-0412", "SN-F")
    committed(op="start", id=ins.id)
    for item in ins.template.items():
        for pos in positions_of(item, ins.position_counts):
            if item.photo_required or isinstance(item, PhotoItem):
                ev = inspections.attach_evidence(
                    station, user, ins.id, photo, "image/png", item.id, pos
                )
                committed(op="evidence", id=ins.id, evidence=ev.id, sha256=ev.sha256)
            a = passing_answer(item, pos)
            inspections.record_answer(station, user, ins.id, a)
            committed(op="answer", id=ins.id, item=item.id, position=pos)
    inspections.complete(station, user, ins.id)
    committed(op="complete", id=ins.id)
    signing.sign(station, user, ins.id, Meaning.PERFORMED, PASSWORD)
    committed(op="sign", id=ins.id)
    station.close()
    print(json.dumps(seen))  # how many points of each kind a whole run passes
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
