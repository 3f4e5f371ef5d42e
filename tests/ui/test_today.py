"""The guide's Today, driven as a guide does: the task, the customer, the outcome."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QInputMethodEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTreeView,
)

from app.store import outbox
from app.store.changes import Changes
from app.ui.main_window import MainWindow
from app.ui.sync_panel import SyncController
from app.ui.tasks.models import TargetListModel, TaskListModel
from app.ui.tasks.outcome_dialog import picture_base64
from app.ui.tasks.today import TodayView
from sync.records import MAX_PICTURE_CHARS, check_payload
from tests.ui.conftest import change


def task(tid: str, title: str, **extra) -> dict:
    data = {
        "id": tid,
        "campaign_id": "CAMP-12",
        "store_id": "S001",
        "guide_id": None,
        "kind": "birthday",
        "title": title,
        "description": "生日前一周发祝福并提醒生日礼",
        "content_ids": ["K1"],
        "target_rule": {},
        "starts_on": "2026-11-01",
        "due_on": "2026-11-30",
        "status": "open",
        "evidence": "none",
        "review": True,
    }
    data.update(extra)
    return change("task", data)


def target(tid: str, cid: str, status: str = "open", **extra) -> dict:
    data = {"task_id": tid, "customer_id": cid, "guide_id": "G001", "status": status, **extra}
    return {
        "entity": "task_target",
        "op": "upsert",
        "id": f"{tid}:{cid}",
        "version": 1,
        "data": data,
    }


TASKS = [
    change("content", {"id": "K1", "kind": "copy", "title": "冬季新品软文", "body": "…"}),
    task("T1", "十二月生日问候"),
    task("T2", "回访流失老客", campaign_id=None, due_on="2026-11-20", evidence="note"),
    task("T3", "发截图", evidence="picture"),
    target("T1", "C1"),
    target("T1", "C2", status="rejected", review_comment="请写清楚聊了什么"),
    target("T1", "C3", status="done", outcome="contacted"),
    target("T2", "C4"),
    target("T3", "C4"),
]


def open_today(qtbot, session, guide) -> tuple[MainWindow, TodayView]:
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.mouseClick(window.rail.buttons["tasks"], Qt.MouseButton.LeftButton)
    today = window.findChild(TodayView, "todayView")
    assert today is not None and today.isVisible()
    return window, today


def click_task(qtbot, today: TodayView, title: str) -> None:
    view = today.findChild(QTreeView, "taskList")
    model = view.model()
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    for g in range(model.rowCount()):
        group = model.index(g, 0)
        for r in range(model.rowCount(group)):
            index = model.index(r, 0, group)
            if index.data() == title:
                qtbot.mouseClick(
                    view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
                )
                return
    raise AssertionError(f"no task {title!r}")


def click_target(qtbot, today: TodayView, name: str) -> None:
    table = today.findChild(QTableView, "taskTargets")
    model = table.model()
    qtbot.waitUntil(lambda: any(model.index(r, 0).data() == name for r in range(model.rowCount())))
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == name)
    rect = table.visualRect(model.index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_into(qtbot, widget, text: str) -> None:
    """Chinese arrives as an input method's commit, as with a real IME."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def find_dialog(qtbot, name: str):
    found = []

    def present() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if w.objectName() == name]
        return bool(found) and found[0].isVisible()

    qtbot.waitUntil(present)
    found[0].activateWindow()
    qtbot.waitUntil(found[0].isActiveWindow)
    return found[0]


