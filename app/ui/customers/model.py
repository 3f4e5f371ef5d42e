"""The customer list as a Qt model over row tuples from ``search_customers``.

Rows arrive a page (``PAGE_SIZE``) at a time: ``fetchMore`` only *asks* for the next page
(``more_wanted``), the owner runs the query on the read lane and hands the page back with
``add_page``. Sorting is a new SQL query too (``sort_wanted``): a QSortFilterProxyModel
takes seconds at 200,000 rows (PERFORMANCE.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon

from app.domain.customers import mask_phone
from app.domain.followups import followup_due
from app.store.customers import LIST_COLUMNS, PAGE_SIZE, SearchPage
from app.ui import format as fmt
from app.ui.labels import stage_label, tier_label
from app.ui.widgets import icon, plain_tooltip

ID_ROLE = Qt.ItemDataRole.UserRole  # the customer's id, in every column
SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the raw value the column sorts by
DUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the follow-up column: a followups.Due, or None


def due_text(days_overdue: int) -> str:
    """ "Due today" / "Overdue 3 days" (the list and the profile say it alike)."""
    if days_overdue <= 0:
        return QCoreApplication.translate("CustomerListModel", "Follow-up due today")
    return QCoreApplication.translate("CustomerListModel", "Overdue {n} day(s)").format(
        n=days_overdue
    )


_AT = {name: i for i, name in enumerate(LIST_COLUMNS)}
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column:
    field: str  # a LIST_COLUMNS name
    title: str  # English source text, translated in the "CustomerListModel" context
    sort: str | None  # a key of app.store.customers.SORTS, or None: not sortable
    width: int


COLUMNS = (
    Column("name", QT_TRANSLATE_NOOP("CustomerListModel", "Name"), "name", 110),
    Column("phone", QT_TRANSLATE_NOOP("CustomerListModel", "Phone"), None, 128),
    Column("tier", QT_TRANSLATE_NOOP("CustomerListModel", "Tier"), "tier", 64),
    Column("stage", QT_TRANSLATE_NOOP("CustomerListModel", "Stage"), "stage", 92),
    Column("points", QT_TRANSLATE_NOOP("CustomerListModel", "Points"), "points", 84),
    Column(
        "last_purchase_at",
        QT_TRANSLATE_NOOP("CustomerListModel", "Last purchase"),
        "last_purchase",
        112,
    ),
    Column(
        "last_contact_at",
        QT_TRANSLATE_NOOP("CustomerListModel", "Last contact"),
        "last_contact",
        112,
    ),
    Column("birthday", QT_TRANSLATE_NOOP("CustomerListModel", "Birthday"), "birthday", 68),
    # The next follow-up: "Due today" / "Overdue 3 days" with a mark, or its date.
    Column("next_followup_on", QT_TRANSLATE_NOOP("CustomerListModel", "Follow-up"), None, 104),
    Column("tags", QT_TRANSLATE_NOOP("CustomerListModel", "Tags"), None, 160),
)
GUIDE_COLUMN = Column("guide_id", QT_TRANSLATE_NOOP("CustomerListModel", "Guide"), None, 90)


class CustomerListModel(QAbstractTableModel):
    """Rows of the customer list, ``LIST_COLUMNS`` order, loaded page by page."""

    more_wanted = Signal(int)  # offset of the next page
    sort_wanted = Signal(str, bool)  # SORTS key, descending

    def __init__(
        self,
        *,
        guide_names: dict[str, str] | None = None,
        page_size: int = PAGE_SIZE,
        parent: Any = None,
    ) -> None:
        """``guide_names`` (a manager's view) adds a guide column."""
        super().__init__(parent)
        self.page_size = page_size
        self._guide_names = guide_names
        self.columns = (*COLUMNS[:-1], GUIDE_COLUMN, COLUMNS[-1]) if guide_names else COLUMNS
        self._rows: list[tuple[Any, ...]] = []
        self.total = 0
        self.exact = True
        self._last_page_full = False
        self._loading = False
        self.today = date.today()  # the store's today, set by the owner (set_today)
        self.timezone: str | None = None  # the store's, for the day of a contact
        self._due_icon: QIcon | None = None

    def set_today(self, today: date, timezone: str | None = None) -> None:
        """The store's today (and zone), which say which follow-ups are due
        (app/domain/followups)."""
        self.today, self.timezone = today, timezone

    # -- filling -------------------------------------------------------------------------

    def set_page(self, page: SearchPage) -> None:
        """A new search: the first page replaces everything."""
        self.beginResetModel()
        self._rows = list(page.rows)
        self.total, self.exact = page.total, page.exact
        self._last_page_full = len(page.rows) >= self.page_size
        self._loading = False
        self.endResetModel()

    def add_page(self, offset: int, page: SearchPage) -> None:
        """The page ``fetchMore`` asked for; ignored if the list moved on meanwhile."""
        self._loading = False
        if offset != len(self._rows):
            return
        self._last_page_full = len(page.rows) >= self.page_size
        if page.exact:
            self.total = page.total
        if page.rows:
            self.beginInsertRows(QModelIndex(), offset, offset + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()

    def page_failed(self) -> None:
        self._loading = False

    def refresh_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """Fresh values for rows already shown (after the guide's own write)."""
        fresh = {r[0]: r for r in rows}
        for i, row in enumerate(self._rows):
            if row[0] in fresh:
                self._rows[i] = fresh[row[0]]
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))

    # -- reading -------------------------------------------------------------------------

    def customer_ids(self) -> list[str]:
        return [r[0] for r in self._rows]

    def customer_id(self, row: int) -> str | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    def row_of(self, customer_id: str) -> int:
        for i, row in enumerate(self._rows):
            if row[0] == customer_id:
                return i
        return -1

    # -- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        value = row[_AT[column.field]]
        if column.field == "next_followup_on":
            return self._followup_data(value, row[_AT["last_contact_at"]], role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(column.field, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            # A tooltip guesses rich text from its content like a label: names and tags
            # are data, so they are escaped into text Qt shows literally.
            return plain_tooltip(self._tooltip(column.field, value, row))
        if role == ID_ROLE:
            return row[0]
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and column.field == "points":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _followup_data(self, value: Any, last_contact_at: str | None, role: int) -> Any:
        """The follow-up column: a due one says so in words and with a mark (not colour
        alone); a later one shows its date, one already followed up shows nothing."""
        due = followup_due(
            value, self.today, last_contact_at=last_contact_at, timezone=self.timezone
        )
        if role == Qt.ItemDataRole.DisplayRole:
            if due is None:
                later = value and str(value)[:10] > self.today.isoformat()
                return fmt.month_day(value) if later else ""
            return due_text(due.days_overdue)
        if role == Qt.ItemDataRole.DecorationRole and due is not None:
            if self._due_icon is None:
                self._due_icon = icon("due")
            return self._due_icon
        if role == Qt.ItemDataRole.ForegroundRole and due is not None and due.days_overdue:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.ToolTipRole and value:
            return QCoreApplication.translate("CustomerListModel", "Next follow-up: {day}").format(
                day=value
            )
        if role == DUE_ROLE:
            return due
        if role == SORT_ROLE:
            return value
        return None

    def _display(self, field: str, value: Any) -> str:
        if field == "phone":
            return mask_phone(value or "")
        if field == "tier":
            return tier_label(value)
        if field == "stage":
            return stage_label(value)
        if field in ("last_purchase_at", "last_contact_at"):
            return fmt.day(value)
        if field == "birthday":
            return fmt.month_day(value)
        if field == "tags":
            return fmt.join_tags(value)
        if field == "guide_id":
            return (self._guide_names or {}).get(value, value or "")
        if field == "points":
            return f"{value:,}" if value is not None else ""
        return "" if value is None else str(value)

    def _tooltip(self, field: str, value: Any, row: tuple[Any, ...]) -> str | None:
        if field == "tags":
            return "\n".join(fmt.tags(value)) or None
        if field in ("last_purchase_at", "last_contact_at"):
            return fmt.day_time(value) or None
        if field == "birthday":
            return value or None
        if field == "name":
            return f"{row[_AT['name']]}  {mask_phone(row[_AT['phone']] or '')}"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("CustomerListModel", self.columns[section].title)
        if role == Qt.ItemDataRole.ToolTipRole and self.columns[section].sort is None:
            return QCoreApplication.translate("CustomerListModel", "Not sortable")
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def canFetchMore(self, parent: _Index) -> bool:
        if parent.isValid() or self._loading:
            return False
        if self.exact:
            return len(self._rows) < self.total
        return self._last_page_full

    def fetchMore(self, parent: _Index) -> None:
        if self.canFetchMore(parent):
            self._loading = True
            self.more_wanted.emit(len(self._rows))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column].sort if 0 <= column < len(self.columns) else None
        descending = key is None or order == Qt.SortOrder.DescendingOrder
        self.sort_wanted.emit(key or "recency", descending)
