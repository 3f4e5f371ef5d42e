"""The sign-in screen (and the lock screen): choose yourself, type your PIN.

Who checks the PIN (``check_pin``, run on the write lane — never on the UI thread):

* HQ, when it answers within a few seconds (``GuideAuthority.sign_in``). HQ's answer
  wins: a wrong PIN is counted there (and here), a guide HQ locked or disabled is
  refused in plain words, and a good PIN returns a guide session that every mutation of
  the guide carries from then on (``app.store.sessions``).
* the local argon2 verifier HQ sent, only when HQ cannot be reached (network down, a
  timeout, HQ broken behind its proxy) — never after HQ refused. The guide is then
  "signed in offline": their mutations carry no session, and HQ records them so.

Wrong PINs are counted per guide in the store (``app.domain.pin``): they survive a
restart and lock that guide only, for longer each time; the screen shows the remaining
wait for the guide chosen. A PIN shorter than six digits (or HQ's ``must_change_pin``)
must change at once: the change-PIN dialog, sent to HQ. Offline that cannot be done: the
guide is let in and told it will be asked next time HQ is reachable.

The same view is the lock screen (``locked_guide`` set): that guide is preselected and
the title says the screen is locked; another guide may sign in from it too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

from app.domain.pin import MAX_PIN_LENGTH, Lockout, must_change
from app.store import sessions
from app.store.changes import Changes
from app.store.guides import GuideAccount, get_guide, list_guides, verify_pin
from app.store.replica import sync_status
from app.ui.session import Session
from app.ui.widgets import add_row, plain_label
from sync.outcome import GuideRefused, OfflineError, ServerError, SyncError

log = logging.getLogger("guidedesk.ui")

# Refusals ``check_pin`` may answer (HQ's error codes, and two of the terminal's own).
LOCKED_HERE = "locked_here"  # too many wrong PINs on this terminal: wait
TERMINAL = "terminal"  # HQ refused the terminal itself (credential, version): see message


@dataclass(frozen=True, slots=True)
class PinCheck:
    """What one sign-in attempt came to."""

    guide: GuideAccount | None = None
    online: bool = False  # checked at HQ (a session was returned)
    session: str | None = None
    must_change_pin: bool = False
    refusal: str | None = None  # wrong_pin, guide_locked, guide_disabled, rate_limited, …
    lockout: Lockout = field(default_factory=Lockout)
    remaining_tries: int | None = None  # HQ's count, for a wrong PIN checked there
    retry_after: int | None = None
    message: str = ""


def check_pin(conn: Any, authority: Any | None, guide_id: str, pin: str, now: datetime) -> PinCheck:
    """Sign ``guide_id`` in with ``pin``: at HQ when it answers, else locally. Runs on the
    write lane (it counts wrong PINs and keeps the session); ``authority`` is None on a
    terminal that is not enrolled."""
    state = sessions.lockout(conn, guide_id)
    if state.is_locked(now):
        return PinCheck(refusal=LOCKED_HERE, lockout=state)
    if authority is not None:
        try:
            answer = authority.sign_in(conn, guide_id, pin)
        except GuideRefused as exc:
            if exc.code == "wrong_pin":
                state = sessions.record_wrong_pin(conn, guide_id, now=now)
                return PinCheck(
                    refusal="wrong_pin", lockout=state, remaining_tries=exc.remaining_tries
                )
            if exc.code == "guide_locked":
                sessions.note_locked_at_hq(conn, guide_id, True)
            return PinCheck(refusal=exc.code, retry_after=exc.retry_after, message=str(exc))
        except (OfflineError, ServerError) as exc:
            log.info(
                "HQ did not answer the sign-in (%s): checking the PIN here", type(exc).__name__
            )
        except SyncError as exc:  # the terminal's credential refused, revoked, too old
            return PinCheck(refusal=TERMINAL, message=str(exc))
        else:
            guide = get_guide(conn, guide_id)
            sessions.clear_wrong_pins(conn, guide_id)
            sessions.note_locked_at_hq(conn, guide_id, False)
            sessions.start_session(conn, guide_id, answer.session, answer.expires_at, now=now)
            sessions.set_idle_lock_seconds(conn, answer.idle_lock_seconds)
            return PinCheck(
                guide=guide,
                online=True,
                session=answer.session,
                must_change_pin=answer.must_change_pin or must_change(pin),
            )
    if guide_id in sessions.locked_at_hq(conn):
        return PinCheck(refusal="guide_locked")
    guide = verify_pin(conn, guide_id, pin)
    if guide is None:
        return PinCheck(
            refusal="wrong_pin", lockout=sessions.record_wrong_pin(conn, guide_id, now=now)
        )
    sessions.clear_wrong_pins(conn, guide_id)
    # Signed in offline: an HQ session from an earlier sign-in does not carry over.
    sessions.end_session(conn, guide_id)
    return PinCheck(guide=guide, online=False, must_change_pin=must_change(pin))


def sign_out(conn: Any, authority: Any | None, guide_id: str, now: datetime) -> None:
    """End the guide's session here and, when HQ answers, there. Nothing queued changes."""
    session = sessions.session_for(conn, guide_id, sessions.iso(now))
    sessions.end_session(conn, guide_id)
    if session is None or authority is None:
        return
    try:
        authority.sign_out(conn, session)
    except SyncError as exc:  # it expires by itself; HQ being away must not keep anyone in
        log.info("HQ did not take the sign-out (%s)", type(exc).__name__)


