"""Exactly once under SIGKILL: a sync killed just before or after any commit, on the server
or on the station, then run again, leaves every offline inspection on the server once,
with one receipt, and the outbox empty."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from qcstation import cli, config
from qcstation.domain.users import Role
from qcstation.services import accounts, audit, offline_copy, setup, sync
from qcstation.services.context import connect, open_station
from qcstation.store.models import AnswerRow, InspectionRow, ReceiptRow

from ..services.conftest import finish

pytestmark = pytest.mark.postgres
WORKER = Path(__file__).with_name("sync_worker.py")
PASSWORD = "s3cret-enough"
RECORDS = 3


def offline_station(url: str, base: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    hq = connect(config.resolve(base / "hq", url))
    setup.init(hq, "alice", PASSWORD)
    accounts.create_user(
        hq, accounts.login(hq, "alice", PASSWORD), "ines", PASSWORD, Role.INSPECTOR
    )
    hq.close()
    d = base / "bench"
    assert (
        cli.main(
            [
                "init",
                "--admin",
                "alice",
                "--station",
                "bench",
                "--data-dir",
                str(d),
                "--database-url",
                url,
            ]
        )
        == 0
    )
    local = offline_copy.open_local(config.resolve(d))
    server = open_station(config.resolve(d))
    sync.pull(server, local, accounts.login(server, "alice", PASSWORD))
    server.close()
    ines = accounts.login(local, "ines", PASSWORD)
    for n in range(RECORDS):
        finish(local, ines, serial=f"K-{n}")
    local.close()
    return d


def run(d: Path, where: str, n: int, batch: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), str(d), where, str(n), *([str(batch)] if batch else [])],
        capture_output=True,
        text=True,
        timeout=300,
    )


# (where, n, batch): the n-th commit there, delivering `batch` records per server
# transaction (0: as shipped, all RECORDS in one). Server commits: one per batch. Station
# commits: queue, then one "sent" mark per batch, then the reference refresh.
POINTS = [
    ("server-after", 1, 0),
    ("server-before", 1, 0),
    ("local-before", 2, 0),
    ("local-after", 2, 0),
    ("server-after", 1, 1),
    ("server-after", 3, 1),
    ("server-before", 2, 1),
    ("local-before", 2, 1),
    ("local-after", 3, 1),
    ("local-before", 1, 1),
]


@pytest.mark.parametrize(
    ("where", "n", "batch"), POINTS, ids=[f"{w}-{n}-batch{b or 'all'}" for w, n, b in POINTS]
)
def test_sync_killed_at_a_commit_delivers_exactly_once(
    where: str,
    n: int,
    batch: int,
    pg_schema_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = offline_station(pg_schema_url, tmp_path, monkeypatch)
    killed = run(d, where, n, batch)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    server = open_station(config.resolve(d))
    local = offline_copy.open_local(config.resolve(d))
    try:
        # sync again, as the station does when it comes back (in this process: the killed
        # one is gone, and a second Python start adds nothing to what is tested)
        again = sync.sync(server, local, accounts.login(server, "alice", PASSWORD))
        assert again.sent + again.already <= RECORDS
        with server.db.read() as s:
            assert s.scalar(select(func.count()).select_from(InspectionRow)) == RECORDS
            assert s.scalar(select(func.count()).select_from(ReceiptRow)) == RECORDS
            per = s.execute(
                select(AnswerRow.inspection_id, func.count()).group_by(AnswerRow.inspection_id)
            ).all()
        with local.db.read() as s:
            local_per = dict(
                s.execute(
                    select(AnswerRow.inspection_id, func.count()).group_by(AnswerRow.inspection_id)
                ).all()
            )
        assert dict(per) == local_per  # every answer once, none twice
        assert offline_copy.waiting(local) == 0
        assert audit.verify(server).ok
        assert sync.sync(server, local, accounts.login(server, "alice", PASSWORD)).sent == 0
    finally:
        server.close()
        local.close()
