"""Pulling the plug during `qcstation init`: whatever step it was in, running init again
(as the administrator it created) finishes the set-up, and the station is whole: its
checklists and catalog imported, its plant root issued, its audit trail intact.

A kill before the first administrator is committed leaves a database with no one in it: the
second init is then simply a first one.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qcstation import cli

WORKER = Path(__file__).with_name("init_worker.py")
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    "QCSTATION_PASSWORD": PASSWORD,
}
ENV.pop("QCSTATION_ROOT_PASSPHRASE", None)


def worker(data_dir: Path, point: str, n: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), str(data_dir), point, str(n)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
    )


def qcstation(*argv: str, env: dict[str, str] = ENV) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "qcstation", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


def in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    return code, out, err


@pytest.fixture(scope="module")
def totals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """A control run: how many statements and commits one whole init makes."""
    proc = worker(tmp_path_factory.mktemp("control") / "station", "none", 0)
    assert proc.returncode == 0, proc.stderr
    counts: dict[str, int] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["commit"] >= 6 and counts["execute"] > 100
    return counts


# Before every commit (so after every transaction but the one cut off), and mid-transaction
# at points spread over the run.
POINTS = [("commit", n) for n in range(1, 9)] + [
    ("execute", f) for f in (0.05, 0.3, 0.5, 0.7, 0.9, 0.99)
]


@pytest.mark.slow
@pytest.mark.parametrize(("point", "at"), POINTS, ids=[f"{p}-{a}" for p, a in POINTS])
def test_init_killed_anywhere_is_finished_by_init_again(
    tmp_path: Path,
    totals: dict[str, int],
    point: str,
    at: float,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    n = int(at) if point == "commit" else max(1, round(at * totals[point]))
    if n > totals[point]:
        pytest.skip(f"init makes only {totals[point]} {point} events")
    d = tmp_path / "station"
    killed = worker(d, point, n)
    assert killed.returncode == -9, killed.stderr  # it died where it was told to

    proc = qcstation("init", "--admin", "alice", "--data-dir", str(d))
    assert proc.returncode == 0, proc.stderr
    assert "Imported" in proc.stdout and "stone-setting@2" in proc.stdout

    db = d / "qcstation.db"
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert con.execute("SELECT count(*) FROM users").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM stations").fetchone() == (1,)
    finally:
        con.close()
    # The rest in this process (the same commands, without a Python start for each).
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    code, listed, _ = in_process(capsys, "template", "list", "--data-dir", str(d))
    assert code == 0 and listed.count(" yes ") == 8, listed
    code, verified, _ = in_process(capsys, "audit", "verify", "--data-dir", str(d))
    assert code == 0 and "intact" in verified, verified
    # The station signs: the admin's key was issued under the plant root.
    _, keys, _ = in_process(capsys, "keys", "list", "--data-dir", str(d))
    assert [line.split()[:3] for line in keys.splitlines()[1:5]] == [
        ["user", "alice", "active"],
        ["root", "active", "ecdsa-secp256r1"],
        ["seal", "active", "ed25519"],
        ["document", "active", "ecdsa-secp256r1"],
    ], keys
    # And a third init refuses, as on any station that is set up.
    code, _, err = in_process(capsys, "init", "--admin", "alice", "--data-dir", str(d))
    assert code == 2 and "is registered on this database already" in err


def test_only_the_administrator_it_created_finishes_an_interrupted_init(
    tmp_path: Path, totals: dict[str, int]
) -> None:
    d = tmp_path / "station"
    assert worker(d, "commit", 3).returncode == -9
    proc = qcstation("init", "--admin", "mallory", "--data-dir", str(d))
    assert proc.returncode == 2
    assert "an earlier init of this database was cut short" in proc.stderr
    assert "as the administrator it created (alice)" in proc.stderr
    wrong = {**ENV, "QCSTATION_PASSWORD": "not her password"}
    assert qcstation("init", "--admin", "alice", "--data-dir", str(d), env=wrong).returncode == 2
    finished = qcstation("init", "--admin", "alice", "--data-dir", str(d))
    assert finished.returncode == 0, finished.stderr
    assert "An earlier init was cut short: finished it as 'alice'" in finished.stdout
