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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    Qt,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from qcstation import config
from qcstation.domain.stages import Stage
from qcstation.domain.summaries import SearchFilter
from qcstation.services import demo, documents, inspections, signing
from qcstation.services.context import Station, connect
from qcstation.ui import live_camera
from qcstation.ui.application import build_window
from qcstation.ui.camera_panel import FrameSource
from qcstation.ui.context import UiContext
from qcstation.ui.main_window import MainWindow
from qcstation.ui.pages.corrective import CorrectiveActionsPage
from qcstation.ui.pages.dashboard import DashboardPage
from qcstation.ui.pages.defect_dialog import DefectDialog
from qcstation.ui.pages.history import HistoryPage
from qcstation.ui.pages.inspection_view import InspectionDialog
from qcstation.ui.pages.nonconformance import NonconformancePage
from qcstation.ui.pages.review import ReviewPage
from qcstation.ui.pages.settings import SettingsPage
from qcstation.ui.pages.templates import TemplatesPage
from qcstation.ui.pages.verify import VerifyPage

DEFAULT_SIZE = (1440, 900)
# The offscreen platform says, for every window shown, that it cannot resize to size
# hints: true, harmless, and a dozen lines of noise in front of what the person wants.
_OFFSCREEN_NOISE = ("does not support propagateSizeHints",)


