"""A share shows in the customer's timeline at once (offline, "waiting to sync"), with who
sent what; after HQ has it, the waiting mark goes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.ui.main_window import MainWindow
from app.ui.sync_panel import SyncController
from tests.ui.conftest import change
from tests.ui.test_content import click_card, library, shares


def texts(widget, name: str) -> list[str]:
    return [w.text() for w in widget.findChildren(QLabel, name)]


def test_a_share_reaches_the_customer_timeline(qtbot, session, guide, add_records) -> None:
    add_records(library())
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.show()
    book = window.customers
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    book.table.selectRow(book.model.row_of("C3"))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == "C3")
    assert texts(book.profile, "shareEntry") == [] and not book.profile.findChildren(
        QLabel, "shareHead"
    )

    qtbot.mouseClick(book.profile.share_button, Qt.MouseButton.LeftButton)
    page = window.content
    qtbot.waitUntil(lambda: page.ready and page.model.rowCount() == 2)
    click_card(qtbot, page, "CT-SCARF")
    qtbot.mouseClick(page.share_button, Qt.MouseButton.LeftButton)
    dialog = page.share_dialog
    qtbot.waitUntil(lambda: dialog.ready)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shares(session) == [("C3", "CT-SCARF", "wechat")])
    dialog.close()

    qtbot.mouseClick(window.rail.buttons["customers"], Qt.MouseButton.LeftButton)
    profile = book.profile
    qtbot.waitUntil(lambda: profile.ready and texts(profile, "shareTitle") == ["羊绒围巾"])
    [head] = texts(profile, "shareHead")
    assert "王丽" in head and "Selling" in head  # who sent it, the 631 category
    assert texts(profile, "shareWaiting") == ["waiting to sync"]

    # HQ's copy comes back with a version and its re-check: the waiting mark goes, the
    # over-cap finding shows.
    [share_id] = [r[0] for r in session.conn.execute("SELECT id FROM shares")]
    add_records(
        [
            change(
                "share",
                {
                    "id": share_id,
                    "customer_id": "C3",
                    "guide_id": guide.id,
                    "content_id": "CT-SCARF",
                    "task_id": None,
                    "channel": "wechat",
                    "shared_at": "2026-11-20T02:00:00Z",
                    "category_631": "selling",
                    "over_cap": True,
                    "opted_out": True,
                },
            )
        ]
    )
    book.table.selectRow(book.model.row_of("C1"))
    qtbot.waitUntil(lambda: profile.ready and profile.customer_id == "C1")
    book.table.selectRow(book.model.row_of("C3"))
    qtbot.waitUntil(lambda: profile.ready and texts(profile, "shareOverCap") != [])
    assert texts(profile, "shareWaiting") == []
    # … and HQ's finding that the customer had opted out by then (another terminal's edit).
    assert texts(profile, "shareOptedOut") == ["Sent after the customer had opted out of marketing"]
