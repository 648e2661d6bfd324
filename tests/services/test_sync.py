"""An offline station on the real PostgreSQL: the server goes away (a wrong port), the
station keeps recording on its local copy, and when the server is back the outbox is
delivered exactly once, even when an acknowledgement is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from tests.services.test_dashboard_copies import mismatched

from qcstation import cli, config, content
from qcstation.domain.records import sha256_hex
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import (
    accounts,
    audit,
    inspections,
    offline_copy,
    setup,
    specs,
    sync,
    templates,
)
from qcstation.services.context import Station, connect, open_station
from qcstation.services.errors import LoginFailed, PermissionDenied
from qcstation.store.database import DatabaseUnavailable
from qcstation.store.models import (
    AnswerRow,
    DefectCode,
    DefectRow,
    EvidenceRow,
    InspectionRow,
    OutboxRow,
    ReceiptRow,
)

from .conftest import finish

pytestmark = pytest.mark.postgres
PASSWORD = "s3cret-enough"


def count(station: Station, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    with station.db.read() as s:
        return s.scalar(q) or 0


def test_offline_station_catches_up_exactly_once(
    pg_schema_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    monkeypatch.setenv("QCSTATION_USER", "alice")  # who syncs signs what arrives
    hq = connect(config.resolve(tmp_path / "hq", pg_schema_url))
    setup.init(hq, "alice", PASSWORD)
    admin = accounts.login(hq, "alice", PASSWORD)
    accounts.create_user(hq, admin, "ines", PASSWORD, Role.INSPECTOR)
    plant_specs = tmp_path / "plant-specs.csv"
    plant_specs.write_text(
        "sku,product_type,weight_g,weight_tol_minus_g,weight_tol_plus_g\nRG-SOL-0412,ring,4.2,0.1,0.1\n"
    )
    specs.import_file(hq, admin, plant_specs)
    d = tmp_path / "bench9"
    assert (
        cli.main(
            [
                "init",
                "--admin",
                "alice",
                "--station",
                "bench-9",
                "--data-dir",
                str(d),
                "--database-url",
                pg_schema_url,
            ]
        )
        == 0
    )
    assert cli.main(["sync", "--data-dir", str(d)]) == 0  # the first copy, while online
    assert "Refreshed" in capsys.readouterr().out

    # The server goes away: this station's settings now point at a dead port.
    wrong = make_url(pg_schema_url).set(port=1).render_as_string(hide_password=False)
    offline_loc = config.resolve(d, wrong)
    from qcstation import app

    window_station, window_loc = app.open_for_window(offline_loc)
    window_station.close()
    assert offline_copy.OFFLINE_NOTICE in window_loc.warnings  # the window says it works offline
    local, online = offline_copy.open_for_work(offline_loc)
    assert not online
    ines = accounts.login(local, "ines", PASSWORD)
    # reference data is the server's: nothing of it changes on the offline copy
    alice = accounts.login(local, "alice", PASSWORD)
    with pytest.raises(PermissionDenied, match="working offline"):
        accounts.create_user(local, alice, "newbie", PASSWORD, Role.INSPECTOR)
    v2 = tmp_path / "final_qc_v4.yaml"
    v2.write_text(
        (content.templates_dir() / "final_qc.yaml")
        .read_text("utf-8")
        .replace("version: 3", "version: 4"),
        "utf-8",
    )
    with pytest.raises(PermissionDenied, match="working offline"):
        templates.import_files(local, alice, [v2])
    erp = tmp_path / "erp.csv"
    erp.write_text(
        "sku,product_type,weight_g,weight_tol_minus_g,weight_tol_plus_g\nR,ring,5,0.1,0.1\n"
    )
    with pytest.raises(PermissionDenied, match="working offline"):
        specs.import_file(local, alice, erp)
    # the plant's specifications came with the copy: an offline start freezes them
    assert specs.show(local, "RG-SOL-0412")[0].spec.weight_g == 4.2
    with pytest.raises(PermissionDenied, match="working offline"):
        accounts.set_active(local, alice, "ines", False)
    with pytest.raises(LoginFailed):  # a wrong password still counts, offline too
        accounts.login(local, "ines", "not the password")
    assert accounts.login(local, "ines", PASSWORD).username == "ines"
    done = [finish(local, ines, serial=f"OFF-{n}") for n in range(2)]
    open_one = finish(local, ines, serial="OFF-2", complete=False)
    with local.db.read() as s:
        code = next(c.code for c in s.scalars(select(DefectCode)) if "final_qc" in c.stages)
    inspections.raise_defect(local, ines, open_one, code, note="scratch on the shank")
    inspections.complete(local, ines, open_one)
    done.append(open_one)
    unfinished = inspections.start(local, ines, Stage.FINAL_QC, "JT-9", "SKU")
    local.close()

    assert cli.main(["sync", "--data-dir", str(d), "--database-url", wrong]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the database server" in err and "3 completed inspection(s) wait" in err

    # The server is back.
    assert cli.main(["sync", "--data-dir", str(d)]) == 0
    assert "Delivered 3 inspection(s)" in capsys.readouterr().out
    local = offline_copy.open_local(config.resolve(d))
    plant = open_station(config.resolve(d))
    try:
        for ins_id in done:
            for model in (AnswerRow, EvidenceRow, DefectRow):
                assert count(plant, model, inspection_id=ins_id) == count(
                    local, model, inspection_id=ins_id
                ), (model, ins_id)
            got = inspections.get(plant, ins_id)
            assert got.status.value == "completed" and got.inspector == "ines"
            for ev in inspections.evidence_of(plant, ins_id):
                assert inspections.read_evidence(plant, ev.sha256)  # the file came too
        assert count(plant, DefectRow, inspection_id=open_one) == 1
        assert count(plant, InspectionRow, id=unfinished.id) == 0  # only completed travel
        assert count(plant, ReceiptRow) == 3
        assert audit.verify(plant).ok
        assert mismatched(plant) == []  # delivered defects carry their inspection's copies
        with plant.db.read() as s:
            receipt = s.scalars(select(ReceiptRow).where(ReceiptRow.record_id == open_one)).one()
            assert "scratch on the shank" in receipt.station_audit  # the station's history

        # Again: nothing to send, nothing doubled.
        alice = accounts.login(plant, "alice", PASSWORD)
        assert sync.sync(plant, local, alice).sent == 0
        # The acknowledgement of a delivery was lost (a crash after the server's commit):
        with local.db.write(None, "bench-9") as s:
            s.execute(update(OutboxRow).where(OutboxRow.record_id == done[0]).values(sent_at=None))
        result = sync.sync(plant, local, alice)
        assert (result.sent, result.already, result.waiting) == (0, 1, 0)
        assert count(plant, InspectionRow, id=done[0]) == 1
        assert count(plant, ReceiptRow) == 3

        # A changed copy of a delivered record is refused: completed records never change.
        # It is set aside with the reason, not retried, and the queue goes on.
        with local.db.write(None, "bench-9") as s:
            row = s.scalars(select(OutboxRow).where(OutboxRow.record_id == done[1])).one()
            row.payload = row.payload.replace("OFF-1", "OFF-X")
            row.payload_sha256 = sha256_hex(row.payload)
            row.sent_at = None
        pushed = sync.push(plant, local, alice)
        assert [r for r, _why in pushed.refused] == [done[1]]
        assert "different content" in pushed.refused[0][1]
        assert inspections.get(plant, done[1]).serial == "OFF-1"
        assert offline_copy.waiting(local) == 0
        with local.db.read() as s:
            assert (
                "different content"
                in s.scalars(
                    select(OutboxRow.last_error).where(OutboxRow.record_id == done[1])
                ).one()
            )
        assert sync.push(plant, local, alice).refused == ()  # set aside, not retried
    finally:
        local.close()
        plant.close()
    back, online = offline_copy.open_for_work(config.resolve(d))
    back.close()
    assert online


def test_no_offline_copy_says_what_to_do(pg_schema_url: str, tmp_path: Path) -> None:
    wrong = make_url(pg_schema_url).set(port=1).render_as_string(hide_password=False)
    with pytest.raises(DatabaseUnavailable, match="no offline copy yet: run `qcstation sync`"):
        offline_copy.open_for_work(config.resolve(tmp_path / "new", wrong))