def _quiet(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if not any(noise in message for noise in _OFFSCREEN_NOISE):
        print(message, file=sys.stderr)


def quiet_offscreen() -> None:
    """Drop the offscreen platform's noise; every other Qt message still reaches stderr."""
    qInstallMessageHandler(_quiet)


def settle(ctx: UiContext, timeout: float = 20.0) -> None:
    """Let queued work finish and its results paint."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        if ctx.pending == 0:
            for _ in range(5):
                QCoreApplication.processEvents()
                time.sleep(0.01)
            if ctx.pending == 0:
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


def render_all(
    station: Station,
    loc: config.Location,
    out: Path,
    source: FrameSource | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    window, ctx = build_window(station, loc, source)
    window.resize(*size)
    window.show()
    settle(ctx)
    shots: list[Path] = []

    def grab(name: str, widget: QWidget | None = None) -> None:
        settle(ctx)
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        shots.append(path)

    users = {u: p for u, p, _r, _n in demo.DEMO_USERS}
    window.login.show_demo_logins(demo.logins())
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
    window.show_page(HistoryPage)
    settle(ctx)
    grab("06-history")
    window.sign_out()
    settle(ctx)
    sign_in(window, ctx, "sam", users["sam"])
    window.show_page(ReviewPage)
    grab("07-review")
    window.show_page(TemplatesPage)
    grab("08-templates")
    editor_shots(window, ctx, grab)
    documents_shots(window, ctx, station, users["sam"], grab)
    window.show_page(NonconformancePage)
    grab("31-nonconformance")
    window.show_page(CorrectiveActionsPage)
    grab("32-corrective-actions")
    window.show_page(DashboardPage)
    grab("33-dashboard")
    window.sign_out()
    sign_in(window, ctx, "ada", users["ada"])
    window.show_page(SettingsPage)
    grab("09-settings")
    window.lock_now()
    grab("10-locked")
    window.close()
    ctx.wait()
    return shots


def editor_shots(window: MainWindow, ctx: UiContext, grab: Callable[..., None]) -> None:
    """The checklist editor on the stone-setting checklist, and its preview."""
    page = window.area.currentWidget()
    if not isinstance(page, TemplatesPage):
        return
    settle(ctx)
    rows = [r.template_key for r in page.model.rows]
    if "stone-setting" not in rows:
        return
    page.table.selectRow(rows.index("stone-setting"))
    page.edit_selected()
    settle(ctx)
    editor = page.editor
    if editor is None:
        return
    grab("34-template-editor", editor)
    editor.open_preview()
    if editor.preview is not None:
        grab("35-template-preview", editor.preview)
        editor.preview.reject()
    editor.reject()
    settle(ctx)


def documents_shots(
    window: MainWindow,
    ctx: UiContext,
    station: Station,
    password: str,
    grab: Callable[[str, QWidget | None], None],
) -> None:
    """A signed inspection as the supervisor sees it, the signing dialog, and the verify
    page after checking that inspection's signed report."""

    def waiting_for_sam(inspection_id: str) -> bool:  # signed, but not by him yet
        names = [s.manifest.username for s in signing.signatures(station, inspection_id)]
        return bool(names) and "sam" not in names

    signed = [
        r
        for r in inspections.search(station, SearchFilter(status="completed", limit=200))
        if waiting_for_sam(r.id)
    ]
    if not signed:
        return
    ins_id = signed[0].id
    view = InspectionDialog(ctx, ins_id, window)
    view.resize(1100, 760)
    view.show()
    settle(ctx)
    grab("21-inspection-signed", view)
    view.sign()
    settle(ctx)
    if view.docs.dialog is not None:
        for also in ("print_report", "print_certificate"):  # one password for all three
            if also in view.docs.dialog.also:
                view.docs.dialog.also[also].setChecked(True)
        view.docs.dialog.password.setText("secret")
        grab("22-sign", view.docs.dialog)
        view.docs.dialog.reject()
    view.close()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        documents.export_report(station, ctx.actor, password, ins_id, pdf)
        window.show_page(VerifyPage)
        page = window.findChild(VerifyPage)
        assert page is not None
        page.check_pdf(pdf)
        grab("23-verify", None)


def render_imaging(station: Station, loc: config.Location, out: Path) -> list[Path]:
    """The microscope screens on the synthetic stage micrometer: the live panel zoomed with
    overlays, the calibration dialog, and the measuring editor with a few measurements."""
    from qcstation.imaging.calibration import from_pitch
    from qcstation.imaging.source import Mode
    from qcstation.imaging.synthetic import SyntheticCamera, SyntheticConfig
    from qcstation.imaging.ticks import detect_ticks
    from qcstation.services import accounts, annotation_layers, calibration, inspections, microscope
    from qcstation.ui.camera_panel import CameraPanel
    from qcstation.ui.pages.calibration_dialog import CalibrationDialog
    from qcstation.ui.pages.measure_dialog import MeasureDialog

    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    mode = Mode(1280, 960, 30, "MJPG")
    cam = SyntheticCamera(
        SyntheticConfig(scene="micrometer", mode=mode, modes=(mode,), realtime=False)
    )
    cam.open()
    frame = cam.read().image
    window, ctx = build_window(station, loc, None)
    users = {u: p for u, p, _r, _n in demo.DEMO_USERS}
    ctx.user = accounts.login(station, "sam", users["sam"])

    def grab(name: str, widget: QWidget) -> None:
        settle(ctx)
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        shots.append(path)

    class Still:
        def latest(self) -> tuple[Any, int]:
            return frame, 1

        def status(self) -> str:
            return "Synthetic microscope · 30 fps"

        def problem(self) -> str | None:
            return None

    panel = CameraPanel(Still())
    panel.resize(760, 700)
    panel.show()
    panel.poll()
    panel.view.zoom_by(2.0)
    panel.set_overlay(True)
    panel.set_crosshair(True)
    panel.show_calibration("Not for measuring: no calibration for this camera", False)
    grab("11-preview-zoomed", panel)
    panel.timer.stop()
    cal_dialog = CalibrationDialog(ctx, frame, cam.camera_id, "1.0x", window)
    cal_dialog.resize(1200, 760)
    cal_dialog.show()
    end = time.monotonic() + 30
    while cal_dialog.detection is None and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    grab("12-calibration", cal_dialog)
    cal_dialog.close()
    d = detect_ticks(frame)
    calibration.save(
        station,
        ctx.actor,
        from_pitch(
            d.pitch_px,
            d.pitch_stderr_px,
            d.count,
            0.01,
            camera_id=cam.camera_id,
            magnification="1.0x",
            image_size=(1280, 960),
        ),
    )
    ins = inspections.start(station, ctx.actor, Stage.CASTING, "JT-26-004712", "RG-1", "SN1")
    got = microscope.capture(
        station, ctx.actor, ins.id, frame, camera=cam.capabilities(), magnification="1.0x"
    )
    editor = MeasureDialog(ctx, annotation_layers.open_image(station, got.evidence.id), "mm")
    editor.resize(1400, 860)
    editor.show()
    ticks = sorted(int(k.split("_")[1]) for k in cam.truth.points if k.startswith("tick_"))
    a, b = cam.truth.points[f"tick_{ticks[0]}"], cam.truth.points[f"tick_{ticks[0] + 50}"]
    editor.label.setText("50 divisions")
    editor.click(a[0], a[1] + 40)
    editor.click(b[0], b[1] + 40)
    editor.set_tool("circle")
    for x, y in ((500, 700), (640, 620), (780, 700)):
        editor.click(x, y)
    editor.label.setText("dust")
    editor.set_tool("arrow")
    editor.click(250, 820)
    editor.click(180, 740)
    grab("13-measure", editor)
    editor.close()
    from qcstation.domain.stages import Stage as _Stage
    from qcstation.imaging.synthetic import DefectKind, PieceSpec
    from qcstation.imaging.synthetic.samples import photograph
    from qcstation.services import golden
    from qcstation.ui.pages.golden_dialog import GoldenDialog

    sku = PieceSpec.random(78)
    good, _ = photograph(sku, 960, 720)
    rng = np.random.default_rng(2)
    bad, _ = photograph(
        sku.with_defects(sku.random_defect(DefectKind.MISSING_PRONG, rng)), 960, 720, rng
    )
    shots_ids = []
    for serial, img in (("GOLD", good), ("SN-2", bad)):
        i = inspections.start(station, ctx.actor, _Stage.STONE_SETTING, "JT-9", "RG-SOL", serial)
        shots_ids.append(microscope.capture(station, ctx.actor, i.id, img).evidence.id)
    golden.set_from_evidence(station, ctx.actor, shots_ids[0])
    from qcstation.imaging.source import Control
    from qcstation.ui.pages.stack_dialog import StackDialog

    piece = SyntheticCamera(SyntheticConfig(seed=4, mode=mode, modes=(mode,), realtime=False))
    piece.open()

    class Sweep:  # the synthetic piece as a focus-controlled camera, a new frame per poll
        def latest(self) -> tuple[Any, int]:
            f = piece.read()
            return f.image, f.seq

        def capabilities(self) -> Any:
            return piece.capabilities()

        def set_control(self, control: Control, value: float) -> Any:
            return piece.set_control(control, value)

    stack = StackDialog(ctx, Sweep(), ins.id, None, None, "1.0x", window)
    stack.resize(1400, 860)
    lo, hi = piece.truth.depth_range
    stack.near.setValue(lo + 0.1)
    stack.far.setValue(hi - 0.05)
    stack.show()
    stack.start()
    end = time.monotonic() + 120
    while stack.stack is None and time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    grab("16-focus-stack", stack)
    stack.close()
    compared = GoldenDialog(golden.compare(station, shots_ids[1]), window)
    compared.resize(1400, 800)
    compared.show()
    grab("14-golden-difference", compared)
    compared.set_mode("side")
    grab("15-golden-side-by-side", compared)
    compared.close()
    window.close()
    ctx.wait()
    return shots


def window_size(text: str) -> tuple[int, int]:
    """'1280x800' as (1280, 800)."""
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1280x800") from None
    if w < 320 or h < 240:
        raise argparse.ArgumentTypeError(f"{text} is smaller than any screen we support")
    return w, h


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    parser.add_argument("--theme", default="light")
    parser.add_argument("--language", default="en")
    parser.add_argument(
        "--size",
        type=window_size,
        default=DEFAULT_SIZE,
        metavar="WxH",
        help="window size in pixels (default 1440x900; a bench screen may be 1280x800)",
    )
    parser.add_argument(
        "--window-only",
        action="store_true",
        help="only the main window's screens, not the microscope dialogs",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    quiet_offscreen()
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
            for path in render_all(station, loc, args.out, source, args.size):
                print(path)
            if not args.window_only:
                for path in render_imaging(station, loc, args.out):
                    print(path)
        finally:
            source.stop()
            station.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
