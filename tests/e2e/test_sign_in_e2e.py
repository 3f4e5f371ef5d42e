"""Who signed in, provably: the terminal's sign-in screen against a real HQ process.

A guide types the PIN into the real SignInView (pytest-qt), the real GuideAuthority asks
HQ over HTTP; mutations made afterwards are pushed by the real sync engine, and HQ's own
database says how each guide was signed in when they acted. With HQ stopped the same
screen signs in against the local verifier and the mutations go out marked offline.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from PySide6.QtCore import Qt

from app import terminal as terminal_services
from app.domain.pin import MAX_FAILURES
from app.store import outbox
from app.ui.change_pin import ChangePinDialog
from app.ui.session import Session
from app.ui.sign_in import SignInView
from sync import credentials, protocol

from .conftest import HQ, Terminal

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

PIN = "246810"  # the template brand's PINs (tests/e2e/conftest.py)


@pytest.fixture
def counter(hq: HQ, make_terminal) -> Terminal:
    """A store terminal of S001, enrolled and synced (it knows G001 and G002)."""
    t = make_terminal("counter")
    t.enroll(hq, "S001")
    assert t.sync().ok
    return t


@pytest.fixture
def ui(qtbot, counter: Terminal) -> Iterator[Session]:
    session = Session(counter.db_file, clock=counter.clock)
    yield session
    session.close()


def sign_in_view(qtbot, session: Session) -> SignInView:
    view = SignInView(session, authority=terminal_services.GuideAuthority(timeout_s=2.0))
    qtbot.addWidget(view)
    view.show()
    return view


def type_pin(qtbot, view: SignInView, guide_id: str, pin: str) -> None:
    view.guide_box.setCurrentIndex(view.guide_box.findData(guide_id))
    qtbot.keyClicks(view.pin, pin)
    qtbot.keyClick(view.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not view._busy, timeout=10_000)


def hq_actors(hq: HQ) -> list[tuple[str, str, str | None, str | None]]:
    """HQ's record of each mutation: (guide, status, signed_in, session id)."""
    conn = sqlite3.connect(hq.folder / "hq.sqlite3")
    try:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT guide_id, status, signed_in, session_id FROM mutations ORDER BY received_at"
            )
        ]
    finally:
        conn.close()


def test_online_sign_in_makes_hq_record_the_person(qtbot, hq: HQ, counter, ui) -> None:
    view = sign_in_view(qtbot, ui)
    with qtbot.waitSignal(view.signed_in, timeout=10_000) as signed:
        type_pin(qtbot, view, "G002", PIN)
    assert signed.args[0].id == "G002" and view.last_check.online
    assert not view.pin_change_later
    counter.follow_up("C0001", "G002", "线上登录后记的跟进")
    [entry] = outbox.pending(counter.conn)
    assert entry.session == view.last_check.session
    report = counter.sync()
    assert report.ok and report.pushed == 1 and report.rejected == 0
    [(guide, status, signed_in, session_id)] = hq_actors(hq)
    assert (guide, status, signed_in) == ("G002", "applied", "hq")
    assert session_id  # HQ's id of the session, never the secret the terminal holds
    assert session_id != view.last_check.session


def test_hq_down_signs_in_offline_and_marks_the_mutations(qtbot, hq: HQ, counter, ui) -> None:
    hq.stop()
    view = sign_in_view(qtbot, ui)
    with qtbot.waitSignal(view.signed_in, timeout=10_000):
        type_pin(qtbot, view, "G002", PIN)
    assert not view.last_check.online
    counter.follow_up("C0002", "G002", "离线登录后记的跟进")
    assert [e.session for e in outbox.pending(counter.conn)] == [None]
    hq.restart()
    assert counter.sync().ok
    assert hq_actors(hq) == [("G002", "applied", "offline", None)]


