"""Errors in the window reach the log: with no stderr at all (the windowed Windows
executable), from the error hooks of any thread; the reporter does not keep every error of
a shift alive; and a start after a crash says so."""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from qcstation import app, logs
from qcstation.services.errors import InvalidInput
from qcstation.ui.context import UiContext
from qcstation.ui.errors import KEPT
from qcstation.ui.main_window import MainWindow

from .conftest import WAIT_MS


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Path]:
    """This run's log file, as the app sets it up."""
    session = logs.start(tmp_path / "data", "window")
    assert session.log_file is not None
    yield session.log_file
    logs.end()


def crash_dialog(win: MainWindow) -> QMessageBox | None:
    box = win.findChild(QMessageBox, "crash-dialog")
    return box if box is not None and box.isVisible() else None


def boom() -> None:
    raise RuntimeError("a bug in the window")


def test_the_crash_dialog_works_with_no_stderr_and_the_log_has_the_traceback(
    qtbot: QtBot,
    window: tuple[MainWindow, UiContext],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    win, ctx = window
    monkeypatch.setattr(sys, "stderr", None)  # a windowed executable has no streams
    session = logs.start(tmp_path / "data", "window")
    try:
        try:
            boom()
        except RuntimeError as exc:
            ctx.errors.report(exc)
        qtbot.waitUntil(lambda: crash_dialog(win) is not None, timeout=WAIT_MS)
        box = crash_dialog(win)
        assert box is not None and "RuntimeError: a bug in the window" in box.detailedText()
        box.done(0)
    finally:
        logs.end()
    assert session.log_file is not None
    text = session.log_file.read_text("utf-8")
    assert "a bug, shown in the crash dialog" in text
    assert "Traceback (most recent call last)" in text and "in boom" in text


def test_the_error_hooks_log_a_bug_of_any_thread(
    qtbot: QtBot,
    window: tuple[MainWindow, UiContext],
    monkeypatch: pytest.MonkeyPatch,
    logged: Path,
) -> None:
    win, ctx = window
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # given back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    ctx.errors.install_hooks()
    worker = threading.Thread(target=boom, name="a-worker")
    worker.start()
    worker.join()
    assert "RuntimeError: a bug in the window" in logged.read_text("utf-8")  # at once
    qtbot.waitUntil(lambda: crash_dialog(win) is not None, timeout=WAIT_MS)
    crash_dialog(win).done(0)  # type: ignore[union-attr]

    try:
        raise ValueError("a bug on the GUI thread")
    except ValueError:
        sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
    assert "ValueError: a bug on the GUI thread" in logged.read_text("utf-8")


def test_the_reporter_keeps_only_the_newest_errors(window: tuple[MainWindow, UiContext]) -> None:
    _win, ctx = window
    first = InvalidInput("the first problem of the shift")
    gone = weakref.ref(first)
    ctx.errors.report(first)
    del first
    for i in range(KEPT + 5):
        ctx.errors.report(InvalidInput(f"problem {i}"))
    gc.collect()
    assert gone() is None, "an error of long ago is still kept alive"
    assert len(ctx.errors.shown) == KEPT
    assert str(ctx.errors.shown[-1]) == f"problem {KEPT + 4}"


def test_a_start_after_a_crash_says_so_and_where_the_log_is(
    tmp_path: Path, ui_station: object
) -> None:
    """app.open_everything hands the window the note it shows beside the sign-in form."""
    from qcstation.services.context import Station

    assert isinstance(ui_station, Station)
    data = ui_station.location.data_dir
    ui_station.close()
    logs_dir = logs.logs_dir(data)
    logs_dir.mkdir(exist_ok=True)
    (logs_dir / "crash-window-20260101T080000-4242.txt").write_text(
        "Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 (most recent call first):\n"
    )
    logs.start(data, "window", collect_crashes=True)
    try:
        args = argparse.Namespace(data_dir=str(data), database_url=None, demo=False)
        opened = app.open_everything(args)
        opened.station.close()
    finally:
        logs.end()
    (note,) = [n for n in opened.notes if "crashed" in n]
    assert str(logs_dir) in note and "Your work is safe" in note
    assert "station" in (logs_dir / logs.LOG_FILE).read_text("utf-8")
