"""`qcstation ncr` and `qcstation capa`: a supervisor's day at the command line, exit codes
0 / 2 and messages that say what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcstation import cli
from qcstation.domain.users import User
from qcstation.services import nonconformance
from qcstation.services.context import Station

from .services.test_nonconformance import failed


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def where(station: Station, password: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("QCSTATION_PASSWORD", password)
    return [
        "--data-dir",
        str(station.location.data_dir),
        "--database-url",
        station.location.database_url,
    ]


def test_ncr_list_and_dispositions(
    station: Station,
    inspector: User,
    supervisor: User,
    where: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, d1 = failed(station, inspector, serial="SN1")
    _, d2 = failed(station, inspector, serial="SN2")
    code, out, _ = run(capsys, "ncr", "list", *where)
    assert code == 0 and "CST-POR" in out and "(2 open)" in out
    code, out, _ = run(capsys, "ncr", "list", "--json", *where)
    assert {r["defect_id"] for r in json.loads(out)} == {d1, d2}
    # an inspector may not accept a defect as it is: exit 2, the reason, nothing changed
    code, _, err = run(
        capsys,
        "ncr",
        "disposition",
        str(d1),
        "--as",
        "use-as-is",
        "--reason",
        "ok",
        "--user",
        "ines",
        *where,
    )
    assert code == 2 and "supervisor" in err
    code, _, err = run(
        capsys, "ncr", "disposition", str(d1), "--as", "use-as-is", "--user", "sam", *where
    )
    assert code == 2 and "reason" in err
    code, out, _ = run(
        capsys,
        "ncr",
        "disposition",
        str(d1),
        "--as",
        "use-as-is",
        "--reason",
        "inside the shank",
        "--user",
        "sam",
        *where,
    )
    assert code == 0 and "use-as-is" in out
    code, out, _ = run(
        capsys, "ncr", "disposition", str(d2), "--as", "rework", "--user", "ines", *where
    )
    assert code == 0 and "re-inspection after rework:" in out
    assert nonconformance.open_items(station) == []
    code, out, _ = run(capsys, "ncr", "list", "--decided", *where)
    assert code == 0 and "use as is" in out and "rework" in out
    code, _, err = run(
        capsys, "ncr", "disposition", str(d2), "--as", "scrap", "--user", "ines", *where
    )
    assert code == 2 and "decided already" in err
    with pytest.raises(SystemExit) as bad:  # argparse: usage error, exit 2, valid choices
        cli.main(["ncr", "disposition", "77", "--as", "maybe", "--user", "ines", *where])
    assert bad.value.code == 2 and "use-as-is" in capsys.readouterr().err
    code, _, err = run(capsys, "ncr", "disposition", str(d1), "--as", "scrap", *where)
    assert code == 2 and "--user" in err


def test_capa_from_open_to_close(
    station: Station,
    inspector: User,
    supervisor: User,
    where: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _, defect_id = failed(station, inspector)
    sam = ["--user", "sam", *where]
    code, _, err = run(capsys, "capa", "open", "--title", "t", "--problem", "p", *sam)
    assert code == 2 and "--defect ID or --trend" in err
    code, _, err = run(
        capsys, "capa", "open", "--title", "t", "--problem", "p", "--trend", "CST-POR", *sam
    )
    assert code == 2 and "--from" in err
    code, out, _ = run(
        capsys,
        "capa",
        "open",
        "--title",
        "Porosity",
        "--problem",
        "pores",
        "--defect",
        str(defect_id),
        *sam,
    )
    assert code == 0 and "corrective action 1 opened" in out
    code, out, _ = run(
        capsys,
        "capa",
        "open",
        "--title",
        "Trend",
        "--problem",
        "rising",
        "--trend",
        "CST-POR",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-20",
        *sam,
    )
    assert code == 0 and "corrective action 2 opened" in out
    assert run(capsys, "capa", "advance", "1", "--to", "in_progress", *sam)[0] == 0
    code, _, err = run(capsys, "capa", "advance", "1", "--to", "awaiting_verification", *sam)
    assert code == 2 and "root cause" in err
    code, out, _ = run(
        capsys,
        "capa",
        "edit",
        "1",
        "--category",
        "method",
        "--root-cause",
        "short burnout",
        "--why",
        "gas",
        "--why",
        "residue",
        "--corrective",
        "12 h burnout",
        "--owner",
        "ines",
        "--due",
        "2020-01-01",
        *sam,
    )
    assert code == 0 and "saved (in progress)" in out
    code, out, _ = run(capsys, "capa", "list", *where)
    assert code == 0 and "OVERDUE 2020-01-01" in out and "(2 shown, 1 overdue)" in out
    assert out.splitlines()[1].startswith("1 ")  # the overdue one first
    code, out, _ = run(capsys, "capa", "list", "--json", *where)
    first = json.loads(out)[0]
    assert first["overdue"] is True and first["why_chain"] == ["gas", "residue"]
    assert run(capsys, "capa", "advance", "1", "--to", "awaiting_verification", *sam)[0] == 0
    code, _, err = run(
        capsys, "capa", "close", "1", "--evidence", "fine", "--file", "/nope.png", *sam
    )
    assert code == 2 and "cannot read the evidence file" in err
    photo = tmp_path / "after.png"
    photo.write_bytes(b"\x89PNG not really")
    code, _, err = run(capsys, "capa", "close", "1", "--evidence", "fine", "--user", "ines", *where)
    assert code == 2 and "may not review" in err
    code, out, _ = run(
        capsys, "capa", "close", "1", "--evidence", "no pores in 50", "--file", str(photo), *sam
    )
    assert code == 0 and "signed off by sam; 1 evidence file(s) kept" in out
    code, out, _ = run(capsys, "capa", "list", "--open", *where)
    assert "(1 shown, 0 overdue)" in out
