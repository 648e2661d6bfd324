"""Messages at start-up, before the main window exists: the database was upgraded, or
could not be. Started from a shortcut there is no terminal, so a box shows them too."""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox

from qcstation.ui import application

# Platforms with no one to click a box away (tests, the self-test, headless demos).
_HEADLESS = ("offscreen", "minimal")


def can_show() -> bool:
    return application.has_display() and os.environ.get("QT_QPA_PLATFORM") not in _HEADLESS


def show(text: str, problem: bool) -> None:
    if not can_show():
        return
    application.application()
    title = QCoreApplication.translate("StartupMessage", "qcstation")
    if problem:
        QMessageBox.critical(None, title, text)
    else:
        QMessageBox.information(None, title, text)
