"""A bench that keeps answering one inspection until another station takes it over.

Usage: hold_worker.py DATA_DIR USER INSPECTION_ID  (password in QCSTATION_PASSWORD)

Prints JSON: how many answers were saved and the refusal that stopped it. Anything but a
clear refusal (an IntegrityError, a traceback) ends it with a non-zero exit.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time

from qcstation import config
from qcstation.domain.inspections import positions_of
from qcstation.services import accounts, inspections
from qcstation.services.context import open_station
from qcstation.services.demo_answers import passing_answer
from qcstation.services.holds import NotHeld


def main() -> int:
    data_dir, username, inspection_id = sys.argv[1:4]
    station = open_station(config.resolve(data_dir))
    user = accounts.login(station, username, os.environ["QCSTATION_PASSWORD"])
    ins = inspections.get(station, inspection_id)
    steps = [
        (item, pos)
        for item in ins.template.items()
        if not item.photo_required and item.kind != "photo"
        for pos in positions_of(item, ins.position_counts)
    ]
    deadline = time.monotonic() + 120
    for saved, (item, pos) in enumerate(itertools.cycle(steps)):
        if time.monotonic() > deadline:
            raise SystemExit("nobody took the inspection over")
        try:
            inspections.record_answer(station, user, inspection_id, passing_answer(item, pos))
        except NotHeld as exc:
            print(json.dumps({"saved": saved, "refused": str(exc)}))
            break
    station.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
