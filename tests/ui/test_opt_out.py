"""The guide records a customer's "no marketing" on the profile (编辑顾客): it is saved
offline as a customer edit, shows on the profile, and the share dialog stops offering them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit

from app.store import outbox
from app.store.content import guide_customers
from tests.ui.test_customer_book import make_book, type_into


def test_opt_out_from_the_profile_reaches_the_share_list(qtbot, session, guide) -> None:
    book = make_book(qtbot, session, guide)
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == "C1")
    values = [w.text() for w in book.profile.findChildren(QLabel, "aboutValue")]
    assert "Accepts marketing" in values
    dialog = book.profile.edit()
    reason = dialog.findChild(QLineEdit, "editOptOutReason")
    assert not reason.isEnabled()
    box = dialog.findChild(QCheckBox, "editOptOut")
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert box.isChecked() and reason.isEnabled()
    reason.setFocus()
    type_into(qtbot, reason, "顾客电话里要求不再接收活动消息")
    with qtbot.waitSignal(session.hub.changed):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: book.profile.profile.marketing_opt_out)
    (entry,) = outbox.pending(session.conn)
    assert entry.payload["fields"] == {
        "marketing_opt_out": {"old": False, "new": True},
        "opt_out_reason": {"old": "", "new": "顾客电话里要求不再接收活动消息"},
    }
    qtbot.waitUntil(
        lambda: (
            "Opted out: 顾客电话里要求不再接收活动消息"
            in [w.text() for w in book.profile.findChildren(QLabel, "aboutValue")]
        )
    )
    [c1] = [c for c in guide_customers(session.conn, guide.id) if c.id == "C1"]
    assert c1.opted_out and c1.eligibility == "opted_out"

    # Back in: the reason goes with the flag.
    dialog = book.profile.edit()
    qtbot.mouseClick(dialog.findChild(QCheckBox, "editOptOut"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(session.hub.changed):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not book.profile.profile.marketing_opt_out)
    assert book.profile.profile.opt_out_reason == ""
