"""What a screenshot shows wrong, found by walking the widget tree instead of by eye.

A window that does not fit its screen does not fail loudly: Qt squeezes widgets below
their minimum size, draws siblings over each other and cuts text at the edge. ``problems``
lists each such place (two siblings drawn over each other, a widget sticking out of its
parent, a label or button narrower than its text, a table column narrower than its
contents), so a test can demand none at 1280x800 and a person can read where to look.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QHeaderView,
    QLabel,
    QListView,
    QSizePolicy,
    QTableView,
    QWidget,
)

# Widgets drawn over others on purpose, by objectName; none so far (the camera's "lost" and
# "frozen" banners are painted inside the picture, not laid over it).
OVERLAYS: frozenset[str] = frozenset()

ITEM_MARGIN = 4  # the style's text margin on each side of a list row
WRAP = int(Qt.TextFlag.TextWordWrap)

# Qt's own parts of a scroll area: the viewport shares its parent with the scroll bars'
# containers and the corner, and they are placed by the scroll area, not by a layout.
_QT_PARTS = ("qt_scrollarea_viewport", "qt_scrollarea_hcontainer", "qt_scrollarea_vcontainer")


@dataclass(frozen=True)
class Problem:
    kind: str  # overlap, outside, squeezed, cut text, narrow column
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"


def name_of(w: QWidget) -> str:
    """'QPushButton#capture-button "Capture  [Space]"': enough to find it in the code."""
    text = ""
    if isinstance(w, (QLabel, QAbstractButton)) and w.text():
        shown = w.text().replace("\n", " ")
        text = f' "{shown[:40]}{"…" if len(shown) > 40 else ""}"'
    name = f"#{w.objectName()}" if w.objectName() else ""
    return f"{type(w).__name__}{name}{text}"


def path_of(w: QWidget) -> str:
    parts = []
    node: QWidget | None = w
    while node is not None and not node.isWindow():
        if node.objectName() or node is w:
            parts.append(name_of(node))
        node = node.parentWidget()
    return " < ".join(parts)


def shown_children(w: QWidget) -> list[QWidget]:
    return [
        c
        for c in w.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if c.isVisible() and not c.isWindow() and c.width() > 0 and c.height() > 0
    ]


def walk(root: QWidget) -> Iterator[QWidget]:
    """Every widget shown in root (root included), parents before children."""
    yield root
    for c in shown_children(root):
        yield from walk(c)


def _scrolls_its_children(w: QWidget) -> bool:
    """A scroll area's viewport: what is inside may be larger and is scrolled, not cut."""
    parent = w.parentWidget()
    return isinstance(parent, QAbstractScrollArea) and parent.viewport() is w


def _overlaps(parent: QWidget) -> list[Problem]:
    found = []
    kids = [
        c
        for c in shown_children(parent)
        if c.objectName() not in OVERLAYS and c.objectName() not in _QT_PARTS
    ]
    for i, a in enumerate(kids):
        for b in kids[i + 1 :]:
            common = a.geometry().intersected(b.geometry())
            if common.width() > 0 and common.height() > 0:
                found.append(
                    Problem(
                        "overlap",
                        path_of(a),
                        f"drawn over {name_of(b)} by {common.width()}x{common.height()} px",
                    )
                )
    return found


def _outside(parent: QWidget) -> list[Problem]:
    if _scrolls_its_children(parent):
        return []
    inside = parent.rect()
    found = []
    for c in shown_children(parent):
        if c.objectName() in _QT_PARTS:
            continue
        g = c.geometry()
        if not inside.contains(g):
            found.append(
                Problem(
                    "outside", path_of(c), f"{_rect(g)} sticks out of its parent {_rect(inside)}"
                )
            )
    return found


def _rect(r: QRect) -> str:
    return f"{r.width()}x{r.height()}+{r.x()}+{r.y()}"


