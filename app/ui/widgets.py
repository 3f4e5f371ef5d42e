"""Small widgets shared by the views.

Text that came from data (a customer's name or note, a guide's name, HQ's reasons) is
shown only through ``plain_label`` and ``plain_tooltip``: a QLabel or a tooltip otherwise
*guesses* rich text from the content, and an edit made on one terminal would render as
markup (big coloured fake text, pictures, links) on every other.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from resources.paths import icon_path


def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons (sharp at any scale)."""
    return QIcon(str(icon_path(name)))


class SearchBox(QLineEdit):
    """The search field: ↑/↓ move the list's selection, Enter opens, Esc clears."""

    step = Signal(int)  # -1 up, +1 down
    open_current = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.step.emit(-1 if key == Qt.Key.Key_Up else 1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_current.emit()
        elif key == Qt.Key.Key_Escape and self.text():
            self.clear()
        else:
            super().keyPressEvent(event)


class ChoiceBox(QComboBox):
    """A combo box of (label, value) choices; ``value()`` is the chosen value."""

    def __init__(
        self, name: str, choices: list[tuple[str, Any]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.set_choices(choices)

    def set_choices(self, choices: list[tuple[str, Any]]) -> None:
        current = self.value()
        self.blockSignals(True)
        self.clear()
        for text, value in choices:
            self.addItem(text, value)
        found = self.findData(current) if current is not None else 0
        self.setCurrentIndex(max(found, 0))
        self.blockSignals(False)

    def value(self) -> Any:
        return self.currentData() if self.count() else None

    def select(self, value: Any) -> bool:
        """Choose the entry whose value equals ``value`` (False, unchanged, if none does)."""
        for index in range(self.count()):
            if self.itemData(index) == value:
                self.setCurrentIndex(index)
                return True
        return False


def plain_label(
    text: str = "", name: str | None = None, *, wrap: bool = True, selectable: bool = True
) -> QLabel:
    """A label that shows ``text`` literally, whatever it contains (never rich text)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # before the text: no guess is ever made
    label.setText(text)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def add_row(form: QFormLayout, text: str, field: QWidget | QLayout) -> None:
    """A form row whose label is a ``plain_label`` (``addRow(str, …)`` makes a guessing one)."""
    form.addRow(plain_label(text, wrap=False, selectable=False), field)


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows ``text`` literally: tooltips have no text format of their own,
    so the text is escaped into a paragraph Qt then renders as exactly these characters."""
    if not text:
        return None
    return QtGuiNamespace.convertFromPlainText(text, QtGuiNamespace.WhiteSpaceMode.WhiteSpacePre)


class NoteEdit(QPlainTextEdit):
    """A multi-line note in a form: Tab and Shift+Tab move between fields, as in every
    other field of the form (a tab character in a note is never what a guide meant);
    Ctrl+Tab types one should it ever be wanted."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTabChangesFocus(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (
            event.key() == Qt.Key.Key_Tab
            and event.modifiers() == Qt.KeyboardModifier.ControlModifier
        ):
            self.insertPlainText("\t")
            event.accept()
            return
        super().keyPressEvent(event)


class DayDateEdit(QDateEdit):
    """A date field whose keys mean days: ↑/↓ the next or previous day, PgUp/PgDn the
    next or previous month, wherever the cursor is in the field (a plain QDateEdit steps
    the section under the cursor, so ↑ at the start moved the year). The wheel steps days;
    Tab moves on to the next field. Typing the date digit by digit works as before; the
    range is kept."""

    def __init__(self, date: QDate, parent: QWidget | None = None) -> None:
        super().__init__(date, parent)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setCalendarPopup(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, plain = event.key(), event.modifiers() == Qt.KeyboardModifier.NoModifier
        moves = {
            Qt.Key.Key_Up: (1, 0),
            Qt.Key.Key_Down: (-1, 0),
            Qt.Key.Key_PageUp: (0, 1),
            Qt.Key.Key_PageDown: (0, -1),
        }
        if plain and key in moves:
            days, months = moves[key]
            self.setDate(self.date().addDays(days).addMonths(months))
            event.accept()
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab leaves the field, as in every other field (QDateTimeEdit's own Tab walks
        # its year, month and day sections first: three Tabs to get past one date).
        return QWidget.focusNextPrevChild(self, next)

    def stepBy(self, steps: int) -> None:
        self.setDate(self.date().addDays(steps))

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:
        enabled = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self.date() < self.maximumDate():
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self.date() > self.minimumDate():
            enabled |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return enabled
