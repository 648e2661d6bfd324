"""Qt table models: thin adapters over lists of plain data the services return."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from qcstation.domain.summaries import InspectionSummary, SearchFilter, TemplateInfo
from qcstation.domain.users import User

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], Any]]


class ListModel(QAbstractTableModel, Generic[T]):
    """Rows of plain objects; each column a title and a function of the row."""

    columns: ClassVar[Sequence[Column]] = ()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, index: Index) -> T | None:
        return self.rows[index.row()] if index.isValid() and index.row() < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        value = self.columns[index.column()][1](self.rows[index.row()])
        return "" if value is None else str(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("columns", self.columns[section][0])
        return None


def _verdict(r: InspectionSummary) -> str:
    return r.shown_verdict  # settled by the review: ACCEPTED ON REVIEW, as everywhere


INSPECTION_COLUMNS: list[Column] = [
    ("Started", lambda r: f"{r.started_at.astimezone():%Y-%m-%d %H:%M}"),
    ("Stage", lambda r: r.stage.label),
    ("Job", lambda r: r.job_ticket),
    ("SKU", lambda r: r.sku),
    ("Serial", lambda r: r.serial),
    ("Verdict", _verdict),
    ("Checklist", lambda r: f"{r.template_key} v{r.template_version}"),
    ("Inspector", lambda r: r.inspector),
    ("Station", lambda r: r.station),
]


class InspectionsModel(ListModel[InspectionSummary]):
    columns = INSPECTION_COLUMNS


class HistoryModel(InspectionsModel):
    """Fetches pages lazily as the view scrolls, so a million inspections cost one page."""

    PAGE = 200
    loading_changed = Signal(bool)

    def __init__(
        self,
        fetch: Callable[[SearchFilter, Callable[[list[InspectionSummary]], None]], None],
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self._fetch = fetch
        self.filter = SearchFilter(limit=self.PAGE)
        self._more = False
        self._loading = False
        # Each search is a generation: a page of an older one that arrives late is dropped,
        # never appended to the rows of the newer search.
        self.generation = 0

    def search(self, f: SearchFilter) -> None:
        self.generation += 1
        self.filter = replace(f, limit=self.PAGE, offset=0, after=None)
        self.set_rows([])
        self._more = True
        self._load()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._load()

    def _load(self) -> None:
        last = self.rows[-1] if self.rows else None
        f = replace(self.filter, after=(last.started_at, last.id) if last else None)
        self._loading = True
        self.loading_changed.emit(True)
        generation = self.generation
        self._fetch(f, lambda page: self._arrived(page, generation))

    def _arrived(self, page: list[InspectionSummary], generation: int) -> None:
        if generation != self.generation:
            return
        self._more = len(page) == self.PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()
        self._loading = False
        self.loading_changed.emit(False)

    @property
    def complete(self) -> bool:
        return not self._more


class TemplatesModel(ListModel[TemplateInfo]):
    columns: ClassVar[Sequence[Column]] = [
        ("Stage", lambda t: t.stage.label),
        ("Template", lambda t: t.template_key),
        ("Version", lambda t: t.version),
        ("Active", lambda t: "active" if t.active else ""),
        ("Used by", lambda t: t.inspections),
        ("Name", lambda t: t.name),
        ("Imported", lambda t: f"{t.imported_at.astimezone():%Y-%m-%d}"),
    ]


class UsersModel(ListModel[User]):
    columns: ClassVar[Sequence[Column]] = [
        ("User", lambda u: u.username),
        ("Name", lambda u: u.full_name),
        ("Role", lambda u: u.role.value),
        ("Active", lambda u: "yes" if u.active else "disabled"),
    ]
