"""The idle lock and the lock key, driven as a guide would (keys, clicks, a PIN, Enter).

Time is the session's fake clock: the test moves it past the idle delay and the watch's
short tick notices — no sleeping for minutes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit, QPushButton, QToolButton

from app.store import sessions
from app.store.replica import TerminalReplica
from app.ui.app import UiContext, Workbench
from app.ui.main_window import MainWindow
from app.ui.session import Session
from app.ui.sign_in import SignInView
from app.ui.sync_panel import SyncController
from sync.outcome import SyncReport

from .conftest import PIN
from .test_customer_book import type_into

IDLE = 300


def open_window(qtbot, session, guide, **options) -> MainWindow:
    options.setdefault("idle_seconds", IDLE)
    window = MainWindow(session, guide, SyncController(session, None), idle_tick_ms=20, **options)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: window.customers.model.rowCount() == 4)
    return window


def open_follow_up(qtbot, window: MainWindow, note: str):
    """Open 张三's profile and start typing a follow-up (not saved)."""
    book = window.customers
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready)
    book.profile.findChild(QPushButton, "logFollowUpButton").click()
    qtbot.waitUntil(lambda: window.findChild(QPlainTextEdit, "followUpNote") is not None)
    text = window.findChild(QPlainTextEdit, "followUpNote")
    dialog = text.window()
    qtbot.waitUntil(dialog.isVisible)
    type_into(qtbot, text, note)
    return dialog, text


def visible_texts() -> str:
    """Every text a person could read on screen now (labels, fields, list cells, titles)."""
    parts: list[str] = []
    for widget in QApplication.allWidgets():
        if not widget.isVisible():
            continue
        for getter in ("text", "toPlainText", "currentText"):
            method = getattr(widget, getter, None)
            if callable(method):
                try:
                    value = method()
                except TypeError:
                    continue
                if isinstance(value, str):
                    parts.append(value)
        model = getattr(widget, "model", None)
        if callable(model) and hasattr(model(), "rowCount") and widget.isVisible():
            m = model()
            for row in range(min(m.rowCount(), 50)):
                for column in range(m.columnCount()):
                    value = m.index(row, column).data()
                    if isinstance(value, str):
                        parts.append(value)
    return "\n".join(parts)


def unlock_with(qtbot, window: MainWindow, pin: str) -> None:
    secret = window.lock_screen.findChild(QLineEdit, "signInSecret")
    qtbot.keyClicks(secret, pin)
    qtbot.keyClick(secret, Qt.Key.Key_Return)


def test_idle_time_locks_and_hides_every_customer_detail(qtbot, session, guide, clock) -> None:
    window = open_window(qtbot, session, guide)
    dialog, note = open_follow_up(qtbot, window, "她想要米白色M码")
    assert "张三" in visible_texts()
    clock.now += timedelta(seconds=IDLE + 1)
    qtbot.waitUntil(lambda: window.locked)
    assert window.screens.currentWidget() is window.lock_screen
    assert not window.customers.isVisible() and not window.rail.isVisible()
    assert not dialog.isVisible()
    shown = visible_texts()
    for detail in ("张三", "曾小凡", "13812345678", "5678", "米白色"):
        assert detail not in shown
    # The lock screen is the locked guide's: preselected, the PIN field has the keys.
    lock = window.lock_screen
    assert lock.guide_box.currentData() == "G001"
    assert lock.objectName() == "lockScreen"
    qtbot.waitUntil(lock.pin.hasFocus)
    # A wrong PIN keeps it locked; the right one brings back the dialog with the typing.
    unlock_with(qtbot, window, "999999")
    qtbot.waitUntil(lambda: "Wrong PIN" in lock.message.text())
    assert window.locked and not dialog.isVisible()
    unlock_with(qtbot, window, PIN)
    qtbot.waitUntil(lambda: not window.locked)
    assert window.screens.currentWidget() is window.workspace
    qtbot.waitUntil(dialog.isVisible)
    assert note.toPlainText() == "她想要米白色M码"
    dialog.reject()


def test_input_keeps_the_workbench_open(qtbot, session, guide, clock) -> None:
    window = open_window(qtbot, session, guide)
    search = window.findChild(QLineEdit, "customerSearch")
    for _ in range(3):
        clock.now += timedelta(seconds=IDLE - 60)
        qtbot.keyClicks(search, "1")  # the guide is working
        qtbot.wait(60)  # a few ticks of the watch pass
        assert not window.locked
    clock.now += timedelta(seconds=IDLE)
    qtbot.waitUntil(lambda: window.locked)


