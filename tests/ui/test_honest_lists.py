"""Honest lists (issue 10, part 3), driven as a guide does: typing in the search, clicking
rows and buttons, choosing filters with the keyboard.

- a new search (or Esc) clears the profile until a row is chosen;
- an empty result names the filters that are on and offers to clear them;
- a store colleague's customer is found as theirs (name, masked phone, owner, nothing
  more) and a counter visit for them goes to the outbox as followup/counter;
- due and overdue follow-ups are marked in the list and the profile and have a filter.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from app.ui.customers.book import CustomerBook
from app.ui.customers.counter import CounterVisitDialog
from app.ui.customers.model import DUE_ROLE

from .conftest import change


def make_book(qtbot, session, guide) -> CustomerBook:
    book = CustomerBook(session, guide)
    qtbot.addWidget(book)
    book.resize(1400, 800)
    book.show()
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    return book


def names(book: CustomerBook) -> list[str]:
    return sorted(book.model.data(book.model.index(r, 0)) for r in range(book.model.rowCount()))


def click_row(qtbot, book: CustomerBook, name: str) -> None:
    row = next(
        r for r in range(book.model.rowCount()) if book.model.data(book.model.index(r, 0)) == name
    )
    rect = book.table.visualRect(book.model.index(row, 0))
    qtbot.mouseClick(book.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def search(qtbot, book: CustomerBook, text: str) -> None:
    box = book.findChild(QLineEdit, "customerSearch")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)  # the guide clicks into the search
    box.selectAll()
    qtbot.keyClick(box, Qt.Key.Key_Backspace)
    qtbot.keyClicks(box, text)


def profile_shown(book: CustomerBook) -> bool:
    return book.profile.stack.currentIndex() == 1 and book.profile.follow_up_button.isVisible()


def test_a_new_search_clears_the_profile_until_a_row_is_chosen(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    click_row(qtbot, book, "张三")
    qtbot.waitUntil(lambda: book.profile.ready and profile_shown(book))

    search(qtbot, book, "nobody")
    qtbot.waitUntil(lambda: book.count_label.text() == "Customers: 0")
    assert book.profile.customer_id is None and not profile_shown(book)
    assert not book.profile.follow_up_button.isVisible()

    # A search that finds 张三 again does not bring back the profile by itself.
    search(qtbot, book, "zs")
    qtbot.waitUntil(lambda: names(book) == ["张三"])
    assert book.profile.customer_id is None and not profile_shown(book)
    assert not book.table.selectionModel().hasSelection()
    click_row(qtbot, book, "张三")
    qtbot.waitUntil(lambda: profile_shown(book))

    # Esc with text: the text and the profile go.
    qtbot.keyClick(book.search_box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(names(book)) == 4)
    assert book.search_box.text() == "" and not profile_shown(book)

    # Esc with nothing typed clears the profile the same way.
    click_row(qtbot, book, "单丽")
    qtbot.waitUntil(lambda: profile_shown(book))
    book.search_box.setFocus()
    qtbot.keyClick(book.search_box, Qt.Key.Key_Escape)
    assert book.profile.customer_id is None and not profile_shown(book)


def test_an_empty_result_names_the_filters_and_clears_them(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    # Tier: "Head" (the second choice), chosen with the keyboard.
    book.tier_filter.setFocus()
    qtbot.keyClick(book.tier_filter, Qt.Key.Key_Down)
    assert book.tier_filter.currentText() == "Head"
    qtbot.waitUntil(lambda: names(book) == ["张三"])

    search(qtbot, book, "oynn")  # 欧阳娜娜 is a waist customer: the filter hides her
    qtbot.waitUntil(lambda: book.list_stack.currentWidget() is book.empty_panel)
    text = book.empty.text()
    assert "Head" in text and "filters may hide" in text, text
    button = book.findChild(QPushButton, "clearFiltersButton")
    assert button.isVisible()

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: names(book) == ["欧阳娜娜"])
    assert book.tier_filter.currentIndex() == 0 and book.query.tier is None
    assert book.search_box.text() == "oynn"  # the search stays, only the filters went

    # No filters on: what to check, and no button.
    search(qtbot, book, "nobody")
    qtbot.waitUntil(lambda: book.list_stack.currentWidget() is book.empty_panel)
    assert "last 4 digits" in book.empty.text() and "pinyin" in book.empty.text()
    assert book.empty.isVisible() and not book.colleagues.isVisible()
    assert not button.isVisible()


def test_a_colleagues_customer_is_found_as_theirs_and_served_at_the_counter(
    qtbot, session, guide
) -> None:
    book = make_book(qtbot, session, guide)  # 王丽 (G001); 张伟 is 李娜's (G002)
    search(qtbot, book, "zhangwei")
    panel = book.colleagues
    qtbot.waitUntil(lambda: panel.isVisible() and panel.table.rowCount() == 1)
    assert book.count_label.text() == "Customers: 0"  # her own book has no 张伟
    shown = [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    assert shown == ["张伟", "135****1234", "李娜's customer"]
    assert "colleague" in panel.title.text()
    assert not book.empty.isVisible()  # no "check the phone digits" beside the find
    # Only those three: no profile opens, nothing of the customer's history is shown.
    assert book.profile.customer_id is None and not profile_shown(book)
    texts = " ".join(label.text() for label in panel.findChildren(QLabel))
    assert "13512341234" not in texts

    button = book.findChild(QPushButton, "counterVisitButton")
    assert not button.isEnabled()
    rect = panel.table.visualItemRect(panel.table.item(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = book.findChild(CounterVisitDialog)
    qtbot.waitUntil(lambda: dialog.isVisible())
    qtbot.keyClicks(dialog.note, "tried the camel coat")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert "李娜" in panel.recorded.text()

    row = session.conn.execute(
        "SELECT entity, op, guide_id, payload FROM outbox WHERE op = 'counter'"
    ).fetchone()
    assert row is not None and (row[0], row[1], row[2]) == ("followup", "counter", "G001")
    assert json.loads(row[3])["customer_id"] == "C5"
    note = session.conn.execute(
        "SELECT guide_id, channel, note FROM followups WHERE customer_id = 'C5'"
    ).fetchone()
    assert tuple(note) == ("G001", "counter", "tried the camel coat")
    owner = session.conn.execute("SELECT guide_id FROM customers WHERE id = 'C5'").fetchone()
    assert owner[0] == "G002"  # the owner's book stays theirs


def _followup(fid: str, customer: str, next_on: str | None) -> dict:
    return change(
        "followup",
        {
            "id": fid,
            "customer_id": customer,
            "guide_id": "G001",
            "channel": "call",
            "note": "约了回访",
            "next_followup_on": next_on,
            "created_at": "2026-11-15T03:00:00Z",
            "task_id": None,
        },
    )


def test_due_and_overdue_follow_ups_are_marked_and_filtered(
    qtbot, add_records, session, guide, clock
) -> None:
    # The store's today is 2026-11-22 (the fake clock, Asia/Shanghai).
    add_records(
        [
            _followup("FD1", "C3", "2026-11-19"),  # 欧阳娜娜: overdue 3 days
            _followup("FD2", "C4", "2026-11-22"),  # 单丽: due today
            _followup("FD3", "C2", "2026-11-30"),  # 曾小凡: still to come
        ]
    )
    book = make_book(qtbot, session, guide)
    column = next(i for i, c in enumerate(book.model.columns) if c.field == "next_followup_on")

    def cell(name: str, role=Qt.ItemDataRole.DisplayRole):
        row = next(
            r
            for r in range(book.model.rowCount())
            if book.model.data(book.model.index(r, 0)) == name
        )
        return book.model.data(book.model.index(row, column), role)

    assert cell("欧阳娜娜") == "Overdue 3 day(s)"
    assert cell("单丽") == "Follow-up due today"
    assert cell("曾小凡") == "11-30" and cell("曾小凡", DUE_ROLE) is None
    assert cell("张三") == ""
    assert cell("欧阳娜娜", Qt.ItemDataRole.DecorationRole) is not None  # a mark, not colour only
    assert cell("曾小凡", Qt.ItemDataRole.DecorationRole) is None

    # The filter of its own: "Follow-up due", chosen with the keyboard.
    book.due_filter.setFocus()
    qtbot.keyClick(book.due_filter, Qt.Key.Key_Down)
    assert book.due_filter.currentText() == "Follow-up due"
    qtbot.waitUntil(lambda: names(book) == ["单丽", "欧阳娜娜"])
    assert book.count_label.text() == "Customers: 2"

    click_row(qtbot, book, "欧阳娜娜")
    qtbot.waitUntil(lambda: profile_shown(book))
    due = book.profile.findChild(QLabel, "profileFollowUpDue")
    assert due is not None and "Overdue 3 day(s)" in due.text()

    # A day later (the fake clock moves on), the same customers are one day later still.
    from datetime import timedelta

    clock.now = clock.now + timedelta(days=1)
    search(qtbot, book, "oynn")
    qtbot.waitUntil(lambda: names(book) == ["欧阳娜娜"])
    assert cell("欧阳娜娜") == "Overdue 4 day(s)"


def test_a_colleagues_counter_visit_reads_as_their_note_in_the_timeline(
    qtbot, add_records, session, guide
) -> None:
    visit = _followup("FV1", "C1", None)
    visit["data"].update(guide_id="G002", channel="counter", note="她来试了那条连衣裙")
    add_records([visit])
    book = make_book(qtbot, session, guide)
    click_row(qtbot, book, "张三")
    qtbot.waitUntil(lambda: profile_shown(book) and book.profile.ready)
    timeline = book.profile.findChild(QWidget, "followUpTimeline")
    text = " ".join(label.text() for label in timeline.findChildren(QLabel))
    assert "Served at the counter · 李娜" in text
    assert "A colleague's note: 李娜 served this customer" in text
    assert "她来试了那条连衣裙" in text
    # Her own follow-up (F1, WeChat) is not marked as a colleague's.
    assert text.count("A colleague's note") == 1


def test_in_chinese_the_marks_and_the_filter_read_as_a_guide_says_them(
    qtbot, qapp, add_records, session, guide
) -> None:
    from app.ui.app import install_translator

    translator = install_translator(qapp, "zh_CN")
    assert translator is not None
    try:
        add_records([_followup("FD1", "C3", "2026-11-19")])
        book = make_book(qtbot, session, guide)
        assert book.due_filter.itemText(1) == "待跟进"
        book.due_filter.setFocus()
        qtbot.keyClick(book.due_filter, Qt.Key.Key_Down)
        qtbot.waitUntil(lambda: names(book) == ["欧阳娜娜"])
        click_row(qtbot, book, "欧阳娜娜")
        qtbot.waitUntil(lambda: profile_shown(book))
        due = book.profile.findChild(QLabel, "profileFollowUpDue")
        assert due is not None and "跟进已逾期 3 天" in due.text()
        search(qtbot, book, "oynnx")
        qtbot.waitUntil(lambda: book.list_stack.currentWidget() is book.empty_panel)
        assert "待跟进" in book.empty.text()
        assert book.clear_filters_button.text() == "清除筛选"
    finally:
        qapp.removeTranslator(translator)


def test_a_colleagues_customer_is_also_found_below_a_few_of_ones_own(
    qtbot, session, guide, manager
) -> None:
    book = make_book(qtbot, session, guide)
    search(qtbot, book, "1234")  # 曾小凡 (hers) and 张伟 (李娜's) share the last 4 digits
    panel = book.colleagues
    qtbot.waitUntil(lambda: names(book) == ["曾小凡"] and panel.isVisible())
    assert [panel.table.item(0, c).text() for c in range(3)] == [
        "张伟",
        "135****1234",
        "李娜's customer",
    ]
    assert panel.title.text().startswith("Also found among colleagues")
    assert book.list_stack.currentWidget() is book.table  # her own result stays the list
    # A search that finds many of her own does not look further.
    search(qtbot, book, "")
    qtbot.waitUntil(lambda: len(names(book)) == 4)
    assert not panel.isVisible()

    # A manager's book is the store's already: no colleagues' panel.
    store_book = make_book(qtbot, session, manager)
    search(qtbot, store_book, "1234")
    qtbot.waitUntil(lambda: names(store_book) == ["张伟", "曾小凡"])
    assert not store_book.colleagues.isVisible()
