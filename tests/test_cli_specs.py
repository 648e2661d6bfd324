"""`qcstation spec import` and `spec show`: exit codes and messages, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcstation import cli, config
from qcstation.domain.users import Role
from qcstation.services import accounts
from qcstation.services.context import open_station

PASSWORD = "s3cret-enough"
HEADER = "sku,product_type,metal,fineness,weight_g,weight_tol_minus_g,weight_tol_plus_g,ring_size"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def where(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> list[str]:
    """An initialised station, as the --data-dir and --database-url a command takes."""
    monkeypatch.setenv("QCSTATION_PASSWORD", PASSWORD)
    data_dir = tmp_path / "station"
    if database_url.startswith("sqlite"):
        database_url = f"sqlite:///{data_dir / 'qcstation.db'}"
    args = ["--data-dir", str(data_dir), "--database-url", database_url]
    code, _out, err = run(capsys, "init", "--admin", "alice", *args)
    assert code == 0, err
    return args


def test_import_then_show(
    where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    erp = tmp_path / "erp.csv"
    erp.write_text(f"{HEADER}\nR-1042,ring,yellow gold,750,5.20,0.10,0.15,US 7\n")
    code, out, err = run(capsys, "spec", "import", str(erp), "--user", "alice", *where)
    assert code == 0, err
    assert "imported SKU R-1042: revision 1" in out
    code, out, _ = run(capsys, "spec", "import", str(erp), "--user", "alice", *where)
    assert code == 0 and "unchanged SKU R-1042: revision 1 says the same" in out
    code, out, _ = run(capsys, "spec", "show", "R-1042", *where)
    assert code == 0
    assert "SKU R-1042 — specification revision 1, imported" in out and "by alice" in out
    assert "Ring size:" in out and "ISO 54.42 mm (US 7, UK N½)" in out
    assert "Metal:" in out and "yellow gold 750" in out


def test_a_bad_export_exits_2_naming_line_and_field_and_writes_nothing(
    where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    erp = tmp_path / "erp.csv"
    erp.write_text(
        f"{HEADER}\nR-1,ring,,750,5.2,0.1,0.1,54\nR-2,ring,,750,-5,0.1,0.1,54\n"
        "R-3,ring,,750,5.2,0.1,0.1,US 99\n"
    )
    code, _out, err = run(capsys, "spec", "import", str(erp), "--user", "alice", *where)
    assert code == 2
    assert f"{erp}:3: weight_g:" in err
    assert f"{erp}:4: ring_size:" in err and "not a ring size" in err
    assert "2 problem(s); nothing was written" in err
    code, _out, err = run(capsys, "spec", "show", "R-1", *where)
    assert code == 2 and "no specification for SKU 'R-1'" in err


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("erp.txt", "sku\n", "give a .csv or .json file"),
        ("erp.json", "[{]", "not JSON"),
        ("erp.csv", "", "is empty"),
        ("erp.csv", "sku,colour\nR-1,red\n", "colour: unknown column"),
    ],
)
def test_a_file_that_is_no_export_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, message: str
) -> None:
    """Checked before the station is opened or a password asked for."""
    path = tmp_path / name
    path.write_text(text)
    code, _out, err = run(capsys, "spec", "import", str(path), "--data-dir", str(tmp_path))
    assert code == 2 and message in err


def test_an_inspector_may_not_import(
    where: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station = open_station(config.resolve(where[1], where[3]))
    try:
        alice = accounts.login(station, "alice", PASSWORD)
        accounts.create_user(station, alice, "ines", PASSWORD, Role.INSPECTOR, "Ines Inspector")
    finally:
        station.close()
    erp = tmp_path / "erp.csv"
    erp.write_text(f"{HEADER}\nR-1,ring,,750,5.2,0.1,0.1,54\n")
    code, _out, err = run(capsys, "spec", "import", str(erp), "--user", "ines", *where)
    assert code == 2 and "ines (inspector) may not manage templates" in err