def test_ctrl_l_and_the_lock_button_lock(qtbot, session, guide) -> None:
    window = open_window(qtbot, session, guide, idle_seconds=3600)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked and not window.customers.isVisible()
    unlock_with(qtbot, window, PIN)
    qtbot.waitUntil(lambda: not window.locked)
    window.findChild(QToolButton, "lockButton").click()
    assert window.locked
    unlock_with(qtbot, window, PIN)
    qtbot.waitUntil(lambda: not window.locked)
    # From inside a dialog too: the key is the application's while this window is in use.
    dialog, note = open_follow_up(qtbot, window, "draft")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(note, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.locked and not dialog.isVisible()
    assert note.toPlainText() == "draft"  # Ctrl+L did not type into it
    unlock_with(qtbot, window, PIN)
    qtbot.waitUntil(dialog.isVisible)
    dialog.reject()


def test_the_brands_idle_delay_comes_from_hq(qtbot, session, guide, clock, fake_engine) -> None:
    replica = TerminalReplica(session.conn, clock=clock)
    replica.set_state(idle_lock_seconds="120")
    sync = SyncController(session, lambda: fake_engine(SyncReport(ok=True)), interval_s=3600)
    window = MainWindow(session, guide, sync, idle_tick_ms=20)
    qtbot.addWidget(window)
    window.show()
    assert window.idle.seconds == 120
    replica.set_state(idle_lock_seconds="60")  # a later hello said otherwise
    with qtbot.waitSignal(sync.finished):
        sync.sync_now()
    assert window.idle.seconds == 60
    clock.now += timedelta(seconds=61)
    qtbot.waitUntil(lambda: window.locked)
    sync.stop()


@pytest.fixture
def bench(qtbot, terminal, clock):
    session = Session(terminal, clock=clock)
    sync = SyncController(session, None)
    workbench = Workbench(
        UiContext(db_path=terminal, clock=clock, idle_seconds=IDLE), session, sync
    )
    yield workbench
    workbench.close_all()
    sync.stop()
    session.close()


def sign_in(qtbot, view: SignInView, guide_id: str, pin: str = PIN) -> None:
    box = view.guide_box
    box.setCurrentIndex(box.findData(guide_id))
    qtbot.keyClicks(view.pin, pin)
    with qtbot.waitSignal(view.signed_in):
        qtbot.keyClick(view.pin, Qt.Key.Key_Return)


def test_another_guide_at_the_lock_screen_sets_the_first_aside_with_its_typing(
    qtbot, bench
) -> None:
    bench.start()
    sign_in(qtbot, bench.window, "G001")
    first = bench.window
    assert isinstance(first, MainWindow) and first.guide.id == "G001"
    qtbot.waitUntil(lambda: first.customers.model.rowCount() == 4)
    dialog, note = open_follow_up(qtbot, first, "王丽写了一半")
    qtbot.keyClick(first, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert first.locked
    # 李娜 signs in at 王丽's lock screen: her own window, 王丽's set aside, locked.
    sign_in(qtbot, first.lock_screen, "G002")
    second = bench.window
    assert isinstance(second, MainWindow) and second.guide.id == "G002"
    assert not first.isVisible() and first.locked and not dialog.isVisible()
    assert bench.set_aside == {"G001": first}
    qtbot.waitUntil(lambda: second.customers.model.rowCount() == 1)  # only her own
    assert "王丽写了一半" not in visible_texts()
    # 李娜 locks; 王丽 comes back: her window, her dialog, her typing.
    second.lock()
    sign_in(qtbot, second.lock_screen, "G001")
    assert bench.window is first and first.isVisible() and not first.locked
    qtbot.waitUntil(dialog.isVisible)
    assert note.toPlainText() == "王丽写了一半"
    assert bench.set_aside == {"G002": second}
    dialog.reject()


def test_a_new_run_of_the_app_signs_nobody_in(qtbot, bench) -> None:
    """A session the last run left valid is not this run's sign-in: dropped at start."""
    conn = bench.session.conn
    sessions.start_session(
        conn, "G001", "last-run", "2026-11-22T22:30:00Z", now=bench.session.clock()
    )
    bench.start()
    qtbot.waitUntil(lambda: sessions.session_for(conn, "G001", bench.session.now_iso()) is None)


def test_the_end_of_the_hq_session_locks_even_a_busy_screen(qtbot, session, guide, clock) -> None:
    """Signing in again gets a new session: what the guide types next still says who."""
    ends = clock.now + timedelta(minutes=10)
    sessions.start_session(session.conn, "G001", "s-1", sessions.iso(ends), now=clock.now)
    window = open_window(qtbot, session, guide, idle_seconds=3600)
    search = window.findChild(QLineEdit, "customerSearch")
    clock.now += timedelta(minutes=9)
    qtbot.keyClicks(search, "1")
    qtbot.wait(60)
    assert not window.locked
    clock.now += timedelta(minutes=2)
    qtbot.keyClicks(search, "2")  # busy, but the session is over
    qtbot.waitUntil(lambda: window.locked)
