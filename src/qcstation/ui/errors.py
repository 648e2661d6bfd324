"""Every error reaches a person: known problems as a message with what to do, bugs as a
crash dialog that says the inspection is kept (each answer is saved when given)."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from qcstation.services.problems import is_known

log = logging.getLogger("qcstation.ui")
KEPT = 50  # the newest errors reported, for the tests; older ones are let go


def _tr(text: str) -> str:
    return QCoreApplication.translate("errors", text)


def show_problem(parent: QWidget | None, exc: BaseException) -> None:
    """A message a person can act on."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_tr("qcstation"))
    text = str(exc)
    box.setText(text[:1].upper() + text[1:])
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setObjectName("problem-message")
    if parent is not None:  # once read, the keyboard goes back to the work, not nowhere
        box.finished.connect(lambda _r: parent.window().activateWindow())
    box.open()


def show_crash(parent: QWidget | None, details: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setObjectName("crash-dialog")
    box.setWindowTitle(_tr("qcstation hit a problem"))
    box.setText(
        _tr(
            "Something went wrong inside qcstation. Your inspection is safe: every answer "
            "was saved when you gave it, and it reopens where you stopped.\n\n"
            "You can carry on. Please tell support what you were doing."
        )
    )
    box.setDetailedText(details)
    copy = box.addButton(_tr("Copy details"), QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Ok)
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.open()


class ErrorReporter(QObject):
    """Routes errors from any thread to one dialog on the GUI thread."""

    error_raised = Signal(object, str)  # the exception, its traceback text

    def __init__(self, parent_widget: Callable[[], QWidget | None]):
        super().__init__()
        self._parent = parent_widget
        self.error_raised.connect(self._show)
        # The newest KEPT errors shown, for tests to read: a station that runs all day must
        # not keep every exception (and the frames its traceback holds) alive.
        self.shown: list[BaseException] = []

    def report(self, exc: BaseException) -> None:
        """From any thread. Logged here and now (stderr too, when there is one): the log
        has it even if the dialog never shows."""
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if is_known(exc):
            log.info("said to the user: %s", exc)
        else:
            log.error("a bug, shown in the crash dialog:\n%s", details.rstrip())
        self.error_raised.emit(exc, details)

    def _show(self, exc: BaseException, details: str) -> None:
        self.shown.append(exc)
        del self.shown[:-KEPT]
        if is_known(exc):
            show_problem(self._parent(), exc)
        else:
            show_crash(self._parent(), details)

    def install_hooks(self) -> None:
        def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
            if issubclass(kind, KeyboardInterrupt):
                sys.__excepthook__(kind, exc, tb)
                return
            self.report(exc.with_traceback(tb))

        def thread_hook(args: threading.ExceptHookArgs) -> None:
            if args.exc_value is not None:
                self.report(args.exc_value)

        sys.excepthook = hook
        threading.excepthook = thread_hook
