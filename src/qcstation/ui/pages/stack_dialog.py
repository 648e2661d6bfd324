"""Focus stacking: N frames while the focus turns, fused into one sharp image, kept as evidence.

Two ways to turn the focus: the camera has a focus control (a motorised or liquid lens),
so the dialog sweeps it from "near" to "far" and takes one fresh frame per step; or it has
none, and the dialog takes a burst at a fixed interval while the inspector turns the knob.
Frames are always fresh: after a focus step the dialog waits for a frame that began after
the change. Each frame is the grabber's own (its number and the time it was taken) when the
camera keeps one. A camera that reports a problem stops the stack at once. Fusing
(imaging.stacking) runs on the work lane, never the database lane, so answers saved
meanwhile are not held up; saving encodes every source frame there too and stores them
with the fused image, linked, in one transaction (services.microscope.capture_stack).
Cancel (or Esc) stops taking frames, fusing or encoding at the next frame; nothing is
kept of a cancelled stack.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qcstation.imaging.focus import focus_score
from qcstation.imaging.frames import Frame
from qcstation.imaging.source import Capabilities, Control
from qcstation.imaging.stacking import StackResult, focus_stack
from qcstation.services import microscope
from qcstation.ui.camera_panel import newest_frame
from qcstation.ui.context import UiContext
from qcstation.ui.errors import is_known
from qcstation.ui.image_view import ImageView, to_qimage
from qcstation.ui.tasks import Job
from qcstation.ui.widgets import button, muted, shortcut

SETTLE_FRAMES = 2  # frames to let pass after a focus step (one may have begun before it)
STALL_S = 3.0  # no new frame for this long while taking frames: the camera is gone


class StackDialog(QDialog):
    stack_saved = Signal(object)  # microscope.Captured

    def __init__(
        self,
        ctx: UiContext,
        source: Any,  # the camera panel's source: latest(), capabilities(), set_control()
        inspection_id: str,
        item_id: str | None,
        position: int | None,
        magnification: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx, self.source = ctx, source
        self.inspection_id, self.item_id, self.position = inspection_id, item_id, position
        self.magnification = magnification
        self.setObjectName("stack-dialog")
        self.setWindowTitle(self.tr("Focus stack"))
        self.setMinimumSize(1100, 700)
        caps = getattr(source, "capabilities", None)
        self.caps: Capabilities | None = caps() if callable(caps) else None
        focus = self.caps.controls.get(Control.FOCUS) if self.caps is not None else None
        self.sweeps = bool(
            focus is not None
            and focus.supported
            and focus.minimum is not None
            and focus.maximum is not None
            and callable(getattr(source, "set_control", None))
        )
        self.frames: list[Frame] = []
        self.stack: StackResult | None = None
        self._plan: list[float] = []
        self._wait_after = -1
        self._last_seq = -1
        self._since = time.monotonic()
        self.job: Job | None = None  # the fusing or the saving, while it runs
        self.view = ImageView()
        self.view.setObjectName("stack-view")
        self.count = QSpinBox()
        self.count.setObjectName("stack-count")
        self.count.setRange(2, 25)
        self.count.setValue(5)
        self.near = QDoubleSpinBox()
        self.far = QDoubleSpinBox()
        lo = float(focus.minimum) if focus is not None and focus.minimum is not None else 0.0
        hi = float(focus.maximum) if focus is not None and focus.maximum is not None else 0.0
        for box, value in ((self.near, lo), (self.far, hi)):
            box.setDecimals(3)
            box.setRange(lo, hi)
            box.setValue(value)
            box.setEnabled(self.sweeps)
            box.setMinimumWidth(120)
        self.near.setObjectName("focus-near")
        self.far.setObjectName("focus-far")
        self.interval = QSpinBox()
        self.interval.setObjectName("burst-interval")
        self.interval.setRange(30, 2000)
        self.interval.setValue(250)
        self.interval.setSuffix(" ms")
        self.interval.setEnabled(not self.sweeps)
        unit = focus.unit.split(" ")[0] if focus is not None and focus.unit else ""
        for box in (self.near, self.far):
            box.setSuffix(f" {unit}" if unit else "")
        form = QFormLayout()
        form.addRow(self.tr("Frames"), self.count)
        form.addRow(self.tr("Focus from"), self.near)
        form.addRow(self.tr("Focus to"), self.far)
        form.addRow(self.tr("Burst interval"), self.interval)
        how = (
            self.tr("The camera turns its focus from the first value to the second.")
            if self.sweeps
            else self.tr(
                "This camera has no focus control: start the burst and turn the focus knob "
                "slowly from the lowest to the highest part of the piece."
            )
        )
        self.progress = QProgressBar()
        self.progress.setObjectName("stack-progress")
        self.frame_list = QListWidget()
        self.frame_list.setObjectName("stack-frames")
        self.frame_list.setIconSize(QPixmap(96, 72).size())
        self.summary = QLabel()
        self.summary.setObjectName("stack-summary")
        self.summary.setWordWrap(True)
        self.start_button = button(self.tr("Take frames"), "Ctrl+Return")
        self.start_button.setObjectName("stack-start")
        self.start_button.clicked.connect(self.start)
        shortcut(self, "Ctrl+Return", self.start)
        self.save_button = button(self.tr("Save as evidence"), "Ctrl+S")
        self.save_button.setObjectName("stack-save")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        shortcut(self, "Ctrl+S", self.save)
        self.cancel_button = button(self.tr("Cancel"), "Esc")
        self.cancel_button.setObjectName("stack-cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = button(self.tr("Close"), "Esc")
        close.clicked.connect(self.reject)
        side = QVBoxLayout()
        side.addWidget(muted(how))
        side.addLayout(form)
        side.addWidget(self.start_button)
        side.addWidget(self.progress)
        side.addWidget(self.frame_list, 1)
        side.addWidget(self.summary)
        side.addWidget(self.save_button)
        side.addWidget(self.cancel_button)
        side.addWidget(close)
        panel = QWidget()
        panel.setFixedWidth(360)
        panel.setLayout(side)
        body = QHBoxLayout(self)
        body.addWidget(self.view, 1)
        body.addWidget(panel)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self.finished.connect(lambda _r: self.timer.stop())

    # ------------------------------------------------------------------ cancelling
    def busy(self) -> bool:
        """Taking frames, fusing or saving: what Cancel and Esc stop."""
        return self.timer.isActive() or self.job is not None

    def cancel(self) -> None:
        """Stop what runs; nothing of this stack is kept (the frames taken are let go)."""
        if self.timer.isActive():
            self.timer.stop()
            self._cancelled()
        elif self.job is not None:
            self.job.cancel()
            self.summary.setText(self.tr("Cancelling…"))
            self.cancel_button.setEnabled(False)

    def _cancelled(self) -> None:
        self.job = None
        self.frames, self.stack = [], None
        self.frame_list.clear()
        self.progress.setValue(0)
        self.start_button.setEnabled(True)
        self.save_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.summary.setText(self.tr("Cancelled: nothing of this stack was saved."))

    def reject(self) -> None:
        """Esc: the first stops what runs, the next closes."""
        if self.busy():
            self.cancel()
            return
        super().reject()

    # ------------------------------------------------------------------ taking frames
    def start(self) -> None:
        if self.timer.isActive():
            return
        if self._problem():  # nothing taken: what was there (a fused stack) stays as it was
            self.summary.setText(
                self.tr(
                    "The camera is not sending pictures ({0}), so no frames were taken. Start "
                    "again when the picture is back."
                ).format(self._problem())
            )
            return
        n = self.count.value()
        self.frames, self.stack = [], None
        self.frame_list.clear()
        self.summary.setText("")
        self.save_button.setEnabled(False)
        self.progress.setRange(0, n)
        self.progress.setValue(0)
        if self.sweeps:
            lo, hi = self.near.value(), self.far.value()
            self._plan = [lo + (hi - lo) * k / (n - 1) for k in range(n)]
            self._step()
            self.timer.start(10)
        else:
            self._plan = []
            self._wait_after = -1
            self.timer.start(self.interval.value())
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._since = time.monotonic()

    def _stalled(self, problem: str = "") -> None:
        self.timer.stop()
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.frames = []
        self.progress.setValue(0)
        said = f" ({problem})" if problem else ""
        self.summary.setText(
            self.tr(
                "The camera stopped sending pictures{0}, so the stack was not taken and "
                "nothing was saved. Take the frames again when the picture is back."
            ).format(said)
        )

    def _problem(self) -> str:
        problem = getattr(self.source, "problem", None)
        return (problem() or "") if callable(problem) else ""

    def _latest(self) -> tuple[np.ndarray, int] | None:
        got = self.source.latest()
        return None if got is None else (got[0], int(got[1]))

    def _step(self) -> None:
        """Move the focus to the next planned value; frames taken before this do not count."""
        got = self._latest()
        self._wait_after = (got[1] if got is not None else -1) + SETTLE_FRAMES - 1
        self.source.set_control(Control.FOCUS, self._plan[len(self.frames)])

    def _tick(self) -> None:
        if self._problem():  # the last good picture is not a new focus step
            self._stalled(self._problem())
            return
        got = self._latest()
        now = time.monotonic()
        if got is None or got[1] <= max(self._wait_after, self._last_seq):
            if now - self._since > STALL_S + (
                self.interval.value() / 1000 if not self.sweeps else 0
            ):
                self._stalled()
            return
        image, seq = got
        self._since = now
        self._last_seq = seq
        kept = newest_frame(self.source)
        self._take(kept if kept is not None and kept.seq == seq else Frame(image.copy(), seq))
        if len(self.frames) >= self.count.value():
            self.timer.stop()
            self.start_button.setEnabled(True)
            self._fuse()
        elif self.sweeps:
            self._step()

    def _take(self, frame: Frame) -> None:
        self.frames.append(frame)
        self.progress.setValue(len(self.frames))
        self.view.show_frame(frame.image)
        score = focus_score(frame.image)
        icon = QPixmap.fromImage(to_qimage(frame.image).copy()).scaledToHeight(72)
        entry = QListWidgetItem(
            QIcon(icon), self.tr("frame {0}: focus {1:.0f}").format(len(self.frames), score)
        )
        self.frame_list.addItem(entry)

    # ------------------------------------------------------------------ fusing and saving
    def _run(self, fn: Callable[[Job], Any], done: Callable[[Any], None], label: str) -> None:
        """A step of the stack on the work lane, its progress on this dialog's bar."""
        self.job = self.ctx.run_work(
            fn,
            lambda r: self._ended(done, r),
            self._failed,
            label=label,
            on_cancelled=self._cancelled,
        )
        self.cancel_button.setEnabled(True)

    def _ended(self, done: Callable[[Any], None], result: Any) -> None:
        self.job = None
        self.cancel_button.setEnabled(False)
        done(result)

    def _progress(self, job: Job, done: int, total: int) -> None:
        if job is self.job:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _fuse(self) -> None:
        frames = list(self.frames)
        self.summary.setText(self.tr("Aligning and fusing {0} frames…").format(len(frames)))
        self._watch_progress()
        self._run(
            lambda job: focus_stack(frames, step=job.step),
            self._fused,
            self.tr("Fusing a focus stack"),
        )

    def _watch_progress(self) -> None:
        lane = self.ctx.work or self.ctx.tasks
        if not getattr(self, "_watching", False):
            lane.job_progress.connect(self._progress)
            self._watching = True

    def _fused(self, result: StackResult) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.stack = result
        self.view.show_frame(result.image)
        fused = focus_score(result.image)
        best = max(focus_score(f.image) for f in self.frames)
        misaligned = sum(not f.aligned for f in result.frames)
        text = self.tr("Fused: focus {0:.0f} (sharpest frame {1:.0f}).").format(fused, best)
        if misaligned:
            text += " " + self.tr(
                "{0} frame(s) could not be aligned and were used as taken."
            ).format(misaligned)
        self.summary.setText(text)
        self.save_button.setEnabled(True)

    def save(self) -> None:
        result = self.stack
        if result is None or not self.save_button.isEnabled():
            return
        station, actor = self.ctx.station, self.ctx.actor
        frames: list[Any] = list(self.frames)
        ins, item, pos, caps, mag = (
            self.inspection_id,
            self.item_id,
            self.position,
            self.caps,
            self.magnification,
        )
        self.save_button.setEnabled(False)
        self.summary.setText(self.tr("Saving {0} frames and the fused image…").format(len(frames)))
        self._watch_progress()
        self._run(
            lambda job: microscope.capture_stack(
                station,
                actor,
                ins,
                frames,
                result,
                item,
                pos,
                camera=caps,
                magnification=mag,
                step=job.step,
            ),
            self._saved,
            self.tr("Saving a focus stack"),
        )

    def _saved(self, captured: microscope.Captured) -> None:
        self.stack_saved.emit(captured)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.job = None
        self.cancel_button.setEnabled(False)
        self.start_button.setEnabled(True)
        self.save_button.setEnabled(self.stack is not None)
        if is_known(exc) or isinstance(exc, ValueError):
            self.summary.setText(str(exc))
        else:
            self.ctx.errors.report(exc)