def _wait_text(seconds: int) -> str:
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}:{seconds:02d}"


class SignInView(QWidget):
    """Guide list and PIN; ``signed_in(GuideAccount)`` once a PIN checked out.

    ``pin_change_later`` is set when the guide was let in offline with a PIN that must
    change (the window that opens next says so).
    """

    signed_in = Signal(object)  # GuideAccount
    sync_requested = Signal()

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        *,
        authority: Any | None = None,
        locked_guide: GuideAccount | None = None,
        tick_ms: int = 500,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen" if locked_guide else "signIn")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.session = session
        self.authority = authority
        self.locked_guide = locked_guide
        self.pin_change_later = False
        self.last_check: PinCheck | None = None
        self._lockout = Lockout()
        self._busy = False
        self._pin_dialog: Any = None

        title = plain_label(
            self.tr("Locked") if locked_guide else self.tr("GuideDesk"),
            "signInTitle",
            wrap=False,
            selectable=False,
        )
        self.store = plain_label(name="signInStore", selectable=False)
        self.hint = plain_label(name="signInHint", selectable=False)
        if locked_guide is not None:
            self.hint.setText(
                self.tr(
                    "{name} locked this screen. Type the PIN to carry on, or choose another guide."
                ).format(name=locked_guide.name)
            )
        self.hint.setVisible(locked_guide is not None)
        self.guide_box = QComboBox()
        self.guide_box.setObjectName("signInGuide")
        self.guide_box.currentIndexChanged.connect(self._guide_chosen)
        self.pin = QLineEdit()
        self.pin.setObjectName("signInSecret")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.pin.setMaxLength(MAX_PIN_LENGTH * 2)  # longer is simply wrong, and counted
        self.pin.returnPressed.connect(self.submit)
        self.button = QPushButton(self.tr("Unlock") if locked_guide else self.tr("Sign in"))
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
        for widget in (title, self.store, self.hint):
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
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._update_lock)
        session.hub.changed.connect(self._on_changes)
        self.reload()
        if locked_guide is not None and self.guide_box.findData(locked_guide.id) >= 0:
            self.guide_box.setCurrentIndex(self.guide_box.findData(locked_guide.id))
        self.pin.setFocus()

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("guide", "store"):
            self.reload()

    def reload(self) -> None:
        """Fill the guide list (managers first) from the local store."""
        current = self.guide_box.currentData()
        guides = list_guides(self.session.conn)
        self.guide_box.blockSignals(True)
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
        self.guide_box.blockSignals(False)
        status = sync_status(self.session.conn)
        self.store.setText(status.store_name or status.store_id or "")
        self.sync_button.setVisible(not guides)
        if not guides:
            self.message.setText(
                self.tr("No guides on this terminal yet: sync first, or ask IT to enrol it.")
            )
        self._guide_chosen()

    @Slot()
    def _guide_chosen(self) -> None:
        """Show the lock of the guide chosen, and only theirs (a tiny read)."""
        guide_id = self.guide_box.currentData()
        self._lockout = sessions.lockout(self.session.conn, guide_id) if guide_id else Lockout()
        if self._lockout.is_locked(self.session.clock()):
            self._tick.start()
            self._update_lock()
        else:
            if self._tick.isActive():
                self._tick.stop()
                self.message.clear()
            self._update_enabled()

    def _locked_now(self) -> bool:
        return self._lockout.is_locked(self.session.clock())

    def _update_enabled(self) -> None:
        has_guides = self.guide_box.count() > 0 and not self._busy
        self.guide_box.setEnabled(has_guides)
        for widget in (self.button, self.pin):
            widget.setEnabled(has_guides and not self._locked_now())

    @Slot()
    def submit(self) -> None:
        guide_id, pin = self.guide_box.currentData(), self.pin.text()
        if not guide_id or self._busy or self._locked_now():
            return
        if not pin:
            self.message.setText(self.tr("Type your PIN."))
            return
        self._busy = True
        self._update_enabled()
        self.message.setText(self.tr("Checking…"))
        authority, now = self.authority, self.session.clock()
        self.session.write.run(
            lambda conn: check_pin(conn, authority, guide_id, pin, now),
            success=lambda check: self._checked(check, pin),
            failure=self._check_failed,
            owner=self,
        )

    def _checked(self, check: PinCheck, pin: str) -> None:
        self._busy = False
        self.last_check = check
        self.pin.clear()
        if check.guide is not None:
            self.message.clear()
            if check.must_change_pin and check.online and check.session:
                self._change_pin(check, pin)
                return
            self.pin_change_later = check.must_change_pin
            self._update_enabled()
            self.signed_in.emit(check.guide)
            return
        self._refused(check)
        self._update_enabled()
        self.pin.setFocus()

    def _refused(self, check: PinCheck) -> None:
        name = self.guide_box.currentText()
        if check.refusal in ("wrong_pin", LOCKED_HERE):
            self._lockout = check.lockout
            if self._locked_now():
                self._tick.start()
                self._update_lock()
                return
            left = check.lockout.tries_left()
            if check.remaining_tries is not None:
                left = min(left, check.remaining_tries)
            self.message.setText(
                self.tr("Wrong PIN. Tries left before {name} is paused: {n}").format(
                    name=name, n=left
                )
            )
        elif check.refusal == "guide_locked":
            self.message.setText(
                self.tr(
                    "{name} is locked at HQ after too many wrong PINs. Ask your store "
                    "manager or HQ to unlock."
                ).format(name=name)
            )
        elif check.refusal == "guide_disabled":
            self.message.setText(
                self.tr("{name} can no longer sign in: HQ has disabled this account.").format(
                    name=name
                )
            )
        elif check.refusal == "rate_limited":
            wait = check.retry_after or 60
            self.message.setText(
                self.tr("Too many sign-in attempts at HQ. Try again in {time}.").format(
                    time=_wait_text(wait)
                )
            )
        else:
            self.message.setText(
                self.tr("HQ refused the sign-in: {reason}").format(reason=check.message)
            )

    def _change_pin(self, check: PinCheck, old_pin: str) -> None:
        from app.ui.change_pin import ChangePinDialog

        assert check.guide is not None and check.session is not None
        guide, session = check.guide, check.session
        dialog = ChangePinDialog(
            self.session, guide, session, authority=self.authority, old_pin=old_pin, parent=self
        )
        self._pin_dialog = dialog

        def finished(result: int) -> None:
            self._pin_dialog = None
            self._update_enabled()
            if dialog.outcome == ChangePinDialog.CHANGED:
                self.signed_in.emit(guide)
            elif dialog.outcome == ChangePinDialog.LATER:
                self.pin_change_later = True
                self.signed_in.emit(guide)
            else:
                self.message.setText(
                    self.tr("Your PIN must change before you can sign in. Sign in again.")
                )
                self._end_session(guide.id)
                self.pin.setFocus()

        dialog.finished.connect(finished)
        dialog.open()

    def _end_session(self, guide_id: str) -> None:
        authority, now = self.authority, self.session.clock()
        self.session.write.run(lambda conn: sign_out(conn, authority, guide_id, now))

    def _check_failed(self, exc: BaseException) -> None:
        self._busy = False
        self.message.clear()
        self._update_enabled()
        self.session.errors.report(exc)

    @Slot()
    def _update_lock(self) -> None:
        left = self._lockout.seconds_left(self.session.clock())
        if left <= 0:
            self._tick.stop()
            self.message.setText(self.tr("You can try again now."))
            self._update_enabled()
            self.pin.setFocus()
            return
        self._update_enabled()
        self.message.setText(
            self.tr("Too many wrong PINs for {name}. Try again in {time}.").format(
                name=self.guide_box.currentText(), time=_wait_text(left)
            )
        )
