"""A station working offline sends its outbox by itself: every minute, and right after an
inspection is completed, one attempt on the work lane (a connect timeout can be 10 s, and
saves must not wait behind it; the attempt opens short transactions of its own). The
header says how things stand; the busy indicator shows the attempt and can cancel it
between records (what was delivered stays delivered, the rest waits for the next one).

A failure that lasts (the station key gone, a refusal that repeats) is said once, in a
message, and then stays in the header until it changes or sending works again: a message
box every minute would bury the bench. Every failure goes to the log."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel
from shiboken6 import isValid

from qcstation.config import Location
from qcstation.services import sync
from qcstation.services.sync import SyncResult
from qcstation.ui.context import UiContext

EVERY_MS = 60_000
log = logging.getLogger(__name__)


class OfflineSync(QObject):
    def __init__(self, ctx: UiContext, server: Location, note: QLabel, parent: QObject):
        super().__init__(parent)
        self.ctx, self.server, self.note = ctx, server, note
        self.busy = False
        self.last: SyncResult | None = None
        self.failing: str | None = None  # the failure said last, while it lasts
        self.timer = QTimer(self)
        self.timer.setInterval(EVERY_MS)
        self.timer.timeout.connect(self.attempt)
        ctx.events.inspection_completed.connect(lambda _id: self.attempt())
        self.note.setObjectName("connection-note")
        self.note.setText(self.tr("Offline: working on this station's copy"))
        self.timer.start()

    def attempt(self) -> None:
        user = self.ctx.user
        if self.busy or user is None:  # what arrives is signed by whoever is signed in
            return
        self.busy = True
        local, server = self.ctx.station, self.server
        self.ctx.run_work(
            lambda job: sync.try_sync(server, local, user, job.step),
            self._done,
            self._failed,
            label=self.tr("Sending to the plant server"),
            on_cancelled=self._cancelled,
        )

    def _cancelled(self) -> None:
        self.busy = False
        if isValid(self.note):
            self.note.setText(self.tr("Offline: sending cancelled; retrying every minute"))

    def _done(self, result: SyncResult | None) -> None:
        self.busy = False
        if not isValid(self.note):
            return  # the window closed while this attempt ran
        self.failing = None
        if result is None:
            waiting = self.tr("Offline: the plant server does not answer")
            self.note.setText(waiting)
            return
        self.last = result
        text = self.tr("Server reached: {0} inspection(s) sent, {1} waiting").format(
            result.sent + result.already, result.waiting
        )
        if result.refused:  # set aside with the reason: `qcstation sync --status` lists them
            text += self.tr("; {0} refused by the server (qcstation sync --status)").format(
                len(result.refused)
            )
        self.note.setText(text)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        log.warning("offline sync failed: %s", exc, exc_info=exc)
        if not isValid(self.note):
            return  # the window closed while this attempt ran
        self.note.setText(
            self.tr("Offline: sending failed ({0}); retrying every minute").format(exc)
        )
        said = f"{type(exc).__name__}: {exc}"
        if said != self.failing:
            self.failing = said
            self.ctx.errors.report(exc)
