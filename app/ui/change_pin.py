"""Choose a new PIN (改密码): asked right after a sign-in whose PIN no longer meets the rule.

The new PIN is typed twice and checked by the rule of ``app.domain.pin`` before anything
leaves the terminal; HQ checks it again (``weak_pin``) and keeps it. The dialog ends with
``outcome``:

* ``CHANGED``: HQ took the new PIN; the local verifier is replaced too, so the new PIN
  also works offline before the next sync.
* ``LATER``: HQ could not be reached while changing it: the guide works now and is asked
  again at the next sign-in HQ answers (the old PIN still signs in).
* ``CANCELLED``: the guide gave up (or their session expired): not signed in.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.pin import MAX_PIN_LENGTH, MIN_PIN_LENGTH, PinProblem, pin_problem
from app.store.guides import GuideAccount, keep_new_verifier
from app.ui.session import Session
from app.ui.widgets import add_row, plain_label
from sync.outcome import GuideRefused, OfflineError, ServerError, SyncError

_PROBLEMS = {
    PinProblem.NOT_DIGITS: QT_TRANSLATE_NOOP("ChangePinDialog", "Digits only, please."),
    PinProblem.TOO_SHORT: QT_TRANSLATE_NOOP("ChangePinDialog", "At least {min} digits."),
    PinProblem.TOO_LONG: QT_TRANSLATE_NOOP("ChangePinDialog", "At most {max} digits."),
    PinProblem.ALL_SAME: QT_TRANSLATE_NOOP("ChangePinDialog", "Not one digit over and over."),
    PinProblem.STRAIGHT_RUN: QT_TRANSLATE_NOOP(
        "ChangePinDialog", "Not a straight run such as 123456 or 987654."
    ),
    PinProblem.MISMATCH: QT_TRANSLATE_NOOP(
        "ChangePinDialog", "The two entries differ. Type the new PIN again."
    ),
    PinProblem.UNCHANGED: QT_TRANSLATE_NOOP(
        "ChangePinDialog", "Choose a PIN different from the one you have."
    ),
}


def problem_text(problem: PinProblem) -> str:
    """The rule's verdict in the guide's language."""
    return (
        QCoreApplication.translate("ChangePinDialog", _PROBLEMS[problem])
        .replace("{min}", str(MIN_PIN_LENGTH))
        .replace("{max}", str(MAX_PIN_LENGTH))
    )


class ChangePinDialog(QDialog):
    CHANGED, LATER, CANCELLED = "changed", "later", "cancelled"

    def __init__(
        self,
        session: Session,
        guide: GuideAccount,
        guide_session: str,
        *,
        authority: Any,
        old_pin: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("changePinDialog")
        self.setWindowTitle(self.tr("Choose a new PIN"))
        self.session, self.guide = session, guide
        self._guide_session, self._authority, self._old = guide_session, authority, old_pin
        self.outcome = self.CANCELLED
        explain = plain_label(
            self.tr(
                "{name}, your PIN must change before you carry on: at least {n} digits, "
                "not one digit repeated, not a straight run such as 123456."
            )
            .replace("{name}", guide.name)
            .replace("{n}", str(MIN_PIN_LENGTH)),
            "changePinExplain",
        )
        self.new_pin = self._secret("changePinNew")
        self.again = self._secret("changePinAgain")
        self.message = plain_label(name="changePinMessage", selectable=False)
        form = QFormLayout()
        add_row(form, self.tr("New PIN"), self.new_pin)
        add_row(form, self.tr("New PIN again"), self.again)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("Save"))
        self.save_button.setObjectName("changePinSave")
        self.save_button.setAutoDefault(False)
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("Cancel"))
        cancel.setAutoDefault(False)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._busy = False
        self.new_pin.setFocus()
        self.resize(460, 260)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in the first field moves on to the second; in the second it saves. (The
        # dialog's default button would otherwise save half-typed entries.)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.new_pin.hasFocus() and not self.again.text():
                self.again.setFocus()
            else:
                self.submit()
            event.accept()
            return
        super().keyPressEvent(event)

    def _secret(self, name: str) -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(name)
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setMaxLength(MAX_PIN_LENGTH * 2)
        return field

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.new_pin, self.again, self.save_button):
            widget.setEnabled(not busy)

    @Slot()
    def submit(self) -> None:
        if self._busy:
            return
        new, again = self.new_pin.text(), self.again.text()
        problem = pin_problem(new, again, old=self._old)
        if problem is not None:
            self.message.setText(problem_text(problem))
            if problem is PinProblem.MISMATCH:
                self.again.clear()
                self.again.setFocus()
            else:
                self.new_pin.clear()
                self.again.clear()
                self.new_pin.setFocus()
            return
        self._set_busy(True)
        self.message.setText(self.tr("Saving at HQ…"))
        authority, session, guide_id = self._authority, self._guide_session, self.guide.id

        def send(conn: Any) -> None:
            authority.change_pin(conn, session, new)
            keep_new_verifier(conn, guide_id, new)

        self.session.write.run(send, success=self._changed, failure=self._failed, owner=self)

    def _changed(self, _result: None) -> None:
        self.outcome = self.CHANGED
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, OfflineError | ServerError):
            # The guide is at the counter: let them work, ask again next time.
            self.outcome = self.LATER
            self.accept()
            return
        if isinstance(exc, GuideRefused) and exc.code == "weak_pin":
            self.message.setText(
                self.tr("HQ refused this PIN as too easy to guess. Choose another.")
            )
        elif isinstance(exc, GuideRefused) and exc.code == "session_invalid":
            self.message.setText(self.tr("Your sign-in has expired. Sign in again."))
            self.reject()
            return
        elif isinstance(exc, SyncError):
            self.message.setText(
                self.tr("HQ refused the new PIN: {reason}").format(reason=str(exc))
            )
        else:
            self.session.errors.report(exc)
            self.message.clear()
        self.new_pin.clear()
        self.again.clear()
        self.new_pin.setFocus()
