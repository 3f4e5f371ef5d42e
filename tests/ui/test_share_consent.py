"""The share dialog lists an opted-out customer with the reason, never tickable."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.test_content import cache, click_card, library, open_page

__all__ = ["cache"]  # the fixture


def test_opted_out_customer_is_listed_with_the_reason_and_not_tickable(
    qtbot, session, guide, add_records, cache
) -> None:
    add_records(library())
    session.conn.execute(
        "UPDATE customers SET marketing_opt_out = 1, opt_out_reason = '顾客要求不再接收活动消息'"
        " WHERE id = 'C1'"
    )
    page = open_page(qtbot, session, guide, cache)
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
