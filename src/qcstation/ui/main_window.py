"""The main window: sign-in, then the workspace (inspect, history, review, templates, users,
settings) chosen by role, and the idle lock over all of it."""

from __future__ import annotations

from typing import Any

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

from qcstation.domain.inspections import Inspection
from qcstation.domain.summaries import Completion
from qcstation.domain.users import Permission, User
from qcstation.services import inspections
from qcstation.services.errors import ServiceError
from qcstation.ui import theme
from qcstation.ui.camera_panel import CameraPanel
from qcstation.ui.context import UiContext
from qcstation.ui.pages.checklist import ChecklistPage
from qcstation.ui.pages.dashboard import DashboardPage
from qcstation.ui.pages.history import HistoryPage
from qcstation.ui.pages.lock import LockPage
from qcstation.ui.pages.login import LoginPage
from qcstation.ui.pages.lot import LotPage
from qcstation.ui.pages.review import ReviewPage
from qcstation.ui.pages.settings import SettingsPage
from qcstation.ui.pages.start import StartPage
from qcstation.ui.pages.summary import SummaryPage
from qcstation.ui.pages.templates import TemplatesPage
from qcstation.ui.pages.users import UsersPage
from qcstation.ui.widgets import button, muted

ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


class MainWindow(QMainWindow):
    def __init__(self, ctx: UiContext, camera: CameraPanel | None = None):
        super().__init__()
        self.ctx = ctx
        self.setObjectName("main-window")
        self.setWindowTitle(self.tr("qcstation — {0}").format(ctx.station.name))
        self.resize(1440, 900)
        self.camera = camera or CameraPanel(None)
        ctx.camera = self.camera
        self.login = LoginPage(ctx)
        self.lock_page = LockPage(ctx)
        self.start = StartPage(ctx)
        self.checklist = ChecklistPage(ctx, self.camera)
        self.summary = SummaryPage(ctx)
        self.inspect = QStackedWidget()
        self.lot_page = LotPage(ctx)
        for page in (self.start, self.checklist, self.summary, self.lot_page):
            self.inspect.addWidget(page)
        self.pages: list[tuple[str, QWidget, Permission | None]] = [
            (self.tr("Inspect"), self.inspect, Permission.INSPECT),
            (self.tr("History"), HistoryPage(ctx), None),
            (self.tr("Review"), ReviewPage(ctx), Permission.REVIEW),
            (self.tr("Templates"), TemplatesPage(ctx), Permission.MANAGE_TEMPLATES),
            (self.tr("Users"), UsersPage(ctx), Permission.MANAGE_USERS),
            (self.tr("Settings"), SettingsPage(ctx), Permission.ADMINISTER),
            (self.tr("Dashboard"), DashboardPage(ctx), Permission.REVIEW),
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
        bar.addWidget(muted(self.tr("Station {0}").format(ctx.station.name)))
        bar.addWidget(lock)
        bar.addWidget(sign_out)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addWidget(self.area, 1)
        self.workspace = QWidget()
        work = QVBoxLayout(self.workspace)
        work.addLayout(bar)
        work.addLayout(body, 1)
        self.top = QStackedWidget()
        for w in (self.login, self.workspace, self.lock_page):
            self.top.addWidget(w)
        self.setCentralWidget(self.top)
        self.nav.currentRowChanged.connect(self.area.setCurrentIndex)
        self.login.logged_in.connect(self.on_signed_in)
        self.lock_page.unlocked.connect(self.on_unlocked)
        self.start.started.connect(self.open_inspection)
        self.start.resume_requested.connect(self.resume)
        self.start.lot_planned.connect(self.open_lot)
        self.lot_page.next_requested.connect(self.next_piece)
        self.checklist.summary_requested.connect(self.show_summary)
        self.summary.back_requested.connect(self.back_to_checklist)
        self.summary.completed.connect(self.on_completed)
        self.summary.next_requested.connect(self.next_piece)
        self.camera.capture_requested.connect(self.capture)
        ctx.events.settings_changed.connect(self.apply_settings)
        self.capture_key = QShortcut(self)
        self.capture_key.activated.connect(self.capture)
        QShortcut(QKeySequence("Ctrl+L"), self, self.lock_now)
        for n in range(1, 10):
            QShortcut(QKeySequence(f"Alt+{n}"), self, lambda n=n: self.go_page(n - 1))
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.timeout.connect(self.lock_now)
        self._app().installEventFilter(self)
        self.apply_settings(ctx.settings)
        self.top.setCurrentWidget(self.login)
        self.login.reset()

    # --- session ---------------------------------------------------------------------------

    def apply_settings(self, settings: Any) -> None:
        self.ctx.settings = settings
        self.capture_key.setKey(QKeySequence(settings.capture_key))
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
        self.top.setCurrentWidget(self.workspace)
        self.ctx.events.signed_in.emit(user)
        self.idle.start()
        self.nav.setCurrentRow(0)
        if user.can(Permission.INSPECT):
            self.inspect.setCurrentWidget(self.start)
            self.start.reset()
            station = self.ctx.station
            self.ctx.run(lambda: inspections.unfinished(station, user), self._reopen_unfinished)

    def _reopen_unfinished(self, rows: list[Any]) -> None:
        """After a crash or restart, the unfinished inspection reopens where it stopped."""
        if rows:
            self.resume(rows[0].id)

    def go_page(self, index: int) -> None:
        if self.ctx.user is not None and 0 <= index < self.nav.count():
            self.nav.setCurrentRow(index)

    def lock_now(self) -> None:
        if self.ctx.user is None or self.top.currentWidget() is self.lock_page:
            return
        self.idle.stop()
        self.top.setCurrentWidget(self.lock_page)
        self.lock_page.lock(self.ctx.user)

    def on_unlocked(self, _who: User) -> None:
        # The bench stays with the user whose work is open, whoever unlocked it.
        self.top.setCurrentWidget(self.workspace)
        self.idle.start()
        self.checklist.editor.focus_entry()

    def sign_out(self) -> None:
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

    def open_lot(self, lot: Any) -> None:
        self.inspect.setCurrentWidget(self.lot_page)
        self.lot_page.show_lot(lot)

    def resume(self, inspection_id: str) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: inspections.get(station, inspection_id), self.open_inspection)

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
        """The capture key, foot pedal or button: store the current frame for the current item."""
        ins = self.checklist.inspection
        if (
            ins is None
            or self.inspect.currentWidget() is not self.checklist
            or self.ctx.user is None
        ):
            return
        frame = self.camera.current_frame()
        png = self.camera.capture_png()
        if png is None or frame is None:
            self.ctx.errors.report(
                ServiceError("there is no camera image to capture: connect the microscope")
            )
            return
        item_id, pos = self.checklist.current_target()
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: inspections.attach_evidence(
                station,
                actor,
                ins.id,
                png,
                "image/png",
                item_id,
                pos,
                original_name=f"{item_id}.png",
            ),
            lambda _info: self._captured(frame, item_id, pos),
        )

    def _captured(self, frame: Any, item_id: str | None, pos: int | None) -> None:
        self.camera.add_thumbnail(frame)
        self.checklist.photo_attached(item_id, pos)

    @staticmethod
    def _app() -> QApplication:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        return app

    def closeEvent(self, event: QCloseEvent) -> None:
        self.idle.stop()
        self._app().removeEventFilter(self)
        self.camera.timer.stop()
        self.ctx.tasks.wait()
        super().closeEvent(event)
