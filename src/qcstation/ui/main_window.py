"""The main window: sign-in, then the workspace (inspect, history, review, templates, users,
settings) chosen by role, and the idle lock over all of it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.users import Permission, User
from qcstation.services.errors import ServiceError
from qcstation.ui import theme
from qcstation.ui.pages.login import LoginPage
from qcstation.ui.widgets import button, muted

if TYPE_CHECKING:
    from qcstation.domain.inspections import Inspection
    from qcstation.domain.summaries import Completion
    from qcstation.ui.camera_panel import CameraPanel
    from qcstation.ui.context import UiContext

ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


log = logging.getLogger("qcstation.ui")


class MainWindow(QMainWindow):
    def __init__(
        self,
        ctx: UiContext | None = None,
        camera: CameraPanel | None = None,
        *,
        station_name: str = "",
    ):
        """With a context, the whole window; without one, the sign-in form alone, so it can
        show while the station opens behind it (see ui/boot.py), and attach() adds the rest."""
        super().__init__()
        self.setObjectName("main-window")
        self.setWindowTitle(self.tr("qcstation"))
        self.resize(1440, 900)
        self._ctx: UiContext | None = None
        self.login = LoginPage(ctx, station_name)
        self.top = QStackedWidget()
        self.top.addWidget(self.login)
        self.setCentralWidget(self.top)
        if ctx is not None:
            self.attach(ctx, camera)
        self.top.setCurrentWidget(self.login)
        self.login.reset()

    def attach(self, ctx: UiContext, camera: CameraPanel | None = None) -> None:
        """Build the workspace on an open station; the sign-in form keeps what was typed."""
        try:
            self._build_workspace(ctx, camera)
        except BaseException:
            self._ctx = None  # half built: it closes as a window that never opened
            raise

    def _build_workspace(self, ctx: UiContext, camera: CameraPanel | None) -> None:
        # The pages pull in the database and imaging stacks: imported here, not at the top,
        # so the sign-in form can show before they are loaded.
        from qcstation.services import inspections
        from qcstation.ui import camera_panel
        from qcstation.ui.audit_alert import AuditAlert
        from qcstation.ui.bench_evidence import BenchEvidence
        from qcstation.ui.busy import BusyIndicator
        from qcstation.ui.pages.checklist import ChecklistPage
        from qcstation.ui.pages.corrective import CorrectiveActionsPage
        from qcstation.ui.pages.dashboard import DashboardPage
        from qcstation.ui.pages.history import HistoryPage
        from qcstation.ui.pages.lock import LockPage
        from qcstation.ui.pages.lot import LotPage
        from qcstation.ui.pages.nonconformance import NonconformancePage
        from qcstation.ui.pages.review import ReviewPage
        from qcstation.ui.pages.settings import SettingsPage
        from qcstation.ui.pages.start import StartPage
        from qcstation.ui.pages.summary import SummaryPage
        from qcstation.ui.pages.templates import TemplatesPage
        from qcstation.ui.pages.unfinished import HoldActions
        from qcstation.ui.pages.users import UsersPage
        from qcstation.ui.pages.verify import VerifyPage

        self._inspections = inspections
        self._ctx = ctx
        self.setWindowTitle(self.tr("qcstation — {0}").format(ctx.station.name))
        self.camera = camera or camera_panel.CameraPanel(None)
        ctx.camera = self.camera
        self.lock_page = LockPage(ctx)
        self.start = StartPage(ctx)
        self.checklist = ChecklistPage(ctx, self.camera)
        self.summary = SummaryPage(ctx)
        self.inspect = QStackedWidget()
        self.lot_page = LotPage(ctx)
        for page in (self.start, self.checklist, self.summary, self.lot_page):
            self.inspect.addWidget(page)
        # park / abandon the open inspection; leave it when another station took it over
        self.holding = HoldActions(
            ctx, self.checklist, self.summary, self.inspect, self.start.unfinished
        )
        self.holding.released.connect(lambda _id: self.next_piece())
        self.pages: list[tuple[str, QWidget, Permission | None]] = [
            (self.tr("Inspect"), self.inspect, Permission.INSPECT),
            (self.tr("History"), HistoryPage(ctx), None),
            (self.tr("Review"), ReviewPage(ctx), Permission.REVIEW),
            (self.tr("Templates"), TemplatesPage(ctx), Permission.MANAGE_TEMPLATES),
            (self.tr("Users"), UsersPage(ctx), Permission.MANAGE_USERS),
            (self.tr("Settings"), SettingsPage(ctx), Permission.ADMINISTER),
            (self.tr("Nonconformance"), NonconformancePage(ctx), Permission.REVIEW),
            (
                self.tr("Corrective actions"),
                CorrectiveActionsPage(ctx),
                Permission.MANAGE_CORRECTIVE_ACTIONS,
            ),
            (self.tr("Dashboard"), DashboardPage(ctx), Permission.REVIEW),
            (self.tr("Verify"), VerifyPage(ctx), None),
        ]
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(170)
        self.area = QStackedWidget()
        self.user_label = QLabel()
        self.user_label.setObjectName("user-label")
        lock = button(self.tr("Lock"), "Ctrl+L")
        sign_out = button(self.tr("Sign out"))
        lock.clicked.connect(self.lock_now)
        sign_out.clicked.connect(self.sign_out)
        bar = QHBoxLayout()
        bar.addWidget(self.user_label, 1)
        self.connection_note = muted()  # filled only when working offline (ui/offline_sync.py)
        bar.addWidget(self.connection_note)
        # what runs on the work lane (a stack, a sync attempt, a signed export), with Cancel
        self.busy = BusyIndicator(ctx.work or ctx.tasks)
        bar.addWidget(self.busy)
        bar.addWidget(muted(self.tr("Station {0}").format(ctx.station.name)))
        bar.addWidget(self.holding.bar)
        bar.addWidget(lock)
        bar.addWidget(sign_out)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.area, 1)
        self.workspace = QWidget()
        work = QVBoxLayout(self.workspace)
        self.audit_alert = AuditAlert(ctx)  # the trail disagrees with this station's anchor
        work.addWidget(self.audit_alert)
        work.addLayout(bar)
        work.addLayout(body, 1)
        for w in (self.workspace, self.lock_page):
            self.top.addWidget(w)
        self.nav.currentRowChanged.connect(self.area.setCurrentIndex)
        self.login.logged_in.connect(self.on_signed_in)
        self.lock_page.unlocked.connect(self.on_unlocked)
        self.start.started.connect(self.open_inspection)
        self.start.lot_planned.connect(self.open_lot)
        self.lot_page.next_requested.connect(self.next_piece)
        self.checklist.summary_requested.connect(self.show_summary)
        self.summary.back_requested.connect(self.back_to_checklist)
        self.summary.completed.connect(self.on_completed)
        self.summary.next_requested.connect(self.next_piece)
        self.camera.calibrate_requested.connect(self.open_calibration)
        self.camera.magnification_changed.connect(lambda _m: self.refresh_calibration())
        self.camera.camera_changed.connect(self.refresh_calibration)
        # captures, the strip, Ctrl+M and stacks belong to the open inspection and its user
        self.evidence = BenchEvidence(self, ctx, self.camera, self.checklist)
        QShortcut(QKeySequence("Ctrl+M"), self, self.measure_last)
        ctx.events.settings_changed.connect(self.apply_settings)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_now)
        for n in range(1, 10):
            QShortcut(QKeySequence(f"Alt+{n}"), self, lambda n=n: self.go_page(n - 1))
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock_now)
        self._app().installEventFilter(self)
        self.apply_settings(ctx.settings)
        self.login.attach(ctx)

    @property
    def ctx(self) -> UiContext:
        if self._ctx is None:
            raise RuntimeError("the station is not open yet")
        return self._ctx

    @property
    def attached(self) -> bool:
        return self._ctx is not None

    # --- session ---------------------------------------------------------------------------

    def apply_settings(self, settings: Any) -> None:
        self.ctx.settings = settings
        self.camera.set_magnifications(list(settings.magnifications))
        self.idle.setInterval(settings.idle_lock_minutes * 60_000)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply(app, settings.theme)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY and self.ctx.user is not None and self.idle.isActive():
            self.idle.start()
        return False

    def on_signed_in(self, user: User) -> None:
        self.ctx.user = user
        self.user_label.setText(f"<b>{user.full_name}</b> ({user.role.value})")
        self.nav.clear()
        self.visible_pages: list[tuple[str, QWidget]] = [
            (label, page) for label, page, need in self.pages if need is None or user.can(need)
        ]
        while self.area.count():
            old = self.area.widget(0)
            if old is not None:
                self.area.removeWidget(old)
        for label, page in self.visible_pages:
            self.nav.addItem(label)
            self.area.addWidget(page)
        # Wide enough for the longest page name of this role, no horizontal scroll bar.
        self.nav.setFixedWidth(
            max(170, self.nav.sizeHintForColumn(0) + 2 * self.nav.frameWidth() + 16)
        )
        self.top.setCurrentWidget(self.workspace)
        self.audit_alert.check()
        self.ctx.events.signed_in.emit(user)
        self.idle.start()
        self.nav.setCurrentRow(0)
        if user.can(Permission.INSPECT):
            self.inspect.setCurrentWidget(self.start)
            self.start.reset()
            station = self.ctx.station
            unfinished = self._inspections.unfinished
            self.ctx.run(lambda: unfinished(station, user), self._reopen_unfinished)
        self.refresh_calibration()

    def _reopen_unfinished(self, rows: list[Any]) -> None:
        """After a crash or restart, the unfinished inspection reopens where it stopped."""
        if rows:
            self.resume(rows[0].id)

    def go_page(self, index: int) -> None:
        if self.ctx.user is not None and 0 <= index < self.nav.count():
            self.nav.setCurrentRow(index)

    def show_page(self, page_type: type[QWidget]) -> None:
        """Show the page of a kind, wherever the signed-in role puts it in the list."""
        for i, (_label, page) in enumerate(self.visible_pages):
            if isinstance(page, page_type):
                self.go_page(i)
                return
        raise LookupError(f"{page_type.__name__} is not shown to this user")

    def lock_now(self) -> None:
        if self.ctx.user is None or self.top.currentWidget() is self.lock_page:
            return
        self.idle.stop()
        log.info("the screen locked for %s", self.ctx.user.username)
        self.top.setCurrentWidget(self.lock_page)
        self.ctx.events.locked.emit()  # dialogs go first, then the password takes the keys
        self.lock_page.lock(self.ctx.user)

    def on_unlocked(self, _who: User) -> None:
        # The bench stays with the user whose work is open, whoever unlocked it.
        self.top.setCurrentWidget(self.workspace)
        self.idle.start()
        self.checklist.editor.focus_entry()
        self.ctx.events.unlocked.emit()

    def sign_out(self) -> None:
        if self.ctx.user is not None:
            log.info("%s signed out", self.ctx.user.username)
        self.idle.stop()
        self.ctx.user = None
        self.ctx.events.signed_out.emit()
        self.top.setCurrentWidget(self.login)
        self.login.reset()

    # --- inspecting --------------------------------------------------------------------------

    def open_inspection(self, ins: Inspection) -> None:
        self.go_page(0)
        self.inspect.setCurrentWidget(self.checklist)
        self.checklist.open(ins)
        self.ctx.events.inspection_opened.emit(ins.id)

    def open_lot(self, lot: Any) -> None:
        self.inspect.setCurrentWidget(self.lot_page)
        self.lot_page.show_lot(lot)

    def resume(self, inspection_id: str) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: self._inspections.get(station, inspection_id), self.open_inspection)

    def show_summary(self, ins: Inspection) -> None:
        self.inspect.setCurrentWidget(self.summary)
        self.summary.show_inspection(ins)

    def back_to_checklist(self, target: tuple[str, int | None] | None) -> None:
        self.inspect.setCurrentWidget(self.checklist)
        if target is not None:
            for i, (item, pos, _) in enumerate(self.checklist.steps):
                if (item.id, pos) == target:
                    self.checklist.go_to(i)
                    return
        self.checklist.go_to(self.checklist.index)

    def on_completed(self, done: Completion) -> None:
        self.checklist.inspection = None

    def next_piece(self) -> None:
        self.inspect.setCurrentWidget(self.start)
        self.start.reset()

    def capture(self) -> None:
        """The capture key, foot pedal or button (ui/bench_evidence.py)."""
        self.evidence.capture()

    # --- calibration (issue 4) -------------------------------------------------------------

    def refresh_calibration(self) -> None:
        """Ask the database what calibration is in force for this camera and magnification."""
        from qcstation.services import calibration
        from qcstation.ui.pages.calibration_dialog import calibration_text

        if self.ctx.user is None:
            return
        station = self.ctx.station
        cam, mag = self.camera.camera_id(), self.camera.magnification()
        frame = self.camera.view.frame
        size = (frame.shape[1], frame.shape[0]) if frame is not None else None
        self.ctx.run(
            lambda: calibration.check_for(station, cam, mag, size),
            lambda chk: self.camera.show_calibration(calibration_text(chk), chk.ok),
        )

    def measure_last(self) -> None:
        """Ctrl+M: the measuring editor on the open inspection's newest capture."""
        self.evidence.measure_last()

    def open_calibration(self) -> None:
        from qcstation.ui.pages.calibration_dialog import CalibrationDialog

        frame = self.camera.current_frame()
        if frame is None or self.ctx.user is None:
            self.ctx.errors.report(
                ServiceError("there is no camera image to calibrate on: connect the microscope")
            )
            return
        self.camera.set_frozen(True)  # the ticks must not move while they are marked
        dialog = CalibrationDialog(
            self.ctx, frame, self.camera.camera_id(), self.camera.magnification(), self
        )
        dialog.calibration_saved.connect(lambda _s: self.refresh_calibration())
        dialog.finished.connect(lambda _r: self.camera.set_frozen(False))
        dialog.open()

    @staticmethod
    def _app() -> QApplication:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        return app

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._ctx is None:  # closed before the station opened: nothing of ours is running
            super().closeEvent(event)
            return
        self.idle.stop()
        self._app().removeEventFilter(self)
        self.camera.timer.stop()
        self.ctx.tasks.wait()
        if self.ctx.work is not None:  # what can stop early does; the rest is waited for
            self.ctx.work.cancel_all()
            self.ctx.work.wait()
        super().closeEvent(event)
