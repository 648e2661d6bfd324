"""The row of capture thumbnails under the camera, on a shelf that scrolls sideways.

Six 64-pixel thumbnails side by side are wider than a 1280-pixel screen leaves the camera
beside the checklist; on the shelf they scroll instead of widening the panel. The shelf
is hidden while the row is empty, so the live picture keeps that height until the
first capture.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QToolButton, QWidget

THUMB_HEIGHT = 64  # pixels


class ThumbnailShelf(QScrollArea):
    def __init__(self, row: QWidget):
        super().__init__()
        self.setObjectName("thumbnail-shelf")
        self.setWidget(row)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        sample = QToolButton()  # as high as a thumbnail, with room for the scroll bar
        sample.setAutoRaise(True)
        sample.setIconSize(QSize(THUMB_HEIGHT, THUMB_HEIGHT))
        self.setFixedHeight(
            sample.sizeHint().height() + self.horizontalScrollBar().sizeHint().height()
        )
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(0)
        self._recount.timeout.connect(self._show_if_filled)
        row.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.ChildAdded, QEvent.Type.ChildRemoved):
            self._recount.start()  # a thumbnail came or went: shown only with some
        return super().eventFilter(watched, event)

    def _show_if_filled(self) -> None:
        row = self.widget()
        self.setVisible(
            row is not None
            and bool(row.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly))
        )
