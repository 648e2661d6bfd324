"""One station process for the eight-station test: records inspections on the plant
database and issues a numbered report for each; with OFFLINE > 0 it also loses the server
half-way (its settings point at a dead port), records that many inspections on its local
copy, and comes back: its outbox is delivered with `sync`, then it records online again.
Prints what it did as JSON on stdout.

Usage: plant_worker.py DATA_DIR USER ONLINE OFFLINE GO_FILE  (password in QCSTATION_PASSWORD)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from qcstation import config
from qcstation.domain.inspections import positions_of
from qcstation.domain.stages import Stage
from qcstation.domain.templates import PhotoItem
from qcstation.domain.users import User
from qcstation.imaging.scenes import encode_png, render_piece
from qcstation.services import accounts, documents, inspections, offline_copy, sync
from qcstation.services.context import Station, open_station
from qcstation.services.demo_answers import passing_answer

PHOTO = encode_png(render_piece(1, 96, 72))


def record(station: Station, user: User, serial: str) -> tuple[str, str]:
    """A passing casting inspection: photos where asked (and of the first check), every
    answer, completion. Its id
    and the checklist it followed (key@version)."""
    ins = inspections.start(station, user, Stage.CASTING, f"JT-{serial}", "RG-SOL-0412", serial)
    for n, item in enumerate(ins.template.items()):
        for pos in positions_of(item, ins.position_counts):
            # the first check gets a photo too: every station writes into the shared folder
            if n == 0 or item.photo_required or isinstance(item, PhotoItem):
                inspections.attach_evidence(station, user, ins.id, PHOTO, "image/png", item.id, pos)
            inspections.record_answer(station, user, ins.id, passing_answer(item, pos))
    inspections.complete(station, user, ins.id)
    return ins.id, ins.template.key


def online(station: Station, user: User, password: str, tag: str, count: int) -> list[Any]:
    done = []
    for n in range(count):
        ins_id, template = record(station, user, f"{station.name}-{tag}{n}")
        out = Path(station.location.data_dir) / "reports" / f"{ins_id}.pdf"
        exported = documents.export_report(station, user, password, ins_id, out)
        done.append({"id": ins_id, "number": exported.number, "template": template})
    return done


def main() -> int:
    data_dir, username = sys.argv[1], sys.argv[2]
    n_online, n_offline, go = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    password = os.environ["QCSTATION_PASSWORD"]
    location = config.resolve(data_dir)
    station = open_station(location)
    user = accounts.login(station, username, password)
    deadline = time.monotonic() + 120
    while not Path(go).exists():  # start together: the point is concurrency
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.01)
    result: dict[str, Any] = {"station": station.name, "online": [], "offline": []}
    result["online"] += online(station, user, password, "a", n_online)
    if n_offline:
        sync.sync(station, offline_copy.open_local(location), user)  # the offline copy, made online
        station.close()
        dead = make_url(location.database_url).set(port=1).render_as_string(hide_password=False)
        local, is_online = offline_copy.open_for_work(config.resolve(data_dir, dead))
        assert not is_online
        me = accounts.login(local, username, password)
        offline = [record(local, me, f"{local.name}-off{n}") for n in range(n_offline)]
        result["offline"] = [ins_id for ins_id, _ in offline]
        result["offline_templates"] = [template for _, template in offline]
        assert sync.try_sync(config.resolve(data_dir, dead), local, me) is None  # still away
        station = open_station(location)  # the server is back
        user = accounts.login(station, username, password)
        delivered = sync.sync(station, local, user)
        result["sent"] = delivered.sent
        local.close()
        result["online"] += online(station, user, password, "b", n_online)
    station.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
