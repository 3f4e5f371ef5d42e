"""A task completion HQ kept aside (completed after the task was cancelled, or a second
guide's completion of the same target) is shown on the profile in HQ's own words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.ui.main_window import MainWindow
from app.ui.sync_panel import SyncController

PHONE_TAIL = "5678"  # C1, 张三, 138****5678


def test_a_completion_kept_aside_by_hq_is_shown_in_its_words(
    qtbot, add_records, session, guide
) -> None:
    words = "任务已取消后仍完成：结果已保留 / completed after cancel: the completion is kept"
    add_records(
        [
            {
                "entity": "conflict",
                "op": "upsert",
                "id": "X-task",
                "version": 90,
                "data": {
                    "id": "X-task",
                    "customer_id": "C1",
                    "field": "task_target",
                    "kept_value": '{"status": "done"}',
                    "lost_value": None,
                    "lost_by": "G001",
                    "detail": words,
                    "created_at": "2026-11-21T03:00:00Z",
                },
            }
        ]
    )
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.show()
    book = window.customers
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    book.search_box.setText(PHONE_TAIL)  # the phone tail, as at the counter
    qtbot.waitUntil(lambda: book.model.rowCount() == 1)
    qtbot.keyClick(book.search_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: book.profile.customer_id == "C1" and book.profile.ready)
    entries = [label.text() for label in book.profile.findChildren(QLabel, "conflictEntry")]
    assert any(text.startswith(words) for text in entries), entries
    # The field edit beside it still reads as an edit.
    assert any("周末来店" in text for text in entries), entries
