"""`qcstation lots list` and `qcstation sampling state` over lots recorded by the services."""

from __future__ import annotations

import json

import pytest

from qcstation import cli
from qcstation.domain.stages import Stage
from qcstation.domain.users import User
from qcstation.services import lots
from qcstation.services.context import Station


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _where(station: Station) -> tuple[str, ...]:
    url = station.location.database_url
    return ("--data-dir", str(station.location.data_dir), "--database-url", url)


def test_lots_list_and_sampling_state(
    station: Station, inspector: User, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "sampling", "state", *_where(station))
    assert code == 0 and "every stream starts on normal" in out
    for count in (3, 4):  # two rejected majors: tightened
        lot = lots.plan_lot(
            station,
            inspector,
            stage=Stage.RECEIVING,
            job_ticket="PO-1",
            sku="FIND-1",
            supplier="Aurum",
            lot_size=1000,
            aqls={"major": "1.0", "minor": "4.0"},
        )
        lots.record_result(station, inspector, lot.id, {"major": count, "minor": 0})
    code, out, _ = run(capsys, "lots", "list", *_where(station))
    assert code == 0 and "supplier Aurum" in out and "maj 1.0 N n=80 2/3 found 4" in out
    assert "rejected" in out and "(2 shown)" in out
    code, out, _ = run(capsys, "lots", "list", "--json", "--supplier", "Aurum", *_where(station))
    data = json.loads(out)
    assert [d["verdict"] for d in data] == ["rejected", "rejected"]
    assert len(data[0]["sample"]) == 80 and data[0]["plans"][0]["code_letter"] == "J"
    code, out, _ = run(capsys, "sampling", "state", "--json", *_where(station))
    states = {d["severity"]: d for d in json.loads(out)}
    assert states["major"]["mode"] == "tightened"
    assert states["minor"]["mode"] == "normal" and states["minor"]["switching_score"] == 6
    code, out, _ = run(capsys, "sampling", "state", "--key", "Aurum", *_where(station))
    assert code == 0 and "tightened" in out and "supplier Aurum" in out
