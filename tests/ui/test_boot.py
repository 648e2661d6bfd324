"""The fast start: the sign-in form shows before the station is open, a sign-in typed
meanwhile goes ahead once it is, and a station that cannot open is said and exits 2."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from qcstation import cli, config
from qcstation.services import demo
from qcstation.services.context import connect
from qcstation.store.database import DatabaseError
from qcstation.ui import boot
from qcstation.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def keep_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """boot.run installs the error hooks of the app; give the next test the old ones back."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    yield


def until(condition: Callable[[], bool], then: Callable[[], None], timeout_s: float = 20) -> None:
    """Poll on the event loop (boot.run owns it here), then act; quit if it never happens."""
    deadline = time.monotonic() + timeout_s

    def poll() -> None:
        if condition():
            then()
        elif time.monotonic() > deadline:
            QApplication.exit(99)
        else:
            QTimer.singleShot(5, poll)

    QTimer.singleShot(0, poll)


def test_sign_in_typed_before_the_station_opens_goes_ahead_once_it_is(
    qtbot: QtBot, tmp_path: Path
) -> None:
    loc = config.resolve(tmp_path / "station")
    station = connect(loc)
    demo.ensure_demo_users(station)
    gate = threading.Event()
    seen: dict[str, object] = {}

    def open_station() -> boot.Opened:
        assert gate.wait(20), "the test never let the station open"
        return boot.Opened(station, loc)

    def before_exec(win: MainWindow) -> None:
        seen["attached_at_show"] = win.attached
        win.login.username.setText("ines")
        win.login.password.setText("ines-demo-pass")
        win.login.on_submit()
        seen["waiting_message"] = win.login.message.text()
        seen["submit_enabled"] = win.login.submit.isEnabled()
        gate.set()

        def signed_in() -> None:
            seen["user"] = win.ctx.user.username if win.ctx.user else None
            seen["page"] = win.top.currentWidget() is win.workspace
            seen["title"] = win.windowTitle()
            win.close()
            QApplication.quit()

        until(lambda: win.attached and win.ctx.user is not None, signed_in)

    code = boot.run(open_station, boot.Appearance(station_name="bench-7"), None, before_exec)

    assert code == 0
    assert seen["attached_at_show"] is False
    assert "Opening the station" in str(seen["waiting_message"])
    assert seen["submit_enabled"] is False
    assert seen["user"] == "ines"
    assert seen["page"] is True
    assert station.name in str(seen["title"])


def test_a_station_that_cannot_open_is_said_and_exits_2(
    qtbot: QtBot, capsys: pytest.CaptureFixture[str]
) -> None:
    def open_station() -> boot.Opened:
        raise DatabaseError("the database is locked by another program: close it and retry")

    seen: dict[str, str] = {}

    def before_exec(win: MainWindow) -> None:
        def box() -> QMessageBox | None:
            return win.findChild(QMessageBox, "startup-problem")

        def dismiss() -> None:
            b = box()
            assert b is not None
            seen["text"] = b.text()
            seen["informative"] = b.informativeText()
            b.done(0)

        until(lambda: box() is not None and box().isVisible(), dismiss)  # type: ignore[union-attr]

    code = boot.run(open_station, boot.Appearance(), None, before_exec)

    assert code == 2
    assert seen["text"].startswith("The database is locked by another program")
    assert "Nothing was changed" in seen["informative"]
    assert "error: the database is locked" in capsys.readouterr().err


def test_a_bug_while_opening_shows_its_traceback_and_exits_2(qtbot: QtBot) -> None:
    def open_station() -> boot.Opened:
        raise ZeroDivisionError("a bug")

    seen: dict[str, str] = {}

    def before_exec(win: MainWindow) -> None:
        def dismiss() -> None:
            b = win.findChild(QMessageBox, "startup-problem")
            assert b is not None
            seen["details"] = b.detailedText()
            b.done(0)

        until(lambda: win.findChild(QMessageBox, "startup-problem") is not None, dismiss)

    assert boot.run(open_station, boot.Appearance(), None, before_exec) == 2
    assert "ZeroDivisionError: a bug" in seen["details"]


def test_appearance_comes_from_the_settings_file_and_odd_values_give_defaults(
    tmp_path: Path,
) -> None:
    assert boot.peek_appearance(tmp_path) == boot.Appearance()
    (tmp_path / "settings.yaml").write_text(
        "language: de\nstation_name: bench-3\ntheme: dark\n", "utf-8"
    )
    assert boot.peek_appearance(tmp_path) == boot.Appearance("dark", "de", "bench-3")
    (tmp_path / "settings.yaml").write_text("theme: neon\n", "utf-8")
    assert boot.peek_appearance(tmp_path).theme == "light"
    (tmp_path / "settings.yaml").write_bytes(b"\xff\xfe\x00garbage")
    assert boot.peek_appearance(tmp_path) == boot.Appearance()


def test_saved_settings_are_read_back_by_the_peek(tmp_path: Path) -> None:
    settings = config.Settings(theme="high_contrast", language="qps-ploc", station_name="b 9")
    config.save_settings(tmp_path, settings)
    got = boot.peek_appearance(tmp_path)
    assert (got.theme, got.language, got.station_name) == ("high_contrast", "qps-ploc", "b 9")


@pytest.mark.parametrize(
    ("argv", "opens_window"),
    [
        ([], True),
        (["--demo"], True),
        (["--data-dir", "/tmp/x", "--database-url", "sqlite:///y.db"], True),
        (["--help"], False),
        (["--self-test"], False),
        (["db", "check"], False),
        (["--data-dir", "/tmp/x", "inspections", "list"], False),
        (["--bogus"], False),
    ],
)
def test_only_a_plain_start_takes_the_fast_path(argv: list[str], opens_window: bool) -> None:
    assert (cli.window_args(argv) is not None) is opens_window


def test_the_window_path_loads_no_database_or_imaging_stack_before_the_form() -> None:
    """What the sign-in form waits for: Qt and a few small modules, nothing heavy."""
    code = (
        "import sys\n"
        "from qcstation import cli\n"
        "assert cli.window_args(['--demo']) is not None\n"
        "import qcstation.app, qcstation.ui.boot\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'pydantic', 'numpy', 'cv2', "
        "'cryptography', 'argon2', 'yaml', 'qcstation.services.context') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
