"""`qcstation instrument read` against a device emulated on a pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qcstation import cli

from .instrument_device import device, mt_sics

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="pseudo-terminals are POSIX")


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    code = cli.main([*argv, "--data-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_prints_one_reading_with_its_unit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with device(mt_sics(b"S S       2.469 g")) as dev:
        code, out, _ = run(
            capsys, tmp_path, "instrument", "read", "--port", dev.port, "--protocol", "mt-sics"
        )
        assert (code, out) == (0, "2.469 g\n")
        code, out, _ = run(
            capsys, tmp_path, "instrument", "read", "--port", dev.port, "--protocol", "mt-sics",
            "--json",
        )  # fmt: skip
        assert code == 0 and json.loads(out) == {
            "value": "2.469",
            "unit": "g",
            "line": "S S       2.469 g",
        }


def test_caliper_press(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with device() as dev:
        dev.press_when_read(b"01A+000017.25\r")
        code, out, _ = run(
            capsys, tmp_path, "instrument", "read", "--port", dev.port, "--protocol", "mitutoyo",
            "--timeout", "3",
        )  # fmt: skip
        assert (code, out) == (0, "17.25 mm\n")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (b"S D      12.340 g\r\n", "did not settle"),
        (b"S +\r\n", "overloaded"),
        (b"\xff\xfe\x80\r\n", "unreadable bytes"),
        (b"", "no answer within 0.5 s"),
    ],
)
def test_every_failure_is_a_message_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, reply: bytes, words: str
) -> None:
    with device(lambda _line: reply) as dev:
        code, out, err = run(
            capsys, tmp_path, "instrument", "read", "--port", dev.port, "--protocol", "mt-sics",
            "--timeout", "0.5",
        )  # fmt: skip
        assert code == 2 and out == ""
        assert words in err and dev.port in err


def test_bad_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(
        capsys, tmp_path, "instrument", "read", "--port", "/dev/qc-none", "--protocol", "mt-sics"
    )
    assert code == 2 and "there is no serial port /dev/qc-none" in err
    for extra, words in (
        (("--protocol", "scale"), "invalid choice: 'scale'"),
        (("--protocol", "mt-sics", "--baud", "9601"), "'9601' is not a baud rate"),
        (("--protocol", "mt-sics", "--timeout", "lots"), "'lots' is not a number of seconds"),
    ):
        with pytest.raises(SystemExit) as exited:
            cli.main(["instrument", "read", "--port", "COM1", *extra])
        assert exited.value.code == 2 and words in capsys.readouterr().err


def test_cable_pulled_in_a_real_process(tmp_path: Path) -> None:
    """The installed command, as a person runs it: a message, exit 2, no traceback."""

    def half(_line: bytes) -> bytes:
        dev.pull_cable(after=0.2)
        return b"S S   1"

    with device(half) as dev:
        done = subprocess.run(
            [sys.executable, "-m", "qcstation", "instrument", "read", "--port", dev.port,
             "--protocol", "mt-sics", "--timeout", "5", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert "was lost during the reading" in done.stderr
