"""The idle lock: data hidden, the open inspection kept; only its user or a supervisor unlocks."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QLineEdit, QVBoxLayout, QWidget

from qcstation.domain.users import Permission, User
from qcstation.services import accounts
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import button, centre_card, muted, title


class LockPage(QWidget):
    unlocked = Signal(object)  # the User who unlocked

    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("lock-page")
        self.owner: User | None = None
        self.who = muted()
        self.username = QLineEdit()
        self.username.setObjectName("lock-username")
        self.password = QLineEdit()
        self.password.setObjectName("lock-password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = muted()
        self.message.setObjectName("lock-message")
        unlock = button(self.tr("Unlock"), "Enter")
        unlock.clicked.connect(self.try_unlock)
        self.password.returnPressed.connect(self.try_unlock)
        self.username.returnPressed.connect(self.password.setFocus)
        card = QFrame()
        form = QFormLayout()
        form.addRow(self.tr("User"), self.username)
        form.addRow(self.tr("Password"), self.password)
        box = QVBoxLayout(card)
        box.addWidget(title(self.tr("Locked")))
        box.addWidget(self.who)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addWidget(unlock)
        centre_card(self, card)

    def lock(self, owner: User) -> None:
        self.owner = owner
        self.who.setText(
            self.tr("{0}'s work is kept as it was. {0} or a supervisor can unlock.").format(
                owner.full_name
            )
        )
        self.username.setText(owner.username)
        self.password.clear()
        self.message.setText("")
        self.password.setFocus()

    def try_unlock(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        station = self.ctx.station
        self.password.clear()
        self.ctx.run(lambda: accounts.login(station, name, password), self._checked, self._refused)

    def _checked(self, user: User) -> None:
        owner = self.owner
        if owner is not None and user.id != owner.id and not user.can(Permission.REVIEW):
            self.message.setText(
                self.tr("Only {0} or a supervisor can unlock.").format(owner.username)
            )
            return
        self.unlocked.emit(user)

    def _refused(self, exc: BaseException) -> None:
        self.message.setText(str(exc)[:1].upper() + str(exc)[1:])
        self.password.setFocus()
