"""Evidence at the bench belongs to one inspection and one signed-in person.

    BenchEvidence(window, ctx, camera_panel, checklist_page)   # built by the main window

- The capture key (ui/capture_key.py), a foot pedal and the Capture button call
  :meth:`capture`: the panel's shot (the grabber's frame, or the frozen one) is kept by
  services.microscope on the worker, which refuses a lost camera and records how the
  picture was taken. A line under the picture says what was kept; a frozen picture is
  announced as frozen, in red, so nobody takes it for the live one.
- The strip under the camera shows the open inspection's captures only: opening an
  inspection empties it and refills it from the record; sign-out and lock empty it
  (unlocking refills it). A capture that finishes saving after its owner has gone stays in
  the record and off this screen.
- Ctrl+M and the thumbnails open only the open inspection's images (the service refuses
  any other). The lock (also the idle lock, which can come while a dialog is open) hides
  every dialog of the window (the measuring editor, the golden compare, a focus stack, the
  defect form, an inspection opened from History...) and unlocking shows them again as
  they were; sign-out closes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from qcstation.imaging.frames import thumbnail
from qcstation.services import annotation_layers, microscope
from qcstation.services.errors import ServiceError
from qcstation.services.problems import is_known
from qcstation.ui.capture_key import CaptureKey
from qcstation.ui.evidence_strip import SHOWN, EvidenceOwner, StoredCapture
from qcstation.ui.pages.measure_dialog import MeasureDialog
from qcstation.ui.pages.stack_dialog import StackDialog
from qcstation.ui.tasks import Once

if TYPE_CHECKING:
    from qcstation.config import Settings
    from qcstation.ui.camera_panel import CameraPanel
    from qcstation.ui.context import UiContext
    from qcstation.ui.pages.checklist import ChecklistPage

THUMB_SIDE = microscope.THUMBNAIL_SIDE


class BenchEvidence(QObject):
    def __init__(
        self, window: QWidget, ctx: UiContext, camera: CameraPanel, checklist: ChecklistPage
    ):
        super().__init__(window)
        self.window, self.ctx, self.camera, self.checklist = window, ctx, camera, checklist
        self.strip = camera.strip
        self.locked = False
        self._hidden: list[QDialog] = []
        self.key = CaptureKey(self.armed, self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.key)
        self.key.pressed.connect(self.capture)
        camera.capture_requested.connect(self.capture)
        camera.stack_requested.connect(self.open_stack)
        self.strip.evidence_opened.connect(self.open_measure)
        events = ctx.events
        events.signed_out.connect(self.on_signed_out)
        events.locked.connect(self.on_locked)
        events.unlocked.connect(self.on_unlocked)
        events.inspection_opened.connect(lambda _id: self.show_current())
        events.evidence_captured.connect(self.on_captured)
        events.settings_changed.connect(self.apply_settings)
        self.apply_settings(ctx.settings)

    def apply_settings(self, settings: Settings) -> None:
        self.key.set_key(settings.capture_key)
        name = QKeySequence(self.key.key).toString(QKeySequence.SequenceFormat.NativeText)
        self.camera.show_capture_key(name)

    # --- whose evidence ----------------------------------------------------------------------

    def owner(self) -> EvidenceOwner | None:
        """The open inspection and the signed-in person: whose the bench's evidence is now."""
        ins, user = self.checklist.inspection, self.ctx.user
        return EvidenceOwner(ins.id, user.id) if ins is not None and user is not None else None

    def armed(self) -> bool:
        """The capture key captures: the checklist's camera in the active window, unlocked,
        no dialog in front."""
        return (
            not self.locked
            and self.owner() is not None
            and self.camera.isVisible()
            and QApplication.activeModalWidget() is None
            and QApplication.activeWindow() is self.window
        )

    def show_current(self) -> None:
        """The strip for the owner now: emptied if it was someone else's, refilled from the
        record (a reopened inspection shows its photos; what shows is what is stored)."""
        owner = self.owner()
        self.strip.show_for(owner)
        if owner is None:
            return
        station = self.ctx.station
        self.ctx.run(
            lambda: microscope.recent_images(station, owner.inspection_id, SHOWN),
            lambda thumbs: self._refilled(owner, thumbs),
        )

    def _refilled(self, owner: EvidenceOwner, thumbs: list[microscope.Thumbnail]) -> None:
        if self.strip.owner != owner or self.locked:
            return  # the bench moved on while the record was read
        for t in thumbs:
            self.strip.add(owner, t.evidence_id, t.image, self._label(t.item_id, t.position))

    def on_signed_out(self) -> None:
        self.locked = False
        self._forget()
        for dialog in self._open_dialogs() + self._hidden:
            dialog.reject()  # the next person signs in to a bench with nothing of this one's
        self._hidden = []

    def on_locked(self) -> None:
        self.locked = True
        self._forget()
        self._hidden = self._open_dialogs()
        for dialog in self._hidden:
            dialog.hide()  # kept as they were (an unsaved layer, a typed defect) for unlock

    def on_unlocked(self) -> None:
        self.locked = False
        hidden, self._hidden = self._hidden, []
        for dialog in hidden:
            dialog.show()
        self.show_current()

    def _forget(self) -> None:
        self.strip.clear()
        self.camera.announce("")

    def _open_dialogs(self) -> list[QDialog]:
        return [d for d in self.window.findChildren(QDialog) if d.isVisible()]

    # --- capturing ---------------------------------------------------------------------------

    def capture(self) -> None:
        """The capture key, foot pedal or button: keep the camera's picture for the item."""
        owner = self.owner()
        if owner is None or self.locked or not self.camera.isVisible():
            return
        shot = self.camera.shot()
        item_id, pos = self.checklist.current_target()
        station, actor = self.ctx.station, self.ctx.actor

        def encode() -> tuple[Any, np.ndarray]:
            prepared = microscope.prepare_shot(station, shot)
            assert shot.frame is not None  # prepare_shot refused a shot without one
            return prepared, thumbnail(shot.frame.image, THUMB_SIDE)

        # The PNG encoding starts on the work lane; the save keeps its place on the
        # database lane and takes the encoded image when its turn comes (ui/tasks.Once).
        made = Once(encode)
        if self.ctx.work is not None:
            self.ctx.work.run(made.get, on_error=lambda _e: None)  # the save reports it

        def keep() -> tuple[microscope.Captured, np.ndarray]:
            prepared, thumb = made.get()
            got = microscope.attach_prepared(
                station, actor, owner.inspection_id, prepared, item_id, pos
            )
            return got, thumb

        self.ctx.run(
            keep,
            lambda done: self._kept(owner, shot, item_id, pos, *done),
            self.refused,
            owner=self.checklist.current_owner(),  # counted on its item, or dropped with it
            applies=self.checklist.owns,
        )

    def _kept(
        self,
        owner: EvidenceOwner,
        shot: microscope.Shot,
        item_id: str | None,
        pos: int | None,
        got: microscope.Captured,
        thumb: np.ndarray,
    ) -> None:
        seq = shot.frame.seq if shot.frame is not None else None
        self.ctx.events.evidence_captured.emit(
            StoredCapture(owner, got.evidence.id, item_id, pos, thumb, shot.frozen, seq)
        )

    def refused(self, exc: BaseException) -> None:
        if is_known(exc):
            text = str(exc)
            self.camera.announce(text[:1].upper() + text[1:], warn=True)
        self.ctx.errors.report(exc)

    def on_captured(self, kept: StoredCapture) -> None:
        """Any capture the record now holds (capture key, defect form, stack)."""
        if kept.owner != self.owner() or self.locked:
            return  # kept for work no longer on this bench: in the record, not on this screen
        self.strip.show_for(kept.owner)
        label = self._label(kept.item_id, kept.position)
        self.strip.add(kept.owner, kept.evidence_id, kept.image, label)
        self.checklist.photo_attached(kept.item_id, kept.position)
        if kept.frame_seq is None:  # a focus stack: many frames, one fused image
            self.camera.announce(self.tr("Kept the fused image for {0}.").format(label))
        elif kept.frozen:
            self.camera.announce(
                self.tr("Captured the frozen picture (frame {0}), not the live one: {1}").format(
                    kept.frame_seq, label
                ),
                warn=True,
            )
        else:
            self.camera.announce(
                self.tr("Captured frame {0} for {1}.").format(kept.frame_seq, label)
            )

    def _label(self, item_id: str | None, pos: int | None) -> str:
        ins = self.checklist.inspection
        if item_id is None or ins is None:
            return self.tr("the piece")
        try:
            item = ins.template.item(item_id)
        except KeyError:
            return item_id
        if pos is not None and item.positions is not None:
            return f"{item.positions.label} {pos}: {item.prompt}"
        return item.prompt

    # --- the measuring editor and the golden compare -----------------------------------------

    def measure_last(self) -> None:
        """Ctrl+M: the newest capture of the open inspection, never another's."""
        owner = self.owner()
        if owner is None or self.locked:
            return
        newest = self.strip.newest() if self.strip.owner == owner else None
        if newest is None:
            self.camera.announce(self.tr("Nothing captured for this inspection yet."))
            return
        self.open_measure(newest)

    def open_measure(self, evidence_id: int) -> None:
        owner = self.owner()
        if owner is None or self.strip.owner != owner or evidence_id not in self.strip.shown:
            return
        station = self.ctx.station
        self.ctx.run(
            lambda: annotation_layers.open_image(
                station, evidence_id, inspection_id=owner.inspection_id
            ),
            lambda opened: self._show_measure(owner, opened),
        )

    def _show_measure(self, owner: EvidenceOwner, opened: annotation_layers.OpenedImage) -> None:
        if self.owner() != owner or self.locked:
            return  # opened for work that has left the bench meanwhile
        editor = self.checklist.editor
        unit = editor.measurement_unit() if self.camera.isVisible() else None
        dialog = MeasureDialog(self.ctx, opened, unit, self.window)
        dialog.value_chosen.connect(editor.fill_reading)
        dialog.open()

    # --- focus stacks ------------------------------------------------------------------------

    def open_stack(self) -> None:
        """Focus stacking into the current checklist item."""
        owner = self.owner()
        if owner is None or not self.camera.isVisible():
            self.ctx.errors.report(
                ServiceError("open an inspection first: a focus stack is kept as its evidence")
            )
            return
        if self.camera.source is None:
            self.ctx.errors.report(ServiceError("there is no camera: connect the microscope"))
            return
        try:
            microscope.usable_frame(self.camera.shot())
        except microscope.CameraUnavailable as exc:
            self.refused(exc)
            return
        item_id, pos = self.checklist.current_target()
        dialog = StackDialog(
            self.ctx,
            self.camera.source,
            owner.inspection_id,
            item_id,
            pos,
            self.camera.magnification(),
            self.window,
        )

        def saved(got: Any) -> None:
            if dialog.stack is not None:
                small = thumbnail(dialog.stack.image, THUMB_SIDE)
                self.ctx.events.evidence_captured.emit(
                    StoredCapture(owner, got.evidence.id, item_id, pos, small)
                )

        dialog.stack_saved.connect(saved)
        dialog.open()
