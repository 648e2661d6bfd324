"""Eight station processes on one PostgreSQL, half of them losing the server and coming
back (issue 14): each joins with `qcstation init` (all eight at once), records inspections
and issues numbered reports; four go offline half-way, record on their local copies, and
deliver their outboxes when the server is back. `audit verify` runs in a snapshot while
they write and again at the end. Afterwards: every record arrived exactly once, every
station's report numbers and audit chain are unique and without a gap.

Also what a plant shares: the checklist version HQ activated is the one every station
(and every offline copy) uses, station names whose number prefixes collide still number
apart, one station name joins once, and the stations keep their photos in one shared folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qcstation import cli, config, content
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, templates
from qcstation.services.context import open_station
from qcstation.store.models import AuditEntry, DocumentRow, InspectionRow, ReceiptRow
from qcstation.store.models import Station as StationRow

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "s3cret-enough"
WORKER = Path(__file__).with_name("plant_worker.py")
# The first four collide in pairs on their report-number prefixes ("LINE-1"; a 16-character cut).
STATIONS = [
    "line 1",
    "LINE-1",
    "assembly-station-north-01",
    "assembly-station-north-02",
    *(f"bench-{n}" for n in range(5, 9)),
]
ONLINE = 1  # inspections (each with its report) before, and again after, going offline
OFFLINE = 2  # inspections recorded on the local copy by the stations that go offline
GOES_OFFLINE = set(STATIONS[::2])


def qc(*argv: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qcstation", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.timeout(600)
def test_eight_stations_some_offline_every_record_once_every_chain_whole(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    hq = tmp_path / "hq"
    argv = ["init", "--admin", "alice", "--station", "hq", "--data-dir", str(hq)]
    assert cli.main([*argv, "--database-url", pg_schema_url]) == 0
    capsys.readouterr()
    plant = open_station(config.resolve(hq))
    admin = accounts.login(plant, "alice", PASSWORD)
    for i in range(len(STATIONS)):  # each inspects and issues its reports: supervisors
        accounts.create_user(
            plant, admin, f"sup{i}", PASSWORD, Role.SUPERVISOR, root_passphrase=PASSWORD
        )
    # A new version imported and activated at HQ is what every station must use:
    # checklists live on the server, not on the stations.
    revised = tmp_path / "casting_plant.yaml"
    revised.write_text(
        (content.templates_dir() / "casting.yaml")
        .read_text("utf-8")
        .replace("version: 2", "version: 3")
        .replace("name: Casting inspection", "name: Casting inspection (plant revision)"),
        "utf-8",
    )
    templates.import_files(plant, admin, [revised])
    casting = next(
        t for t in templates.list_templates(plant) if t.stage is Stage.CASTING and t.active
    )
    assert casting.version == 3
    env = {**os.environ, "QCSTATION_PASSWORD": PASSWORD}
    dirs = [tmp_path / name.replace(" ", "_") for name in STATIONS]
    joins = [
        qc(
            "init",
            "--admin",
            "alice",
            "--station",
            name,
            "--data-dir",
            str(d),
            "--database-url",
            pg_schema_url,
            env=env,
        )
        for name, d in zip(STATIONS, dirs, strict=True)
    ]
    for name, p in zip(STATIONS, joins, strict=True):  # eight joining at once
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert f"Station {name!r} registered on the plant database" in out
        assert f"{casting.template_key}@3" in out
    shared = {"evidence_dir": str(tmp_path / "shared-evidence")}
    for d in dirs:  # all eight keep their photos in one folder (the same photo, at once)
        config.save_settings(d, config.resolve(d).settings.model_copy(update=shared))
    # the same name again is refused: one name, one station
    where = ["--data-dir", str(tmp_path / "again"), "--database-url", pg_schema_url]
    again = cli.main([*argv[:3], "--station", "line 1", *where])
    assert again == 2 and "registered on this database already" in capsys.readouterr().err

    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(d),
                f"sup{i}",
                str(ONLINE),
                str(OFFLINE if name in GOES_OFFLINE else 0),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i, (name, d) in enumerate(zip(STATIONS, dirs, strict=True))
    ]
    go.touch()
    mid_run = 0
    while any(w.poll() is None for w in workers):
        report = audit.verify(plant)  # one REPEATABLE READ snapshot while eight write
        assert report.ok, [str(f) for f in report.findings]
        if any(w.poll() is None for w in workers):
            mid_run += 1
        time.sleep(0.5)
    results = []
    for w in workers:
        out, err = w.communicate()
        assert w.returncode == 0, err
        results.append(json.loads(out))
    assert mid_run >= 1, "no verification ran while the stations wrote"

    report = audit.verify(plant)
    assert report.ok, [str(f) for f in report.findings]
    assert set(STATIONS) <= set(report.tips)  # every station's chain verified, to its tip
    with plant.db.read() as s:
        stations = {r.id: r.name for r in s.scalars(select(StationRow))}
        rows = {r.id: r for r in s.scalars(select(InspectionRow))}
        numbers = {
            d.inspection_id: (stations[d.station_id], d.sequence, d.number)
            for d in s.scalars(select(DocumentRow))
        }
        receipts = dict(
            s.execute(
                select(ReceiptRow.record_id, func.count()).group_by(ReceiptRow.record_id)
            ).all()
        )
        chains = {
            c: sorted(seqs)
            for c, seqs in s.execute(
                select(AuditEntry.chain, func.array_agg(AuditEntry.seq))
                .where(AuditEntry.chain.is_not(None))
                .group_by(AuditEntry.chain)
            ).all()
        }
    for r in results:
        name = r["station"]
        online = r["online"]
        assert len(online) == ONLINE * (2 if name in GOES_OFFLINE else 1)
        for d in online:  # arrived, at this station, with the number it was issued
            assert (
                rows[d["id"]].status == "completed" and stations[rows[d["id"]].station_id] == name
            )
            assert numbers[d["id"]][2] == d["number"]
        offline = r["offline"]
        assert len(offline) == (OFFLINE if name in GOES_OFFLINE else 0)
        assert r.get("sent", 0) == len(offline)
        for ins_id in offline:  # delivered exactly once: one row, one receipt
            assert rows[ins_id].status == "completed"
            assert stations[rows[ins_id].station_id] == name
            assert receipts.get(ins_id) == 1
        # report numbers: this station's, 1..n without a gap
        mine = sorted(seq for st, seq, _n in numbers.values() if st == name)
        assert mine == list(range(1, len(online) + 1)), (name, mine)
        # the station's audit chain: numbered 1..n, unique, without a gap
        assert chains[name] == list(range(1, len(chains[name]) + 1)), name
    every = [i for r in results for i in [d["id"] for d in r["online"]] + r["offline"]]
    assert len(every) == len(set(every))
    assert len(rows) == len(every)  # nothing else, nothing twice
    used = {d["template"] for r in results for d in r["online"]}
    used |= {t for r in results for t in r.get("offline_templates", [])}
    assert used == {f"{casting.template_key}@3"}  # online and on every offline copy
    # Colliding prefixes number apart: whichever joined first keeps the bare prefix, the
    # other adds its station id (they joined at once: either may be first).
    by_station = {r["station"]: sorted(d["number"] for d in r["online"]) for r in results}
    ids = {name: i for i, name in stations.items()}

    def numbered(name: str, prefix: str) -> str:
        count = len(by_station[name])
        bare = [f"{prefix}-R{n:06d}" for n in range(1, count + 1)]
        own = [f"{prefix}-S{ids[name]}-R{n:06d}" for n in range(1, count + 1)]
        assert by_station[name] in (bare, own), (name, by_station[name])
        return "bare" if by_station[name] == bare else "own"

    for pair, prefix in (((0, 1), "LINE-1"), ((2, 3), "ASSEMBLY-STATION")):
        kinds = sorted(numbered(STATIONS[i], prefix) for i in pair)
        assert kinds == ["bare", "own"], (pair, kinds)
    plant.close()
    assert list((tmp_path / "shared-evidence").glob("*/*"))
    stayed_online = [d for name, d in zip(STATIONS, dirs, strict=True) if name not in GOES_OFFLINE]
    assert not any((d / "evidence").exists() for d in stayed_online)
    # and a station's own commands agree
    assert cli.main(["audit", "verify", "--data-dir", str(dirs[0])]) == 0
    assert "intact" in capsys.readouterr().out
    code = cli.main(["db", "check", "--data-dir", str(dirs[1])])
    assert code == 0, capsys.readouterr()