def test_a_guide_records_an_outcome_offline(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, "十二月生日问候")
    click_target(qtbot, today, "张三")
    qtbot.waitUntil(lambda: today.profile.ready and today.profile.customer_id == "C1")
    qtbot.mouseClick(today.findChild(QPushButton, "recordOutcomeButton"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, "outcomeDialog")
    assert "张三" in dialog.findChild(QLabel, "outcomeCustomer").text()
    note = dialog.findChild(QPlainTextEdit, "outcomeNote")
    type_into(qtbot, note, "约了周六来试穿")
    with qtbot.waitSignal(session.hub.changed) as published:
        qtbot.keyClick(note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    changes: Changes = published.args[0]
    assert changes.touches("task_target") and changes.touches_customer("C1")
    qtbot.waitUntil(lambda: not dialog.isVisible())
    # the follow-up is in the profile beside the list, waiting to sync
    qtbot.waitUntil(
        lambda: any(
            "约了周六来试穿" in " ".join(label.text() for label in e.findChildren(QLabel))
            for e in today.profile.findChildren(QFrame, "followUpEntry")
        )
    )
    # the target shows done, the task's progress moved, the mutations are in the outbox
    targets = today.findChild(QTableView, "taskTargets").model()
    qtbot.waitUntil(lambda: targets.row(targets.row_of("C1")).status == "done")
    assert targets.index(targets.row_of("C1"), 2).data() == "Done · Contacted"
    tasks = today.tasks
    assert tasks.index_of("T1").siblingAtColumn(1).data() == "2/3"  # C1 and C3 done
    pending = outbox.pending(session.conn)
    assert [(e.entity, e.op) for e in pending] == [
        ("followup", "create"),
        ("task_target", "complete"),
    ]
    complete = pending[1].payload
    assert (complete["task_id"], complete["customer_id"], complete["outcome"]) == (
        "T1",
        "C1",
        "contacted",
    )
    assert check_payload("task_target", "complete", complete) == complete
    assert pending[0].payload["note"] == "约了周六来试穿" and pending[0].payload["task_id"] == "T1"


def test_a_rejected_target_shows_the_managers_comment(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, "十二月生日问候")
    click_target(qtbot, today, "曾小凡")
    comment = today.findChild(QLabel, "targetReviewComment")
    qtbot.waitUntil(comment.isVisible)
    assert "请写清楚聊了什么" in comment.text()
    qtbot.mouseClick(today.findChild(QPushButton, "recordOutcomeButton"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, "outcomeDialog")
    assert "请写清楚聊了什么" in dialog.findChild(QLabel, "outcomeReviewComment").text()
    dialog.reject()
    assert outbox.pending(session.conn) == []


def test_done_targets_cannot_be_recorded_again(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, "十二月生日问候")
    click_target(qtbot, today, "欧阳娜娜")
    button = today.findChild(QPushButton, "recordOutcomeButton")
    qtbot.waitUntil(
        lambda: today.current_target() is not None and today.current_target().customer_id == "C3"
    )
    assert not button.isEnabled()


def test_overdue_task_and_evidence_note_is_required(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    model = today.findChild(QTreeView, "taskList").model()
    # the CAMP-12 campaign, HQ's tasks without one, then the guide's own (C1 is on day 20)
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    hq = model.index(1, 0)
    assert model.index(0, 2, hq).data() == "overdue 11-20"
    click_task(qtbot, today, "回访流失老客")
    click_target(qtbot, today, "单丽")
    qtbot.mouseClick(today.findChild(QPushButton, "recordOutcomeButton"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, "outcomeDialog")
    assert not dialog.save_button.isEnabled()  # the task asks for an evidence note
    type_into(qtbot, dialog.findChild(QPlainTextEdit, "outcomeEvidenceNote"), "发了优惠券")
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(session.hub.changed):
        qtbot.keyClick(
            dialog.findChild(QPlainTextEdit, "outcomeNote"),
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.ControlModifier,
        )
    qtbot.waitUntil(lambda: not dialog.isVisible())
    complete = outbox.pending(session.conn)[-1].payload
    assert complete["evidence"] == "发了优惠券" and complete["task_id"] == "T2"


def test_a_pasted_screenshot_is_the_evidence(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, "发截图")
    click_target(qtbot, today, "单丽")
    qtbot.mouseClick(today.findChild(QPushButton, "recordOutcomeButton"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, "outcomeDialog")
    assert not dialog.save_button.isEnabled()
    image = QImage(2400, 1800, QImage.Format.Format_RGB32)
    image.fill(QColor("#88aa44"))
    QGuiApplication.clipboard().setImage(image)
    qtbot.keyClick(
        dialog.findChild(QPlainTextEdit, "outcomeNote"),
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier,
    )
    qtbot.waitUntil(dialog.save_button.isEnabled)
    assert dialog.findChild(QLabel, "outcomePicturePreview").pixmap().width() <= 220
    with qtbot.waitSignal(session.hub.changed):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    picture = outbox.pending(session.conn)[-1].payload["evidence_picture"]
    assert picture.startswith("/9j/") and len(picture) <= MAX_PICTURE_CHARS


def test_pictures_are_scaled_down_to_fit_the_contract(qapp) -> None:
    noisy = QImage(3000, 3000, QImage.Format.Format_RGB32)
    for y in range(0, 3000, 3):
        for x in range(0, 3000, 97):
            noisy.setPixel(x, y, (x * 7919 + y * 104729) & 0xFFFFFF)
    encoded = picture_base64(noisy, limit=60_000)
    assert encoded is not None and len(encoded) <= 60_000


def test_suggested_content_is_one_click_away(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    click_task(qtbot, today, "十二月生日问候")
    button = today.content_button
    qtbot.waitUntil(button.isVisible)
    panel = today.findChild(QLabel, "taskContentPanel")
    assert not panel.isVisible()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert panel.isVisible() and "冬季新品软文" in panel.text()


def test_personal_tasks_are_their_own_group(
    qtbot, session, guide, add_records, new_customer
) -> None:
    # C1's birthday is 11-20 (past); one within the week and a follow-up that is due
    add_records(
        [
            new_customer("C7", "生日王", "13300007777", birthday="1992-11-25"),
            change(
                "followup",
                {
                    "id": "F7",
                    "customer_id": "C4",
                    "guide_id": "G001",
                    "channel": "call",
                    "note": "下周再打",
                    "next_followup_on": "2026-11-21",
                    "created_at": "2026-11-14T03:00:00Z",
                    "task_id": None,
                },
            ),
        ]
    )
    _window, today = open_today(qtbot, session, guide)
    model = today.findChild(QTreeView, "taskList").model()
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    group = model.index(0, 0)
    assert [model.index(r, 0, group).data() for r in range(model.rowCount(group))] == [
        "Follow-ups due",
        "Birthdays within 7 days",
        "New customers: day 3 / 7 / 14",  # C1 bought first on 11-02: day 20, the day-14 call
    ]
    click_task(qtbot, today, "Birthdays within 7 days")
    click_target(qtbot, today, "生日王")
    qtbot.mouseClick(today.findChild(QPushButton, "recordOutcomeButton"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, "outcomeDialog")
    type_into(qtbot, dialog.findChild(QPlainTextEdit, "outcomeNote"), "发了生日祝福")
    with qtbot.waitSignal(session.hub.changed):
        qtbot.keyClick(
            dialog.findChild(QPlainTextEdit, "outcomeNote"),
            Qt.Key.Key_Return,
            Qt.KeyboardModifier.ControlModifier,
        )
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert [(e.entity, e.payload["customer_id"]) for e in outbox.pending(session.conn)] == [
        ("followup", "C7")
    ]
    # contacted: the birthday task is gone, the follow-up one stays
    qtbot.waitUntil(lambda: model.rowCount(model.index(0, 0)) == 2)
    assert model.index(1, 0, model.index(0, 0)).data() == "New customers: day 3 / 7 / 14"


def test_empty_today_says_what_to_do(qtbot, session, guide, clock) -> None:
    clock.now = clock.now.replace(month=12, day=15)  # no birthday near, C1 past day 20
    _window, today = open_today(qtbot, session, guide)
    empty = today.no_tasks
    qtbot.waitUntil(empty.isVisible)
    assert "F5" in empty.text()


def test_refreshes_only_for_changes_that_concern_it(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    qtbot.waitUntil(lambda: today.tasks.rowCount() == 3)
    reloads = []
    original = today.reload
    today.reload = lambda: (reloads.append(1), original())
    session.hub.publish(Changes(outbox=True))
    session.hub.publish(Changes(entities=frozenset({"product"})))
    assert reloads == []
    session.hub.publish(Changes(entities=frozenset({"task"})))
    session.hub.publish(Changes(customers=frozenset({"C1"})))
    session.hub.publish(Changes(everything=True))
    assert len(reloads) == 3


def test_profile_lists_the_customers_open_tasks(qtbot, session, guide, add_records) -> None:
    add_records(TASKS)
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    window.show()
    book = window.customers
    qtbot.waitUntil(lambda: book.model.rowCount() > 0)
    book.table.selectRow(book.model.row_of("C4"))
    qtbot.waitUntil(lambda: book.profile.ready and book.profile.customer_id == "C4")
    texts = [label.text() for label in book.profile.findChildren(QLabel, "openTaskEntry")]
    assert texts == ["回访流失老客  ·  due 2026-11-20", "发截图  ·  due 2026-11-30"]


def test_models_pass_the_model_tester(qtbot, qtmodeltester, session, guide, add_records) -> None:
    add_records(TASKS)
    _window, today = open_today(qtbot, session, guide)
    qtbot.waitUntil(lambda: today.targets.rowCount() > 0)
    assert isinstance(today.tasks, TaskListModel) and isinstance(today.targets, TargetListModel)
    qtmodeltester.check(today.tasks)
    qtmodeltester.check(today.targets)


def test_a_manager_gets_the_team_tab(qtbot, session, manager) -> None:
    from app.ui.tasks.team import TeamView

    window = MainWindow(session, manager, SyncController(session, None))
    qtbot.addWidget(window)
    assert window._tasks is None  # built when first shown, not with the window
    window.show_section("tasks")
    tabs = window.tasks.tabs
    assert tabs is not None and tabs.count() == 2
    assert isinstance(tabs.widget(1), TeamView) and window.stack.currentWidget() is window.tasks


def test_a_guide_gets_no_team_tab(qtbot, session, guide) -> None:
    window = MainWindow(session, guide, SyncController(session, None))
    qtbot.addWidget(window)
    assert window.tasks.tabs is None and window.tasks.team is None


def test_a_share_task_marks_who_opted_out_since_and_a_birthday_task_does_not(
    qtbot, session, guide, add_records
) -> None:
    """C1 opted out after HQ published the tasks: the share task's list says not to contact
    her (with her reason in the tooltip); the birthday greeting, service, is unchanged."""
    add_records(
        [
            *TASKS,
            task("T4", "转发冬季新品", kind="content_share"),
            target("T4", "C1"),
            target("T4", "C2"),
        ]
    )
    session.conn.execute(
        "UPDATE customers SET marketing_opt_out = 1, opt_out_reason = '顾客要求不再接收活动消息'"
        " WHERE id = 'C1'"
    )
    _window, today = open_today(qtbot, session, guide)
    targets = today.findChild(QTableView, "taskTargets").model()
    click_task(qtbot, today, "转发冬季新品")
    qtbot.waitUntil(lambda: targets.rowCount() == 2 and targets.row(0).task_id == "T4")
    status = targets.index(targets.row_of("C1"), 2)
    assert status.data() == "Opted out"
    assert "顾客要求不再接收活动消息" in status.data(Qt.ItemDataRole.ToolTipRole)
    assert targets.index(targets.row_of("C2"), 2).data() == "To do"
    click_task(qtbot, today, "十二月生日问候")
    qtbot.waitUntil(lambda: targets.rowCount() > 0 and targets.row(0).task_id == "T1")
    assert targets.index(targets.row_of("C1"), 2).data() == "To do"
