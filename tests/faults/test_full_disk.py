"""A full disk: the database (SQLite's page limit) and files (ENOSPC injected into the
write path) each give a clear error, lose nothing committed, and a retry then works."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import backup, backup_verify, inspections, maintenance
from qcstation.services.backup import BackupError
from qcstation.services.context import Station
from qcstation.store.database import DatabaseError
from qcstation.store.evidence import EvidenceError
from qcstation.store.models import EvidenceRow, InspectionRow

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def count(station: Station, model: Any) -> int:
    with station.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@SQLITE_ONLY
def test_database_full_says_so_and_a_retry_works(station: Station, inspector: User) -> None:
    with station.db.read() as s:
        pages = s.execute(text("PRAGMA page_count")).scalar_one()

    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(station.db.engine, "connect", cap)
    station.db.engine.dispose()
    started = []
    with pytest.raises(DatabaseError) as caught:
        for n in range(200):  # until the last free page is used
            started.append(
                inspections.start(station, inspector, Stage.FINAL_QC, f"JT-{n}", "SKU-1").id
            )
    message = str(caught.value)
    assert "is full: free some space and try again; nothing committed was lost" in message
    event.remove(station.db.engine, "connect", cap)
    station.db.engine.dispose()
    assert count(station, InspectionRow) == len(started)
    for ins_id in started:
        assert inspections.get(station, ins_id).job_ticket.startswith("JT-")
    retry = inspections.start(station, inspector, Stage.FINAL_QC, "JT-retry", "SKU-1")
    assert inspections.get(station, retry.id).job_ticket == "JT-retry"
    assert maintenance.check(station).ok


def no_space(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_evidence_disk_full_says_so_leaves_no_file_and_a_retry_works(
    station: Station, inspector: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ins = inspections.start(station, inspector, Stage.FINAL_QC, "JT-1", "SKU-1")
    data = b"\x89PNG not really, but bytes all the same" * 100
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", no_space)
        with pytest.raises(EvidenceError, match="No space left on device; free disk space"):
            inspections.attach_evidence(station, inspector, ins.id, data, "image/png")
    root = station.location.evidence_dir
    assert not [p for p in root.glob("*/*")], "a partial file was left"
    assert count(station, EvidenceRow) == 0
    info = inspections.attach_evidence(station, inspector, ins.id, data, "image/png")
    assert inspections.read_evidence(station, info.sha256) == data


@SQLITE_ONLY
def test_backup_disk_full_says_so_leaves_nothing_and_a_retry_works(
    station: Station, admin: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "backups" / "b.qcbackup"
    with monkeypatch.context() as m:
        m.setattr(os, "fsync", no_space)
        with pytest.raises(BackupError, match="No space left on device; free disk space"):
            backup.backup(station, admin, out)
    assert not out.exists() and not list(out.parent.iterdir())
    assert backup.backup(station, admin, out).path == out
    assert backup_verify.verify_archive(out)[0].manifest["database"] == "sqlite"
