"""Lists whose rows show their whole text, wrapped onto more lines, never cut with "…".

A checklist item's name is a sentence ("Prong intact, over the girdle, even in height and
shape, tip rounded"); cut to the list's width, every item read "Prong intact, over th…".
Rows here grow to the lines their text needs at the list's current width. A row that
starts with a state mark and two spaces ("✓  Prong 1: …") keeps the mark in a column of
its own, so wrapped lines hang under the text, not under the mark.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QListWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

Index = QModelIndex | QPersistentModelIndex
# The checklist's marks (ui/pages/checklist_marks.py): states, "…" while saving, and a
# state with "!" while a fail still needs its defect, photo or note.
MARKS = ("○", "✓", "✗", "–", "?", "…", "✓!", "✗!", "–!", "?!")
PAD_X, PAD_Y = 6, 3
WRAP = int(Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)


def split_mark(text: str) -> tuple[str, str]:
    """('✓', 'Prong 1: …') for a marked row; ('', text) for any other."""
    mark, sep, rest = text.partition("  ")
    if sep and mark in MARKS:
        return mark, rest
    return "", text


class WrappingDelegate(QStyledItemDelegate):
    """Paints a row's text wrapped to the list's width, with its mark apart."""

    def __init__(self, view: QAbstractItemView):
        super().__init__(view)
        self.view = view

    def mark_width(self, fm: QFontMetrics) -> int:
        return max(fm.horizontalAdvance(m) for m in MARKS) + 2 * PAD_X

    def text_rect(self, row: QRect, text: str, fm: QFontMetrics) -> tuple[QRect, str, str]:
        """Where the text goes in a row, and the row's mark and text apart."""
        mark, label = split_mark(text)
        left = self.mark_width(fm) if mark else PAD_X
        return row.adjusted(left, PAD_Y, -PAD_X, -PAD_Y), mark, label

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        fm = self.view.fontMetrics()
        text = str(index.data() or "")
        width = max(self.view.viewport().width(), 80)
        room, _mark, label = self.text_rect(QRect(0, 0, width, 100_000), text, fm)
        need = fm.boundingRect(QRect(0, 0, room.width(), 100_000), WRAP, label)
        return QSize(width, need.height() + 2 * PAD_Y)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else self.view.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        brush = index.data(Qt.ItemDataRole.ForegroundRole)
        if selected:
            colour = opt.palette.color(QPalette.ColorRole.HighlightedText)
        elif brush is not None:
            colour = brush.color() if hasattr(brush, "color") else brush
        else:
            colour = opt.palette.color(QPalette.ColorRole.Text)
        fm = QFontMetrics(opt.font)
        room, mark, label = self.text_rect(opt.rect, text, fm)
        painter.save()
        painter.setPen(colour)
        painter.setFont(opt.font)
        if mark:
            column = QRect(opt.rect.left(), room.top(), self.mark_width(fm), room.height())
            painter.drawText(
                column, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop), mark
            )
        painter.drawText(room, WRAP, label)
        painter.restore()


class WrappingList(QListWidget):
    """A QListWidget whose rows wrap (see the module's note); rows re-flow on resize."""

    def __init__(self, name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        if name:
            self.setObjectName(name)
        self.setItemDelegate(WrappingDelegate(self))
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)

    def minimumSizeHint(self) -> QSize:
        # narrow enough to sit in a column; each row wraps to what it is given
        return QSize(160, 70)

    def doItemsLayout(self) -> None:
        super().doItemsLayout()
        # rows took other heights: keep the current one in sight
        current = self.currentIndex()
        if current.isValid():
            self.scrollTo(current)