def _squeezed(w: QWidget) -> list[Problem]:
    """Narrower or lower than its minimum: a layout had too little room for it."""
    if isinstance(w, (QLabel, QHeaderView)) or _scrolls_its_children(w.parentWidget() or w):
        return []  # labels are checked by their text; headers belong to their views
    policy = w.sizePolicy()
    hint = w.minimumSizeHint()
    short = []
    if (
        hint.width() > 0
        and w.width() < hint.width()
        and policy.horizontalPolicy() is not QSizePolicy.Policy.Ignored
        and w.minimumWidth() == 0
    ):
        short.append(f"{w.width()} px wide, needs {hint.width()}")
    if (
        hint.height() > 0
        and w.height() < hint.height()
        and policy.verticalPolicy() is not QSizePolicy.Policy.Ignored
        and w.minimumHeight() == 0
    ):
        short.append(f"{w.height()} px high, needs {hint.height()}")
    return [Problem("squeezed", path_of(w), "; ".join(short))] if short else []


def label_text_width(label: QLabel) -> int:
    """The width the label's text needs on one line (rich text measured as laid out)."""
    text = label.text()
    if label.textFormat().name == "RichText" or (
        label.textFormat().name == "AutoText" and _looks_rich(text)
    ):
        doc = QTextDocument()
        doc.setDefaultFont(label.font())
        doc.setDocumentMargin(0)
        doc.setHtml(text)
        return int(doc.idealWidth() + 0.999)
    fm = label.fontMetrics()
    return max(fm.horizontalAdvance(line) for line in text.split("\n"))


def _looks_rich(text: str) -> bool:
    return bool(QtGui.Qt.mightBeRichText(text))


def _cut_text(w: QWidget) -> list[Problem]:
    if isinstance(w, QLabel) and w.text() and w.pixmap().isNull():
        room = w.contentsRect().width() - 2 * w.margin() - max(w.indent(), 0)
        if w.wordWrap():
            need = w.heightForWidth(w.width())
            if need > w.height():
                return [
                    Problem(
                        "cut text",
                        path_of(w),
                        f"wrapped text needs {need} px of height, has {w.height()}",
                    )
                ]
            return []
        need = label_text_width(w)
        if need > room:
            return [Problem("cut text", path_of(w), f"text needs {need} px, has {room}")]
    if isinstance(w, QAbstractButton) and w.text():
        need = w.sizeHint().width()
        if need > w.width():
            return [Problem("cut text", path_of(w), f"button needs {need} px, has {w.width()}")]
    return []


def _narrow_columns(table: QTableView) -> list[Problem]:
    """A column narrower than its widest shown cell or its title ('2026-…')."""
    model = table.model()
    header = table.horizontalHeader()
    if model is None or not header.isVisible():
        return []
    found = []
    for c in range(model.columnCount()):
        if table.isColumnHidden(c):
            continue
        need = max(table.sizeHintForColumn(c), header.sectionSizeHint(c))
        has = header.sectionSize(c)
        if has < need:
            title = model.headerData(c, header.orientation())
            found.append(
                Problem(
                    "narrow column",
                    path_of(table),
                    f"column {c} ({title}) is {has} px, its contents need {need}",
                )
            )
    return found


def problems(root: QWidget) -> list[Problem]:
    """Everything drawn wrong in root as it is laid out now."""
    found: list[Problem] = []
    for w in walk(root):
        found += _overlaps(w)
        found += _outside(w)
        found += _squeezed(w)
        found += _cut_text(w)
        if isinstance(w, QTableView):
            found += _narrow_columns(w)
        elif isinstance(w, QListView) and w.isVisible():
            found += [Problem("cut row", path_of(w), repr(text)) for text in elided_rows(w)]
    return found


def elided_rows(view: QAbstractItemView) -> list[str]:
    """Rows of a list whose text does not fit the room its row gives it (cut or "…")."""
    model = view.model()
    if model is None:
        return []
    fm = view.fontMetrics()
    delegate = view.itemDelegate()
    cut = []
    for r in range(model.rowCount()):
        index = model.index(r, 0)
        text = str(index.data() or "")
        rect = view.visualRect(index)
        if rect.isEmpty() or not text:
            continue
        text_rect = getattr(delegate, "text_rect", None)
        if text_rect is not None:  # a wrapping list: the text must fit its lines
            room, _mark, label = text_rect(rect, text, fm)
            need = fm.boundingRect(QRect(0, 0, room.width(), 100_000), WRAP, label)
            if need.height() > room.height() or need.width() > room.width():
                cut.append(text)
        elif fm.horizontalAdvance(text) > rect.width() - 2 * ITEM_MARGIN:
            cut.append(text)
    return cut
