"""The colleague's-customer part of the book: a walk-in who is another guide's customer.

A guide's book holds only their own customers; when a search finds none there, the book
also looks among the store's other guides' customers and shows them here as theirs —
the name, the masked number and the owner ("王芳的顾客"), nothing of the profile. The guide
can record that they served them at the counter (接待记录): a short note that reaches the
owner's timeline as a colleague's note (app/store/counter.py); the owner stays the owner.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store.ui_queries import ColleagueMatch
from app.ui.widgets import NoteEdit, plain_label


def owner_text(match: ColleagueMatch) -> str:
    """ "王芳's customer" in the words of the UI (no guide: the store's)."""
    if match.owner_name:
        return QCoreApplication.translate("ColleaguePanel", "{name}'s customer").format(
            name=match.owner_name
        )
    return QCoreApplication.translate("ColleaguePanel", "The store's customer (no guide)")


class CounterVisitDialog(QDialog):
    """A note for the owner: "served at the counter" (接待记录). Emits the note text; the
    owner of the dialog writes it and calls ``saved()`` (a failed write loses no typing).
    Esc or closing with typed text asks before throwing it away."""

    submitted = Signal(str)

    def __init__(self, match: ColleagueMatch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("counterVisitDialog")
        self.setWindowTitle(self.tr("Served at the counter"))
        self.match = match
        about = plain_label(
            self.tr("{name} ({phone}) · {owner}").format(
                name=match.name, phone=match.masked_phone, owner=owner_text(match)
            ),
            "counterVisitCustomer",
        )
        hint = plain_label(
            self.tr(
                "A short note for {owner}: it appears in their timeline as your note. "
                "The customer stays theirs."
            ).format(owner=match.owner_name or self.tr("the store")),
            "quiet",
        )
        self.note = NoteEdit()
        self.note.setObjectName("counterVisitNote")
        self.note.setPlaceholderText(self.tr("e.g. tried the camel coat in M, will come back"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.save_button.setObjectName("saveButton")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._submit)
        column = QVBoxLayout(self)
        column.addWidget(about)
        column.addWidget(hint)
        column.addWidget(self.note)
        column.addWidget(buttons)
        self._done = False

    @Slot()
    def _submit(self) -> None:
        if not self.save_button.isEnabled():
            return
        self.save_button.setEnabled(False)
        self.submitted.emit(self.note.toPlainText())

    def saved(self) -> None:
        self._done = True
        self.accept()

    def failed(self) -> None:
        self.save_button.setEnabled(True)

    def reject(self) -> None:
        if not self._done and self.note.toPlainText().strip():
            answer = QMessageBox.question(
                self,
                self.tr("Discard the note?"),
                self.tr("The note you typed is not saved. Discard it?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()


class ColleaguePanel(QWidget):
    """Matches among the store's other guides' customers, and the counter-visit button."""

    serve_wanted = Signal(object)  # the ColleagueMatch to record a counter visit for

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("colleagueMatches")
        self.matches: list[ColleagueMatch] = []
        self.title = plain_label("", "colleagueTitle", selectable=False)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("colleagueList")
        self.table.setHorizontalHeaderLabels(
            [self.tr("Name"), self.tr("Phone"), self.tr("Whose customer")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)  # a finger hits a row
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.itemActivated.connect(lambda _item: self._serve())
        self.serve_button = QPushButton(self.tr("Served at the counter…"))
        self.serve_button.setObjectName("counterVisitButton")
        self.serve_button.setEnabled(False)
        self.serve_button.clicked.connect(self._serve)
        self.more = plain_label("", "quiet", selectable=False)
        self.recorded = plain_label("", "counterVisitRecorded")
        buttons = QHBoxLayout()
        buttons.addWidget(self.serve_button)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.table, 1)
        column.addWidget(self.more)
        column.addLayout(buttons)
        column.addWidget(self.recorded)

    def set_matches(
        self, matches: list[ColleagueMatch], more: bool, *, beside: bool = False
    ) -> None:
        """Show ``matches``; ``beside``: below the guide's own results (kept short)."""
        self.matches = list(matches)
        self.recorded.clear()
        self.table.setRowCount(len(self.matches))
        for row, m in enumerate(self.matches):
            for col, text in enumerate((m.name, m.masked_phone, owner_text(m))):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(row, col, item)
        if beside:
            title = self.tr("Also found among colleagues' customers: {n}")
        else:
            title = self.tr("Not in your book, but a colleague's customer: {n}")
        self.title.setText(title.format(n=len(matches)))
        rows = min(len(self.matches), 3 if beside else 6)
        header = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header + rows * 40 + 2 * self.table.frameWidth())
        self.more.setText(self.tr("More match: type more of the name or phone.") if more else "")
        self.more.setVisible(more)
        self.serve_button.setEnabled(False)
        self.setVisible(bool(self.matches))

    def current(self) -> ColleagueMatch | None:
        row = self.table.currentRow()
        selected = self.table.selectionModel().hasSelection()
        return self.matches[row] if selected and 0 <= row < len(self.matches) else None

    @Slot()
    def _selection_changed(self) -> None:
        self.serve_button.setEnabled(self.current() is not None)

    @Slot()
    def _serve(self) -> None:
        match = self.current()
        if match is not None:
            self.serve_wanted.emit(match)

    def show_recorded(self, match: ColleagueMatch) -> None:
        self.recorded.setText(
            self.tr("Counter visit of {name} recorded for {owner}.").format(
                name=match.name, owner=match.owner_name or self.tr("the store")
            )
        )
