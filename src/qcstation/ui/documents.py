"""Signing an inspection, and its signed report and customer certificate: export, print.

Each asks for the password again (it unlocks the person's signing key and is the
signature's proof of intent). A wrong password keeps the dialog open with the reason and
makes nothing; repeated failures lock the account like a failed sign-in does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.signing import Meaning
from qcstation.domain.users import Permission
from qcstation.services import documents, signing
from qcstation.services.documents import Exported
from qcstation.services.errors import PermissionDenied, ServiceError
from qcstation.ui import printing
from qcstation.ui.context import UiContext
from qcstation.ui.widgets import muted, title

Kind = Literal["report", "certificate"]
T = TypeVar("T")


class PasswordDialog(QDialog):
    """The password again, and for a signature its meaning. Stays open on a refusal."""

    submitted = Signal(str, object)  # password, Meaning or None

    def __init__(
        self,
        heading: str,
        action: str,
        meanings: list[Meaning] | None = None,
        parent: QWidget | None = None,
        explanation: str = "",
    ):
        super().__init__(parent)
        self.setObjectName("password-dialog")
        self.setWindowTitle(heading)
        self.setMinimumWidth(520)
        self.meaning = QComboBox()
        self.meaning.setObjectName("meaning")
        for m in meanings or []:
            self.meaning.addItem(m.label, m.value)  # Qt would turn the enum into its str
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = muted()
        self.message.setObjectName("password-message")
        form = QFormLayout()
        if meanings:
            form.addRow(self.tr("Meaning"), self.meaning)
        form.addRow(self.tr("Your password"), self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(action)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title(heading))
        if explanation:
            layout.addWidget(muted(explanation))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.password.setFocus()

    def _submit(self) -> None:
        if not self.password.text():
            self.message.setText(self.tr("Enter your password."))
            return
        self.ok.setEnabled(False)
        self.message.setText(self.tr("Working…"))
        chosen = self.meaning.currentData()
        self.submitted.emit(self.password.text(), Meaning(chosen) if chosen else None)

    def refused(self, text: str) -> None:
        self.ok.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.message.setText(text[:1].upper() + text[1:])


@dataclass(frozen=True)
class Printed:
    exported: Exported
    data: bytes


class DocumentActions(QObject):
    """Sign, export and print for one screen; results are announced on the context's events."""

    signed = Signal(str)  # inspection id
    exported = Signal(object)  # Exported

    def __init__(self, ctx: UiContext, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.parent_widget = parent
        self.dialog: PasswordDialog | None = None

    # --- signing ----------------------------------------------------------------------------

    def meanings(self, performed_by_me: bool) -> list[Meaning]:
        if performed_by_me:
            return [Meaning.PERFORMED]
        if self.ctx.can(Permission.REVIEW):
            return [Meaning.APPROVED, Meaning.REVIEWED]
        return []

    def sign(
        self, inspection_id: str, performed_by_me: bool, what: str = ""
    ) -> PasswordDialog | None:
        meanings = self.meanings(performed_by_me)
        if not meanings:
            self.ctx.errors.report(
                ServiceError(
                    "only the inspector who performed it, or a supervisor, signs an inspection"
                )
            )
            return None
        dialog = self._ask(
            self.tr("Sign the inspection"),
            self.tr("Sign"),
            meanings,
            self.tr(
                "You sign {0} as it is now: its answers, readings, defects and photos and the "
                "checklist version, under your name, role and the time. A signed record "
                "cannot change; a correction becomes a new version."
            ).format(what or self.tr("this inspection")),
        )
        station, actor = self.ctx.station, self.ctx.actor

        def work(password: str, meaning: Meaning | None) -> object:
            assert meaning is not None
            return signing.sign(station, actor, inspection_id, meaning, password)

        self._with_password(dialog, work, lambda _sig: self._signed(inspection_id))
        return dialog

    def _signed(self, inspection_id: str) -> None:
        self.signed.emit(inspection_id)
        self.ctx.events.inspection_changed.emit(inspection_id)

    # --- export and print -------------------------------------------------------------------

    def may_issue(self) -> bool:
        """Reports and certificates are the plant's: issued by supervisors and administrators
        (who hold its document key). Anyone else is told so before any password is asked."""
        if self.ctx.can(Permission.REVIEW):
            return True
        self.ctx.errors.report(
            PermissionDenied(documents.WHO_ISSUES[:1].upper() + documents.WHO_ISSUES[1:])
        )
        return False

    def default_path(self, kind: Kind, inspection_id: str) -> Path:
        return self.ctx.station.location.data_dir / "documents" / f"{kind}-{inspection_id}.pdf"

    def export(
        self, kind: Kind, inspection_id: str, path: Path | None = None
    ) -> PasswordDialog | None:
        """Ask where (unless given) and for the password, then write the signed PDF."""
        if not self.may_issue():
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self.parent_widget,
                self.tr("Save the signed PDF"),
                str(self.default_path(kind, inspection_id)),
                self.tr("PDF files (*.pdf)"),
            )
            if not chosen:
                return None
            path = Path(chosen)
        return self._make(kind, inspection_id, path, then_print=False)

    def export_many(
        self, inspection_ids: list[str], folder: Path | None = None
    ) -> PasswordDialog | None:
        """Signed reports of several completed inspections into one folder, named by number."""
        if not inspection_ids or not self.may_issue():
            return None
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self.parent_widget,
                self.tr("Folder for the signed reports"),
                str(self.ctx.station.location.data_dir / "documents"),
            )
            if not chosen:
                return None
            folder = Path(chosen)
        dialog = self._ask(
            self.tr("Signed inspection reports"),
            self.tr("Save {0}").format(len(inspection_ids)),
            None,
            self.tr("{0} reports, each signed with your key: your password unlocks it.").format(
                len(inspection_ids)
            ),
        )
        station, actor, ids = self.ctx.station, self.ctx.actor, list(inspection_ids)

        def work(password: str, _meaning: Meaning | None) -> list[Exported]:
            folder.mkdir(parents=True, exist_ok=True)
            return documents.export_reports(station, actor, password, ids, folder)

        def saved(done: list[Exported]) -> None:
            for e in done:
                self.exported.emit(e)
            self._say(self.tr("{0} signed report(s) saved in\n{1}").format(len(done), folder))

        self._with_password(dialog, work, saved)
        return dialog

    def print(self, kind: Kind, inspection_id: str) -> PasswordDialog | None:
        """Export to the station's documents folder, then the print preview of that file."""
        if not self.may_issue():
            return None
        return self._make(kind, inspection_id, self.default_path(kind, inspection_id), True)

    def _make(self, kind: Kind, inspection_id: str, path: Path, then_print: bool) -> PasswordDialog:
        heading = (
            self.tr("Signed inspection report") if kind == "report" else self.tr("Certificate")
        )
        dialog = self._ask(
            heading,
            self.tr("Print…") if then_print else self.tr("Save"),
            None,
            self.tr("The PDF is signed with your key: your password unlocks it."),
        )
        station, actor = self.ctx.station, self.ctx.actor

        def work(password: str, _meaning: Meaning | None) -> Printed:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "report":
                done = documents.export_report(station, actor, password, inspection_id, path)
            else:
                done = documents.export_certificate(station, actor, password, inspection_id, path)
            return Printed(done, path.read_bytes() if then_print else b"")

        self._with_password(dialog, work, lambda made: self._made(made, then_print))
        return dialog

    def _made(self, made: Printed, then_print: bool) -> None:
        self.exported.emit(made.exported)
        e = made.exported
        if then_print:
            printing.preview(self.parent_widget, made.data, f"{e.kind} {e.number}")
        else:
            self._say(self.tr("{0} {1} is signed and saved:\n{2}").format(e.kind, e.number, e.path))

    # --- shared -----------------------------------------------------------------------------

    def _ask(
        self, heading: str, action: str, meanings: list[Meaning] | None, explanation: str
    ) -> PasswordDialog:
        dialog = PasswordDialog(heading, action, meanings, self.parent_widget, explanation)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _with_password(
        self,
        dialog: PasswordDialog,
        work: Callable[[str, Meaning | None], T],
        done: Callable[[T], None],
    ) -> None:
        """On each submit: the work on the worker; then close and go on, or say why not."""

        def finished(result: T) -> None:
            dialog.accept()
            done(result)

        def go(password: str, meaning: object) -> None:
            chosen = meaning if isinstance(meaning, Meaning) else None
            self.ctx.run(
                lambda: work(password, chosen), finished, lambda exc: self._refused(dialog, exc)
            )

        dialog.submitted.connect(go)

    def _say(self, text: str) -> None:
        box = QMessageBox(self.parent_widget)
        box.setObjectName("exported-message")
        box.setWindowTitle(self.tr("Saved"))
        box.setText(text)
        box.open()

    def _refused(self, dialog: PasswordDialog, exc: BaseException) -> None:
        if isinstance(exc, ServiceError | OSError):
            text = str(exc) if isinstance(exc, ServiceError) else f"{exc.strerror or exc}"
            dialog.refused(text)
        else:
            dialog.reject()
            self.ctx.errors.report(exc)
