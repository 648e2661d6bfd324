"""`qcstation lots list` and `qcstation sampling state` over lots recorded by the services."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.conftest import PASSWORD

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


def test_dashboard_export_csv_and_pdf(
    station: Station,
    admin: User,
    supervisor: User,
    inspector: User,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from tests.services.dashboard_data import load

    from qcstation.domain.users import Role
    from qcstation.services import accounts

    accounts.create_user(station, admin, "ivan", "ivan-password", Role.INSPECTOR, "Ivan I")
    load(station, admin, supervisor)
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    out = tmp_path / "dash.csv"
    code, text, err = run(
        capsys, "dashboard", "export", "-o", str(out), "--user", "sam", *_where(station)
    )
    assert code == 0, err
    assert "80 inspections, 7 defects, 2 out-of-control day(s)" in text
    rows = list(csv.DictReader(out.open()))
    codes = [(r["key"], r["count"], r["cumulative_percent"]) for r in rows if r["group"] == "code"]
    assert codes == [
        ("CST-POR", "4", "57.1429"),
        ("CST-SHRK", "2", "85.7143"),
        ("CST-SHORT", "1", "100.0000"),
    ]
    ooc = [r["period"] for r in rows if r["chart"] == "p_chart" and r["out_of_control"] == "yes"]
    assert ooc == ["2026-03-10", "2026-03-11"]
    pdf = tmp_path / "dash.pdf"
    code, text, err = run(
        capsys, "dashboard", "export", "-o", str(pdf), "--user", "sam", "--stage", "casting",
        "--from", "2026-03-01", "--to", "2026-03-31", *_where(station),
    )  # fmt: skip
    assert code == 0, err
    assert pdf.read_bytes().startswith(b"%PDF") and "Casting" in text
    # bad input: exit 2, a message naming the problem, nothing written
    code, _, err = run(
        capsys, "dashboard", "export", "-o", str(tmp_path / "x.xlsx"), *_where(station)
    )
    assert code == 2 and "must end in .csv or .pdf" in err
    code, _, err = run(
        capsys, "dashboard", "export", "-o", str(tmp_path / "y.csv"), "--user", "sam",
        "--from", "2026-03-05", "--to", "2026-03-01", *_where(station),
    )  # fmt: skip
    assert code == 2 and "is after" in err and not (tmp_path / "y.csv").exists()
    code, _, err = run(
        capsys, "dashboard", "export", "-o", str(tmp_path / "z.csv"), "--user", "ines",
        *_where(station),
    )  # fmt: skip
    assert code == 2 and "may not review" in err and not (tmp_path / "z.csv").exists()


def test_sampling_resume_after_discontinuation(
    station: Station,
    inspector: User,
    supervisor: User,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for _ in range(7):  # 2 rejected -> tightened, then 5 rejected on tightened -> stop
        lot = lots.plan_lot(
            station, inspector, stage=Stage.CASTING, job_ticket="J", sku="RG-9",
            lot_size=500, aqls={"major": "1.0"},
        )  # fmt: skip
        lots.record_result(station, inspector, lot.id, {"major": 9})
    code, out, _ = run(capsys, "sampling", "state", "--key", "RG-9", *_where(station))
    assert "DISCONTINUED" in out
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    code, _, err = run(capsys, "sampling", "resume", "--sku", "RG-9", "--severity", "major",
                       "--reason", "8D-4 closed", "--user", "sam", *_where(station))  # fmt: skip
    assert code == 2 and "add --stage" in err
    code, out, err = run(capsys, "sampling", "resume", "--sku", "RG-9", "--stage", "casting",
                         "--severity", "major", "--reason", "8D-4 closed", "--user", "ines",
                         *_where(station))  # fmt: skip
    assert code == 2 and "may not review" in err
    code, out, err = run(capsys, "sampling", "resume", "--sku", "RG-9", "--stage", "casting",
                         "--severity", "major", "--reason", "8D-4 closed", "--user", "sam",
                         *_where(station))  # fmt: skip
    assert code == 0, err
    assert "RG-9 at Casting, major: inspection resumes on tightened inspection" in out


def test_lots_resubmit_and_supervisor_decisions(
    station: Station,
    inspector: User,
    supervisor: User,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    lot = lots.plan_lot(
        station, inspector, stage=Stage.RECEIVING, job_ticket="PO-9", sku="FIND-1",
        supplier="Aurum", lot_size=1000, aqls={"major": "1.0"},
    )  # fmt: skip
    code, _, err = run(capsys, "lots", "resubmit", lot.id, "--user", "ines", *_where(station))
    assert code == 2 and "has no verdict yet: only a rejected lot is resubmitted" in err
    lots.record_result(station, inspector, lot.id, {"major": 3})
    code, _, err = run(capsys, "lots", "resubmit", lot.id, "--mode", "normal",
                       "--user", "ines", *_where(station))  # fmt: skip
    assert code == 2 and "only a supervisor" in err
    code, _, err = run(capsys, "lots", "resubmit", lot.id, "--lot-size", "5000",
                       "--user", "ines", *_where(station))  # fmt: skip
    assert code == 2 and "from 2 to 1000" in err
    assert len(lots.find(station)) == 1  # nothing written by the refusals
    code, out, err = run(capsys, "lots", "resubmit", lot.id, "--lot-size", "980",
                         "--seed", "3", "--user", "ines", *_where(station))  # fmt: skip
    assert code == 0, err
    assert "not counted in the switching rules" in out and "maj 1.0 T n=80 1/2" in out
    again = next(x for x in lots.find(station) if not x.original)
    assert again.resubmission_of == lot.id and again.lot_size == 980
    code, out, _ = run(capsys, "lots", "list", *_where(station))
    assert "PO-9 (resubmitted)" in out
    lots.record_result(station, inspector, again.id, {"major": 0})

    where = ("--supplier", "Aurum", "--severity", "major", *_where(station))
    code, _, err = run(capsys, "sampling", "start-tightened", "--reason", "audit finding",
                       "--user", "ines", *where)  # fmt: skip
    assert code == 2 and "may not review" in err
    code, out, err = run(capsys, "sampling", "start-tightened", "--reason", "audit finding",
                         "--user", "sam", *where)  # fmt: skip
    assert code == 0, err
    assert "supplier Aurum, major: tightened inspection started" in out
    code, _, err = run(capsys, "sampling", "reinstate-normal", "--reason", "ok now",
                       "--user", "sam", *where)  # fmt: skip
    assert code == 2 and "0 so far, 5 more needed" in err
    code, out, _ = run(capsys, "sampling", "state", "--json", "--key", "Aurum", *_where(station))
    assert [d["mode"] for d in json.loads(out)] == ["tightened"]
    code, out, _ = run(capsys, "sampling", "history", "--supplier", "Aurum", *_where(station))
    assert code == 0
    assert "PO-9 of 1000: rejected" in out and "PO-9 of 980: accepted (resubmitted" in out
    assert "start on tightened inspection: audit finding" in out and "sam" in out
    code, out, _ = run(capsys, "sampling", "history", "--supplier", "Aurum", "--json",
                       *_where(station))  # fmt: skip
    kinds = [e["kind"] for e in json.loads(out)]
    assert kinds == ["lot", "resubmitted lot", "decision"]
    code, _, err = run(capsys, "sampling", "history", *_where(station))
    assert code == 2 and "name the stream" in err
