"""Another program holding the SQLite database's write lock: a write waits (busy timeout),
then, if the lock stays, says so; once it is released the same call works."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, inspections, setup
from qcstation.services.context import Station, connect
from qcstation.store import database
from qcstation.store.database import DatabaseBusy

PASSWORD = "correct horse battery"
LOCKER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
"""


@pytest.fixture
def quick_station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Station]:
    """A SQLite station whose busy timeout is 1.5 s instead of 10 s (the test waits it out)."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 1500)
    d = tmp_path / "station"
    station = connect(config.resolve(d, f"sqlite:///{d / 'qcstation.db'}"))
    setup.init(station, "alice", PASSWORD)
    admin = accounts.login(station, "alice", PASSWORD)
    accounts.create_user(station, admin, "ines", PASSWORD, Role.INSPECTOR)
    yield station
    station.close()


def hold_lock(station: Station, seconds: float) -> subprocess.Popen[str]:
    db = database.sqlite_file(station.db.url)
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_lock_that_stays_is_waited_for_then_named(quick_station: Station) -> None:
    ines = accounts.login(quick_station, "ines", PASSWORD)
    locker = hold_lock(quick_station, 60)
    try:
        began = time.monotonic()
        with pytest.raises(DatabaseBusy) as caught:
            inspections.start(quick_station, ines, Stage.FINAL_QC, "JT-1", "SKU-1")
        waited = time.monotonic() - began
    finally:
        locker.kill()
        locker.wait()
    assert waited >= 1.4  # it waited for the busy timeout rather than failing at once
    assert "locked by another program and stayed locked for 1 s" in str(caught.value)
    assert "try again" in str(caught.value)
    ins = inspections.start(quick_station, ines, Stage.FINAL_QC, "JT-1", "SKU-1")
    assert inspections.get(quick_station, ins.id).job_ticket == "JT-1"


def test_a_short_lock_is_simply_waited_out(quick_station: Station) -> None:
    ines = accounts.login(quick_station, "ines", PASSWORD)
    locker = hold_lock(quick_station, 0.5)
    try:
        ins = inspections.start(quick_station, ines, Stage.FINAL_QC, "JT-2", "SKU-1")
    finally:
        locker.wait(timeout=30)
    assert locker.returncode == 0
    assert inspections.get(quick_station, ins.id).job_ticket == "JT-2"
