"""A colleague's walk-in customer served at the counter (接待记录), through a real HQ
process over HTTP and real terminal files.

赵敏 (G004, a guide of S001) finds 李娜's (G002) customer C0005 by the phone's last digits
— shown as 李娜's, masked — and records a counter visit; HQ accepts it, 李娜's terminal
receives it in the customer's timeline as 赵敏's note, and the customer stays 李娜's with
her planned next follow-up. A guide of another store sending the same mutation is refused
with a reason.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.clock import store_today
from app.store import customers, outbox
from app.store.counter import log_counter_visit
from app.store.db import transaction
from app.store.ui_queries import colleague_matches
from sync import client

from .conftest import HQ, Terminal


def _owner(t: Terminal, customer_id: str) -> tuple[str, str | None]:
    row = t.conn.execute(
        "SELECT guide_id, next_followup_on FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    return row[0], row[1]


def test_a_counter_visit_reaches_the_owners_timeline_and_the_owner_stays(
    hq: HQ, make_terminal
) -> None:
    hq.run("add-guide", "G004", "赵敏", "--store", "S001", "--pin", "246810")
    desk, owners = make_terminal("front-desk"), make_terminal("lina")
    desk.enroll(hq, "S001")
    owners.enroll(hq, "S001")
    assert desk.sync().ok and owners.sync().ok

    # 李娜 plans her next follow-up with C0005.
    next_on = (store_today(owners.clock()) + timedelta(days=10)).isoformat()
    customers.log_followup(
        owners.conn,
        customer_id="C0005",
        guide_id="G002",
        channel="call",
        note="约了下周到店",
        now=client.iso(owners.clock()),
        next_followup_on=next_on,
    )
    assert owners.sync().pushed == 1

    # At the front desk 赵敏 types the last digits: not in her book, 李娜's customer.
    today = store_today(desk.clock())
    matches, _more = colleague_matches(desk.conn, "0005", guide_id="G004", today=today)
    assert [(m.id, m.name, m.masked_phone, m.owner_name) for m in matches] == [
        ("C0005", "张八5", "138****0005", "李娜")
    ]
    desk.now += timedelta(minutes=5)
    log_counter_visit(
        desk.conn,
        customer_id="C0005",
        guide_id="G004",
        note="到店试了驼色大衣，M 码合适",
        now=client.iso(desk.clock()),
        today=today,
    )
    report = desk.sync()
    assert report.ok and report.pushed == 1 and report.rejected == 0, report
    assert desk.status().pending == 0

    # 李娜's terminal: the note is in C0005's timeline as 赵敏's; C0005 is still hers.
    owners.now += timedelta(minutes=10)
    assert owners.sync().ok
    profile = customers.customer_profile(owners.conn, "C0005")
    assert profile is not None and profile.guide_id == "G002"
    visit = next(f for f in profile.followups if f.channel == "counter")
    assert (visit.guide_id, visit.guide_name, visit.note, visit.synced) == (
        "G004",
        "赵敏",
        "到店试了驼色大衣，M 码合适",
        True,
    )
    assert _owner(owners, "C0005") == ("G002", next_on)  # her plan stands
    # …and stays hers to do: the colleague's visit is not her contact.
    last = owners.conn.execute(
        "SELECT last_contact_at FROM customers WHERE id = 'C0005'"
    ).fetchone()[0]
    assert last is not None and last < visit.created_at
    assert _owner(desk, "C0005") == ("G002", next_on)


def test_a_guide_of_another_store_is_refused_with_a_reason(hq: HQ, make_terminal) -> None:
    other = make_terminal("hangzhou")
    other.enroll(hq, "S002")
    assert other.sync().ok
    # 陈静's terminal (S002) does not even hold C0005 (S001's); a forged mutation for it:
    now = client.iso(other.clock())
    with transaction(other.conn):
        outbox.append(
            other.conn,
            guide_id="G003",
            entity="followup",
            entity_id="visit-x1",
            op="counter",
            payload={"id": "visit-x1", "customer_id": "C0005", "note": "路过", "created_at": now},
            created_at=now,
        )
    report = other.sync()
    assert report.rejected == 1, report
    [refused] = outbox.rejected(other.conn)
    assert "不属于本门店" in refused.reject_reason
    assert "is not a customer of guide G003's store" in refused.reject_reason


# The offscreen platform cannot pass size hints to a window manager and says so on every
# show(); that is the platform, not us (as in tests/ui). Everything else Qt says still fails.
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_the_counter_visit_driven_in_the_book_reaches_the_owners_profile(
    qtbot, hq: HQ, make_terminal
) -> None:
    """The same, as the guides do it: 赵敏 types the digits in her book, clicks the
    colleague's customer and 记接待…, types the note and saves; after the syncs 李娜 opens
    C0005 in her book and reads it as 赵敏's note."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QWidget

    from app.store.guides import get_guide
    from app.ui.customers.book import CustomerBook
    from app.ui.customers.counter import CounterVisitDialog
    from app.ui.session import Session

    hq.run("add-guide", "G004", "赵敏", "--store", "S001", "--pin", "246810")
    desk, owners = make_terminal("front-desk"), make_terminal("lina")
    desk.enroll(hq, "S001")
    owners.enroll(hq, "S001")
    assert desk.sync().ok and owners.sync().ok

    session = Session(desk.db_file, clock=desk.clock)
    try:
        zhao = get_guide(session.conn, "G004")
        assert zhao is not None and not zhao.is_manager
        book = CustomerBook(session, zhao)
        qtbot.addWidget(book)
        book.resize(1280, 800)
        book.show()
        qtbot.mouseClick(book.search_box, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(book.search_box, "0005")
        panel = book.colleagues
        qtbot.waitUntil(lambda: panel.isVisible() and panel.table.rowCount() == 1)
        assert book.model.rowCount() == 0  # 赵敏's own book has nobody
        assert panel.table.item(0, 2).text() == "李娜's customer"
        rect = panel.table.visualItemRect(panel.table.item(0, 0))
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseClick(panel.serve_button, Qt.MouseButton.LeftButton)
        dialog = book.findChild(CounterVisitDialog)
        qtbot.waitUntil(lambda: dialog.isVisible())
        qtbot.keyClicks(dialog.note, "tried the camel coat, size M")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible())
        assert desk.status().pending == 1
    finally:
        session.close()
    report = desk.sync()
    assert report.ok and report.pushed == 1 and report.rejected == 0, report

    assert owners.sync().ok
    session = Session(owners.db_file, clock=owners.clock)
    try:
        lina = get_guide(session.conn, "G002")
        assert lina is not None
        book = CustomerBook(session, lina)
        qtbot.addWidget(book)
        book.resize(1280, 800)
        book.show()
        qtbot.mouseClick(book.search_box, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(book.search_box, "0005")
        qtbot.waitUntil(lambda: book.model.rowCount() == 1)  # still in her own book
        assert not book.colleagues.isVisible()
        qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == "C0005")
        timeline = book.profile.findChild(QWidget, "followUpTimeline")
        text = " ".join(label.text() for label in timeline.findChildren(QLabel))
        assert "A colleague's note: 赵敏 served this customer" in text
        assert "tried the camel coat, size M" in text
    finally:
        session.close()
