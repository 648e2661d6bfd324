"""Screenshots of the real window on demo data, for docs/screenshots and headless demos.

    python -m qcstation.ui.screenshots docs/screenshots

drives the window the way an inspector would (sign in, scan, answer by key) and grabs
each main screen to a PNG.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.services import demo
from qcstation.services.context import Station, connect
from qcstation.ui import live_camera
from qcstation.ui.application import build_window
from qcstation.ui.camera_panel import FrameSource
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.defect_dialog import DefectDialog


def settle(ctx: UiContext, timeout: float = 20.0) -> None:
    """Let queued work finish and its results paint."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        if ctx.tasks.pending == 0:
            for _ in range(5):
                QCoreApplication.processEvents()
                time.sleep(0.01)
            if ctx.tasks.pending == 0:
                return
        time.sleep(0.01)
    raise TimeoutError("the window did not settle")


def type_text(widget: QWidget, text: str) -> None:
    QTest.keyClicks(widget, text)


def key(
    widget: QWidget, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    QTest.keyClick(widget, k, modifier)


def sign_in(window: MainWindow, ctx: UiContext, user: str, password: str) -> None:
    window.login.username.setText(user)
    window.login.password.setText(password)
    key(window.login.password, Qt.Key.Key_Return)
    settle(ctx)


def _page_index(window: MainWindow, label: str) -> int:
    """Where a page sits in the navigation (pages are added per role and per feature)."""
    for i in range(window.nav.count()):
        item = window.nav.item(i)
        if item is not None and item.text() == window.tr(label):
            return i
    raise LookupError(f"no page {label!r} for this user")


def render_all(
    station: Station, loc: config.Location, out: Path, source: FrameSource | None = None
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    window, ctx = build_window(station, loc, source)
    window.resize(1440, 900)
    window.show()
    settle(ctx)
    shots: list[Path] = []

    def grab(name: str, widget: QWidget | None = None) -> None:
        settle(ctx)
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        shots.append(path)

    users = {u: p for u, p, _r, _n in demo.DEMO_USERS}
    grab("01-login")
    sign_in(window, ctx, "ines", users["ines"])
    if window.checklist.inspection is not None:  # an unfinished demo inspection reopened
        window.next_piece()
        settle(ctx)
    start = window.start
    start.scan.setText("JT-26-004711|RG-SOL-0412|SN552901")
    key(start.scan, Qt.Key.Key_Return)
    settle(ctx)
    start.stage.setCurrentIndex(start.stage.findData(Stage.STONE_SETTING.value))
    settle(ctx)
    grab("02-start")
    key(start.serial, Qt.Key.Key_Return)
    settle(ctx)
    page = window.checklist
    for k in (Qt.Key.Key_P, Qt.Key.Key_P, Qt.Key.Key_P):
        key(page, k)
        settle(ctx)
    if source is not None:  # the first synthetic frame takes a few seconds to render
        end = time.monotonic() + 30
        while window.camera.view.frame is None and time.monotonic() < end:
            QCoreApplication.processEvents()
            time.sleep(0.02)
    grab("03-checklist")
    key(page, Qt.Key.Key_F)
    settle(ctx)
    dialog = window.findChild(DefectDialog)
    if dialog is not None and dialog.isVisible():
        dialog.note.setText("prong lifted, gap under the tip at 10x")
        grab("04-defect", dialog)
        dialog.save()
        settle(ctx)
    if page.inspection is not None:
        window.show_summary(page.inspection)
    grab("05-summary")
    window.go_page(1)
    settle(ctx)
    grab("06-history")
    window.sign_out()
    settle(ctx)
    sign_in(window, ctx, "sam", users["sam"])
    window.go_page(2)
    grab("07-review")
    window.go_page(3)
    grab("08-templates")
    window.go_page(_page_index(window, "Nonconformance"))
    grab("11-nonconformance")
    window.go_page(_page_index(window, "Corrective actions"))
    grab("12-corrective-actions")
    window.sign_out()
    sign_in(window, ctx, "ada", users["ada"])
    window.go_page(_page_index(window, "Settings"))
    grab("09-settings")
    window.lock_now()
    grab("10-locked")
    window.close()
    ctx.tasks.wait()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    parser.add_argument("--theme", default="light")
    parser.add_argument("--language", default="en")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="qcstation-shots-") as tmp:
        loc = config.resolve(Path(tmp))
        loc = config.Location(
            loc.data_dir,
            loc.database_url,
            loc.settings.model_copy(
                update={"station_name": "bench-3", "theme": args.theme, "language": args.language}
            ),
        )
        station = connect(loc)
        demo.fill(station, count=24)
        source = live_camera.demo_feed()
        try:
            for path in render_all(station, loc, args.out, source):
                print(path)
        finally:
            source.stop()
            station.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
