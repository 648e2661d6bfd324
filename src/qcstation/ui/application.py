"""The window on an open station: theme, translations, error hooks, the workspace.

Tests, screenshots and the no-display path build the whole window at once with
build_window(); the normal start shows the sign-in form first (ui/boot.py) and attaches the
workspace with attach_workspace() once the station is open.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QMessageBox

from qcstation.config import Location
from qcstation.imaging import threads
from qcstation.services import offline_copy
from qcstation.services.context import Station
from qcstation.ui import i18n, theme
from qcstation.ui.boot import application, has_display
from qcstation.ui.camera_panel import CameraPanel, FrameSource
from qcstation.ui.context import UiContext
from qcstation.ui.errors import ErrorReporter
from qcstation.ui.main_window import MainWindow
from qcstation.ui.offline_sync import OfflineSync
from qcstation.ui.tasks import TaskRunner

__all__ = ["application", "attach_workspace", "build_window", "has_display"]

# Jobs on the work lane run side by side: a sync attempt waiting on the network (up to its
# connect timeout) must not hold up a focus stack or a signed export.
WORK_THREADS = 3


def attach_workspace(
    window: MainWindow, station: Station, location: Location, source: FrameSource | None = None
) -> UiContext:
    """Give a window (maybe just its sign-in form so far) the station and its workspace."""
    errors = ErrorReporter(lambda: window)
    threads.leave_a_core()  # the work lane's OpenCV jobs never take the saves' core
    tasks = TaskRunner(errors.report)  # the database lane: one thread, in order
    work = TaskRunner(errors.report, threads=WORK_THREADS, name="work", background=True)
    ctx = UiContext(station, tasks, errors, location.settings, work=work)
    window.attach(ctx, CameraPanel(source))
    if offline_copy.is_offline_copy(station, location):
        window.offline_sync = OfflineSync(ctx, location, window.connection_note, window)  # type: ignore[attr-defined]
    for warning in location.warnings:  # shown, not waited for: the window works meanwhile
        box = QMessageBox(QMessageBox.Icon.Warning, "qcstation", warning, parent=window)
        box.setObjectName("location-warning")
        box.open()
    return ctx


def build_window(
    station: Station, location: Location, source: FrameSource | None = None
) -> tuple[MainWindow, UiContext]:
    """The real main window on a station, built at once."""
    app = application()
    settings = location.settings
    theme.apply(app, settings.theme)
    translator = i18n.install(app, os.environ.get("QCSTATION_LANGUAGE") or settings.language)
    window = MainWindow()
    window.translator = translator  # type: ignore[attr-defined]  # kept alive with the window
    try:
        ctx = attach_workspace(window, station, location, source)
    except BaseException:
        window.close()  # nothing of a window that could not be built stays behind
        window.deleteLater()
        raise
    return window, ctx
