"""Dialogs of the profile: log a follow-up (记跟进) and edit what a guide may edit.

A dialog does not write: it emits what the guide entered (``submitted``) and stays open,
busy, until the owner calls ``saved()`` — so a failed write (disk full) loses no typing.

Nor does Esc: what was typed and not saved (Esc, Cancel, the close box, the app closing,
a customer walking off mid-sentence) is kept as a draft (``app.ui.drafts.DraftSlot``),
and the next time the dialog opens for that customer it is back, with a line saying so
and a button to discard it. A saved entry removes its draft. Every dialog names the
customer it is about — in its title and in a header line, the phone masked — so a guide
with two customers at the counter never writes the wrong one's note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, QTimer, Signal, Slot
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import Channel, mask_phone
from app.store.customers import CustomerProfile
from app.ui.drafts import DraftSlot
from app.ui.labels import CHANNELS, SIZES, label
from app.ui.widgets import ChoiceBox, DayDateEdit, NoteEdit, add_row, plain_label

_TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")

# Typing pauses this long are kept as a draft too: the app may close (the end of a shift,
# a sign-out) with the dialog still open, and then no Esc ever comes.
AUTOSAVE_MS = 1500


@dataclass(frozen=True, slots=True)
class DialogCustomer:
    """Who a dialog is about. ``phone`` may be full or already masked: it is shown masked."""

    id: str
    name: str
    phone: str = ""

    @property
    def heading(self) -> str:
        """The title's and the header's words for the customer: 张三  138****5678."""
        return f"{self.name}  {mask_phone(self.phone)}" if self.phone else self.name


@dataclass(frozen=True, slots=True)
class FollowUpDraft:
    channel: Channel
    note: str
    next_followup_on: str | None  # 'YYYY-MM-DD'


class _SavingDialog(QDialog):
    """Save / Cancel buttons, Ctrl+Enter to save, busy while the owner writes; the
    customer in the title and the header; what was typed kept as a draft.

    A subclass builds its fields, then calls ``_start_drafts`` with the signals that say
    a field changed, and implements ``draft_fields`` / ``restore_fields`` / ``has_typing``.
    """

    submitted = Signal(object)

    def _begin(self, customer: DialogCustomer, action: str, drafts: DraftSlot | None) -> None:
        self.customer = customer
        self.setWindowTitle(f"{action} — {customer.heading}")
        self._drafts = drafts
        self._pristine: dict[str, Any] = {}
        self._stored = False  # a draft of this dialog may be in the store
        self._finishing = False
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self._keep_draft)

    def _customer_header(self) -> QLabel:
        header = plain_label(self.customer.heading, "dialogCustomer")
        font = header.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        header.setFont(font)
        return header

    def _draft_banner(self) -> QFrame:
        """The line saying a draft came back (上次未保存的内容已恢复), with a discard button."""
        self.draft_banner = QFrame()
        self.draft_banner.setObjectName("draftBanner")
        row = QHBoxLayout(self.draft_banner)
        row.setContentsMargins(0, 0, 0, 0)
        self.draft_note = plain_label(
            self.tr("Restored what you typed last time and did not save."),
            "draftRestored",
            selectable=False,
        )
        self.discard_draft_button = QPushButton(self.tr("Discard draft"))
        self.discard_draft_button.setObjectName("discardDraftButton")
        self.discard_draft_button.setAutoDefault(False)
        self.discard_draft_button.clicked.connect(self.discard_draft)
        row.addWidget(self.draft_note, 1)
        row.addWidget(self.discard_draft_button)
        self.draft_banner.hide()
        return self.draft_banner

    def _start_drafts(self, *changed: Any) -> None:
        """The fields are built: remember them empty, bring back a kept draft, then
        listen to ``changed`` (after the restore, which is no edit of the guide's)."""
        self._pristine = self.draft_fields()
        kept = self._drafts.load() if self._drafts is not None else None
        if kept and kept != self._pristine:
            self.restore_fields(kept)
            self._stored = True
            self.draft_banner.show()
        for signal in changed:
            signal.connect(self._edited)

    @property
    def draft_restored(self) -> bool:
        return not self.draft_banner.isHidden()

    def draft_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def restore_fields(self, fields: dict[str, Any]) -> None:
        raise NotImplementedError

    def has_typing(self) -> bool:
        raise NotImplementedError

    @Slot()
    def _edited(self) -> None:
        if self._drafts is not None and not self._finishing:
            self._autosave.start()

    @Slot()
    def _keep_draft(self) -> None:
        """Keep what is typed now; a dialog emptied by the guide leaves no draft."""
        self._autosave.stop()
        if self._drafts is None:
            return
        if self.has_typing():
            self._drafts.keep(self.draft_fields())
            self._stored = True
        elif self._stored:
            self._drafts.discard()
            self._stored = False

    @Slot()
    def discard_draft(self) -> None:
        """The guide does not want the restored text: empty fields, no draft."""
        self._autosave.stop()
        self.restore_fields(self._pristine)
        self._autosave.stop()  # the restore above is no typing to keep
        if self._drafts is not None and self._stored:
            self._drafts.discard()
        self._stored = False
        self.draft_banner.hide()
        self.focus_first_field()

    def focus_first_field(self) -> None:
        pass

    def _buttons(self) -> QDialogButtonBox:
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = box.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.save_button.setObjectName("saveButton")
        self.save_button.setToolTip("Ctrl+Enter")
        cancel = box.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("Cancel"))
        cancel.setObjectName("cancelButton")
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
        """The owner wrote the entry: its draft goes (after the write, on the same lane)."""
        self._finishing = True
        self._autosave.stop()
        if self._drafts is not None and self._stored:
            self._drafts.discard()
            self._stored = False
        self.accept()

    def reject(self) -> None:
        """Esc, Cancel or the close box: nothing typed is lost — it is kept as a draft."""
        self._keep_draft()
        self._finishing = True
        super().reject()

    def hideEvent(self, event: QHideEvent) -> None:
        # Hidden without finishing: the idle lock took the dialog out of sight (and the
        # app may end before its guide is back). Keep the typing now.
        if not self._finishing and self._drafts is not None and self.has_typing():
            self._keep_draft()
        super().hideEvent(event)

    def done(self, result: int) -> None:
        super().done(result)
        # Give the keyboard back to the workbench (F5, Ctrl+F at once): a window manager
        # does this, but counter terminals in kiosk mode often run without one.
        parent = self.parentWidget()
        if parent is not None:
            parent.window().activateWindow()


