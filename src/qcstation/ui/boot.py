"""Opening the window fast: the sign-in form shows at once and the station opens behind it.

A person takes seconds to type a name and a password; the database, the imaging stack and
the pages load during that time on a background thread, so the form appears about as fast
as an empty Qt window does. A sign-in asked for before the station is open goes ahead once
it is. A station that cannot open (a locked database, a newer schema, an unwritable data
directory) is said in a message box, and the window closes with exit code 2.

This module is imported before anything heavy: it must stay on Qt and the standard library.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from qcstation import __version__, content
from qcstation.ui import i18n, theme
from qcstation.ui.main_window import MainWindow

if TYPE_CHECKING:
    from qcstation.config import Location
    from qcstation.services.context import Station
    from qcstation.ui.live_camera import GrabberFeed

log = logging.getLogger("qcstation.ui")
POLL_MS = 20  # how often the GUI thread looks whether the station is open


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


@dataclass
class Opened:
    """What the background thread hands the window: everything the workspace needs."""

    station: Station
    location: Location
    source: GrabberFeed | None = None
    notes: tuple[str, ...] = ()  # what happened on the way, e.g. the database was upgraded


@dataclass(frozen=True)
class Appearance:
    """The few settings the sign-in form needs before the settings proper are loaded."""

    theme: str = "light"
    language: str = "en"
    station_name: str = ""


def peek_appearance(data_dir: Path) -> Appearance:
    """Theme, language and station name from settings.yaml without validating the rest (that
    happens with the station, which warns about a damaged file); anything odd: defaults."""
    try:
        text = (data_dir / "settings.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Appearance()
    found: dict[str, str] = {}
    for line in text.splitlines():  # the file is ours: flat "key: value" lines (yaml.safe_dump)
        key, sep, value = line.partition(":")
        if sep and key in ("theme", "language", "station_name"):
            found[key] = value.strip().strip("'\"")
    theme_name = found.get("theme", "light")
    return Appearance(
        theme=theme_name if theme_name in theme.THEMES else "light",
        language=found.get("language") or "en",
        station_name=found.get("station_name", ""),
    )


class _Opener:
    """Runs the opening on a plain thread (no Qt objects are made there) and keeps the
    outcome for the GUI thread to pick up."""

    def __init__(self, open_station: Callable[[], Opened]):
        self._open = open_station
        self.done = threading.Event()
        self.opened: Opened | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="qcstation-open", daemon=True)

    def _work(self) -> None:
        try:
            self.opened = self._open()
        except BaseException as exc:  # handed to the GUI thread, which says what happened
            self.error = exc
        finally:
            self.done.set()


def run(
    open_station: Callable[[], Opened],
    appearance: Appearance,
    database_url: str | None = None,
    before_exec: Callable[[MainWindow], None] | None = None,
) -> int:
    """Show the sign-in form, open the station behind it, attach the workspace; the exit code."""
    app = application()
    theme.apply(app, appearance.theme)
    language = os.environ.get("QCSTATION_LANGUAGE") or appearance.language
    translator = i18n.install(app, language)  # before any widget: its strings and numbers
    window = MainWindow(station_name=appearance.station_name)
    window.translator = translator  # type: ignore[attr-defined]  # kept alive with the window
    opener = _Opener(open_station)
    outcome: dict[str, Any] = {"code": 0}

    def check() -> None:
        if not opener.done.is_set():
            return
        poll.stop()
        if opener.error is not None:
            failed(opener.error)
        elif opener.opened is not None:
            attach(opener.opened)

    def attach(opened: Opened) -> None:
        from qcstation.ui.application import attach_workspace

        ctx = attach_workspace(window, opened.station, opened.location, opened.source)
        ctx.errors.install_hooks()
        outcome["ctx"] = ctx
        for note in opened.notes:
            box = QMessageBox(QMessageBox.Icon.Information, "qcstation", note, parent=window)
            box.setObjectName("startup-note")
            box.open()

    def failed(exc: BaseException) -> None:
        from qcstation.services.problems import describe

        text = describe(exc, database_url)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        box = QMessageBox(window)
        box.setObjectName("startup-problem")
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(window.tr("qcstation cannot start"))
        if text is None:
            log.error("a bug while opening the station:\n%s", details.rstrip())
            box.setText(window.tr("qcstation hit a problem while opening the station."))
            box.setDetailedText(details)
        else:
            log.warning("cannot open the station: %s", text, extra={"file_only": True})
            print(f"qcstation: error: {text}", file=sys.stderr, flush=True)
            box.setText(text[:1].upper() + text[1:])
        box.setInformativeText(window.tr("Nothing was changed. Fix the problem and start again."))
        box.finished.connect(lambda _result: app.exit(2))
        outcome["code"] = 2
        box.open()

    poll = QTimer(window)
    poll.setInterval(POLL_MS)
    poll.timeout.connect(check)
    window.show()
    # Start loading only once the form is on screen, so it competes with nothing on the way.
    QTimer.singleShot(0, opener.thread.start)
    QTimer.singleShot(0, poll.start)
    if before_exec is not None:
        before_exec(window)
    code = app.exec()
    if opener.thread.is_alive():  # closed while still opening: let it finish, then tidy up
        opener.thread.join()
    ctx = outcome.get("ctx")
    if ctx is not None:
        ctx.wait()
    if opener.opened is not None:
        if opener.opened.source is not None:
            opener.opened.source.stop()
        opener.opened.station.close()
    return outcome["code"] or int(code)
