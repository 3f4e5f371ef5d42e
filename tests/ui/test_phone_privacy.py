"""Phones at a public counter: masked wherever a list or a profile shows them, the full
number only by a click that is audited (Show number, Copy number), and a guide's book
holds their own customers only (a manager's, the store's)."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from app.store import outbox
from tests.ui.test_customer_book import make_book, type_into

FULL_PHONE = re.compile(r"1\d{10}")


def test_copy_number_puts_the_full_number_on_the_clipboard_audited(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready)
    phone = book.profile.findChild(QLabel, "profilePhone")
    assert phone.text() == "138****5678"
    clipboard = QGuiApplication.clipboard()
    clipboard.setText("something else")
    copy = book.profile.findChild(QPushButton, "copyPhoneButton")
    assert copy.isVisible()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clipboard.text() == "13812345678")
    assert phone.text() == "138****5678"  # copied, not shown
    assert [(e.entity, e.op, e.entity_id) for e in outbox.pending(session.conn)] == [
        ("audit", "copy_phone", "C1")
    ]
    audit = session.conn.execute("SELECT guide_id, action, customer_id FROM audit_log").fetchall()
    assert [tuple(r) for r in audit] == [("G001", "copy_phone", "C1")]
    clipboard.clear()


def test_the_list_and_the_profile_never_show_a_full_number_unasked(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    model = book.model
    shown = [
        str(model.data(model.index(r, c)) or "")
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    ]
    assert any("****" in text for text in shown)
    assert not [t for t in shown if FULL_PHONE.search(t)], shown
    for row in range(model.rowCount()):
        book.table.selectRow(row)
        qtbot.waitUntil(lambda: book.profile.ready)
        texts = [label.text() for label in book.profile.findChildren(QLabel)]
        assert not [t for t in texts if FULL_PHONE.search(t)], texts


def test_a_guide_sees_only_their_own_customers_a_manager_the_stores(
    qtbot, session, guide, manager
) -> None:
    mine = make_book(qtbot, session, guide)
    assert all(mine.model.row_of(cid) >= 0 for cid in ("C1", "C2", "C3", "C4"))
    assert mine.model.row_of("C5") == -1  # G002's customer
    type_into(qtbot, mine.search_box, "张伟")
    qtbot.waitUntil(lambda: mine.model.rowCount() == 0)
    store = make_book(qtbot, session, manager)
    assert store.model.row_of("C5") >= 0
