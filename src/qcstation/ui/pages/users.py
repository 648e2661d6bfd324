"""Users (admins): add, disable or enable, unlock after wrong passwords."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.users import Role, User
from qcstation.services import accounts
from qcstation.ui.context import UiContext
from qcstation.ui.models import UsersModel
from qcstation.ui.widgets import button, muted, record_table, title


class NewUserDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New user"))
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for r in Role:
            self.role.addItem(self.tr(r.value), r.value)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        form.addRow(self.tr("User name"), self.username)
        form.addRow(self.tr("Printed name"), self.full_name)
        form.addRow(self.tr("Role"), self.role)
        form.addRow(self.tr("First password"), self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class UsersPage(QWidget):
    def __init__(self, ctx: UiContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("users-page")
        self.model = UsersModel(self)
        self.table = record_table(
            "users-table", self.model, QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.status = muted()
        add = button(self.tr("Add user…"))
        toggle = button(self.tr("Disable / enable"))
        unlock = button(self.tr("Unlock after wrong passwords"))
        add.clicked.connect(self.add_user)
        toggle.clicked.connect(self.toggle_selected)
        unlock.clicked.connect(self.unlock_selected)
        row = QHBoxLayout()
        for b in (add, toggle, unlock):
            row.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(title(self.tr("Users")))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(row)
        ctx.events.users_changed.connect(self.refresh)

    def refresh(self) -> None:
        station = self.ctx.station
        self.ctx.run(lambda: accounts.list_users(station), self.model.set_rows)

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def add_user(self) -> None:
        dialog = NewUserDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        station, actor = self.ctx.station, self.ctx.actor
        name, full = dialog.username.text().strip(), dialog.full_name.text().strip()
        role, password = Role(dialog.role.currentData()), dialog.password.text()
        self.ctx.run(
            lambda: accounts.create_user(station, actor, name, password, role, full),
            self._added,
        )

    def _added(self, user: User) -> None:
        self.status.setText(self.tr("Added {0}").format(user.username))
        self.ctx.events.users_changed.emit()

    def toggle_selected(self) -> None:
        user = self.model.row_at(self.table.currentIndex())
        if user is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: accounts.set_active(station, actor, user.username, not user.active),
            lambda _u: self.ctx.events.users_changed.emit(),
        )

    def unlock_selected(self) -> None:
        user = self.model.row_at(self.table.currentIndex())
        if user is None:
            return
        station, actor = self.ctx.station, self.ctx.actor
        self.ctx.run(
            lambda: accounts.unlock(station, actor, user.username),
            lambda u: self.status.setText(self.tr("{0} can sign in again").format(u.username)),
        )
