"""The thumbnails under the camera: the newest captures of one inspection by one person.

The strip belongs to an :class:`EvidenceOwner` (the open inspection and the signed-in user).
Showing it for another owner empties it first, and a thumbnail offered for an owner that is
no longer the strip's is dropped: a capture that was still saving when the inspector signed
out, locked the bench or opened the next piece never appears under someone else's work.
Clicking a thumbnail opens the measuring editor on it; Ctrl+M opens :meth:`newest`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from qcstation.ui.image_view import to_qimage

SHOWN = 6  # thumbnails kept in view; the record holds them all


@dataclass(frozen=True)
class EvidenceOwner:
    inspection_id: str
    user_id: int


@dataclass(frozen=True)
class StoredCapture:
    """A capture the record now holds (Events.evidence_captured): whose, what, how taken."""

    owner: EvidenceOwner
    evidence_id: int
    item_id: str | None
    position: int | None
    image: np.ndarray  # a thumbnail-sized copy
    frozen: bool = False
    frame_seq: int | None = None


class EvidenceStrip(QWidget):
    evidence_opened = Signal(int)  # a thumbnail was clicked: its evidence id

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("evidence-strip")
        self.owner: EvidenceOwner | None = None
        self.shown: list[int] = []  # evidence ids, newest first
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addStretch(1)

    def show_for(self, owner: EvidenceOwner | None) -> None:
        """Belong to ``owner`` from now on; another owner's thumbnails go at once."""
        if owner != self.owner:
            self.clear()
            self.owner = owner

    def clear(self) -> None:
        self.owner = None
        self.shown = []
        while self._row.count() > 1:
            taken = self._row.takeAt(0)
            _discard(taken.widget() if taken is not None else None)

    def newest(self) -> int | None:
        return self.shown[0] if self.shown else None

    def add(
        self, owner: EvidenceOwner, evidence_id: int, image: np.ndarray, label: str = ""
    ) -> bool:
        """Show a stored capture in its place (newest first), if it is this owner's; False
        when it was dropped (another owner's, already shown, or older than all shown)."""
        if owner != self.owner or evidence_id in self.shown:
            return False
        at = sum(1 for shown in self.shown if shown > evidence_id)  # ids grow with time
        if at >= SHOWN:
            return False
        thumb = QToolButton()
        thumb.setObjectName("evidence-thumbnail")
        thumb.setProperty("evidence_id", evidence_id)
        pixmap = QPixmap.fromImage(to_qimage(np.ascontiguousarray(image)).copy())
        pixmap = pixmap.scaledToHeight(64)
        thumb.setIcon(QIcon(pixmap))
        thumb.setIconSize(pixmap.size())
        thumb.setAutoRaise(True)
        lead = f"{label}: " if label else ""
        thumb.setToolTip(lead + self.tr("measure and annotate (Ctrl+M: the newest)"))
        thumb.clicked.connect(lambda: self.evidence_opened.emit(evidence_id))
        self._row.insertWidget(at, thumb)
        self.shown.insert(at, evidence_id)
        while len(self.shown) > SHOWN:
            self.shown.pop()
            taken = self._row.takeAt(self._row.count() - 2)
            _discard(taken.widget() if taken is not None else None)
        return True

    def thumbnails(self) -> list[QToolButton]:
        found = [self._row.itemAt(i).widget() for i in range(self._row.count())]  # type: ignore[union-attr]
        return [w for w in found if isinstance(w, QToolButton)]


def _discard(widget: QWidget | None) -> None:
    if widget is not None:
        widget.hide()  # out of the layout it would still paint where it was until deleted
        widget.deleteLater()
