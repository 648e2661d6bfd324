"""Pulling the plug: SIGKILL at many injected points during save, capture and sign.

Whatever the point, every operation the station had confirmed (journaled by the worker
after the service call returned) is in the database, SQLite's integrity check is clean,
the audit chain verifies, and the evidence folder holds no partial file under an evidence
name (an interrupted write stays under its .incoming- temp name). The station then
carries on: a new run on the same data directory completes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import config
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, maintenance, setup
from qcstation.services.context import connect, open_station
from qcstation.store.models import AnswerRow, EvidenceRow, InspectionRow, SignatureRow

WORKER = Path(__file__).with_name("crash_worker.py")
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised SQLite station with inspector 'ines' (certificate issued), copied
    for each run."""
    d = tmp_path_factory.mktemp("faults") / "station"
    station = connect(config.resolve(d, f"sqlite:///{d / 'qcstation.db'}"))
    try:
        setup.init(station, "alice", PASSWORD)
        admin = accounts.login(station, "alice", PASSWORD)
        accounts.create_user(
            station, admin, "ines", PASSWORD, Role.INSPECTOR, root_passphrase=PASSWORD
        )
    finally:
        station.close()
    return d


def run_worker(data_dir: Path, point: str, n: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), str(data_dir), point, str(n)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def totals(template_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """A control run: how many points of each kind one whole run passes."""
    d = tmp_path_factory.mktemp("control") / "station"
    shutil.copytree(template_dir, d)
    proc = run_worker(d, "none", 0)
    assert proc.returncode == 0, proc.stderr
    counts: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["execute"] > 50 and counts["fsync"] >= 2 and counts["replace"] >= 1
    return counts


def journal(data_dir: Path) -> list[dict[str, object]]:
    path = data_dir / "journal"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def check_survivors(data_dir: Path) -> None:
    db = data_dir / "qcstation.db"
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    evidence_root = data_dir / "evidence"
    for path in evidence_root.glob("*/*") if evidence_root.exists() else []:
        if path.name.startswith(".incoming-"):
            continue  # an interrupted write: never referenced, reported by db check
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path
    station = open_station(config.resolve(data_dir))
    try:
        with station.db.read() as s:
            for op in journal(data_dir):
                row = s.get(InspectionRow, op["id"])
                assert row is not None, op
                if op["op"] == "evidence":
                    ev = s.get(EvidenceRow, op["evidence"])
                    assert ev is not None and ev.sha256 == op["sha256"], op
                    assert station.evidence.read(str(op["sha256"]))
                elif op["op"] == "answer":
                    pos = op["position"] or 0  # stored as 0 when the item has no positions
                    found = s.scalars(
                        select(AnswerRow).where(
                            AnswerRow.inspection_id == op["id"],
                            AnswerRow.item_id == op["item"],
                        )
                    ).all()
                    assert any(a.position == pos for a in found), op
                elif op["op"] == "complete":
                    assert row.status == "completed", op
                elif op["op"] == "sign":
                    assert s.scalars(
                        select(SignatureRow).where(SignatureRow.inspection_id == op["id"])
                    ).first(), op
            for ev in s.scalars(select(EvidenceRow)):
                station.evidence.read(ev.sha256)  # no row points at a missing/partial file
        report = audit.verify(station)
        assert report.ok, [str(f) for f in report.findings]
        check = maintenance.check(station)
        assert check.ok, check.problems
    finally:
        station.close()


# Points spread over a whole run (fractions of the control run's count of that kind).
SPREAD = {
    "execute": (0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.97, 1.0),
    "commit": (0.05, 0.3, 0.6, 0.9, 1.0),
    "after_commit": (0.1, 0.5, 1.0),
    "fsync": (0.0, 0.5, 1.0),
    "replace": (0.0, 1.0),
}
CASES = [(point, f) for point, fractions in SPREAD.items() for f in fractions]


@pytest.mark.parametrize(("point", "fraction"), CASES, ids=[f"{p}-{f}" for p, f in CASES])
def test_sigkill_at_an_injected_point_loses_nothing_committed(
    point: str, fraction: float, template_dir: Path, totals: dict[str, int], tmp_path: Path
) -> None:
    d = tmp_path / "station"
    shutil.copytree(template_dir, d)
    n = max(1, round(fraction * totals[point]))
    proc = run_worker(d, point, n)
    assert proc.returncode == -9, f"the worker was meant to die at {point} #{n}: {proc.stderr}"
    check_survivors(d)
    leftovers = sorted((d / "evidence").glob("*/.incoming-*"))
    if point == "replace":  # died with the file written and fsynced, not yet renamed
        assert leftovers
    station = open_station(config.resolve(d))
    try:
        assert maintenance.remove_leftovers(station, min_age_s=0) == len(leftovers)
        assert station.evidence.leftovers() == []
    finally:
        station.close()
    if fraction in (0.5, 0.55, 1.0):  # and the station carries on where it was
        again = run_worker(d, "none", 0)
        assert again.returncode == 0, again.stderr
        check_survivors(d)
