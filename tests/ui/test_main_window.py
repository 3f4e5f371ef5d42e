"""The workbench window: title, navigation, keyboard, the change hub, the app's wiring."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QToolButton

from app.store.changes import Changes
from app.ui.app import UiContext, Workbench
from app.ui.main_window import MainWindow
from app.ui.navigation import SECTIONS
from app.ui.sync_panel import SyncController
from sync.outcome import SyncReport


@pytest.fixture
def window(qtbot, session, guide):
    sync = SyncController(session, None)
    window = MainWindow(session, guide, sync)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: window.customers.model.rowCount() == 4)
    yield window
    sync.stop()


def test_title_names_store_and_guide(window) -> None:
    assert window.windowTitle() == "GuideDesk — 静安嘉里店 — 王丽"


def test_sections_not_built_yet_say_what_they_will_do(qtbot, window) -> None:
    for section in (s for s in SECTIONS if s.promise):  # customers, tasks are built
        window.findChild(QToolButton, f"nav_{section.key}").click()
        page = window.stack.currentWidget()
        assert page.objectName() == f"page_{section.key}"
        assert page.findChild(QLabel, "comingSoon").text() == "Coming soon"
        assert len(page.findChild(QLabel, "comingSoonText").text()) > 40
    window.findChild(QToolButton, "nav_customers").click()
    assert window.stack.currentWidget() is window.customers


def test_ctrl_f_and_f3_focus_search_from_anywhere_and_esc_clears(qtbot, window) -> None:
    search = window.findChild(QLineEdit, "customerSearch")
    for key, modifier in (
        (Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_F3, Qt.KeyboardModifier.NoModifier),
    ):
        window.findChild(QToolButton, "nav_tasks").click()
        window.customers.table.setFocus()
        qtbot.keyClick(window, key, modifier)
        assert window.stack.currentWidget() is window.customers
        qtbot.waitUntil(search.hasFocus)
    qtbot.keyClicks(search, "zs")
    qtbot.waitUntil(lambda: window.customers.model.rowCount() == 1)
    window.customers.table.setFocus()
    qtbot.keyClick(window.customers.table, Qt.Key.Key_Escape)
    assert search.text() == "" and search.hasFocus()
    qtbot.waitUntil(lambda: window.customers.model.rowCount() == 4)


def test_f5_syncs_now(qtbot, session, guide, fake_engine) -> None:
    engine = fake_engine(SyncReport(ok=True))
    sync = SyncController(session, lambda: engine, interval_s=3600)
    window = MainWindow(session, guide, sync)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(sync.finished):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert engine.calls == 1
    sync.stop()


def test_views_refresh_only_for_changes_that_concern_them(qtbot, window) -> None:
    book = window.customers
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    loads = []
    original = book.profile.show_customer
    book.profile.show_customer = lambda cid: (loads.append(cid), original(cid))
    window.session.hub.publish(Changes(customers=frozenset({"C3"})))
    assert loads == []
    window.session.hub.publish(Changes(customers=frozenset({"C1"})))
    assert loads == ["C1"]


def test_workbench_signs_in_then_signs_out(qtbot, terminal, clock) -> None:
    from app.ui.session import Session

    ctx = UiContext(db_path=terminal, clock=clock)
    session = Session(terminal, clock=clock)
    sync = SyncController(session, None)
    bench = Workbench(ctx, session, sync)
    try:
        bench.start()
        sign_in = bench.window
        assert sign_in is not None and sign_in.objectName() == "signIn"
        with qtbot.waitSignal(sign_in.signed_in):
            sign_in.findChild(QLineEdit, "signInSecret").setText("1234")
            sign_in.submit()
        assert isinstance(bench.window, MainWindow)
        assert bench.window.guide.id == "M001"  # managers are listed first
        bench.window.findChild(QToolButton, "signOutButton").click()
        assert bench.window.objectName() == "signIn"
    finally:
        bench.window.close()
        sync.stop()
        session.close()
    for widget in QApplication.topLevelWidgets():
        widget.close()


def test_workbench_skips_sign_in_for_a_given_guide(qtbot, terminal, clock) -> None:
    from app.ui.session import Session

    session = Session(terminal, clock=clock)
    sync = SyncController(session, None)
    bench = Workbench(UiContext(db_path=terminal, guide_id="G002", clock=clock), session, sync)
    try:
        bench.start()
        assert isinstance(bench.window, MainWindow) and bench.window.guide.id == "G002"
        qtbot.waitUntil(lambda: bench.window.customers.model.rowCount() == 1)
    finally:
        bench.window.close()
        sync.stop()
        session.close()


def test_run_signs_in_and_quits_cleanly(qapp, terminal, clock) -> None:
    from PySide6.QtCore import QTimer

    from app.ui.app import run
    from app.ui.sign_in import SignInView

    seen: list[str] = []

    def close_all() -> None:
        seen.extend(w.objectName() for w in qapp.topLevelWidgets() if w.isVisible())
        for widget in qapp.topLevelWidgets():
            widget.close()

    def sign_in() -> None:
        # The visible one: a closed view of an earlier test may not be deleted yet.
        view = next(
            w for w in qapp.topLevelWidgets() if isinstance(w, SignInView) and w.isVisible()
        )
        view.signed_in.connect(lambda _guide: QTimer.singleShot(0, close_all))
        view.guide_box.setCurrentIndex(view.guide_box.findData("G001"))
        view.pin.setText("1234")
        view.submit()

    QTimer.singleShot(0, sign_in)
    assert run(UiContext(db_path=terminal, lang="en", clock=clock), ["guidedesk"]) == 0
    assert "mainWindow" in seen
    assert qapp.styleSheet() == ""
