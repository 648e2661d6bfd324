"""Two station processes on one PostgreSQL, one inspector: bench A keeps answering while
bench B takes the inspection over with `qcstation inspections take-over`. Bench A's next
answer is refused in words naming B; nothing bench A sent lands after the hand-over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from qcstation import cli, config
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, holds, inspections
from qcstation.services.context import open_station
from qcstation.store.models import AuditEntry

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-enough"
WORKER = Path(__file__).with_name("hold_worker.py")


def test_a_bench_that_lost_the_inspection_is_refused_mid_stream(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    a, b = tmp_path / "a", tmp_path / "b"
    for d, name in ((a, "bench A"), (b, "bench B")):
        argv = ["init", "--admin", "alice", "--station", name, "--data-dir", str(d)]
        assert cli.main([*argv, "--database-url", pg_schema_url]) == 0
    capsys.readouterr()
    bench_a = open_station(config.resolve(a))
    admin = accounts.login(bench_a, "alice", PASSWORD)
    accounts.create_user(bench_a, admin, "ines", PASSWORD, Role.INSPECTOR)
    ines = accounts.login(bench_a, "ines", PASSWORD)
    ins = inspections.start(bench_a, ines, Stage.FINAL_QC, "JT-P1", "RG-SOL-0412", "SP1")
    env = {**os.environ, "QCSTATION_PASSWORD": PASSWORD}
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(a), "ines", ins.id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while len(inspections.get(bench_a, ins.id).answers) < 3:  # bench A is at work
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "bench A saved nothing"
            time.sleep(0.05)
        command = ("inspections", "take-over", ins.id, "--user", "ines", "--data-dir", str(b))
        took = subprocess.run(
            [sys.executable, "-m", "qcstation", *command, "--reason", "scope needed elsewhere"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert took.returncode == 0, took.stderr
        assert "taken over from station bench A" in took.stdout
        out, err = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "Traceback" not in err
    result = json.loads(out)
    assert result["saved"] >= 3
    assert result["refused"].startswith("this inspection was taken over by ines at station bench B")
    assert "(scope needed elsewhere)" in result["refused"]
    # nothing from bench A after the hand-over: every later entry is bench B's or none
    with bench_a.db.read() as s:
        handover = s.scalars(
            select(AuditEntry.id).where(
                AuditEntry.entity == "inspection_holds",
                AuditEntry.reason.startswith("take over"),
            )
        ).one()
        later = s.scalars(
            select(AuditEntry.station).where(
                AuditEntry.id > handover, AuditEntry.entity == "answers"
            )
        ).all()
    assert "bench A" not in later
    assert holds.hold_of(bench_a, ins.id).station == "bench B"
    assert audit.verify(bench_a).ok
    bench_a.close()
