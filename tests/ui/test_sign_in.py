"""Sign-in as a guide does it: choose yourself, type the PIN, press Enter.

HQ is played at the transport edge (httpx.MockTransport behind the real GuideAuthority,
with the terminal enrolled in the store and its token in the keyring); the real HQ
process is in tests/e2e/test_sign_in_e2e.py. Wrong PINs are counted in the store, so a
new view on a new connection of the same file is still locked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

from app import terminal as terminal_services
from app.domain.pin import MAX_FAILURES
from app.store import outbox, sessions
from app.store.customers import log_followup
from app.store.replica import TerminalReplica
from app.ui.change_pin import ChangePinDialog
from app.ui.session import Session
from app.ui.sign_in import SignInView
from sync import credentials, protocol

from .conftest import PIN

EXPIRES = "2026-11-22T22:30:00Z"


def sign_in_view(qtbot, session, **options) -> SignInView:
    view = SignInView(session, **options)
    qtbot.addWidget(view)
    view.show()
    return view


def choose(view: SignInView, guide_id: str) -> None:
    box = view.findChild(QComboBox, "signInGuide")
    box.setCurrentIndex(box.findData(guide_id))


def type_pin(qtbot, view: SignInView, guide_id: str, pin: str) -> None:
    """Choose the guide, type the PIN key by key, press Enter, wait for the answer."""
    choose(view, guide_id)
    secret = view.findChild(QLineEdit, "signInSecret")
    qtbot.keyClicks(secret, pin)
    qtbot.keyClick(secret, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view._busy)


class FakeHQ:
    """HQ's sign-in and change-pin endpoints; ``answer`` decides each reply."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict, str | None]] = []
        self.answer: Callable[[str, dict], httpx.Response] = self.good

    @staticmethod
    def good(path: str, body: dict) -> httpx.Response:
        if path == "/v1/sign-in":
            return httpx.Response(
                200,
                json={
                    "session": f"sess-{body['guide_id']}",
                    "expires_at": EXPIRES,
                    "guide_id": body["guide_id"],
                    "must_change_pin": len(body["pin"]) < 6,
                    "idle_lock_seconds": 180,
                },
            )
        return httpx.Response(200, json={"ok": True})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append((request.url.path, body, request.headers.get(protocol.SESSION_HEADER)))
        return self.answer(request.url.path, body)


def refuse(status: int, code: str, **extra) -> Callable[[str, dict], httpx.Response]:
    return lambda path, body: httpx.Response(status, json={"error": code, "message": code, **extra})


def down(path: str, body: dict) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


@pytest.fixture
def hq(session: Session) -> FakeHQ:
    """The terminal enrolled (store + keyring) with an HQ at the transport edge."""
    TerminalReplica(session.conn, clock=session.clock).set_state(
        terminal_id="T1", server="http://hq.test"
    )
    credentials.save_token("T1", "token-1")
    return FakeHQ()


@pytest.fixture
def authority(hq: FakeHQ) -> terminal_services.GuideAuthority:
    return terminal_services.GuideAuthority(transport=httpx.MockTransport(hq))


