"""Fixtures for window tests: a demo station on SQLite and the real main window over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from qcstation import config
from qcstation.imaging.scenes import render_piece
from qcstation.services import demo
from qcstation.services.context import Station, connect
from qcstation.ui.application import build_window
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow

from ..conftest import initialised_copy

PASSWORDS = {u: p for u, p, _r, _n in demo.DEMO_USERS}

# How long a test waits for what it started (a save, a dialog, a frame, a job) to show. It
# is no measure of speed: a waitUntil returns as soon as its condition holds, and on a
# loaded machine honest work can take many times its usual time (a signing and a print
# preview took over 20 s beside `stress --cpu 2`). It only bounds a wait that never ends;
# pytest-timeout (pyproject.toml) stops and names a test that hangs.
WAIT_MS = 120_000


class StillCamera:
    """A camera that always shows the same rendered piece (the real ones come from imaging/)."""

    def __init__(self) -> None:
        self.frame = render_piece(11, 320, 240)
        self.seq = 0

    def latest(self) -> tuple[np.ndarray, int] | None:
        self.seq += 1
        return self.frame, self.seq

    def status(self) -> str:
        return "still camera (test)"


@pytest.fixture
def ui_station(
    tmp_path: Path,
    _initialised: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Station]:
    """A station with the demo users, copied from one made once per run (see conftest)."""
    loc = config.resolve(tmp_path / "station")
    initialised_copy(_initialised, tmp_path_factory, "demo-users", loc, demo.ensure_demo_users)
    station = connect(loc)
    yield station
    station.close()


@pytest.fixture
def window(qtbot: QtBot, ui_station: Station) -> Iterator[tuple[MainWindow, UiContext]]:
    win, ctx = build_window(ui_station, ui_station.location, StillCamera())
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    # Keys go to the active window: wait until it is this one (an earlier test's window,
    # or a slow machine, must not take them).
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=WAIT_MS)
    yield win, ctx
    win.close()
    ctx.tasks.wait()
    if ctx.work is not None:
        ctx.work.cancel_all()
        ctx.work.wait()
    win.deleteLater()  # its application-wide filters (the capture key) go with it
    QApplication.processEvents()


class Driver:
    """Drives the window the way a person does: keys into whatever has the focus."""

    def __init__(self, qtbot: QtBot, win: MainWindow, ctx: UiContext):
        self.qtbot, self.win, self.ctx = qtbot, win, ctx

    def settle(self) -> None:
        """Wait until the worker is idle and its results have been delivered."""
        self.qtbot.waitUntil(lambda: self.ctx.pending == 0, timeout=WAIT_MS)
        self.qtbot.wait(30)
        self.qtbot.waitUntil(lambda: self.ctx.pending == 0, timeout=WAIT_MS)

    def focus(self) -> QWidget:
        target = QApplication.focusWidget()
        assert isinstance(target, QWidget), "nothing has the keyboard focus"
        return target

    def press(
        self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        self.qtbot.keyClick(self.focus(), key, modifier)
        self.settle()

    def type(self, text: str) -> None:
        self.qtbot.keyClicks(self.focus(), text)

    def sign_in(self, user: str, password: str | None = None) -> None:
        self.win.login.username.setFocus()
        self.type(user)
        self.press(Qt.Key.Key_Return)
        self.type(password or PASSWORDS[user])
        self.press(Qt.Key.Key_Return)


@pytest.fixture
def driver(qtbot: QtBot, window: tuple[MainWindow, UiContext]) -> Driver:
    return Driver(qtbot, *window)
