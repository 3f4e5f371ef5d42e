"""The sign-in screen: choose yourself, type your PIN.

``verify_pin`` checks HQ's argon2 verifier — tens of milliseconds on purpose — so it
runs on the read lane, never on the UI thread. After ``MAX_FAILURES`` wrong PINs in a row
the screen locks for ``LOCK_SECONDS``. The count lives in memory only: restarting the
app resets it, which is acceptable because argon2 makes each guess slow and HQ keeps its
own limits; a persistent lock belongs with the idle lock (roadmap, privacy).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.store.changes import Changes
from app.store.guides import GuideAccount, list_guides, verify_pin
from app.store.replica import sync_status
from app.ui.session import Session
from app.ui.widgets import add_row, plain_label

MAX_FAILURES = 5
LOCK_SECONDS = 60


class SignInView(QWidget):
    signed_in = Signal(object)  # GuideAccount
    sync_requested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signIn")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.session = session
        self.failures = 0
        self.locked_until: datetime | None = None
        self._busy = False

        title = plain_label(self.tr("GuideDesk"), "signInTitle", wrap=False, selectable=False)
        self.store = plain_label(name="signInStore", selectable=False)
        self.guide_box = QComboBox()
        self.guide_box.setObjectName("signInGuide")
        self.pin = QLineEdit()
        self.pin.setObjectName("signInSecret")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.pin.setMaxLength(32)
        self.pin.returnPressed.connect(self.submit)
        self.button = QPushButton(self.tr("Sign in"))
        self.button.setObjectName("signInButton")
        self.button.setProperty("primary", True)
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)
        self.message = plain_label(name="signInMessage", selectable=False)
        self.sync_button = QPushButton(self.tr("Sync now"))
        self.sync_button.setObjectName("signInSync")
        self.sync_button.clicked.connect(self.sync_requested)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        add_row(form, self.tr("Guide"), self.guide_box)
        add_row(form, self.tr("PIN"), self.pin)
        card = QWidget()
        card.setObjectName("signInCard")
        card.setFixedWidth(440)
        column = QVBoxLayout(card)
        column.setContentsMargins(28, 20, 28, 24)
        column.setSpacing(10)
        for widget in (title, self.store):
            column.addWidget(widget)
        column.addLayout(form)
        column.addWidget(self.button)
        column.addWidget(self.message)
        column.addWidget(self.sync_button)
        centred = QHBoxLayout()  # not an alignment flag: that ignores the wrapped height
        centred.addStretch(1)
        centred.addWidget(card)
        centred.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(centred)
        layout.addStretch(2)

        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_lock)
        session.hub.changed.connect(self._on_changes)
        self.reload()
        self.pin.setFocus()

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("guide", "store"):
            self.reload()

    def reload(self) -> None:
        """Fill the guide list (managers first) from the local store."""
        current = self.guide_box.currentData()
        guides = list_guides(self.session.conn)
        self.guide_box.clear()
        for guide in guides:
            text = (
                self.tr("{name} (manager)").format(name=guide.name)
                if guide.is_manager
                else guide.name
            )
            self.guide_box.addItem(text, guide.id)
        if current is not None and self.guide_box.findData(current) >= 0:
            self.guide_box.setCurrentIndex(self.guide_box.findData(current))
        status = sync_status(self.session.conn)
        self.store.setText(status.store_name or status.store_id or "")
        self.sync_button.setVisible(not guides)
        if not guides:
            self.message.setText(
                self.tr("No guides on this terminal yet: sync first, or ask IT to enrol it.")
            )
        self._update_enabled()

    def _update_enabled(self) -> None:
        usable = self.guide_box.count() > 0 and not self._busy and self.locked_until is None
        for widget in (self.button, self.pin, self.guide_box):
            widget.setEnabled(usable)

    @Slot()
    def submit(self) -> None:
        guide_id, pin = self.guide_box.currentData(), self.pin.text()
        if not guide_id or self._busy or self.locked_until is not None:
            return
        if not pin:
            self.message.setText(self.tr("Type your PIN."))
            return
        self._busy = True
        self._update_enabled()
        self.message.setText(self.tr("Checking…"))
        self.session.read.run(
            lambda conn: verify_pin(conn, guide_id, pin),
            success=self._checked,
            failure=self._check_failed,
            owner=self,
        )

    def _checked(self, guide: GuideAccount | None) -> None:
        self._busy = False
        self.pin.clear()
        if guide is not None:
            self.failures = 0
            self.message.clear()
            self._update_enabled()
            self.signed_in.emit(guide)
            return
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.failures = 0
            self.locked_until = self.session.clock() + timedelta(seconds=LOCK_SECONDS)
            self._tick.start()
            self._update_lock()
        else:
            left = MAX_FAILURES - self.failures
            self.message.setText(
                self.tr("Wrong PIN. Tries left before a one-minute pause: {n}").format(n=left)
            )
        self._update_enabled()
        self.pin.setFocus()

    def _check_failed(self, exc: BaseException) -> None:
        self._busy = False
        self.message.clear()
        self._update_enabled()
        self.session.errors.report(exc)

    @Slot()
    def _update_lock(self) -> None:
        if self.locked_until is None:
            self._tick.stop()
            return
        left = (self.locked_until - self.session.clock()).total_seconds()
        if left <= 0:
            self.locked_until = None
            self._tick.stop()
            self.message.setText(self.tr("You can try again now."))
            self._update_enabled()
            self.pin.setFocus()
            return
        self.message.setText(
            self.tr("Too many wrong PINs. Try again in {s} seconds.").format(s=int(left + 0.999))
        )
