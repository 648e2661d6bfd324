"""`qcstation inspections unfinished | take-over | park | resume | abandon` at two stations
on one database (a SQLite file, and the PostgreSQL server): exit codes and words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qcstation import cli, config
from qcstation.domain.inspections import Answer, Outcome
from qcstation.domain.stages import Stage
from qcstation.domain.users import Role
from qcstation.services import accounts, inspections
from qcstation.services.context import open_station
from qcstation.services.holds import NotHeld

PASSWORD = "s3cret-enough"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_two_stations_hand_an_inspection_over_by_command(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    a, b = tmp_path / "a", tmp_path / "b"
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{a / 'qcstation.db'}"
    for d, name in ((a, "bench A"), (b, "bench B")):
        code, _out, err = run(
            capsys,
            *("init", "--admin", "alice", "--station", name),
            *("--data-dir", str(d), "--database-url", database_url),
        )
        assert code == 0, err
    bench_a = open_station(config.resolve(a, database_url))
    try:
        admin = accounts.login(bench_a, "alice", PASSWORD)
        accounts.create_user(bench_a, admin, "ines", PASSWORD, Role.INSPECTOR)
        ines = accounts.login(bench_a, "ines", PASSWORD)
        ins = inspections.start(bench_a, ines, Stage.FINAL_QC, "JT-77", "RG-SOL-0412", "S77")
        # (a SQLite URL given at init is not kept in the settings: name it every time)
        in_a = ("--data-dir", str(a), "--database-url", database_url)
        in_b = ("--data-dir", str(b), "--database-url", database_url)
        at_a, at_b = (*in_a, "--user", "ines"), (*in_b, "--user", "ines")

        code, out, _ = run(capsys, "inspections", "unfinished", *in_b)
        assert code == 0 and "JT-77" in out, _
        assert "held by ines at station bench A since" in out
        code, _, err = run(capsys, "inspections", "park", ins.id, *at_b)
        assert code == 2 and "held by ines at station bench A" in err
        with pytest.raises(SystemExit) as no_reason:
            cli.main(["inspections", "take-over", ins.id, *at_b])
        assert no_reason.value.code == 2
        capsys.readouterr()
        code, _, err = run(capsys, "inspections", "take-over", ins.id, "--reason", "ok", *at_b)
        assert code == 2 and "give the reason to take it over" in err

        code, out, err = run(
            capsys, "inspections", "take-over", ins.id, "--reason", "bench A scope broke", *at_b
        )
        assert code == 0, err
        assert "taken over from station bench A: held by ines at station bench B" in out
        with pytest.raises(
            NotHeld, match="this inspection was taken over by ines at station bench B"
        ):
            answer = Answer("fineness-stamp", outcome=Outcome.PASS)
            inspections.record_answer(bench_a, ines, ins.id, answer)

        code, out, err = run(
            capsys, "inspections", "park", ins.id, "--reason", "waiting for the setter", *at_b
        )
        assert code == 0, err
        assert "parked by ines at station bench B at" in out and "(waiting for the setter)" in out
        code, out, _ = run(capsys, "inspections", "unfinished", "--json", *in_a)
        [listed] = json.loads(out)
        assert listed["hold"]["state"] == "parked" and listed["inspection"]["id"] == ins.id

        code, out, err = run(capsys, "inspections", "resume", ins.id, *at_a)
        assert code == 0 and "held here now, at station bench A" in out, err
        code, _, err = run(capsys, "inspections", "abandon", ins.id, "--reason", "x", *at_a)
        assert code == 2 and "give the reason to abandon it" in err
        code, out, err = run(
            capsys, "inspections", "abandon", ins.id, "--reason", "piece broke", *at_a
        )
        assert code == 0 and "abandoned by ines at station bench A" in out, err
        code, out, _ = run(capsys, "inspections", "list", "--status", "abandoned", "--json", *in_b)
        assert [r["id"] for r in json.loads(out)] == [ins.id]
        code, _, err = run(capsys, "inspections", "park", ins.id, *at_a)
        assert code == 2 and "is abandoned; it can no longer change" in err
        code, out, _ = run(capsys, "audit", "verify", *in_a)
        assert code == 0 and "intact" in out
    finally:
        bench_a.close()
