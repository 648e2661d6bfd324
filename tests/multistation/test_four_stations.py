"""Four station processes on one PostgreSQL: each joins with `qcstation init`, then all
record inspections and export numbered reports at once while the audit chain is verified
under their feet. Afterwards every inspection is there, every number unique, the chain whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import cli, config, content
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, templates
from qcstation.services.context import open_station
from qcstation.store.models import DocumentRow, InspectionRow
from qcstation.store.models import Station as StationRow

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-enough"
WORKER = Path(__file__).with_name("station_worker.py")
# Names chosen so their number prefixes collide in pairs ("LINE-1"; a 16-character cut).
STATIONS = ("line 1", "LINE-1", "assembly-station-north-01", "assembly-station-north-02")
PER_STATION = 3


def qc(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qcstation", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_four_station_processes_share_one_plant_database(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    hq = tmp_path / "hq"
    assert (
        cli.main(
            [
                "init",
                "--admin",
                "alice",
                "--station",
                "hq",
                "--data-dir",
                str(hq),
                "--database-url",
                pg_schema_url,
            ]
        )
        == 0
    )
    capsys.readouterr()
    plant = open_station(config.resolve(hq))
    admin = accounts.login(plant, "alice", PASSWORD)
    for i in range(len(STATIONS)):  # each inspects and issues its reports: supervisors
        accounts.create_user(
            plant, admin, f"insp{i}", PASSWORD, Role.SUPERVISOR, root_passphrase=PASSWORD
        )
    # A new version imported and activated at HQ is what every station must use:
    # templates live on the server, not on the stations.
    v2 = tmp_path / "final_qc_v2.yaml"
    v2.write_text(
        (content.templates_dir() / "final_qc.yaml")
        .read_text("utf-8")
        .replace("version: 3", "version: 4")
        .replace("name: Final QC", "name: Final QC (plant revision)"),
        "utf-8",
    )
    templates.import_files(plant, admin, [v2])
    final = next(
        t for t in templates.list_templates(plant) if t.stage is Stage.FINAL_QC and t.active
    )
    assert final.version == 4
    env = {**os.environ, "QCSTATION_PASSWORD": PASSWORD}

    dirs = []
    for name in STATIONS:
        d = tmp_path / name.replace(" ", "_")
        proc = qc(
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
        assert proc.returncode == 0, proc.stderr
        assert f"Station {name!r} registered on the plant database" in proc.stdout
        assert f"{final.template_key}@{final.version}" in proc.stdout
        # all four keep evidence in one shared folder (the same photo, written at once)
        loc = config.resolve(d)
        shared = {"evidence_dir": str(tmp_path / "shared-evidence")}
        config.save_settings(d, loc.settings.model_copy(update=shared))
        dirs.append(d)
    # the same name again is refused: one name, one station
    proc = qc(
        "init",
        "--admin",
        "alice",
        "--station",
        "line 1",
        "--data-dir",
        str(tmp_path / "again"),
        "--database-url",
        pg_schema_url,
        env=env,
    )
    assert proc.returncode == 2 and "registered on this database already" in proc.stderr

    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(d), f"insp{i}", str(PER_STATION), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i, d in enumerate(dirs)
    ]
    go.touch()
    verifications = 0
    while any(w.poll() is None for w in workers):
        report = audit.verify(plant)  # a consistent snapshot while four stations write
        assert report.ok, [str(f) for f in report.findings]
        verifications += 1
        time.sleep(0.2)
    results = []
    for w in workers:
        out, err = w.communicate()
        assert w.returncode == 0, err
        results.append(json.loads(out))
    assert verifications >= 2

    done = [d for r in results for d in r["done"]]
    assert len(done) == len(STATIONS) * PER_STATION
    numbers = [d["number"] for d in done]
    assert len(set(numbers)) == len(numbers)
    assert all(d["template"] == f"{final.template_key}@{final.version}" for d in done)
    with plant.db.read() as s:
        stations = {r.id: r.name for r in s.scalars(select(StationRow))}
        rows = {r.id: r for r in s.scalars(select(InspectionRow))}
        docs = {d.inspection_id: d for d in s.scalars(select(DocumentRow))}
    for r in results:
        for d in r["done"]:
            row = rows[d["id"]]
            assert row.status == "completed" and stations[row.station_id] == r["station"]
            assert docs[d["id"]].number == d["number"]
    by_station = {r["station"]: sorted(d["number"] for d in r["done"]) for r in results}
    ids = {name: i for i, name in stations.items()}
    assert by_station["line 1"] == [f"LINE-1-R{n:06d}" for n in range(1, PER_STATION + 1)]
    assert by_station["LINE-1"] == [
        f"LINE-1-S{ids['LINE-1']}-R{n:06d}" for n in range(1, PER_STATION + 1)
    ]
    assert by_station["assembly-station-north-02"][0] == (
        f"ASSEMBLY-STATION-S{ids['assembly-station-north-02']}-R000001"
    )
    plant.close()

    proc = qc("audit", "verify", "--data-dir", str(dirs[0]), env=env)
    assert proc.returncode == 0 and "intact" in proc.stdout, proc.stderr
    assert list((tmp_path / "shared-evidence").glob("*/*"))
    assert not any((d / "evidence").exists() for d in dirs)
    proc = qc("db", "check", "--data-dir", str(dirs[1]), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
