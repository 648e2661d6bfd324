"""Sign in with user name and password; the role decides what is shown next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLineEdit, QVBoxLayout, QWidget

from qcstation.services.errors import LoginFailed
from qcstation.ui.widgets import button, centre_card, muted, title

if TYPE_CHECKING:
    from qcstation.domain.users import User
    from qcstation.ui.context import UiContext


class LoginPage(QWidget):
    logged_in = Signal(object)  # User

    def __init__(
        self, ctx: UiContext | None, station_name: str = "", parent: QWidget | None = None
    ):
        """Without a context yet (the station still opening) the form takes input, and a
        sign-in asked for meanwhile goes ahead once attach() hands the context over."""
        super().__init__(parent)
        self.ctx = ctx
        self._waiting = False
        self.setObjectName("login-page")
        card = QFrame()
        form = QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(self.tr("User"), self.username)
        form.addRow(self.tr("Password"), self.password)
        self.message = muted()
        self.message.setObjectName("login-message")
        self.submit = button(self.tr("Sign in"), "Enter")
        self.submit.setDefault(True)
        box = QVBoxLayout(card)
        box.addWidget(title(self.tr("qcstation")))
        self.station_label = muted()
        box.addWidget(self.station_label)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addWidget(self.submit)
        self.demo_logins = muted()
        self.demo_logins.setObjectName("demo-logins")
        self.demo_logins.hide()
        box.addWidget(self.demo_logins)
        centre_card(self, card)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.on_submit)
        self.submit.clicked.connect(self.on_submit)
        self._show_station(ctx.station.name if ctx is not None else station_name)

    def _show_station(self, name: str) -> None:
        self.station_label.setText(self.tr("Station {0}").format(name) if name else "")

    def show_demo_logins(self, logins: Sequence[tuple[str, str, str]]) -> None:
        """On demo data only: who to sign in as, (user, password, role) each."""
        lines = [self.tr("Demo logins:")]
        lines += [f"{user} / {password} ({role})" for user, password, role in logins]
        self.demo_logins.setText("\n".join(lines))
        self.demo_logins.show()

    def attach(self, ctx: UiContext) -> None:
        self.ctx = ctx
        self._show_station(ctx.station.name)
        if self._waiting:
            self._waiting = False
            self.on_submit()

    def reset(self) -> None:
        self._waiting = False
        self.username.clear()
        self.password.clear()
        self.message.setText("")
        self.submit.setEnabled(True)
        self.username.setFocus()

    def on_submit(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if not name or not password:
            self.message.setText(self.tr("Enter your user name and password."))
            return
        self.submit.setEnabled(False)
        if self.ctx is None:
            self._waiting = True
            self.message.setText(self.tr("Opening the station… signing in once it is ready."))
            return
        from qcstation.services import accounts  # loaded with the station, after the form shows

        self.message.setText(self.tr("Checking…"))
        station = self.ctx.station
        self.ctx.run(lambda: accounts.login(station, name, password), self.on_ok, self.on_failed)

    def on_ok(self, user: User) -> None:
        self.password.clear()
        self.message.setText("")
        self.submit.setEnabled(True)
        self.logged_in.emit(user)

    def on_failed(self, exc: BaseException) -> None:
        self.submit.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        if isinstance(exc, LoginFailed):
            self.message.setText(str(exc)[:1].upper() + str(exc)[1:])
        else:
            self.message.setText("")
            if self.ctx is not None:  # a failure comes from ctx.run, so there is one
                self.ctx.errors.report(exc)
