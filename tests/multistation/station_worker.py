"""One station process for the multi-station tests: records inspections on the plant
database its data directory points at, exports a numbered report for each, and prints
what it did as JSON on stdout.

Usage: station_worker.py DATA_DIR USER COUNT GO_FILE  (password in QCSTATION_PASSWORD)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from qcstation import config
from qcstation.domain.inspections import positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import PhotoItem
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, documents, inspections
from qcstation.services.context import open_station
from qcstation.services.demo import passing_answer


def main() -> int:
    data_dir, username, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    password = os.environ["QCSTATION_PASSWORD"]
    station = open_station(config.resolve(data_dir))
    user = accounts.login(station, username, password)
    deadline = time.monotonic() + 120
    while not Path(go).exists():  # start together: the point is concurrency
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)
    done = []
    photo = encode_png(render_piece(1, 96, 72))
    for n in range(count):
        ins = inspections.start(
            station, user, Stage.FINAL_QC, f"JT-{station.name}-{n}", "RG-SOL-0412", f"S{n}"
        )
        for item in ins.template.items():
            for pos in positions_of(item, ins.position_counts):
                if item.photo_required or isinstance(item, PhotoItem):
                    inspections.attach_evidence(
                        station, user, ins.id, photo, "image/png", item.id, pos
                    )
                a = passing_answer(item, pos)
                inspections.record_answer(station, user, ins.id, a)
        inspections.complete(station, user, ins.id)
        out = Path(data_dir) / "reports" / f"{ins.id}.pdf"
        exported = documents.export_report(station, user, password, ins.id, out)
        done.append({"id": ins.id, "number": exported.number, "template": ins.template.key})
    station.close()
    print(json.dumps({"station": station.name, "done": done}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
