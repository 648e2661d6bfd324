"""Small building blocks shared by the screens."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
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
    return table
