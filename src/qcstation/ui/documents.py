"""Signing an inspection, and its signed report and customer certificate: export, print.

The password is asked once for what a person does with one piece: the same dialog signs
and issues its documents ("Sign", "Save the signed report", "Print the signed report",
"Print the certificate", the one asked for ticked), and one task on the worker does them
in order with that one entry. The password is never kept: it lives in that task and is
gone when it ends. It unlocks the person's signing key and is the signature's proof of
intent. A wrong password keeps the dialog open with the reason and makes nothing;
repeated failures lock the account like a failed sign-in does.

That task runs on the work lane (a time-stamp server may take 20 s to answer; saves must
not wait behind it), once every save queued before it is done (a signature covers the
answers typed before it). Cancel or Esc in the dialog stops it between its steps: a step
done stays done (a signature is not undone), a file not yet written is not written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.domain.signing import Meaning
from qcstation.domain.users import Permission
from qcstation.services import documents, signing
from qcstation.services.document_issue import WHO_ISSUES, Exported
from qcstation.services.errors import PermissionDenied, ServiceError
from qcstation.ui import printing
from qcstation.ui.context import UiContext
from qcstation.ui.tasks import Cancelled, Job
from qcstation.ui.widgets import muted, title

Kind = Literal["report", "certificate"]
T = TypeVar("T")


DIALOG_WIDTH = 560
SIGN_KEY = "sign"


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
        also: list[tuple[str, str, bool]] | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("password-dialog")
        self.setWindowTitle(heading)
        self.setFixedWidth(DIALOG_WIDTH)  # one width: the wrapped lines keep their height
        self.meaning = QComboBox()
        self.meaning.setObjectName("meaning")
        for m in meanings or []:
            self.meaning.addItem(m.label, m.value)  # Qt would turn the enum into its str
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = muted()
        self.message.setObjectName("password-message")
        # What the one password does: each a box, the one asked for ticked (see the module)
        self.also: dict[str, QCheckBox] = {}
        for key, text, checked in also or []:
            box = QCheckBox(text)
            box.setObjectName(f"also-{key}")
            box.setChecked(checked)
            box.toggled.connect(self.also_changed)
            self.also[key] = box
        form = QFormLayout()
        if meanings and SIGN_KEY in self.also:  # "Sign it, as: Approved by", one row
            signing_row = QHBoxLayout()
            signing_row.addWidget(self.also[SIGN_KEY])
            signing_row.addWidget(muted(self.tr("as")))
            signing_row.addWidget(self.meaning, 1)
            form.addRow(signing_row)
        elif meanings:
            form.addRow(self.tr("Meaning"), self.meaning)
        for key, box in self.also.items():
            if key != SIGN_KEY or not meanings:
                form.addRow(box)
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
        self.describe: Callable[[set[str]], str] | None = None
        self.also_changed()

    def showEvent(self, event: QShowEvent) -> None:
        # A window with wrapped text gets no minimum height from its layout: give it the
        # height its lines take at its one width, so nothing is cut at the bottom.
        layout = self.layout()
        if layout is not None and layout.hasHeightForWidth():
            self.setMinimumHeight(layout.heightForWidth(self.width()))
        super().showEvent(event)

    def chosen(self) -> set[str]:
        return {key for key, box in self.also.items() if box.isChecked()}

    def also_changed(self) -> None:
        if "sign" in self.also:
            self.meaning.setEnabled(self.also["sign"].isChecked())
        if self.describe is not None:
            self.ok.setText(self.describe(self.chosen()))

    def _submit(self) -> None:
        if self.also and not self.chosen():
            self.message.setText(self.tr("Tick what to do."))
            return
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


SIGN = SIGN_KEY
SAVE_REPORT, PRINT_REPORT = "save_report", "print_report"
SAVE_CERTIFICATE, PRINT_CERTIFICATE = "save_certificate", "print_certificate"
# the order one password does them in: the certificate needs the signature first
ORDER = (SIGN, SAVE_REPORT, PRINT_REPORT, SAVE_CERTIFICATE, PRINT_CERTIFICATE)


@dataclass(frozen=True)
class Printed:
    exported: Exported
    data: bytes  # the signed PDF, when it is to be printed
    saved: bool = True  # written where the person chose (not only for printing)


@dataclass(frozen=True)
class Issued:
    """What one password did, in order; and why it stopped, if a later step could not be
    done (what was done before stands: a signature is not undone by a refused print)."""

    signed: bool = False
    made: tuple[Printed, ...] = ()
    stopped: str = ""


class DocumentActions(QObject):
    """Sign, export and print for one screen; results are announced on the context's events."""

    signed = Signal(str)  # inspection id
    exported = Signal(object)  # Exported

    def __init__(self, ctx: UiContext, parent: QWidget):
        super().__init__(parent)
        self.ctx = ctx
        self.parent_widget = parent
        self.dialog: PasswordDialog | None = None
        # what the person ticked last time on this screen: a bench that always prints the
        # report after signing ticks it once per session, not once per piece
        self.ticked: set[str] = set()

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
        """Sign, with the documents of the same piece offered beside it (one password)."""
        return self.issue(inspection_id, {SIGN}, performed_by_me=performed_by_me, what=what)

    def _signed(self, inspection_id: str) -> None:
        self.signed.emit(inspection_id)
        self.ctx.events.inspection_changed.emit(inspection_id)

    # --- export and print -------------------------------------------------------------------

    def may_issue(self) -> bool:
        """Reports and certificates are the plant's: issued by supervisors and administrators
        (who hold its document key). Anyone else is told so before any password is asked."""
        if self.ctx.can(Permission.REVIEW):
            return True
        self.ctx.errors.report(PermissionDenied(WHO_ISSUES[:1].upper() + WHO_ISSUES[1:]))
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
        key = SAVE_REPORT if kind == "report" else SAVE_CERTIFICATE
        return self.issue(inspection_id, {key}, paths={key: path})

    def print(self, kind: Kind, inspection_id: str) -> PasswordDialog | None:
        """Export to the station's documents folder, then the print preview of that file."""
        if not self.may_issue():
            return None
        return self.issue(inspection_id, {PRINT_REPORT if kind == "report" else PRINT_CERTIFICATE})

    def issue(
        self,
        inspection_id: str,
        wanted: set[str],
        *,
        performed_by_me: bool | None = None,
        what: str = "",
        paths: dict[str, Path] | None = None,
    ) -> PasswordDialog | None:
        """One dialog, one password, for what a person does with one piece.

        ``wanted`` is ticked; the rest the person may do with the same entry is offered
        unticked (or as they ticked it last time on this screen). ``performed_by_me``:
        None when signing is not offered here.
        """
        paths = dict(paths or {})
        meanings = self.meanings(performed_by_me) if performed_by_me is not None else []
        if SIGN in wanted and not meanings:
            self.ctx.errors.report(
                ServiceError(
                    "only the inspector who performed it, or a supervisor, signs an inspection"
                )
            )
            return None
        if wanted - {SIGN} and not self.may_issue():
            return None
        # Documents are the plant's: offered only to those who may issue them.
        may_issue = self.ctx.can(Permission.REVIEW)
        paths.setdefault(SAVE_REPORT, self.default_path("report", inspection_id))
        # a document only printed is kept in the station's documents folder
        paths.setdefault(PRINT_REPORT, self.default_path("report", inspection_id))
        paths.setdefault(PRINT_CERTIFICATE, self.default_path("certificate", inspection_id))
        offers: list[tuple[str, str]] = []
        if meanings:
            offers.append((SIGN, self.tr("Sign it")))
        if may_issue:
            offers.append((SAVE_REPORT, self.tr("Save the signed report")))
            offers.append((PRINT_REPORT, self.tr("Print the signed report")))
            if SAVE_CERTIFICATE in wanted:
                paths.setdefault(SAVE_CERTIFICATE, self.default_path("certificate", inspection_id))
                offers.append((SAVE_CERTIFICATE, self.tr("Save the certificate")))
            offers.append((PRINT_CERTIFICATE, self.tr("Print the certificate")))
        ticked = wanted | (self.ticked - {SIGN, SAVE_CERTIFICATE})
        also = [(key, text, key in ticked) for key, text in offers]
        if SIGN in wanted:
            heading = self.tr("Sign the inspection")
        elif wanted & {SAVE_REPORT, PRINT_REPORT}:
            heading = self.tr("Signed inspection report")
        else:
            heading = self.tr("Certificate")
        explanation = self.tr(
            "Your password unlocks your key, once for all you tick here; it is not kept."
        )
        if meanings:
            explanation = (
                self.tr(
                    "You sign {0} as it is now: its answers, readings, defects and photos and "
                    "the checklist version, under your name, role and the time. A signed "
                    "record cannot change; a correction becomes a new version."
                ).format(what or self.tr("this inspection"))
                + " "
                + explanation
            )
        dialog = self._ask(heading, self.tr("Go"), meanings, explanation, also)
        for key in (SAVE_REPORT, SAVE_CERTIFICATE):  # where it goes, on the box itself
            if key in dialog.also:
                dialog.also[key].setToolTip(str(paths[key]))
        dialog.describe = self._verb  # the button says what it will do
        dialog.also_changed()
        station, actor = self.ctx.station, self.ctx.actor

        def work(job: Job, password: str, meaning: Meaning | None, chosen: set[str]) -> Issued:
            return self._issue(
                station, actor, inspection_id, password, meaning, chosen, paths, job.check
            )

        def done(result: Issued) -> None:
            self.ticked = dialog.chosen()
            self._issued(inspection_id, result)

        self._with_password(dialog, work, done)
        return dialog

    def _verb(self, chosen: set[str]) -> str:
        verbs = []
        if SIGN in chosen:
            verbs.append(self.tr("Sign"))
        if chosen & {SAVE_REPORT, SAVE_CERTIFICATE}:
            verbs.append(self.tr("save") if verbs else self.tr("Save"))
        if chosen & {PRINT_REPORT, PRINT_CERTIFICATE}:
            verbs.append(self.tr("print…") if verbs else self.tr("Print…"))
        if not verbs:
            return self.tr("Go")
        if len(verbs) == 1:
            return verbs[0]
        return self.tr("{0} and {1}").format(", ".join(verbs[:-1]), verbs[-1])

    @staticmethod
    def _issue(
        station: Any,
        actor: Any,
        inspection_id: str,
        password: str,
        meaning: Meaning | None,
        chosen: set[str],
        paths: dict[str, Path],
        check: Callable[[], None] | None = None,
    ) -> Issued:
        """On the work lane: each chosen step in ORDER with the one password; ``check``
        between steps and before each file is written (it raises Cancelled when asked)."""
        signed = False
        made: list[Printed] = []
        check = check or (lambda: None)

        def make(kind: Kind, path: Path, keep: bool, to_print: bool) -> Printed:
            check()
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "report":
                e = documents.export_report(
                    station, actor, password, inspection_id, path, check=check
                )
            else:
                e = documents.export_certificate(
                    station, actor, password, inspection_id, path, check=check
                )
            return Printed(e, path.read_bytes() if to_print else b"", keep)

        try:
            check()
            if SIGN in chosen:
                assert meaning is not None
                signing.sign(station, actor, inspection_id, meaning, password)
                signed = True
            documents_in_order: tuple[tuple[Kind, str, str], ...] = (
                ("report", SAVE_REPORT, PRINT_REPORT),
                ("certificate", SAVE_CERTIFICATE, PRINT_CERTIFICATE),
            )
            for kind, save, show in documents_in_order:
                if save in chosen or show in chosen:  # saved and printed: one document
                    to = paths[save] if save in chosen else paths[show]
                    made.append(make(kind, to, save in chosen, show in chosen))
        except (ServiceError, OSError, Cancelled) as exc:
            if not signed and not made:
                raise  # nothing done: the dialog says why and stays open (or was cancelled)
            return Issued(
                signed, tuple(made), "cancelled" if isinstance(exc, Cancelled) else _reason(exc)
            )
        return Issued(signed, tuple(made))

    def _issued(self, inspection_id: str, result: Issued) -> None:
        if result.signed:
            self._signed(inspection_id)
        said = []
        for made in result.made:
            self.exported.emit(made.exported)
            e = made.exported
            if made.data:
                printing.preview(self.parent_widget, made.data, f"{e.kind} {e.number}")
            if made.saved:
                said.append(
                    self.tr("{0} {1} is signed and saved:\n{2}").format(e.kind, e.number, e.path)
                )
        if result.stopped:
            if result.signed:
                said.insert(0, self.tr("The inspection is signed."))
            said.append(self.tr("Not done: {0}").format(result.stopped))
        if said:
            self._say("\n\n".join(said))

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

        def work(
            job: Job, password: str, _meaning: Meaning | None, _chosen: set[str]
        ) -> list[Exported]:
            folder.mkdir(parents=True, exist_ok=True)
            return documents.export_reports(station, actor, password, ids, folder, check=job.check)

        def saved(done: list[Exported]) -> None:
            for e in done:
                self.exported.emit(e)
            self._say(self.tr("{0} signed report(s) saved in\n{1}").format(len(done), folder))

        self._with_password(dialog, work, saved)
        return dialog

    # --- shared -----------------------------------------------------------------------------

    def _ask(
        self,
        heading: str,
        action: str,
        meanings: list[Meaning] | None,
        explanation: str,
        also: list[tuple[str, str, bool]] | None = None,
    ) -> PasswordDialog:
        dialog = PasswordDialog(heading, action, meanings, self.parent_widget, explanation, also)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _with_password(
        self,
        dialog: PasswordDialog,
        work: Callable[[Job, str, Meaning | None, set[str]], T],
        done: Callable[[T], None],
    ) -> None:
        """On each submit: the work on the work lane, after the saves queued before it;
        then close and go on, or say why not. Cancel or Esc stops it between steps."""
        running: list[Job] = []

        def finished(result: T) -> None:
            running.clear()
            dialog.accept()
            done(result)

        def refused(exc: BaseException) -> None:
            running.clear()
            self._refused(dialog, exc)

        def cancelled() -> None:
            running.clear()
            self._say(self.tr("Cancelled: nothing was signed or written."))

        def go(password: str, meaning: object) -> None:
            chosen = meaning if isinstance(meaning, Meaning) else None
            ticked = dialog.chosen()
            running.append(
                self.ctx.run_work(
                    lambda job: work(job, password, chosen, ticked),
                    finished,
                    refused,
                    label=dialog.windowTitle(),
                    on_cancelled=cancelled,
                    after_saves=True,
                )
            )

        def stop() -> None:
            for job in running:
                job.cancel()

        dialog.submitted.connect(go)
        dialog.rejected.connect(stop)

    def _say(self, text: str) -> None:
        box = QMessageBox(self.parent_widget)
        box.setObjectName("exported-message")
        box.setWindowTitle(self.tr("Saved"))
        box.setText(text)
        box.open()

    def _refused(self, dialog: PasswordDialog, exc: BaseException) -> None:
        if isinstance(exc, ServiceError | OSError):
            dialog.refused(_reason(exc))
        else:
            dialog.reject()
            self.ctx.errors.report(exc)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ServiceError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return str(exc)
