"""Small widgets shared by the views."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

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


def wrapped_label(text: str = "", name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label