class FollowUpDialog(_SavingDialog):
    """Record one contact with a customer: channel, what was said, the next date.

    Tab order: channel, note, "follow up again on", the date, Save, Cancel. The date is
    always reachable: changing it ticks "follow up again on"."""

    def __init__(
        self,
        customer: DialogCustomer,
        today: date,
        parent: QWidget | None = None,
        *,
        drafts: DraftSlot | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("followUpDialog")
        self._begin(customer, self.tr("Log a follow-up"), drafts)
        title = plain_label(
            self.tr("Follow-up with {name}").format(name=customer.name), "dialogTitle"
        )
        self.channel = ChoiceBox(
            "followUpChannel", [(label(CHANNELS, c), Channel(c)) for c in CHANNELS]
        )
        self.note = NoteEdit()
        self.note.setObjectName("followUpNote")
        self.note.setPlaceholderText(
            self.tr("What did you talk about? What does the customer want next?")
        )
        self.has_next = QCheckBox(self.tr("Follow up again on"))
        self.has_next.setObjectName("followUpHasNext")
        first_day = QDate(today.year, today.month, today.day)
        self.next_date = DayDateEdit(first_day.addDays(7))
        self.next_date.setObjectName("followUpNextDate")
        self.next_date.setMinimumDate(first_day)
        self.next_date.setToolTip(self.tr("↑/↓: one day · PgUp/PgDn: one month"))
        self.next_date.dateChanged.connect(lambda _d: self.has_next.setChecked(True))
        next_row = QHBoxLayout()
        next_row.addWidget(self.has_next)
        next_row.addWidget(self.next_date)
        next_row.addStretch(1)
        form = QFormLayout()
        add_row(form, self.tr("Channel"), self.channel)
        add_row(form, self.tr("Note"), self.note)
        add_row(form, "", next_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self._customer_header())
        layout.addWidget(title)
        layout.addWidget(self._draft_banner())
        layout.addLayout(form)
        layout.addWidget(self._buttons())
        self.setTabOrder(self.channel, self.note)
        self.setTabOrder(self.note, self.has_next)
        self.setTabOrder(self.has_next, self.next_date)
        self.setTabOrder(self.next_date, self.save_button)
        self.note.textChanged.connect(self._update_save)
        self._start_drafts(
            self.note.textChanged,
            self.channel.currentIndexChanged,
            self.has_next.toggled,
            self.next_date.dateChanged,
        )
        self._update_save()
        self.focus_first_field()
        self.resize(520, 400)

    def focus_first_field(self) -> None:
        self.note.setFocus()

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

    def has_typing(self) -> bool:
        return bool(self.note.toPlainText().strip())

    def draft_fields(self) -> dict[str, Any]:
        return {
            "channel": str(self.channel.value()),
            "note": self.note.toPlainText(),
            "has_next": self.has_next.isChecked(),
            "next_on": self.next_date.date().toString("yyyy-MM-dd"),
        }

    def restore_fields(self, fields: dict[str, Any]) -> None:
        self.channel.select(fields.get("channel"))
        self.note.setPlainText(str(fields.get("note", "")))
        day = QDate.fromString(str(fields.get("next_on", "")), "yyyy-MM-dd")
        if day.isValid():
            self.next_date.setDate(day)  # a day now past becomes the earliest allowed
        self.has_next.setChecked(bool(fields.get("has_next")))
        self.note.moveCursor(self.note.textCursor().MoveOperation.End)


class EditCustomerDialog(_SavingDialog):
    """Edit tags, sizes, preferences and note; ``submitted`` carries only changed fields.

    A draft holds only what the guide changed, so a field edited meanwhile on another
    terminal (and synced here) is not put back to its old value by a restored draft."""

    def __init__(
        self,
        profile: CustomerProfile,
        parent: QWidget | None = None,
        *,
        drafts: DraftSlot | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("editCustomerDialog")
        self.profile = profile
        customer = DialogCustomer(profile.id, profile.name, profile.phone)
        self._begin(customer, self.tr("Edit customer"), drafts)
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
        self.preferences = NoteEdit(profile.preferences)
        self.preferences.setObjectName("editPreferences")
        self.note = NoteEdit(profile.note)
        self.note.setObjectName("editNote")
        add_row(form, self.tr("Preferences"), self.preferences)
        add_row(form, self.tr("Note"), self.note)
        # The customer asked for no marketing (退订): never offered for a share again.
        self.opt_out = QCheckBox(self.tr("Sends no marketing (the customer asked)"))
        self.opt_out.setObjectName("editOptOut")
        self.opt_out.setChecked(profile.marketing_opt_out)
        self.opt_out_reason = QLineEdit(profile.opt_out_reason)
        self.opt_out_reason.setObjectName("editOptOutReason")
        self.opt_out_reason.setMaxLength(200)
        self.opt_out_reason.setPlaceholderText(self.tr("Why, e.g. asked on the phone on 12-02"))
        self.opt_out_reason.setEnabled(profile.marketing_opt_out)
        self.opt_out.toggled.connect(self.opt_out_reason.setEnabled)
        add_row(form, self.tr("Marketing"), self.opt_out)
        add_row(form, self.tr("Why"), self.opt_out_reason)
        layout = QVBoxLayout(self)
        layout.addWidget(self._customer_header())
        layout.addWidget(self._draft_banner())
        layout.addLayout(form)
        layout.addWidget(self._buttons())
        self._start_drafts(
            self.tags.textChanged,
            *(field.textChanged for field in self.sizes.values()),
            self.preferences.textChanged,
            self.note.textChanged,
            self.opt_out.toggled,
            self.opt_out_reason.textChanged,
        )
        self.focus_first_field()
        self.resize(520, 560)

    def focus_first_field(self) -> None:
        self.tags.setFocus()

    def _entered(self) -> dict[str, Any]:
        return {
            "tags": [t for t in _TAG_SEPARATORS.split(self.tags.text()) if t],
            "sizes": {k: f.text().strip() for k, f in self.sizes.items() if f.text().strip()},
            "preferences": self.preferences.toPlainText().strip(),
            "note": self.note.toPlainText().strip(),
            "marketing_opt_out": self.opt_out.isChecked(),
            "opt_out_reason": self.opt_out_reason.text().strip()
            if self.opt_out.isChecked()
            else "",
        }

    def value(self) -> dict[str, Any]:
        before = {
            "tags": list(self.profile.tags),
            "sizes": dict(self.profile.sizes),
            "preferences": self.profile.preferences,
            "note": self.profile.note,
            "marketing_opt_out": self.profile.marketing_opt_out,
            "opt_out_reason": self.profile.opt_out_reason,
        }
        return {k: v for k, v in self._entered().items() if v != before[k]}

    def has_typing(self) -> bool:
        return bool(self.value())

    def draft_fields(self) -> dict[str, Any]:
        return self.value()

    def restore_fields(self, fields: dict[str, Any]) -> None:
        profile = self.profile
        tags = fields.get("tags", list(profile.tags))
        self.tags.setText("、".join(str(t) for t in tags))
        sizes = fields.get("sizes", profile.sizes)
        for key, field in self.sizes.items():
            field.setText(str(sizes.get(key, "")) if isinstance(sizes, dict) else "")
        self.preferences.setPlainText(str(fields.get("preferences", profile.preferences)))
        self.note.setPlainText(str(fields.get("note", profile.note)))
        self.opt_out.setChecked(bool(fields.get("marketing_opt_out", profile.marketing_opt_out)))
        self.opt_out_reason.setText(str(fields.get("opt_out_reason", profile.opt_out_reason)))
