"""What a run leaves for support: a private log file, and the stack of a native crash that
the next window start reports (and `qcstation logs` shows)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qcstation import cli, logs

SRC = Path(logs.__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _ended() -> Iterator[None]:
    yield
    logs.end()  # a failed test must not leave its handlers on the root logger


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def child(data_dir: Path, then: str) -> subprocess.CompletedProcess[str]:
    """Another qcstation process that starts its logging the way the app does, then `then`."""
    code = textwrap.dedent(
        f"""
        import faulthandler, os, signal, sys
        from pathlib import Path
        from qcstation import logs
        logs.start(Path({str(data_dir)!r}), "window")
        logs.log.info("child is up")
        """
    ) + textwrap.dedent(then)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def crash_files(data_dir: Path) -> list[Path]:
    return sorted(logs.logs_dir(data_dir).glob(logs.CRASH_GLOB))


def test_a_run_logs_to_a_private_file_and_ending_normally_leaves_no_crash_file(
    tmp_path: Path,
) -> None:
    data = tmp_path / "station"
    before = list(logging.getLogger().handlers)
    session = logs.start(data)
    logging.getLogger("qcstation.accounts").info("ada signed in")
    assert len(crash_files(data)) == 1  # this run's own, held while it lasts
    logs.end()

    assert session.log_file is not None
    text = session.log_file.read_text("utf-8")
    assert "INFO qcstation.accounts: ada signed in" in text
    assert "qcstation ended" in text
    assert mode(data / "logs") == 0o700 and mode(session.log_file) == 0o600
    assert crash_files(data) == []
    assert logging.getLogger().handlers == before


def test_the_log_file_rotates_and_its_new_files_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LOG_BYTES", 2000)
    old = os.umask(0o022)  # a caller with a loose umask: the modes still hold
    try:
        session = logs.start(tmp_path / "station")
        for i in range(200):
            logs.log.info("line %d of a long shift", i)
    finally:
        os.umask(old)
        logs.end()
    assert session.logs_dir is not None
    files = sorted(session.logs_dir.glob(f"{logs.LOG_FILE}*"))
    assert [f.name for f in files] == [logs.LOG_FILE] + [
        f"{logs.LOG_FILE}.{i}" for i in range(1, logs.LOG_BACKUPS + 1)
    ]
    assert all(mode(f) == 0o600 for f in files)
    assert "line 199 of a long shift" in (session.logs_dir / logs.LOG_FILE).read_text()


def test_a_native_crash_leaves_its_stack_and_the_next_window_start_reports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "station"
    done = child(data, "faulthandler._sigsegv()\n")
    assert done.returncode != 0
    (left,) = crash_files(data)
    stack = left.read_text()
    assert "Segmentation fault" in stack and 'File "<string>"' in stack

    session = logs.start(data, "window", collect_crashes=True)
    assert session.previous is not None
    assert "Segmentation fault" in session.previous.stack
    note = logs.crash_note(session)
    assert note is not None and "crashed" in note and str(data / "logs") in note
    assert crash_files(data) == [session.crash_path]  # the dead run's file is collected
    kept = (data / "logs" / logs.LAST_CRASH).read_text()
    assert "crashed" in kept and "Segmentation fault" in kept
    logs.end()
    log_text = (data / "logs" / logs.LOG_FILE).read_text()
    assert "child is up" in log_text and "Segmentation fault" in log_text  # logged too

    again = logs.start(data, "window", collect_crashes=True)
    assert again.previous is None  # told once
    logs.end()

    assert cli.main(["--data-dir", str(data), "logs"]) == 0
    out = capsys.readouterr().out
    assert f"logs: {data / 'logs'}" in out
    assert f"last crash: {data / 'logs' / logs.LAST_CRASH}" in out
    assert "Segmentation fault" in out


def test_a_killed_run_is_reported_as_not_ended_normally(tmp_path: Path) -> None:
    data = tmp_path / "station"
    done = child(data, "os.kill(os.getpid(), signal.SIGKILL)\n")
    assert done.returncode == -9
    (left,) = crash_files(data)
    assert left.read_text() == ""
    # An empty file this young could be a run just starting: it waits for a later start.
    assert logs.start(data, "window", collect_crashes=True).previous is None
    logs.end()
    an_hour_ago = time.time() - 3600
    os.utime(left, (an_hour_ago, an_hour_ago))

    session = logs.start(data, "window", collect_crashes=True)
    assert session.previous is not None and session.previous.stack == ""
    note = logs.crash_note(session)
    assert note is not None and "without ending normally" in note


def test_a_run_still_going_is_not_taken_for_a_crashed_one(tmp_path: Path) -> None:
    data = tmp_path / "station"
    running = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys\nfrom pathlib import Path\nfrom qcstation import logs\n"
            f"logs.start(Path({str(data)!r}), 'window')\nprint('up', flush=True)\n"
            "sys.stdin.read()\nlogs.end()\n",
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert running.stdout is not None and running.stdout.readline() == "up\n"
        (theirs,) = crash_files(data)
        os.utime(theirs, (time.time() - 3600,) * 2)  # old enough: only its lock tells
        session = logs.start(data, "window", collect_crashes=True)
        assert session.previous is None
        assert theirs.exists()
        logs.end()
    finally:
        running.communicate("", timeout=60)
    assert running.returncode == 0
    assert crash_files(data) == []  # it ended normally and took its file with it


def test_a_data_directory_that_cannot_hold_logs_still_lets_the_run_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    session = logs.start(blocked)
    assert session.logs_dir is None and session.crash_file is None
    assert "no log file in" in capsys.readouterr().err
    logs.end()


def test_logs_says_where_the_logs_are_when_nothing_crashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "station"
    assert cli.main(["--data-dir", str(data), "logs"]) == 0
    out = capsys.readouterr().out
    assert f"log file: {data / 'logs' / logs.LOG_FILE}" in out
    assert "no crash recorded" in out
    assert "running cmd_logs" in (data / "logs" / logs.LOG_FILE).read_text()


def test_of_several_dead_runs_the_newest_crash_is_told_and_all_are_logged(tmp_path: Path) -> None:
    data = tmp_path / "station"
    directory = data / "logs"
    directory.mkdir(parents=True)
    now = time.time()
    for name, text, age in [
        ("crash-window-20260101T080000-11.txt", "Fatal Python error: Aborted (the older)\n", 300),
        ("crash-command-20260101T080400-12.txt", "Fatal Python error: Segfault (the newer)\n", 60),
        ("crash-window-20260101T080500-13.txt", "", 30),  # killed, later still: no stack
    ]:
        (directory / name).write_text(text)
        os.utime(directory / name, (now - age, now - age))

    session = logs.start(data, "window", collect_crashes=True)
    assert session.previous is not None and "(the newer)" in session.previous.stack
    logs.end()
    assert crash_files(data) == []
    logged = (directory / logs.LOG_FILE).read_text()
    assert "(the older)" in logged and "(the newer)" in logged
    assert "crash-window-20260101T080500-13.txt) stopped without closing" in logged


def test_a_bug_in_a_command_is_logged_with_its_traceback_and_still_goes_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qcstation.cli import logs as logs_command

    def broken(_args: object) -> int:
        return 1 // 0

    monkeypatch.setattr(logs_command, "cmd_logs", broken)
    data = tmp_path / "station"
    with pytest.raises(ZeroDivisionError):
        cli.main(["--data-dir", str(data), "logs"])
    text = (data / "logs" / logs.LOG_FILE).read_text()
    assert "ERROR qcstation: a bug ended the command" in text
    assert "ZeroDivisionError: integer division or modulo by zero" in text and "in broken" in text
    assert "a bug ended the command" not in capsys.readouterr().err  # Python prints it once
    assert crash_files(data) == []  # a bug is not a crash: the run ended, its file went
