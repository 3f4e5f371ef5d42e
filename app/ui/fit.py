"""Fitting the workbench to the screen it is on: small counter terminals (1024×768),
laptops at 125–150 % scaling, big monitors, in Chinese and in English.

- ``FlowLayout``: a row of widgets that wraps onto a second row when it runs out of width
  (the customer book's filters).
- ``fit_combo``: a combo box as wide as its longest entry, whose open list shows every entry
  whole, rows a finger can hit.
- ``fit_columns``: table columns at least as wide as their header's title (no "Last p…").
- ``place_window`` / ``save_window``: a window opens inside the screen's available area and
  where it was last time (clamped to the screen it is on now).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QLayout,
    QLayoutItem,
    QStyledItemDelegate,
    QTableView,
    QWidget,
    QWidgetItem,
)

SETTINGS_FILE = "window.ini"  # beside the terminal's database, in its data folder


class FlowLayout(QLayout):
    """Lays its items out left to right, starting a new row when the next does not fit."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 8) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def add(self, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        # One row: the width all items want side by side.
        shown = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in shown) + self._spacing * max(len(shown) - 1, 0)
        height = max((i.sizeHint().height() for i in shown), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        # As narrow as the widest item: the rest wraps.
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize().expandedTo(item.sizeHint()))
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            if x > area.x() and x + hint.width() > area.right() + 1:
                x, y = area.x(), y + row_height + self._spacing
                row_height = 0
            if move:
                width = min(hint.width(), area.width())
                item.setGeometry(QRect(QPoint(x, y), QSize(width, hint.height())))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + m.bottom()


class _EntryDelegate(QStyledItemDelegate):
    """Rows of an open combo box list styled by the style sheet (``::item`` padding and
    height): the default menu delegate ignores it."""


def fit_combo(box: QComboBox, *, min_chars: int = 4) -> None:
    """As wide as its longest entry (also after ``set_choices``), the open list as wide as
    needed, entries in rows tall enough to touch."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    box.setMinimumContentsLength(min_chars)
    box.setItemDelegate(_EntryDelegate(box))
    box.setMaxVisibleItems(max(box.maxVisibleItems(), 12))
    box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
    model = box.model()
    for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.dataChanged):
        signal.connect(lambda *_a, b=box: _fit_list(b))
    _fit_list(box)


def _fit_list(box: QComboBox) -> None:
    view = box.view()
    widest = max(
        (
            view.sizeHintForIndex(box.model().index(i, box.modelColumn())).width()
            for i in range(box.count())
        ),
        default=0,
    )
    scroll = (
        view.verticalScrollBar().sizeHint().width() if box.count() > box.maxVisibleItems() else 0
    )
    view.setMinimumWidth(widest + scroll + 2 * view.frameWidth() + 4)


def fit_columns(table: QTableView, widths: Iterable[int] | None = None) -> None:
    """Each column at least as wide as its header title needs (and ``widths``, the design's
    widths, where given): nothing of a title is cut off; a wide table scrolls instead."""
    header = table.horizontalHeader()
    wanted = (
        list(widths)
        if widths is not None
        else [header.sectionSize(i) for i in range(header.count())]
    )
    for i in range(header.count()):
        base = wanted[i] if i < len(wanted) else header.sectionSize(i)
        table.setColumnWidth(i, max(base, header.sectionSizeHint(i)))


# -- the window's place -------------------------------------------------------------------


def _settings(folder: Path) -> QSettings:
    return QSettings(str(folder / SETTINGS_FILE), QSettings.Format.IniFormat)


def available_area(window: QWidget) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 768)


def clamp(rect: QRect, area: QRect) -> QRect:
    """``rect`` moved and shrunk to lie inside ``area``."""
    size = rect.size().boundedTo(area.size())
    x = min(max(rect.x(), area.left()), area.right() + 1 - size.width())
    y = min(max(rect.y(), area.top()), area.bottom() + 1 - size.height())
    return QRect(QPoint(x, y), size)


def place_window(window: QWidget, folder: Path | None, key: str, wanted: QSize) -> None:
    """Open ``window`` where it was last time, else ``wanted`` big and centred — always
    inside the available area of its screen (a 1024×768 terminal gets a window that fits)."""
    area = available_area(window)
    saved = _settings(folder).value(f"{key}/geometry") if folder is not None else None
    if isinstance(saved, QByteArray | bytes) and window.restoreGeometry(QByteArray(saved)):
        frame = window.geometry()
        fitted = clamp(frame, area)
        if fitted != frame:
            window.setGeometry(fitted)
        return
    size = wanted.boundedTo(area.size())
    rect = QRect(QPoint(0, 0), size)
    rect.moveCenter(area.center())
    window.setGeometry(clamp(rect, area))


def save_window(window: QWidget, folder: Path | None, key: str) -> None:
    if folder is None:
        return
    settings = _settings(folder)
    settings.setValue(f"{key}/geometry", window.saveGeometry())
    settings.sync()


def keep_frame_inside(window: QWidget) -> None:
    """Once shown (its frame known): move and shrink ``window`` so that its title bar and
    borders are on the screen too."""
    area = available_area(window)
    frame = window.frameGeometry()
    if area.contains(frame):
        return
    extra = frame.size() - window.size()
    fitted = clamp(frame, area)
    window.resize(fitted.size() - extra)
    window.move(fitted.topLeft())
