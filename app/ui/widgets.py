"""Small widgets shared by the views.

Text that came from data (a customer's name or note, a guide's name, HQ's reasons) is
shown only through ``plain_label`` and ``plain_tooltip``: a QLabel or a tooltip otherwise
*guesses* rich text from the content, and an edit made on one terminal would render as
markup (big coloured fake text, pictures, links) on every other.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtGui import Qt as QtGuiNamespace
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLayout, QLineEdit, QWidget

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
