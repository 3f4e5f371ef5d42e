"""Qt models of the Today view: the task tree (groups → tasks) and a task's customers.

Both are filled from one read-lane answer each (``set_groups`` / ``set_rows``); they
never query. Groups are HQ campaigns (tasks without one share a group) and, last, the
guide's personal tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractItemModel,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from app.domain.personal_tasks import PersonalTask
from app.store.tasks import TargetRow, TaskSummary
from app.ui import format as fmt
from app.ui.tasks.labels import OUTCOMES, STATUSES, task_label
from app.ui.widgets import plain_tooltip

KEY_ROLE = Qt.ItemDataRole.UserRole  # a task's key / a target's customer id
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1  # (done, total)
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 2

OVERDUE_COLOUR = QColor("#c0392b")
MUTED_COLOUR = QColor("#7f8c8d")  # a target not to be worked: opted out of marketing
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def _t(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


@dataclass(frozen=True, slots=True)
class TaskItem:
    """One row under a group: an HQ task, or one kind of personal task."""

    key: str  # the HQ task id, or 'personal/<kind>'
    title: str
    due_on: str | None
    done: int
    total: int
    overdue: bool
    summary: TaskSummary | None = None
    personal: tuple[PersonalTask, ...] = ()

    @property
    def is_personal(self) -> bool:
        return self.summary is None


@dataclass(frozen=True, slots=True)
class TaskGroup:
    key: str
    title: str
    items: tuple[TaskItem, ...] = field(default_factory=tuple)


TASK_HEADERS = (
    QT_TRANSLATE_NOOP("TaskListModel", "Task"),
    QT_TRANSLATE_NOOP("TaskListModel", "Progress"),
    QT_TRANSLATE_NOOP("TaskListModel", "Due"),
)


class TaskListModel(QAbstractItemModel):
    """Two levels: groups (internal id 0) and their tasks (internal id = group row + 1)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.groups: list[TaskGroup] = []
        self.today = date.today()

    def set_groups(self, groups: list[TaskGroup], today: date) -> None:
        self.beginResetModel()
        self.groups, self.today = groups, today
        self.endResetModel()

    # -- structure ---------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: _Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: _Index = _ROOT) -> int:
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self.groups[parent.row()].items)
        return 0

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return len(TASK_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(TASK_HEADERS)
        ):
            return _t("TaskListModel", TASK_HEADERS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- data --------------------------------------------------------------------------

    def item(self, index: _Index) -> TaskItem | None:
        if not index.isValid() or index.internalId() == 0:
            return None
        group = self.groups[index.internalId() - 1]
        return group.items[index.row()] if index.row() < len(group.items) else None

    def index_of(self, key: str) -> QModelIndex:
        for g, group in enumerate(self.groups):
            for r, item in enumerate(group.items):
                if item.key == key:
                    return self.index(r, 0, self.index(g, 0))
        return QModelIndex()

    def first_task(self) -> QModelIndex:
        for g, group in enumerate(self.groups):
            if group.items:
                return self.index(0, 0, self.index(g, 0))
        return QModelIndex()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        column = index.column()
        if index.internalId() == 0:
            group = self.groups[index.row()]
            done = sum(i.done for i in group.items)
            total = sum(i.total for i in group.items)
            if role == Qt.ItemDataRole.DisplayRole:
                if column == 0:
                    return group.title
                if column == 1:
                    return f"{done}/{total}"
                return None
            if role == KEY_ROLE:
                return group.key
            if role == PROGRESS_ROLE and column == 1:
                return (done, total)
            if role == Qt.ItemDataRole.ToolTipRole and column == 0:
                return plain_tooltip(group.title)
            return None
        item = self.item(index)
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return item.title
            if column == 1:
                return f"{item.done}/{item.total}"
            if item.due_on:
                if item.overdue:
                    return QCoreApplication.translate("TaskListModel", "overdue {day}").format(
                        day=item.due_on[5:]
                    )
                return QCoreApplication.translate("TaskListModel", "by {day}").format(
                    day=item.due_on[5:]
                )
            return None
        if role == KEY_ROLE:
            return item.key
        if role == PROGRESS_ROLE and column == 1:
            return (item.done, item.total)
        if role == OVERDUE_ROLE:
            return item.overdue
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and item.overdue:
            return QBrush(OVERDUE_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            text = item.title
            if item.summary and item.summary.description:
                text += "\n" + item.summary.description
            return plain_tooltip(text)
        return None


TARGET_HEADERS = (
    QT_TRANSLATE_NOOP("TargetListModel", "Customer"),
    QT_TRANSLATE_NOOP("TargetListModel", "Phone"),
    QT_TRANSLATE_NOOP("TargetListModel", "Status"),
    QT_TRANSLATE_NOOP("TargetListModel", "Last contact"),
)
TARGET_WIDTHS = (72, 116, 96, 72)


class TargetListModel(QAbstractTableModel):
    """The customers of the selected task (``TargetRow`` each)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[TargetRow] = []

    def set_rows(self, rows: list[TargetRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(TARGET_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(TARGET_HEADERS)
        ):
            return _t("TargetListModel", TARGET_HEADERS[section])
        return None

    def row(self, row: int) -> TargetRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, customer_id: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.customer_id == customer_id), -1)

    def _status(self, r: TargetRow) -> str:
        if r.no_marketing and r.status == "open":
            return QCoreApplication.translate("TargetListModel", "Opted out")
        status = task_label(STATUSES, r.status)
        if r.outcome and r.status != "rejected":
            return f"{status} · {task_label(OUTCOMES, r.outcome)}"
        return status

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return r.name
            if column == 1:
                return r.phone
            if column == 2:
                return r.detail or self._status(r)
            return fmt.day(r.last_contact_at)
        if role == KEY_ROLE:
            return r.customer_id
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and r.status == "rejected":
            return QBrush(OVERDUE_COLOUR)
        if role == Qt.ItemDataRole.ForegroundRole and column == 2 and r.no_marketing:
            return QBrush(MUTED_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2 and r.no_marketing and r.status == "open":
                why = r.opt_out_reason or QCoreApplication.translate(
                    "TargetListModel", "no reason given"
                )
                return plain_tooltip(
                    QCoreApplication.translate(
                        "TargetListModel",
                        "Opted out of marketing after this task was published ({why}): "
                        "do not contact them for it.",
                    ).format(why=why)
                )
            if r.status == "rejected" and r.review_comment:
                return plain_tooltip(
                    QCoreApplication.translate(
                        "TargetListModel", "Manager's comment: {comment}"
                    ).format(comment=r.review_comment)
                )
            if column == 0:
                return plain_tooltip(r.name)
        return None
