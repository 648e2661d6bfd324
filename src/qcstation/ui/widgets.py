"""Small building blocks shared by the screens."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)


def title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("page-title")
    return label


def muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


def centre_card(owner: QWidget, card: QWidget, width: int = 460) -> None:
    """A form card in the middle of owner (sign-in, lock), one fixed width.

    Centred by stretches, not by an alignment flag: an aligned widget gets the height of
    its size hint, too low once a line in it wraps, and its fields were drawn over each
    other.
    """
    card.setFixedWidth(width)
    middle = QHBoxLayout()
    middle.addStretch(1)
    middle.addWidget(card)
    middle.addStretch(1)
    outer = QVBoxLayout(owner)
    outer.addStretch(1)
    outer.addLayout(middle)
    outer.addStretch(2)


def button(text: str, key: str | None = None, name: str | None = None) -> QPushButton:
    """A big button; with a key, the key is shown on it and works where the button is."""
    b = QPushButton(f"{text}  [{key}]" if key else text)
    if name:
        b.setObjectName(name)
    if key:
        b.setToolTip(key)
    b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return b


def shortcut(parent: QWidget, key: str | QKeySequence, slot: object) -> QShortcut:
    sc = QShortcut(QKeySequence(key), parent)
    sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    sc.activated.connect(slot)
    return sc


class VerticalScroll(QScrollArea):
    """Content that scrolls up and down when the screen is too low for it, never sideways.

    On a short screen a form scrolls instead of being drawn over itself; it is as wide as
    its content needs, so nothing is cut at the side.
    """

    def __init__(self, content: QWidget, name: str = ""):
        super().__init__()
        if name:
            self.setObjectName(name)
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit_content)
        content.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        """The field that takes the keyboard scrolls into sight (Qt does so only for Tab)."""
        content = self.widget()
        if new is not None and content is not None and content.isAncestorOf(new):
            self.ensureWidgetVisible(new)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._refit.start()
        return super().eventFilter(watched, event)

    def _fit_content(self) -> None:
        """The content's needs changed (another item, longer text): give it the height its
        wrapped text takes at this width, and tell our parent what we need now."""
        self.setWidgetResizable(True)  # Qt sizes the content again only on a resize
        self.updateGeometry()

    def _room(self, inner: QSize) -> QSize:
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(inner.width() + bar + 2 * self.frameWidth(), inner.height())

    def minimumSizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().minimumSizeHint()
        least = self._room(content.minimumSizeHint())
        return QSize(least.width(), min(least.height(), 120))

    def sizeHint(self) -> QSize:
        content = self.widget()
        if content is None:
            return super().sizeHint()
        hint = content.sizeHint()
        if content.hasHeightForWidth():  # wrapped text: as high as it is at this width
            hint.setHeight(max(content.heightForWidth(self.viewport().width()), 0))
        return self._room(hint)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # wrapped text takes other heights at another width


def record_table(
    name: str,
    model: QAbstractItemModel,
    selection: QAbstractItemView.SelectionMode = QAbstractItemView.SelectionMode.SingleSelection,
) -> QTableView:
    """A list of records: whole rows selected, columns sized to their contents, the last
    one stretched, no row numbers."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(selection)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    _ColumnFitter(table)
    return table


class _ColumnFitter(QObject):
    """Keeps a record table's columns as wide as their contents.

    Two things Qt does not do alone: the header fits its columns when the columns change,
    not when rows arrive (a table filled after it was laid out, like the history's first
    page from the worker, kept columns as wide as their titles: "2026-…"); and a stretched
    last column is cut to the room left ("Finished weight off on ER-…"). The last column
    stretches only while everything fits; otherwise the table scrolls sideways.
    """

    def __init__(self, table: QTableView):
        super().__init__(table)
        self.table = table
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        model = table.model()
        for changed in (
            model.rowsInserted,
            model.modelReset,
            model.layoutChanged,
            model.dataChanged,
        ):
            changed.connect(self.later)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.later()
        return False

    def later(self, *_args: object) -> None:
        self._timer.start()

    def fit(self) -> None:
        table, header = self.table, self.table.horizontalHeader()
        header.doItemsLayout()
        shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        need = sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in shown)
        fits = need <= table.viewport().width()
        if header.stretchLastSection() != fits:
            header.setStretchLastSection(fits)
