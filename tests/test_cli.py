"""The command line as a QA engineer uses it: exit codes and messages, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qcstation import cli, content

PASSWORD = "s3cret-enough"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    return tmp_path / "station"


@pytest.fixture
def initialised(
    data_dir: Path, capsys: pytest.CaptureFixture[str], database_url: str
) -> tuple[Path, str]:
    """An initialised station; on SQLite its database is the data directory's own file."""
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{data_dir / 'qcstation.db'}"
    code, out, err = run(
        capsys,
        "init",
        "--admin",
        "alice",
        "--data-dir",
        str(data_dir),
        "--database-url",
        database_url,
    )
    assert code == 0, err
    assert "Administrator 'alice' created" in out
    assert "Imported" in out and "stone-setting@2" in out
    return data_dir, database_url


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.startswith("qcstation ")


def test_python_dash_m_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qcstation", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "template" in proc.stdout


def test_init_then_the_whole_cli(
    initialised: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    where = ["--data-dir", str(data_dir), "--database-url", url]
    code, out, _ = run(capsys, "template", "list", *where)
    assert code == 0 and out.count(" yes ") == 8
    code, out, _ = run(capsys, "demo-data", "--inspections", "3", *where)
    assert code == 2  # not a demo directory: refused, nothing written
    code, out, _ = run(capsys, "inspections", "list", "--json", *where)
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "audit", "verify", *where)
    assert code == 0 and "intact" in out
    code, out, _ = run(capsys, "db", "check", *where)
    assert code == 0 and out.strip().endswith("OK")
    code, out, _ = run(capsys, "db", "upgrade", *where)
    assert code == 0 and "already at the newest schema" in out


