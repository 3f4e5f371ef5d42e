"""The share dialog lists an opted-out customer with the reason, never tickable."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.test_content import click_card, library, open_page, tick
from tests.ui.test_customer_book import type_into


def test_opted_out_customer_is_listed_with_the_reason_and_not_tickable(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    session.conn.execute(
        "UPDATE customers SET marketing_opt_out = 1, opt_out_reason = '顾客要求不再接收活动消息'"
        " WHERE id = 'C1'"
    )
    page = open_page(qtbot, session, guide, picture_cache)
    click_card(qtbot, page, "CT-WINTER")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    qtbot.waitUntil(lambda: dialog.ready and dialog.item_of("C1") is not None)
    item = dialog.item_of("C1")
    assert "顾客要求不再接收活动消息" in item.text()
    assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable
    dialog.customers.setCurrentItem(item)
    dialog.customers.setFocus()
    qtbot.keyClick(dialog.customers, Qt.Key.Key_Space)
    assert item.checkState() != Qt.CheckState.Checked and dialog.queue == []
    other = dialog.item_of("C2")
    assert other.flags() & Qt.ItemFlag.ItemIsUserCheckable


def _contacted(session, customer_id: str, times: int, guide_id: str = "G002") -> None:
    """Shares another guide already sent this customer (as HQ's copies arrive)."""
    for n in range(times):
        session.conn.execute(
            "INSERT INTO shares (id, customer_id, guide_id, content_id, channel, shared_at,"
            " version) VALUES (?, ?, ?, 'CT-SCARF', 'wechat', ?, 1)",
            (f"old-{customer_id}-{n}", customer_id, guide_id, f"2026-11-{10 + n:02d}T02:00:00Z"),
        )


def test_over_the_cap_only_with_a_reason_which_goes_with_the_share(
    qtbot, session, guide, add_records, picture_cache
) -> None:
    add_records(library())
    session.conn.execute("UPDATE stores SET contact_cap = 2, contact_cap_days = 30")
    _contacted(session, "C1", 2)  # at the cap, by a colleague
    _contacted(session, "C2", 1)
    page = open_page(qtbot, session, guide, picture_cache)
    click_card(qtbot, page, "CT-WINTER")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    qtbot.waitUntil(lambda: dialog.ready and dialog.item_of("C1") is not None)
    item = dialog.item_of("C1")
    assert "Contacted 2 times in 30 days" in item.text() and "contact cap (2)" in item.text()
    assert not item.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert "Contacted 1 times in 30 days" in dialog.item_of("C2").text()
    tick(qtbot, dialog, "C2")  # under the cap: tickable as ever

    dialog.customers.setCurrentItem(dialog.item_of("C2"))
    assert not dialog.override_button.isEnabled()
    dialog.customers.setCurrentItem(item)
    assert dialog.override_button.isEnabled()
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    override = dialog.override_dialog
    assert override.objectName() == "overrideDialog" and not override.ok.isEnabled()
    override.edit.setFocus()
    type_into(qtbot, override.edit, "顾客主动问新款大衣")
    assert override.ok.isEnabled()
    qtbot.mouseClick(override.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            dialog.ready
            and dialog.item_of("C1") is not None
            and dialog.item_of("C1").checkState() == Qt.CheckState.Checked
        )
    )
    assert "顾客主动问新款大衣" in dialog.item_of("C1").text()
    assert [c.id for c in dialog.queue] == ["C2", "C1"]

    for _ in dialog.queue:
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        if dialog.next_button.isEnabled():
            qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            session.conn.execute("SELECT count(*) FROM shares WHERE guide_id = 'G001'").fetchone()[
                0
            ]
            == 2
        )
    )
    reasons = dict(
        session.conn.execute(
            "SELECT customer_id, override_reason FROM shares WHERE guide_id = 'G001'"
        ).fetchall()
    )
    assert reasons == {"C1": "顾客主动问新款大衣", "C2": ""}


def test_the_store_refuses_a_share_the_dialog_would_not_offer(session, add_records) -> None:
    """The rule holds below the dialog too: opted out never, at the cap only with a reason."""
    import pytest

    from app.store.content import list_content, record_share
    from app.store.errors import InvalidEntry

    add_records(library())
    session.conn.execute("UPDATE stores SET contact_cap = 1")
    session.conn.execute("UPDATE customers SET marketing_opt_out = 1 WHERE id = 'C3'")
    _contacted(session, "C1", 1)
    piece = next(p for p in list_content(session.conn).pieces if p.id == "CT-WINTER")
    now = "2026-11-22T03:00:00Z"
    kw = {"piece": piece, "guide_id": "G001", "now": now}
    with pytest.raises(InvalidEntry, match="退订"):
        record_share(session.conn, customer_id="C3", override_reason="顾客要求", **kw)
    with pytest.raises(InvalidEntry, match="联系上限"):
        record_share(session.conn, customer_id="C1", **kw)
    record_share(session.conn, customer_id="C1", override_reason="顾客来电询问", **kw)
    record_share(session.conn, customer_id="C2", **kw)
    rows = session.conn.execute(
        "SELECT customer_id, override_reason FROM shares WHERE guide_id = 'G001' ORDER BY 1"
    ).fetchall()
    assert [tuple(r) for r in rows] == [("C1", "顾客来电询问"), ("C2", "")]