def test_guides_are_listed_managers_first(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    box = view.findChild(QComboBox, "signInGuide")
    assert [box.itemData(i) for i in range(box.count())] == ["M001", "G001", "G002"]
    assert view.findChild(QLineEdit, "signInSecret").echoMode() == QLineEdit.EchoMode.Password
    assert view.store.text() == "静安嘉里店"


def test_offline_terminal_signs_in_against_the_local_verifier(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    with qtbot.waitSignal(view.signed_in) as signed:
        type_pin(qtbot, view, "G001", PIN)
    assert signed.args[0].id == "G001"
    assert not view.last_check.online and view.last_check.session is None
    # A 4-digit PIN must change, which needs HQ: the guide works now, is told so.
    assert view.pin_change_later


def test_wrong_pin_says_so_plainly(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    with qtbot.assertNotEmitted(view.signed_in):
        type_pin(qtbot, view, "G001", "9999")
    assert "Wrong PIN" in view.message.text()
    assert f"{MAX_FAILURES - 1}" in view.message.text()
    assert view.findChild(QLineEdit, "signInSecret").text() == ""


def test_five_wrong_pins_lock_that_guide_only_and_for_longer_each_time(
    qtbot, session, clock
) -> None:
    view = sign_in_view(qtbot, session, tick_ms=20)
    button = view.findChild(QPushButton, "signInButton")
    for _ in range(MAX_FAILURES):
        type_pin(qtbot, view, "G001", "000000")
    assert not button.isEnabled()
    assert "Too many wrong PINs for 王丽" in view.message.text()
    assert "1:00" in view.message.text()
    # A colleague is not locked out: choosing them enables the PIN again, no wait shown.
    choose(view, "G002")
    assert button.isEnabled() and "Too many" not in view.message.text()
    with qtbot.waitSignal(view.signed_in) as signed:
        type_pin(qtbot, view, "G002", PIN)
    assert signed.args[0].id == "G002"
    # Back to the locked guide: the wait is theirs, and it runs out.
    choose(view, "G001")
    assert not button.isEnabled()
    clock.now += timedelta(seconds=61)
    qtbot.waitUntil(button.isEnabled)
    assert "try again now" in view.message.text()
    for _ in range(MAX_FAILURES):
        type_pin(qtbot, view, "G001", "000000")
    assert "5:00" in view.message.text()  # the second lock lasts five minutes


def test_lockout_survives_a_restart(qtbot, terminal, clock) -> None:
    first = Session(terminal, clock=clock)
    try:
        view = sign_in_view(qtbot, first)
        for _ in range(MAX_FAILURES):
            type_pin(qtbot, view, "G001", "000000")
        assert not view.findChild(QPushButton, "signInButton").isEnabled()
        view.close()
    finally:
        first.close()
    clock.now += timedelta(seconds=20)
    again = Session(terminal, clock=clock)  # the app started again: new connections
    try:
        view = sign_in_view(qtbot, again)
        choose(view, "G001")
        button = view.findChild(QPushButton, "signInButton")
        assert not button.isEnabled()
        assert "0:40" in view.message.text()
        choose(view, "G002")
        assert button.isEnabled()
        with qtbot.waitSignal(view.signed_in):
            type_pin(qtbot, view, "G002", PIN)
    finally:
        again.close()


def test_online_sign_in_keeps_hqs_session_for_the_guides_mutations(
    qtbot, session, hq, authority
) -> None:
    view = sign_in_view(qtbot, session, authority=authority)
    with qtbot.waitSignal(view.signed_in):
        type_pin(qtbot, view, "G002", "482916")
    assert hq.requests[0][:2] == (
        "/v1/sign-in",
        {"protocol": 1, "guide_id": "G002", "pin": "482916"},
    )
    assert view.last_check.online and not view.pin_change_later
    assert sessions.idle_lock_seconds(session.conn) == 180  # HQ's word for the brand
    log_followup(
        session.conn,
        customer_id="C5",
        guide_id="G002",
        channel="wechat",
        note="到店试衣",
        now=session.now_iso(),
    )
    [entry] = outbox.pending(session.conn)
    assert entry.session == "sess-G002"


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (refuse(423, "guide_locked"), "locked at HQ"),
        (refuse(403, "guide_disabled"), "HQ has disabled"),
        (refuse(429, "rate_limited", retry_after=90), "1:30"),
    ],
)
def test_hqs_refusal_wins_over_the_local_verifier(
    qtbot, session, hq, authority, answer, words
) -> None:
    hq.answer = answer
    view = sign_in_view(qtbot, session, authority=authority)
    with qtbot.assertNotEmitted(view.signed_in):
        type_pin(qtbot, view, "G001", PIN)  # the right PIN for the local verifier
    assert words in view.message.text()


def test_a_guide_hq_locked_cannot_sign_in_offline_either(qtbot, session, hq, authority) -> None:
    hq.answer = refuse(423, "guide_locked")
    view = sign_in_view(qtbot, session, authority=authority)
    type_pin(qtbot, view, "G001", PIN)
    hq.answer = down
    with qtbot.assertNotEmitted(view.signed_in):
        type_pin(qtbot, view, "G001", PIN)
    assert "locked at HQ" in view.message.text()


def test_a_wrong_pin_at_hq_counts_here_too(qtbot, session, hq, authority) -> None:
    hq.answer = refuse(401, "wrong_pin", remaining_tries=2)
    view = sign_in_view(qtbot, session, authority=authority)
    type_pin(qtbot, view, "G001", "111111")
    assert "Tries left before 王丽 is paused: 2" in view.message.text()  # HQ's count
    assert sessions.lockout(session.conn, "G001").failures == 1


def test_unreachable_hq_signs_in_offline_without_a_session(qtbot, session, hq, authority) -> None:
    sessions.start_session(session.conn, "G001", "old-session", EXPIRES, now=session.clock())
    hq.answer = down
    view = sign_in_view(qtbot, session, authority=authority)
    with qtbot.waitSignal(view.signed_in):
        type_pin(qtbot, view, "G001", PIN)
    assert not view.last_check.online
    # An older HQ session does not carry over to an offline sign-in.
    assert sessions.session_for(session.conn, "G001", session.now_iso()) is None


def test_a_short_pin_must_change_at_hq(qtbot, session, hq, authority) -> None:
    view = sign_in_view(qtbot, session, authority=authority)
    type_pin(qtbot, view, "G001", PIN)
    qtbot.waitUntil(lambda: view.findChild(ChangePinDialog) is not None)
    dialog = view.findChild(ChangePinDialog)
    qtbot.waitUntil(dialog.isVisible)
    new, again = (
        dialog.findChild(QLineEdit, "changePinNew"),
        dialog.findChild(QLineEdit, "changePinAgain"),
    )
    # The rule first, on the terminal: a straight run is refused before HQ hears of it.
    qtbot.keyClicks(new, "123456")
    qtbot.keyClick(new, Qt.Key.Key_Return)
    qtbot.keyClicks(again, "123456")
    qtbot.keyClick(again, Qt.Key.Key_Return)
    assert "straight run" in dialog.message.text()
    assert [path for path, _, _ in hq.requests] == ["/v1/sign-in"]
    qtbot.keyClicks(new, "482916")
    qtbot.keyClick(new, Qt.Key.Key_Return)
    qtbot.keyClicks(again, "482961")
    qtbot.keyClick(again, Qt.Key.Key_Return)
    assert "differ" in dialog.message.text()
    qtbot.keyClicks(again, "482916")
    with qtbot.waitSignal(view.signed_in):
        qtbot.keyClick(again, Qt.Key.Key_Return)
    assert hq.requests[-1] == ("/v1/change-pin", {"protocol": 1, "new_pin": "482916"}, "sess-G001")
    assert not view.pin_change_later
    # The new PIN works offline at once (before a sync brings HQ's verifier).
    hq.answer = down
    view2 = sign_in_view(qtbot, session, authority=authority)
    with qtbot.waitSignal(view2.signed_in):
        type_pin(qtbot, view2, "G001", "482916")
    assert not view2.last_check.online and not view2.pin_change_later


def test_pin_change_with_hq_gone_lets_the_guide_work_and_says_when(
    qtbot, session, hq, authority
) -> None:
    view = sign_in_view(qtbot, session, authority=authority)
    type_pin(qtbot, view, "G001", PIN)
    qtbot.waitUntil(lambda: view.findChild(ChangePinDialog) is not None)
    dialog = view.findChild(ChangePinDialog)
    hq.answer = down
    qtbot.keyClicks(dialog.findChild(QLineEdit, "changePinNew"), "482916")
    again = dialog.findChild(QLineEdit, "changePinAgain")
    qtbot.keyClicks(again, "482916")
    with qtbot.waitSignal(view.signed_in):
        qtbot.keyClick(again, Qt.Key.Key_Return)
    assert view.pin_change_later


def test_hq_refusing_the_new_pin_keeps_the_dialog(qtbot, session, hq, authority) -> None:
    view = sign_in_view(qtbot, session, authority=authority)
    type_pin(qtbot, view, "G001", PIN)
    qtbot.waitUntil(lambda: view.findChild(ChangePinDialog) is not None)
    dialog = view.findChild(ChangePinDialog)
    hq.answer = refuse(422, "weak_pin")
    qtbot.keyClicks(dialog.findChild(QLineEdit, "changePinNew"), "482916")
    again = dialog.findChild(QLineEdit, "changePinAgain")
    qtbot.keyClicks(again, "482916")
    with qtbot.assertNotEmitted(view.signed_in):
        qtbot.keyClick(again, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "too easy" in dialog.message.text())
    assert dialog.isVisible()
    # Cancelling the change does not sign in (and ends the session HQ gave).
    hq.answer = FakeHQ.good
    with qtbot.assertNotEmitted(view.signed_in):
        dialog.reject()
    assert "must change" in view.message.text()
    qtbot.waitUntil(lambda: hq.requests[-1][0] == "/v1/sign-out")
    qtbot.waitUntil(lambda: sessions.session_for(session.conn, "G001", session.now_iso()) is None)


def test_empty_terminal_offers_to_sync(qtbot, db_path, clock) -> None:
    session = Session(db_path, clock=clock)
    try:
        view = sign_in_view(qtbot, session)
        assert view.findChild(QComboBox, "signInGuide").count() == 0
        assert not view.findChild(QPushButton, "signInButton").isEnabled()
        assert view.sync_button.isVisibleTo(view)
        assert "sync first" in view.message.text()
    finally:
        session.close()
