"""The window of a station working offline sends its outbox by itself once the plant
server answers again (real PostgreSQL; the outage is a wrong port)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from qcstation import app, cli, config
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, demo, offline_copy, setup
from qcstation.services.context import connect
from qcstation.services.errors import SigningRefused
from qcstation.store import secret_store
from qcstation.store.models import InspectionRow
from qcstation.ui.application import attach_workspace
from qcstation.ui.main_window import MainWindow

from .conftest import WAIT_MS

pytestmark = pytest.mark.postgres
PASSWORD = "s3cret-enough"


def test_the_window_sends_the_outbox_when_the_server_is_back(
    qtbot: QtBot, pg_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    hq = connect(config.resolve(tmp_path / "hq", pg_schema_url))
    setup.init(hq, "alice", PASSWORD)
    admin = accounts.login(hq, "alice", PASSWORD)
    accounts.create_user(hq, admin, "ines", PASSWORD, Role.INSPECTOR)
    d = tmp_path / "bench9"
    init = ["init", "--admin", "alice", "--station", "bench-9", "--data-dir", str(d)]
    assert cli.main([*init, "--database-url", pg_schema_url]) == 0
    # the first copy, while online; whoever syncs signs in
    assert cli.main(["sync", "--data-dir", str(d), "--user", "alice"]) == 0

    wrong = make_url(pg_schema_url).set(port=1).render_as_string(hide_password=False)
    station, loc = app.open_for_window(config.resolve(d, wrong))
    assert offline_copy.is_offline_copy(station, loc)
    ines = accounts.login(station, "ines", PASSWORD)
    ins_id = demo.run_inspection(station, ines, Stage.FINAL_QC, random.Random(4))

    window = MainWindow()
    qtbot.addWidget(window)
    ctx = attach_workspace(window, station, loc)
    offline = window.offline_sync  # type: ignore[attr-defined]
    assert "Offline" in window.connection_note.text()
    offline.attempt()  # nobody signed in: nothing is sent (what arrives must be signed)
    assert not offline.busy
    ctx.user = ines
    offline.attempt()
    qtbot.waitUntil(lambda: not offline.busy, timeout=WAIT_MS)
    assert "does not answer" in window.connection_note.text()

    # A failure that lasts is said once, then stays in the header (not a box a minute)
    keys = secret_store.require_store(d, loc.settings.secret_store, "this station's key")
    kept = keys.get(secret_store.STATION_KEY)
    assert kept is not None
    keys.delete(secret_store.STATION_KEY)
    second = demo.run_inspection(station, ines, Stage.FINAL_QC, random.Random(5))
    for _ in range(3):
        offline.attempt()
        qtbot.waitUntil(lambda: not offline.busy, timeout=WAIT_MS)
    assert [type(e) for e in ctx.errors.shown] == [SigningRefused]
    assert "no station key" in window.connection_note.text()
    assert "retrying every minute" in window.connection_note.text()
    keys.set(secret_store.STATION_KEY, kept)
    ctx.errors.shown.clear()

    offline.server = config.resolve(d, pg_schema_url)  # the server is back
    offline.attempt()
    qtbot.waitUntil(lambda: not offline.busy, timeout=WAIT_MS)
    assert offline.last is not None and offline.last.sent == 2 and offline.last.waiting == 0
    assert "2 inspection(s) sent, 0 waiting" in window.connection_note.text()
    with hq.db.read() as s:
        assert s.scalar(select(func.count()).where(InspectionRow.id.in_([ins_id, second]))) == 2
    assert ctx.errors.shown == []
    window.close()
    ctx.tasks.wait()
    station.close()
    hq.close()


def test_a_station_on_its_own_file_has_no_offline_sync(qtbot: QtBot, tmp_path: Path) -> None:
    loc = config.resolve(tmp_path / "solo")
    station = connect(loc)
    demo.ensure_demo_users(station)
    window = MainWindow()
    qtbot.addWidget(window)
    ctx = attach_workspace(window, station, loc)
    assert not hasattr(window, "offline_sync")
    assert window.connection_note.text() == ""
    window.close()
    ctx.tasks.wait()
    station.close()
