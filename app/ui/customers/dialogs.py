"""Dialogs of the profile: log a follow-up (记跟进) and edit what a guide may edit.

A dialog does not write: it emits what the guide entered (``submitted``) and stays open,
busy, until the owner calls ``saved()`` — so a failed write (disk full) loses no typing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import Channel
from app.store.customers import CustomerProfile
from app.ui.labels import CHANNELS, SIZES, label
from app.ui.widgets import ChoiceBox, add_row, plain_label

_TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")


@dataclass(frozen=True, slots=True)
class FollowUpDraft:
    channel: Channel
    note: str
    next_followup_on: str | None  # 'YYYY-MM-DD'


class _SavingDialog(QDialog):
    """Save / Cancel buttons, Ctrl+Enter to save, busy while the owner writes."""

    submitted = Signal(object)

    def _buttons(self) -> QDialogButtonBox:
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip("Ctrl+Enter")
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        box.accepted.connect(self._submit)
        box.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._submit)
        return box

    def _submit(self) -> None:
        if self.save_button.isEnabled():
            value = self.value()
            self.set_busy(True)
            self.submitted.emit(value)

    def value(self) -> Any:
        raise NotImplementedError

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)

    def saved(self) -> None:
        self.accept()

    def done(self, result: int) -> None:
        super().done(result)
        # Give the keyboard back to the workbench (F5, Ctrl+F at once): a window manager
        # does this, but counter terminals in kiosk mode often run without one.
        parent = self.parentWidget()
        if parent is not None:
            parent.window().activateWindow()


class FollowUpDialog(_SavingDialog):
    """Record one contact with a customer: channel, what was said, the next date."""

    def __init__(self, customer_name: str, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("followUpDialog")
        self.setWindowTitle(self.tr("Log a follow-up"))
        title = plain_label(
            self.tr("Follow-up with {name}").format(name=customer_name), "dialogTitle"
        )
        self.channel = ChoiceBox(
            "followUpChannel", [(label(CHANNELS, c), Channel(c)) for c in CHANNELS]
        )
        self.note = QPlainTextEdit()
        self.note.setObjectName("followUpNote")
        self.note.setPlaceholderText(
            self.tr("What did you talk about? What does the customer want next?")
        )
        self.has_next = QCheckBox(self.tr("Follow up again on"))
        self.has_next.setObjectName("followUpHasNext")
        self.next_date = QDateEdit(QDate(today.year, today.month, today.day).addDays(7))
        self.next_date.setObjectName("followUpNextDate")
        self.next_date.setCalendarPopup(True)
        self.next_date.setDisplayFormat("yyyy-MM-dd")
        self.next_date.setMinimumDate(QDate(today.year, today.month, today.day))
        self.next_date.setEnabled(False)
        self.has_next.toggled.connect(self.next_date.setEnabled)
        next_row = QHBoxLayout()
        next_row.addWidget(self.has_next)
        next_row.addWidget(self.next_date)
        next_row.addStretch(1)
        form = QFormLayout()
        add_row(form, self.tr("Channel"), self.channel)
        add_row(form, self.tr("Note"), self.note)
        add_row(form, "", next_row)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self._buttons())
        self.note.textChanged.connect(self._update_save)
        self._update_save()
        self.note.setFocus()
        self.resize(520, 380)

    @Slot()
    def _update_save(self) -> None:
        self.save_button.setEnabled(bool(self.note.toPlainText().strip()))

    def value(self) -> FollowUpDraft:
        next_on = (
            self.next_date.date().toString("yyyy-MM-dd") if self.has_next.isChecked() else None
        )
        return FollowUpDraft(self.channel.value(), self.note.toPlainText().strip(), next_on)

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and bool(self.note.toPlainText().strip()))


class EditCustomerDialog(_SavingDialog):
    """Edit tags, sizes, preferences and note; ``submitted`` carries only changed fields."""

    def __init__(self, profile: CustomerProfile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("editCustomerDialog")
        self.setWindowTitle(self.tr("Edit {name}").format(name=profile.name))
        self.profile = profile
        self.tags = QLineEdit("、".join(profile.tags))
        self.tags.setObjectName("editTags")
        self.tags.setPlaceholderText(self.tr("Separate tags with 、 or commas"))
        self.sizes: dict[str, QLineEdit] = {}
        form = QFormLayout()
        add_row(form, self.tr("Tags"), self.tags)
        for key in dict.fromkeys([*SIZES, *profile.sizes]):
            field = QLineEdit(profile.sizes.get(key, ""))
            field.setObjectName(f"editSize_{key}")
            self.sizes[key] = field
            add_row(form, label(SIZES, key), field)
        self.preferences = QPlainTextEdit(profile.preferences)
        self.preferences.setObjectName("editPreferences")
        self.note = QPlainTextEdit(profile.note)
        self.note.setObjectName("editNote")
        add_row(form, self.tr("Preferences"), self.preferences)
        add_row(form, self.tr("Note"), self.note)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._buttons())
        self.resize(520, 520)

    def value(self) -> dict[str, Any]:
        entered: dict[str, Any] = {
            "tags": [t for t in _TAG_SEPARATORS.split(self.tags.text()) if t],
            "sizes": {k: f.text().strip() for k, f in self.sizes.items() if f.text().strip()},
            "preferences": self.preferences.toPlainText().strip(),
            "note": self.note.toPlainText().strip(),
        }
        before = {
            "tags": list(self.profile.tags),
            "sizes": dict(self.profile.sizes),
            "preferences": self.profile.preferences,
            "note": self.profile.note,
        }
        return {k: v for k, v in entered.items() if v != before[k]}
