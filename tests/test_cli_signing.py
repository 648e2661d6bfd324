"""The signing commands end to end on a demo station: sign, export, verify, keys.

Exit codes as DESIGN.md says: 0 valid/ok, 1 a check found a problem, 2 bad input
(a wrong password, a truncated file, a revoked user)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from qcstation import cli, config
from qcstation.domain.signing import Meaning
from qcstation.services import signing
from qcstation.services.context import open_station


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def demo_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "station"
    code, _, err = run(capsys, "demo-data", "--inspections", "5", "--data-dir", str(data))
    assert code == 0, err
    return data


def completed_ids(capsys: pytest.CaptureFixture[str], data: Path) -> list[str]:
    _, out, _ = run(
        capsys, "inspections", "list", "--json", "--status", "completed", "--data-dir", str(data)
    )
    return [r["id"] for r in json.loads(out)]


def test_demo_data_is_signed(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = completed_ids(capsys, demo_dir)
    station = open_station(config.resolve(demo_dir))
    try:
        for ins in ids:
            checks = signing.check(station, ins)
            assert checks and all(c.ok for c in checks)
            assert checks[0].signature.meaning is Meaning.PERFORMED
    finally:
        station.close()
    code, out, _ = run(capsys, "keys", "list", "--data-dir", str(demo_dir))
    # root, seal, document key and the four demo users; the plant keys only with ada and sam
    assert code == 0 and out.count(" active ") == 7
    holders = [line.split()[1] for line in out.splitlines() if " yes " in line]
    assert sorted(holders) == ["ada", "sam"]


def test_sign_export_verify_and_tamper(
    demo_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    where = ["--data-dir", str(demo_dir)]
    ins = completed_ids(capsys, demo_dir)[0]
    monkeypatch.setenv("QCSTATION_PASSWORD", "wrong password")
    code, _, err = run(capsys, "sign", ins, "--meaning", "reviewed", "--user", "sam", *where)
    assert code == 2 and "nothing was signed" in err
    monkeypatch.setenv("QCSTATION_PASSWORD", "sam-demo-pass")
    code, out, err = run(capsys, "sign", ins, "--meaning", "reviewed", "--user", "sam", *where)
    assert code == 0 and "Signed as reviewed by Sam Supervisor" in out, err
    report = tmp_path / "report.pdf"
    code, out, err = run(
        capsys, "report", "export", ins, "-o", str(report), "--user", "sam", *where
    )
    assert code == 0 and "PAdES B-B" in out, err
    code, out, _ = run(capsys, "verify", str(report), *where)
    assert code == 0 and out.strip().endswith("VALID")
    # one byte changed: invalid (1); cut short: cannot be checked (2)
    data = report.read_bytes()
    at = data.index(b"stream", len(data) // 3) + 40
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    code, out, _ = run(capsys, "verify", str(changed), *where)
    assert code == 1 and "INVALID" in out
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) - 500])
    code, _, err = run(capsys, "verify", str(cut), *where)
    assert code == 2 and "truncated" in err
    # offline, with the plant's certificates exported as a file
    pem = tmp_path / "plant.pem"
    assert run(capsys, "keys", "public", "-o", str(pem), *where)[0] == 0
    code, out, err = run(
        capsys,
        "verify",
        str(report),
        "--trust",
        str(pem),
        "--data-dir",
        str(tmp_path / "elsewhere"),
    )
    assert code == 0 and "checking signatures only" in err
    # a row changed behind the application's back: verify and audit verify both say so
    engine = create_engine(f"sqlite:///{demo_dir / 'qcstation.db'}")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE answers SET note = 'sneaky' WHERE inspection_id = :i"), {"i": ins}
        )
    engine.dispose()
    code, out, _ = run(capsys, "verify", str(report), *where)
    assert code == 1 and "differs from the signed one" in out
    code, out, _ = run(capsys, "audit", "verify", *where)
    assert code == 1 and "answers" in out


def _final_qc_approved(data: Path) -> str:
    """A final QC inspection on the demo station, performed by ines and approved by sam."""
    from qcstation.services import accounts

    from .services.conftest import finish

    station = open_station(config.resolve(data))
    try:
        ines = accounts.login(station, "ines", "ines-demo-pass")
        sam = accounts.login(station, "sam", "sam-demo-pass")
        ins = finish(station, ines, serial="SN-CLI-1")
        signing.sign(station, ines, ins, Meaning.PERFORMED, "ines-demo-pass")
        signing.sign(station, sam, ins, Meaning.APPROVED, "sam-demo-pass")
        return ins
    finally:
        station.close()


@pytest.mark.usefixtures("poppler")
def test_certificate_export_and_qr_check(
    demo_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    where = ["--data-dir", str(demo_dir)]
    ins = _final_qc_approved(demo_dir)
    monkeypatch.setenv("QCSTATION_PASSWORD", "ines-demo-pass")
    out_pdf = tmp_path / "card.pdf"
    code, _, err = run(
        capsys, "certificate", "export", ins, "-o", str(out_pdf), "--user", "ines", *where
    )
    assert code == 2 and "may not issue documents" in err  # inspectors issue nothing
    monkeypatch.setenv("QCSTATION_PASSWORD", "sam-demo-pass")
    with pytest.raises(SystemExit):  # the claims come from the record, never typed
        cli.main(["certificate", "export", ins, "-o", str(out_pdf), "--metal", "9k", *where])
    capsys.readouterr()
    code, out, err = run(
        capsys,
        "certificate",
        "export",
        ins,
        "-o",
        str(out_pdf),
        "--size",
        "card",
        "--user",
        "sam",
        *where,
    )
    assert code == 0 and "certificate " in out, err
    subprocess.run(
        ["pdftoppm", "-r", "220", "-png", str(out_pdf), str(tmp_path / "scan")], check=True
    )
    front, _back = sorted(tmp_path.glob("scan-*.png"))
    code, out, _ = run(capsys, "verify", "--qr", str(front), *where)
    assert code == 0 and "sealed by the plant's certificate seal" in out
    assert "claim: Serial: SN-CLI-1" in out and "matches the database's record" in out
    code, out, _ = run(capsys, "verify", str(out_pdf), *where)
    assert code == 0 and "claim: Serial: SN-CLI-1" in out and "issued" in out
    # reissued with a reason: a new number; the old one verifies as superseded
    old = tmp_path / "old.pdf"
    out_pdf.rename(old)
    code, out, err = run(
        capsys,
        "certificate",
        "reissue",
        ins,
        "--reason",
        "customer's copy lost",
        "-o",
        str(out_pdf),
        "--user",
        "sam",
        *where,
    )
    assert code == 0 and "supersedes certificate" in out, err
    code, out, _ = run(capsys, "verify", str(old), *where)
    assert code == 1 and "superseded by certificate" in out
    code, out, _ = run(capsys, "verify", str(out_pdf), *where)
    assert code == 0, out
    code, _, err = run(capsys, "verify", "--qr", "not a payload", *where)
    assert code == 2 and "no qcstation certificate payload" in err
    code, _, err = run(capsys, "verify", *where)
    assert code == 2


def test_a_revoked_user_cannot_sign_from_the_cli(
    demo_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = ["--data-dir", str(demo_dir)]
    ins = completed_ids(capsys, demo_dir)[0]
    monkeypatch.setenv("QCSTATION_PASSWORD", "ada-demo-pass")
    code, out, _ = run(capsys, "keys", "revoke", "sam", "--reason", "left", "--user", "ada", *where)
    assert code == 0 and "revoked 1 key(s)" in out
    # sam held the plant's document key and seal: the answer says to rotate them
    assert "WARNING" in out and "keys rotate --root-passphrase" in out
    code, out, _ = run(capsys, "keys", "list", *where)
    assert "must be rotated" in out and "held by sam, whose key was revoked" in out
    code, out, _ = run(capsys, "audit", "verify", *where)
    assert code == 0 and "WARNING: the plant's document key" in out  # intact, yet exposed
    monkeypatch.setenv("QCSTATION_ROOT_PASSPHRASE", "ada-demo-pass")
    code, out, err = run(capsys, "keys", "rotate", "--root-passphrase", "--user", "ada", *where)
    assert code == 0 and "new certificate seal" in out and "handed to 1 supervisor" in out, err
    code, out, _ = run(capsys, "keys", "list", *where)
    assert "WARNING" not in out and out.count(" retired ") >= 2
    monkeypatch.setenv("QCSTATION_PASSWORD", "sam-demo-pass")
    code, _, err = run(capsys, "sign", ins, "--meaning", "reviewed", "--user", "sam", *where)
    assert code == 2 and "revoked" in err
