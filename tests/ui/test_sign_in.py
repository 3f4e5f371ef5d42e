"""Sign-in: the guide list, PIN checked off the UI thread, lockout after 5 wrong PINs."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton

from app.ui.sign_in import LOCK_SECONDS, MAX_FAILURES, SignInView


def sign_in_view(qtbot, session) -> SignInView:
    view = SignInView(session)
    qtbot.addWidget(view)
    view.show()
    return view


def attempt(qtbot, view: SignInView, guide_id: str, pin: str) -> None:
    box = view.findChild(QComboBox, "signInGuide")
    box.setCurrentIndex(box.findData(guide_id))
    secret = view.findChild(QLineEdit, "signInSecret")
    secret.setText(pin)
    view.findChild(QPushButton, "signInButton").click()
    qtbot.waitUntil(lambda: not view._busy)


def test_guides_are_listed_managers_first(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    box = view.findChild(QComboBox, "signInGuide")
    assert [box.itemData(i) for i in range(box.count())] == ["M001", "G001", "G002"]
    assert view.findChild(QLineEdit, "signInSecret").echoMode() == QLineEdit.EchoMode.Password
    assert view.store.text() == "静安嘉里店"


def test_right_pin_signs_in(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    with qtbot.waitSignal(view.signed_in) as signed:
        attempt(qtbot, view, "G001", "1234")
    assert signed.args[0].id == "G001"


def test_wrong_pin_says_so_plainly(qtbot, session) -> None:
    view = sign_in_view(qtbot, session)
    with qtbot.assertNotEmitted(view.signed_in):
        attempt(qtbot, view, "G001", "9999")
    assert "Wrong PIN" in view.message.text()
    assert view.findChild(QLineEdit, "signInSecret").text() == ""


def test_five_wrong_pins_lock_for_a_minute(qtbot, session, clock) -> None:
    view = sign_in_view(qtbot, session)
    for _ in range(MAX_FAILURES):
        attempt(qtbot, view, "G001", "0000")
    button = view.findChild(QPushButton, "signInButton")
    assert not button.isEnabled()
    assert "Too many wrong PINs" in view.message.text()
    clock.now += timedelta(seconds=LOCK_SECONDS + 1)
    qtbot.waitUntil(button.isEnabled)
    with qtbot.waitSignal(view.signed_in):
        attempt(qtbot, view, "G001", "1234")


def test_empty_terminal_offers_to_sync(qtbot, db_path, clock) -> None:
    from app.ui.session import Session

    session = Session(db_path, clock=clock)
    try:
        view = sign_in_view(qtbot, session)
        assert view.findChild(QComboBox, "signInGuide").count() == 0
        assert not view.findChild(QPushButton, "signInButton").isEnabled()
        assert view.sync_button.isVisibleTo(view)
        assert "sync first" in view.message.text()
    finally:
        session.close()
