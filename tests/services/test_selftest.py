"""`qcstation --self-test` as support runs it: one line per check, OK or FAILED, exit 1
on any failure, and every check runs even when an earlier one fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcstation import cli, content
from qcstation.services import selftest
from qcstation.services.context import Station

CHECKS = [
    "database",
    "checklists",
    "synthetic camera",
    "inspection",
    "evidence store",
    "signed report",
    "audit trail",
]


def test_every_check_passes_on_a_fresh_directory(tmp_path: Path) -> None:
    lines: list[str] = []
    checks = selftest.run(lines.append, data_dir=tmp_path)
    assert [c.name for c in checks] == CHECKS
    assert all(c.ok for c in checks), lines
    assert lines[-1].startswith("self-test passed: 7 checks")
    assert lines[0].startswith("OK      database") and "schema" in lines[0]
    report = tmp_path / "selftest-report.pdf"
    assert report.read_bytes().startswith(b"%PDF-")
    assert "signed" in checks[5].detail and "verified" in checks[5].detail


def test_a_failing_extra_check_is_reported_and_the_rest_still_run(tmp_path: Path) -> None:
    lines: list[str] = []

    def broken(station: Station) -> str:
        raise OSError("no display plugin")

    checks = selftest.run(lines.append, data_dir=tmp_path, extra=(("main window", broken),))
    by_name = {c.name: c for c in checks}
    assert not by_name["main window"].ok
    assert by_name["audit trail"].ok  # ran after the failure
    assert any(
        line.startswith("FAILED  main window") and "no display plugin" in line for line in lines
    )
    assert lines[-1].startswith("self-test FAILED: 1 of 8 checks")


def test_the_command_exits_1_when_the_resources_are_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bundle that lost resources/: the checks that need it fail, the others still run."""

    def missing() -> Path:
        raise FileNotFoundError("qcstation's resources are missing (looked in /nowhere)")

    monkeypatch.setattr(content, "resources_dir", missing)
    code = cli.main(["--self-test"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "FAILED  database" in out and "resources are missing" in out
    assert "FAILED  signed report (0.0 s): skipped: it needs the inspection check" in out
    # the window reads resources too (its language list); the camera does not
    assert "FAILED  main window" in out and "OK      synthetic camera" in out
    assert "self-test FAILED" in out


def test_an_explicit_data_dir_keeps_the_results_and_must_be_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "selftest"
    assert cli.main(["--self-test", "--data-dir", str(where)]) == 0
    capsys.readouterr()
    assert (where / "selftest-report.pdf").is_file()
    assert (where / "selftest-window.png").is_file()
    # run again on the same, now full, directory: refused, nothing touched
    before = sorted(p.name for p in where.iterdir())
    assert cli.main(["--self-test", "--data-dir", str(where)]) == 2
    _, err = capsys.readouterr()
    assert "not empty" in err and "Traceback" not in err
    assert sorted(p.name for p in where.iterdir()) == before