def test_wrong_pins_are_counted_by_hq_which_locks_the_guide(qtbot, hq: HQ, counter, ui) -> None:
    view = sign_in_view(qtbot, ui)
    for _ in range(MAX_FAILURES):
        type_pin(qtbot, view, "G002", "135790")
    status = json.loads(hq.run("pin-status", "G002", "--json"))
    assert status["locked_at"] and status["failures"] >= 0, status
    # HQ's answer to the fifth: locked there (unlocked by a manager or HQ, not by time).
    assert view.last_check.refusal == "guide_locked"
    assert "locked at HQ" in view.message.text()
    # A colleague still signs in, online.
    with qtbot.waitSignal(view.signed_in, timeout=10_000):
        type_pin(qtbot, view, "G001", PIN)
    assert view.last_check.online
    # HQ's lock refuses her right PIN, on a new screen too — and offline as well.
    view.close()
    again = sign_in_view(qtbot, ui)
    type_pin(qtbot, again, "G002", PIN)
    assert again.last_check.refusal == "guide_locked"
    hq.stop()
    type_pin(qtbot, again, "G002", PIN)
    assert again.last_check.refusal == "guide_locked" and "locked at HQ" in again.message.text()
    # HQ unlocks her (the manager or HQ operations): she signs in, online.
    hq.restart()
    hq.run("unlock-guide", "G002")
    with qtbot.waitSignal(again.signed_in, timeout=10_000):
        type_pin(qtbot, again, "G002", PIN)
    assert again.last_check.online


def test_rotation_saves_the_new_token_and_a_failed_save_keeps_the_old(hq: HQ, counter) -> None:
    terminal_id = counter.replica().get_state("terminal_id")
    first = credentials.load_token(terminal_id)

    def keyring_refuses(token: str) -> None:
        raise credentials.CredentialError("keyring locked")

    engine = counter.engine(on_new_token=keyring_refuses)
    try:
        assert not engine.rotate()  # HQ issued a token the terminal could not keep
    finally:
        engine.close()
    assert credentials.load_token(terminal_id) == first
    assert counter.sync().ok  # the old token still works (HQ's grace)
    # The next hello says rotate (the terminal still uses the replaced token): saved first.
    counter.replica().set_state(last_hello_at=None)
    assert counter.sync().ok
    second = credentials.load_token(terminal_id)
    assert second and second != first
    assert counter.replica().get_state("token_expires_at")
    assert counter.sync().ok  # with the new token
    old = httpx.post(
        hq.url + "/v1/hello",
        json={"protocol": protocol.PROTOCOL_VERSION},
        headers={"Authorization": f"Bearer {first}"},
        timeout=10,
    )
    assert old.status_code == 401  # the new one was used: the old one stopped working


def test_a_temporary_pin_is_changed_at_sign_in(qtbot, hq: HQ, counter, ui) -> None:
    hq.run("set-pin", "G001", "--pin", "975310", "--must-change")
    assert counter.sync().ok  # the new verifier reaches the terminal too
    view = sign_in_view(qtbot, ui)
    type_pin(qtbot, view, "G001", "975310")
    qtbot.waitUntil(lambda: view.findChild(ChangePinDialog) is not None)
    dialog = view.findChild(ChangePinDialog)
    qtbot.keyClicks(dialog.new_pin, "864209")
    qtbot.keyClick(dialog.new_pin, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.again, "864209")
    with qtbot.waitSignal(view.signed_in, timeout=10_000):
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    status = json.loads(hq.run("pin-status", "G001", "--json"))
    assert not status["must_change_pin"]
    # HQ takes the new PIN, and refuses the temporary one.
    again = sign_in_view(qtbot, ui)
    type_pin(qtbot, again, "G001", "975310")
    assert again.last_check.refusal == "wrong_pin"
    with qtbot.waitSignal(again.signed_in, timeout=10_000):
        type_pin(qtbot, again, "G001", "864209")
    assert again.last_check.online and not again.last_check.must_change_pin
