"""The customer book page: search as you type, filters, empty states, the profile."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

import app.ui.customers.book as book_module
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import log_followup
from app.store.guides import GuideAccount
from app.ui.customers.book import CustomerBook
from app.ui.session import Session
from resources.paths import STYLE_SHEET, read_text


def entry_text(entry) -> str:
    """What a guide reads in one list entry (a follow-up, a purchase): its lines."""
    return "\n".join(label.text() for label in entry.findChildren(QLabel))


def names(book: CustomerBook) -> list[str]:
    model = book.model
    return sorted(model.data(model.index(r, 0)) for r in range(model.rowCount()))


def make_book(qtbot, session: Session, guide: GuideAccount) -> CustomerBook:
    book = CustomerBook(session, guide)
    qtbot.addWidget(book)
    book.resize(1200, 700)
    book.show()
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    return book


def type_into(qtbot, widget, text: str) -> None:
    """Key clicks for ASCII; Chinese arrives as an input method's commit, as with a real IME."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def type_search(qtbot, book: CustomerBook, text: str, expected: list[str]) -> None:
    search = book.findChild(QLineEdit, "customerSearch")
    search.clear()
    type_into(qtbot, search, text)
    qtbot.waitUntil(lambda: names(book) == sorted(expected))


def test_guide_sees_own_customers(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    assert names(book) == ["单丽", "张三", "曾小凡", "欧阳娜娜"]
    assert book.count_label.text() == "Customers: 4"


def test_search_by_phone_tail_name_pinyin_and_initials(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    type_search(qtbot, book, "5678", ["张三"])
    type_search(qtbot, book, "张三", ["张三"])
    type_search(qtbot, book, "zs", ["张三"])
    type_search(qtbot, book, "oynn", ["欧阳娜娜"])
    type_search(qtbot, book, "zeng", ["曾小凡"])
    type_search(qtbot, book, "shanli", ["单丽"])


def test_no_result_says_what_to_try(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.search_box.setText("nobody")
    qtbot.waitUntil(lambda: book.model.rowCount() == 0)
    assert book.list_stack.currentWidget() is book.empty_panel
    assert "last 4 digits" in book.empty.text()
    book.search_box.clear()
    qtbot.waitUntil(lambda: book.model.rowCount() == 4)
    assert book.list_stack.currentWidget() is book.table


def test_empty_terminal_asks_to_sync_first(qtbot, db_path, clock) -> None:
    session = Session(db_path, clock=clock)
    try:
        book = CustomerBook(session, GuideAccount("G9", "S001", "新人", False, True))
        qtbot.addWidget(book)
        qtbot.waitUntil(lambda: book.list_stack.currentWidget() is book.empty_panel)
        assert "Sync first" in book.empty.text()
        assert book.count_label.text() == "Customers: 0"
    finally:
        session.close()


def test_stale_answers_are_dropped(qtbot, session, guide, monkeypatch) -> None:
    """The answer to "z" is held back until the guide has typed on; when it comes, it
    is dropped (never shown), and only the newest query runs after it."""
    book = make_book(qtbot, session, guide)
    real_search = book_module.search_customers
    release = threading.Event()
    answered: dict[str, list[str]] = {}

    def slow_for_z(conn, query, **kw):
        page = real_search(conn, query, **kw)
        if query.text == "z":
            assert release.wait(10), "the test never released the slow answer"
        answered[query.text] = sorted(row[1] for row in page.rows)
        return page

    monkeypatch.setattr(book_module, "search_customers", slow_for_z)
    shown: list[list[str]] = []
    book.model.modelReset.connect(lambda: shown.append(names(book)))

    book.search_box.setText("z")
    for text in ("zs", "zsx", "5", "56", "567", "5678"):
        book.search_box.setText(text)  # while "z" is still being answered
    assert book._busy and not answered and shown == []
    release.set()
    qtbot.waitUntil(lambda: not book._busy and "5678" in answered)
    qtbot.waitUntil(lambda: shown == [["张三"]])
    # "z" was answered (张三 and 曾小凡 match it) and that answer was never shown; the
    # queries typed in between were never run at all.
    assert answered == {"z": ["张三", "曾小凡"], "5678": ["张三"]}
    assert names(book) == ["张三"] and book.query.text == "5678"


def test_filters(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.tier_filter.setCurrentIndex(book.tier_filter.findData("head"))
    qtbot.waitUntil(lambda: names(book) == ["张三"])
    book.tier_filter.setCurrentIndex(0)
    book.birthday_filter.setCurrentIndex(book.birthday_filter.findData("month"))
    qtbot.waitUntil(lambda: names(book) == ["张三", "曾小凡"])
    book.birthday_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: book.tag_filter.findData("VIP") >= 0)
    book.tag_filter.setCurrentIndex(book.tag_filter.findData("VIP"))
    qtbot.waitUntil(lambda: names(book) == ["张三"])
    book.tag_filter.setCurrentIndex(0)
    book.contact_filter.setCurrentIndex(book.contact_filter.findData(30))
    qtbot.waitUntil(lambda: names(book) == ["单丽", "曾小凡", "欧阳娜娜"])  # C1 talked on 11-10


def test_manager_sees_the_store_with_a_guide_column(qtbot, session, manager) -> None:
    book = make_book(qtbot, session, manager)
    qtbot.waitUntil(lambda: len(names(book)) == 5)
    titles = [
        book.model.headerData(i, Qt.Orientation.Horizontal) for i in range(book.model.columnCount())
    ]
    assert "Guide" in titles
    book.guide_filter.setCurrentIndex(book.guide_filter.findData("G002"))
    qtbot.waitUntil(lambda: names(book) == ["张伟"])


def test_sort_by_clicking_a_header_is_a_new_query(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    points = [c.field for c in book.model.columns].index("points")
    book.table.sortByColumn(points, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: book.model.data(book.model.index(0, 0)) == "张三")
    assert book.query.sort == "points" and book.query.descending
    book.table.sortByColumn(points, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: book.model.data(book.model.index(3, 0)) == "张三")
    phone = [c.field for c in book.model.columns].index("phone")
    book.table.sortByColumn(phone, Qt.SortOrder.AscendingOrder)  # not sortable: back to recency
    assert book.query.sort == "recency"
    assert book.table.horizontalHeader().sortIndicatorSection() == -1


def test_keys_in_the_search_box(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    type_search(qtbot, book, "张", ["张三"])
    qtbot.keyClick(book.search_box, Qt.Key.Key_Down)
    assert book.table.currentIndex().row() == 0
    assert book.profile.customer_id == "C1"
    qtbot.keyClick(book.search_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(names(book)) == 4)
    assert book.search_box.text() == ""


def test_enter_opens_the_first_customer(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    type_search(qtbot, book, "2222", ["欧阳娜娜"])
    qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
    assert book.profile.customer_id == "C3"
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    assert book.profile.findChild(QLabel, "profileName").text() == "欧阳娜娜"


def test_profile_shows_history_masked_phone_and_lost_edit(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C1"))
    pane = book.profile
    assert pane.customer_id == "C1"
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    assert pane.findChild(QLabel, "profilePhone").text() == "138****5678"
    texts = " ".join(label.text() for label in pane.findChildren(QLabel))
    for expected in ("真丝连衣裙 ×1", "¥1,898.00", "喜欢真丝和浅色", "新品控", "工作日来店"):
        assert expected in texts
    entries = pane.findChild(object, "followUpTimeline").findChildren(QFrame, "followUpEntry")
    assert len(entries) == 1 and "她喜欢那条连衣裙" in entry_text(entries[0])


def test_reveal_phone_is_audited(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    book.profile.findChild(QPushButton, "revealPhoneButton").click()
    phone = book.profile.findChild(QLabel, "profilePhone")
    qtbot.waitUntil(lambda: phone.text() == "13812345678")
    assert [e.op for e in outbox.pending(session.conn)] == ["reveal_phone"]
    book.table.selectRow(book.model.row_of("C2"))
    qtbot.waitUntil(lambda: phone.text() == "139****1234")


def find_dialog(qtbot, name: str):
    found = []

    def present() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if w.objectName() == name]
        return bool(found) and found[0].isVisible()

    qtbot.waitUntil(present)
    found[0].activateWindow()  # shortcuts (Ctrl+Enter) work in the active window
    qtbot.waitUntil(found[0].isActiveWindow)
    return found[0]


def test_enter_twice_opens_the_follow_up_dialog(qtbot, session, guide) -> None:
    """At the counter: type the phone tail, Enter opens the profile, Enter again logs."""
    book = make_book(qtbot, session, guide)
    type_search(qtbot, book, "1234", ["曾小凡"])
    qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
    button = book.profile.findChild(QPushButton, "logFollowUpButton")
    # Enter again at once, before the profile has loaded: the dialog still opens, for her
    qtbot.keyClick(button, Qt.Key.Key_Return)
    dialog = find_dialog(qtbot, "followUpDialog")
    assert "曾小凡" in dialog.windowTitle() + " ".join(
        label.text() for label in dialog.findChildren(QLabel)
    )
    dialog.reject()


def test_log_follow_up_shows_in_timeline_and_outbox(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    type_search(qtbot, book, "1234", ["曾小凡"])
    qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    book.profile.findChild(QPushButton, "logFollowUpButton").click()
    dialog = find_dialog(qtbot, "followUpDialog")
    note = dialog.findChild(QPlainTextEdit, "followUpNote")
    type_into(qtbot, note, "电话问候，周六来试穿")
    dialog.findChild(object, "followUpHasNext").setChecked(True)
    with qtbot.waitSignal(session.hub.changed) as changed:
        qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert changed.args[0].touches_customer("C2")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    # The keyboard is back on the workbench (F5, Ctrl+F), window manager or not.
    qtbot.waitUntil(lambda: QApplication.activeWindow() is book.window())
    qtbot.waitUntil(lambda: len(book.profile.findChildren(QFrame, "followUpEntry")) == 1)
    entries = book.profile.findChildren(QFrame, "followUpEntry")
    text = entry_text(entries[0])
    assert "周六来试穿" in text and "waiting to sync" in text
    assert "Next follow-up: 2026-11-29" in text
    pending = outbox.pending(session.conn)
    assert [(e.entity, e.payload["note"]) for e in pending] == [
        ("followup", "电话问候，周六来试穿")
    ]
    assert "waiting to sync: 1" in book.profile.findChild(QLabel, "profilePending").text()
    # the list row was refreshed in place: last contact is today
    contact = [c.field for c in book.model.columns].index("last_contact_at")
    cell = book.model.index(book.model.row_of("C2"), contact)
    qtbot.waitUntil(lambda: book.model.data(cell) == "2026-11-22")


def test_follow_up_needs_a_note_and_cancel_writes_nothing(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(0)
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    dialog = book.profile.log_follow_up()
    assert dialog is not None and not dialog.save_button.isEnabled()
    dialog.reject()
    assert outbox.pending(session.conn) == []


def test_edit_tags_and_note(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C3"))
    qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
    dialog = book.profile.edit()
    dialog.findChild(QLineEdit, "editTags").setText("闺蜜团，爱运动")
    dialog.findChild(QPlainTextEdit, "editNote").setPlainText("只在周末联系")
    with qtbot.waitSignal(session.hub.changed):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: book.profile.profile.tags == ("爱运动", "闺蜜团"))
    assert book.profile.profile.note == "只在周末联系"
    (entry,) = outbox.pending(session.conn)
    assert set(entry.payload["fields"]) == {"tags", "note"}
    tags = [c.field for c in book.model.columns].index("tags")
    qtbot.waitUntil(
        lambda: book.model.data(book.model.index(book.model.row_of("C3"), tags)) == "爱运动、闺蜜团"
    )


def test_sync_everything_reruns_the_search(
    qtbot, session, guide, add_records, new_customer
) -> None:
    book = make_book(qtbot, session, guide)
    add_records([new_customer("C9", "张小九", "13000009999")])
    session.hub.publish(Changes(everything=True))
    qtbot.waitUntil(lambda: "张小九" in names(book))


def test_profile_colours_come_from_the_style_sheet(qtbot, qapp, session, guide) -> None:
    """The About names and "waiting to sync" are coloured by the style sheet's rules on
    their objectNames, not inline (one place for the look)."""
    log_followup(
        session.conn,
        customer_id="C1",
        guide_id="G001",
        channel="call",
        note="回访",
        now="2026-11-22T09:00:00Z",
    )
    qapp.setStyleSheet(read_text(STYLE_SHEET))
    try:
        book = make_book(qtbot, session, guide)
        book.table.selectRow(book.model.row_of("C1"))
        qtbot.waitUntil(lambda: book.profile.ready)  # the profile loads on the read lane
        pane = book.profile
        colours = {}
        for name in ("aboutName", "followUpWaiting", "aboutValue"):
            labels = pane.findChildren(QLabel, name)
            assert labels, name
            for label in labels:
                label.ensurePolished()
                assert label.styleSheet() == ""
            colours[name] = {
                lb.palette().color(QPalette.ColorRole.WindowText).name() for lb in labels
            }
        assert colours == {
            "aboutName": {"#5b6b78"},
            "followUpWaiting": {"#b45309"},
            "aboutValue": {"#1f2d3a"},  # the base text colour: the rules above are theirs
        }
        assert not [w.objectName() for w in pane.findChildren(QWidget) if w.styleSheet()]
    finally:
        qapp.setStyleSheet("")
