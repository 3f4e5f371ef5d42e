"""Record the outcome of one customer of a task (任务结果): outcome, note, evidence.

The follow-up dialog's contract (app/ui/customers/dialogs.py): the dialog never writes;
``submitted`` carries an ``OutcomeDraft`` and the dialog stays busy until its owner calls
``saved()``, so a failed write loses nothing typed. Ctrl+Enter saves. Its draft too:
Esc keeps what was typed for this customer and task, and it comes back next time.

Evidence, when the task asks for it: a note, or a picture pasted with Ctrl+V (a chat
screenshot), scaled down and re-encoded as JPEG until its base64 fits the contract's
``MAX_PICTURE_CHARS``, with a preview.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, Qt, Slot
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.customers import Channel
from app.domain.tasks import EvidenceKind, Outcome
from app.ui.customers.dialogs import DialogCustomer, _SavingDialog
from app.ui.drafts import DraftSlot
from app.ui.labels import CHANNELS, label
from app.ui.tasks.labels import OUTCOMES, task_label
from app.ui.widgets import ChoiceBox, NoteEdit, add_row, plain_label
from sync.records import MAX_PICTURE_CHARS

PREVIEW_SIZE = 220


@dataclass(frozen=True, slots=True)
class OutcomeDraft:
    outcome: Outcome
    channel: Channel
    note: str  # what goes into the follow-up (the outcome's name when nothing was typed)
    evidence_note: str
    evidence_picture: str | None  # base64 JPEG


def picture_base64(image: QImage, limit: int = MAX_PICTURE_CHARS) -> str | None:
    """``image`` as base64 JPEG of at most ``limit`` characters: scaled to 1600 px on its
    longer side, then smaller and at lower quality until it fits (None if it never does)."""
    if image.isNull():
        return None
    image = image.convertToFormat(QImage.Format.Format_RGB32)  # JPEG has no alpha
    side = min(1600, max(image.width(), image.height()))
    quality = 85
    while side >= 64:
        scaled = image.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        scaled.save(buffer, "JPG", quality)
        buffer.close()
        encoded = base64.b64encode(bytes(data.data())).decode("ascii")
        if len(encoded) <= limit:
            return encoded
        if quality > 60:
            quality -= 10
        else:
            side = int(side * 0.8)
    return None


class _NoteEdit(NoteEdit):
    """The note field; a picture pasted into it becomes the evidence picture instead."""

    def __init__(self, dialog: OutcomeDialog) -> None:
        super().__init__()
        self._dialog = dialog

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasImage() and self._dialog.wants_picture:
            self._dialog.set_picture(QImage(source.imageData()))
        elif source.hasText():
            super().insertFromMimeData(source)


class OutcomeDialog(_SavingDialog):
    """What came of contacting one customer of a task."""

    def __init__(
        self,
        *,
        customer: DialogCustomer,
        task_title: str,
        evidence: str = EvidenceKind.NONE.value,
        review_comment: str = "",
        parent: QWidget | None = None,
        drafts: DraftSlot | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("outcomeDialog")
        self._begin(customer, self.tr("Record the outcome"), drafts)
        self.evidence_kind = EvidenceKind(evidence)
        self.picture: str | None = None

        who = self._customer_header()
        who.setObjectName("outcomeCustomer")
        task = plain_label(task_title, "outcomeTask")
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(task)
        layout.addWidget(self._draft_banner())
        if review_comment:
            comment = plain_label(
                self.tr("The manager returned it: {comment}").format(comment=review_comment),
                "outcomeReviewComment",
            )
            layout.addWidget(comment)

        self.outcome = ChoiceBox(
            "outcomeChoice", [(task_label(OUTCOMES, o), Outcome(o)) for o in OUTCOMES]
        )
        self.channel = ChoiceBox(
            "outcomeChannel", [(label(CHANNELS, c), Channel(c)) for c in CHANNELS]
        )
        self.note = _NoteEdit(self)
        self.note.setObjectName("outcomeNote")
        self.note.setPlaceholderText(self.tr("What did the customer say? (optional)"))
        form = QFormLayout()
        add_row(form, self.tr("Outcome"), self.outcome)
        add_row(form, self.tr("Channel"), self.channel)
        add_row(form, self.tr("Note"), self.note)

        self.evidence_note: QPlainTextEdit | None = None
        self.preview: QLabel | None = None
        if self.evidence_kind is EvidenceKind.NOTE:
            self.evidence_note = NoteEdit()
            self.evidence_note.setObjectName("outcomeEvidenceNote")
            self.evidence_note.setPlaceholderText(
                self.tr("This task asks for evidence: what was sent, what was agreed")
            )
            self.evidence_note.setMaximumHeight(90)
            self.evidence_note.textChanged.connect(self._update_save)
            add_row(form, self.tr("Evidence"), self.evidence_note)
        elif self.evidence_kind is EvidenceKind.PICTURE:
            self.preview = plain_label(
                self.tr("This task asks for a screenshot: copy it, then press Ctrl+V here."),
                "outcomePicturePreview",
                selectable=False,
            )
            self.preview.setMinimumHeight(80)
            self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
            paste = QPushButton(self.tr("Paste screenshot (Ctrl+V)"))
            paste.setObjectName("pastePictureButton")
            paste.clicked.connect(self.paste_picture)
            column = QVBoxLayout()
            column.addWidget(self.preview)
            row = QHBoxLayout()
            row.addWidget(paste)
            row.addStretch(1)
            column.addLayout(row)
            add_row(form, self.tr("Evidence"), column)
            QShortcut(QKeySequence.StandardKey.Paste, self, activated=self.paste_picture)
        layout.addLayout(form)
        layout.addWidget(self._buttons())
        changed = [
            self.outcome.currentIndexChanged,
            self.channel.currentIndexChanged,
            self.note.textChanged,
        ]
        if self.evidence_note is not None:
            changed.append(self.evidence_note.textChanged)
        self._start_drafts(*changed)
        self._update_save()
        self.focus_first_field()
        self.resize(520, 420 if self.evidence_kind is EvidenceKind.NONE else 560)

    def focus_first_field(self) -> None:
        self.note.setFocus()

    @property
    def wants_picture(self) -> bool:
        return self.evidence_kind is EvidenceKind.PICTURE

    @Slot()
    def paste_picture(self) -> None:
        """Take the picture on the clipboard (nothing happens without one)."""
        image = QGuiApplication.clipboard().image()
        if not image.isNull():
            self.set_picture(image)

    def set_picture(self, image: QImage) -> None:
        encoded = picture_base64(image)
        if self.preview is None or encoded is None:
            return
        self._show_picture(encoded, image)
        self._edited()

    def _show_picture(self, encoded: str | None, image: QImage | None = None) -> None:
        if self.preview is None:
            return
        self.picture = encoded
        if encoded is None:
            self.preview.clear()
            self.preview.setText(
                self.tr("This task asks for a screenshot: copy it, then press Ctrl+V here.")
            )
            self._update_save()
            return
        if image is None:
            image = QImage.fromData(base64.b64decode(encoded), "JPG")
        shown = QPixmap.fromImage(
            image.scaled(
                PREVIEW_SIZE,
                PREVIEW_SIZE,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.preview.setPixmap(shown)
        self._update_save()

    def _complete(self) -> bool:
        if self.evidence_note is not None:
            return bool(self.evidence_note.toPlainText().strip())
        if self.wants_picture:
            return self.picture is not None
        return True

    @Slot()
    def _update_save(self) -> None:
        self.save_button.setEnabled(self._complete())

    def set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and self._complete())

    def value(self) -> OutcomeDraft:
        outcome: Outcome = self.outcome.value()
        note = self.note.toPlainText().strip() or task_label(OUTCOMES, outcome)
        evidence = self.evidence_note.toPlainText().strip() if self.evidence_note else ""
        return OutcomeDraft(outcome, self.channel.value(), note, evidence, self.picture)

    def has_typing(self) -> bool:
        evidence = self.evidence_note.toPlainText() if self.evidence_note else ""
        return bool(self.note.toPlainText().strip() or evidence.strip() or self.picture)

    def draft_fields(self) -> dict[str, Any]:
        return {
            "outcome": str(self.outcome.value()),
            "channel": str(self.channel.value()),
            "note": self.note.toPlainText(),
            "evidence_note": self.evidence_note.toPlainText() if self.evidence_note else "",
            "picture": self.picture,
        }

    def restore_fields(self, fields: dict[str, Any]) -> None:
        self.outcome.select(fields.get("outcome"))
        self.channel.select(fields.get("channel"))
        self.note.setPlainText(str(fields.get("note", "")))
        if self.evidence_note is not None:
            self.evidence_note.setPlainText(str(fields.get("evidence_note", "")))
        if self.wants_picture:
            picture = fields.get("picture")
            self._show_picture(picture if isinstance(picture, str) and picture else None)
        self._update_save()