def test_init_twice_is_refused(
    initialised: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    code, _, err = run(
        capsys, "init", "--admin", "bob", "--data-dir", str(data_dir), "--database-url", url
    )
    assert code == 2 and "set up already" in err


def test_demo_data_and_history(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo-data", "--inspections", "10", "--data-dir", str(data_dir))
    assert code == 0, err
    # 10, and the re-inspection of a piece sent back for rework when the dice decided one
    made = re.search(r"(\d+) inspections", out)
    assert made is not None and int(made[1]) in (10, 11) and "ines" in out
    code, out, _ = run(capsys, "inspections", "list", "--json", "--data-dir", str(data_dir))
    rows = json.loads(out)
    assert len(rows) == int(made[1])
    assert {r["stage"] for r in rows} >= {"receiving", "casting", "final_qc"}
    sku = rows[0]["sku"]
    code, out, _ = run(
        capsys, "inspections", "list", "--sku", sku, "--json", "--data-dir", str(data_dir)
    )
    assert all(r["sku"] == sku for r in json.loads(out))
    code, out, _ = run(capsys, "audit", "verify", "--data-dir", str(data_dir))
    assert code == 0


def test_tampering_makes_audit_verify_fail_and_name_it(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "demo-data", "--inspections", "2", "--data-dir", str(data_dir))
    engine = create_engine(f"sqlite:///{data_dir / 'qcstation.db'}")
    with engine.begin() as conn:
        victim = conn.execute(
            text("SELECT id FROM inspections ORDER BY started_at LIMIT 1")
        ).scalar()
        conn.execute(
            text("UPDATE inspections SET verdict = 'pass', sku = 'FORGED' WHERE id = :i"),
            {"i": victim},
        )
    engine.dispose()
    code, out, _err = run(capsys, "audit", "verify", "--data-dir", str(data_dir))
    assert code == 1
    assert f"inspections {victim}" in out and "sku is 'FORGED'" in out


def test_template_validate_reports_file_line_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = content.templates_dir() / "casting.yaml"
    code, out, _ = run(capsys, "template", "validate", str(good))
    assert code == 0 and "OK" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("CST-POR", "CST-NOPE", 1))
    code, _, err = run(capsys, "template", "validate", str(bad))
    assert code == 2
    assert f"{bad}:" in err and "on_fail.defects" in err and "unknown defect code 'CST-NOPE'" in err
    assert "nothing was written" in err


def test_template_import_is_all_or_nothing(
    initialised: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    where = ["--data-dir", str(data_dir), "--database-url", url, "--user", "alice"]
    source = (content.templates_dir() / "casting.yaml").read_text()
    edited = tmp_path / "casting-v3.yaml"
    edited.write_text(source.replace("version: 2", "version: 3", 1))
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        source.replace("version: 2", "version: 4", 1).replace("kind: pass_fail", "kind: nope", 1)
    )
    code, _, err = run(capsys, "template", "import", str(edited), str(broken), *where)
    assert code == 2 and "unknown item kind 'nope'" in err and str(broken) in err
    code, out, _ = run(capsys, "template", "list", "--json", *where[:4])
    assert [t["version"] for t in json.loads(out) if t["template_key"] == "casting"] == [2]
    code, out, err = run(capsys, "template", "import", str(edited), *where)
    assert code == 0 and "imported casting@3 (active)" in out, err
    # the same version with other content is refused: versions never change
    edited.write_text(
        source.replace("version: 2", "version: 3", 1).replace("Casting inspection", "Changed")
    )
    code, _, err = run(capsys, "template", "import", str(edited), *where)
    assert code == 2 and "raise `version` to 4" in err


def test_wrong_password_and_missing_user(
    initialised: tuple[Path, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir, url = initialised
    f = str(content.templates_dir() / "casting.yaml")
    code, _, err = run(
        capsys, "template", "import", f, "--data-dir", str(data_dir), "--database-url", url
    )
    assert code == 2 and "--user NAME" in err
    monkeypatch.setenv("QCSTATION_PASSWORD", "wrong-password")
    code, _, err = run(
        capsys,
        "template",
        "import",
        f,
        "--user",
        "alice",
        "--data-dir",
        str(data_dir),
        "--database-url",
        url,
    )
    assert code == 2 and "wrong password" in err


def test_commands_on_an_uninitialised_directory_say_what_to_run(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "inspections", "list", "--data-dir", str(data_dir))
    assert code == 2 and "qcstation init --admin NAME" in err


def test_unwritable_data_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run(capsys, "inspections", "list", "--data-dir", str(blocker / "station"))
    assert code == 2 and "cannot write to the data directory" in err and "--data-dir" in err


def test_database_from_a_newer_version(
    initialised: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    for argv in (["inspections", "list"], ["db", "upgrade"]):
        code, _, err = run(capsys, *argv, "--data-dir", str(data_dir), "--database-url", url)
        assert code == 2 and "newer qcstation" in err


def test_wrong_database_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for url, message in (
        ("postgresql://nobody@127.0.0.1:9/x?connect_timeout=2", "cannot reach the database server"),
        ("mysql+nothing://x", "unsupported database"),
        ("::::", "not a database URL"),
    ):
        code, _, err = run(
            capsys, "inspections", "list", "--data-dir", str(tmp_path), "--database-url", url
        )
        assert code == 2 and message in err, err


def test_corrupt_settings_file_gives_defaults_and_a_warning(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "settings.yaml").write_text("station_name: [unclosed\n")
    code, _, err = run(capsys, "inspections", "list", "--data-dir", str(data_dir))
    assert "could not be read" in err and "default settings" in err
    assert code == 2 and "qcstation init" in err  # and it carried on to the real answer


def test_environment_variables_choose_the_data_dir(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QCSTATION_DATA_DIR", str(data_dir))
    code, _, _ = run(capsys, "init", "--admin", "alice")
    assert code == 0 and (data_dir / "qcstation.db").exists()


def test_self_test(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--self-test")
    assert code == 0 and "self-test passed" in out


def test_demo_without_a_display_renders_the_window_offscreen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine with no screen, --demo fills its data, prints the logins and renders
    the real window to PNG files rather than waiting on a window nobody can see."""
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run(capsys, "--demo", "--data-dir", str(tmp_path / "demo"))
    assert code == 0 and "Demo logins" in out and "inspections" in out
    shots = sorted((tmp_path / "demo" / "screenshots").glob("*.png"))
    assert len(shots) >= 8 and "rendered the window offscreen" in err
    # set-up says what it did, without Qt's or SQLAlchemy's noise
    assert "propagateSizeHints" not in err and "Warning" not in err
    # the pictures were taken on a copy: the walk's piece is not in the demo she opens
    code, listed, _ = run(
        capsys, "inspections", "list", "--json", "--data-dir", str(tmp_path / "demo")
    )
    rows = json.loads(listed)
    assert code == 0 and f"{len(rows)} inspections" in out  # as many as it was filled with
    assert not any(r["job_ticket"] == "JT-26-004711" for r in rows)


def test_a_station_with_no_display_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    code, _out, err = run(capsys, "--data-dir", str(tmp_path / "station"))
    assert code == 2 and "no display" in err and "--demo" in err
    assert "Traceback" not in err and not (tmp_path / "station" / "screenshots").exists()


def test_template_export_imports_back_unchanged_and_keeps_an_existing_file(
    initialised: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    where = ["--data-dir", str(data_dir), "--database-url", url]
    out_file = tmp_path / "casting.yaml"
    code, out, err = run(capsys, "template", "export", "casting", "2", str(out_file), *where)
    assert code == 0 and f"wrote casting@2 to {out_file}" in out, err
    assert out_file.read_text() == (content.templates_dir() / "casting.yaml").read_text()
    code, out, err = run(capsys, "template", "import", str(out_file), *where, "--user", "alice")
    assert code == 0 and "unchanged casting@2" in out, err
    out_file.write_text("my edit")
    code, _, err = run(capsys, "template", "export", "casting", "2", str(out_file), *where)
    assert code == 2 and "exists already" in err and out_file.read_text() == "my edit"
    code, _, err = run(capsys, "template", "export", "casting", "7", str(out_file), *where)
    assert code == 2 and "no template casting version 7" in err
    code, out, _ = run(capsys, "template", "diff", "casting", "2", "2", *where)
    assert code == 0 and "versions 2 and 2 are the same" in out
    edited = tmp_path / "casting-v3.yaml"
    edited.write_text(
        (content.templates_dir() / "casting.yaml")
        .read_text()
        .replace("version: 2", "version: 3", 1)
        .replace("prompt: Flask / tree number", "prompt: Flask number", 1)
    )
    code, _, err = run(capsys, "template", "import", str(edited), *where, "--user", "alice")
    assert code == 0, err
    code, out, _ = run(capsys, "template", "diff", "casting", "2", "3", *where)
    assert code == 0
    assert out.splitlines() == [
        "changed flask-number",
        "  prompt: Flask / tree number -> Flask number",
    ]


def test_template_import_catalog_adds_codes_and_refuses_a_bad_file(
    initialised: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, url = initialised
    where = ["--data-dir", str(data_dir), "--database-url", url, "--user", "alice"]
    shipped = content.defect_catalog().read_text("utf-8")
    newer = tmp_path / "catalog-v3.yaml"
    newer.write_text(
        shipped.replace("\nversion: 2\n", "\nversion: 3\n", 1)
        + "  - code: PKG-TEMP\n    name: Pack too warm\n    severity: minor\n"
        "    stages: [packaging]\n    description: Stored above 30 °C.\n",
        "utf-8",
    )
    code, out, err = run(capsys, "template", "import-catalog", str(newer), *where)
    assert code == 0 and f"from {newer}" in out, err
    assert out.startswith("imported 79 defect codes")
    broken = tmp_path / "broken.yaml"
    broken.write_text(shipped.replace("severity: critical", "severity: awful", 1), "utf-8")
    code, _, err = run(capsys, "template", "import-catalog", str(broken), *where)
    assert code == 2 and f"{broken}:" in err and "severity" in err
    code, out, err = run(capsys, "template", "import-catalog", *where)  # the shipped one
    assert code == 0 and "imported 78 defect codes" in out, err
