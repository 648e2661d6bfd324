"""Starting the window: one QApplication, theme, translations, error hooks, the main window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from qcstation import __version__, content
from qcstation.config import Location
from qcstation.services.context import Station
from qcstation.ui import i18n, theme
from qcstation.ui.camera_panel import CameraPanel, FrameSource
from qcstation.ui.context import UiContext
from qcstation.ui.errors import ErrorReporter
from qcstation.ui.main_window import MainWindow
from qcstation.ui.tasks import TaskRunner


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QCoreApplication.setOrganizationName("qcstation")
    QCoreApplication.setApplicationName("qcstation")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(sys.argv[:1])
    # The title bar and task bar icon (the bundles embed the same one in the executable).
    icon = content.resources_dir() / "icons" / "qcstation.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def build_window(
    station: Station, location: Location, source: FrameSource | None = None
) -> tuple[MainWindow, UiContext]:
    """The real main window on a station; the composition root and tests both use this."""
    app = application()
    settings = location.settings
    theme.apply(app, settings.theme)
    translator = i18n.install(app, os.environ.get("QCSTATION_LANGUAGE") or settings.language)
    window_holder: list[MainWindow] = []
    errors = ErrorReporter(lambda: window_holder[0] if window_holder else None)
    tasks = TaskRunner(errors.report)
    ctx = UiContext(station, tasks, errors, settings)
    window = MainWindow(ctx, CameraPanel(source))
    window_holder.append(window)
    window.translator = translator  # type: ignore[attr-defined]  # kept alive with the window
    for warning in location.warnings:
        QMessageBox.warning(window, "qcstation", warning)
    return window, ctx


def run(
    station: Station,
    location: Location,
    source: FrameSource | None = None,
    before_exec: Callable[[MainWindow], None] | None = None,
) -> int:
    app = application()
    window, ctx = build_window(station, location, source)
    ctx.errors.install_hooks()
    window.show()
    if before_exec is not None:
        before_exec(window)
    code = app.exec()
    ctx.tasks.wait()
    return int(code)
