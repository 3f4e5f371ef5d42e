"""The manager's team view, driven as a manager would: pick a completed item in the review
queue, approve or reject it, give an open target to another guide; the figures, the chart
and the queue follow the store.

    python -m tests.ui.test_team --shot docs/screenshot-team.png [--size 1024x768]

saves a screenshot of the team view over the same hand-made store (not a test).
"""

from __future__ import annotations

import argparse
import base64
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QInputMethodEvent, QPainter
from PySide6.QtWidgets import QApplication, QTableView

from app.store import db, outbox, review
from app.store.changes import Changes
from app.store.guides import GuideAccount, get_guide
from app.store.replica import TerminalReplica
from app.ui.session import Session
from app.ui.sync_panel import RejectedDialog
from app.ui.tasks.team import EvidenceDialog, RowsModel, TeamView
from tests.store.helpers import open_raw
from tests.store.test_review import PIXEL, declared_payload, target, team_records


def fill_team(path: Path, clock, picture: str = PIXEL) -> None:
    conn = db.connect(path)
    try:
        replica = TerminalReplica(conn, clock=clock)
        replica.apply_page(team_records(picture), "1.1", more=False)
        replica.set_state(store_id="S001", store_name="静安嘉里店")
    finally:
        conn.close()


def chat_screenshot() -> str:
    """A tall picture like a phone's chat screenshot, as base64 JPEG (the stored form)."""
    image = QImage(360, 640, QImage.Format.Format_RGB32)
    image.fill(QColor("#ededed"))
    painter = QPainter(image)
    painter.fillRect(0, 0, 360, 56, QColor("#f7f7f7"))
    font = QFont("Noto Sans CJK SC", 14)
    painter.setFont(font)
    painter.drawText(QRect(0, 0, 360, 56), Qt.AlignmentFlag.AlignCenter, "张三")
    bubbles = (
        (True, "张姐生日快乐！本月到店有生日礼，给您留了一份。"),
        (False, "谢谢！周六下午过去"),
        (True, "好的，到时候给您试新款羊绒大衣"),
    )
    y = 80
    for mine, text in bubbles:
        rect = QRect(110 if mine else 20, y, 230, 70)
        painter.fillRect(rect, QColor("#95ec69") if mine else QColor("#ffffff"))
        painter.drawText(
            rect.adjusted(10, 6, -10, -6),
            Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignLeft,
            text,
        )
        y += 100
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "JPEG", 80)
    return base64.b64encode(bytes(data)).decode("ascii")


@pytest.fixture
def team_path(db_path: Path, clock) -> Path:
    fill_team(db_path, clock, chat_screenshot())
    return db_path


@pytest.fixture
def team_session(qtbot, team_path: Path, clock) -> Iterator[Session]:
    session = Session(team_path, clock=clock)
    yield session
    session.close()


@pytest.fixture
def team_manager(team_session: Session) -> GuideAccount:
    found = get_guide(team_session.conn, "M001")
    assert found is not None and found.is_manager
    return found


@pytest.fixture
def view(qtbot, team_session: Session, team_manager: GuideAccount) -> TeamView:
    widget = TeamView(team_session, team_manager)
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.snapshot is not None)
    return widget


def keys(model: RowsModel) -> list:
    return [model.data(model.index(r, 0), RowsModel.KeyRole) for r in range(model.rowCount())]


def click_row(qtbot, table: QTableView, key) -> None:
    model = table.model()
    row = model.row_of(key)
    assert row >= 0, f"{key} is not in {table.objectName()}"
    rect = table.visualRect(model.index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert table.currentIndex().row() == row


def type_text(widget, text: str) -> None:
    """Text as a Chinese input method delivers it: one committed string (QTest's key
    clicks know ASCII only)."""
    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def pending(session: Session) -> list[outbox.OutboxEntry]:
    return outbox.pending(session.conn)


def flush_write_lane(qtbot, session: Session) -> None:
    """Wait until every write queued so far has run (the lane runs jobs in order)."""
    done = []
    session.write.run(lambda conn: None, success=lambda _: done.append(True))
    qtbot.waitUntil(lambda: done == [True])


def test_every_model_passes_the_model_tester(qtmodeltester, view: TeamView) -> None:
    for model in (view.guide_model, view.task_model, view.queue_model, view.open_model):
        assert model.rowCount() > 0
        qtmodeltester.check(model, force_py=True)


def test_figures_and_chart_show_the_store_figures(
    view: TeamView, team_session: Session, clock
) -> None:
    expected = review.team_snapshot(team_session.conn, now=clock(), manager_id="M001")
    series = view.chart.chart().series()
    assert len(series) == 1
    [bars] = series[0].barSets()
    assert bars.count() == 14
    assert [int(bars.at(i)) for i in range(14)] == [d.completions for d in expected.per_day]
    assert sum(view.chart.values()) == 4 and view.chart.values()[-1] == 2
    assert view.chart.chart().title() and view.chart.days.count() == 14
    assert keys(view.guide_model) == ["G002", "G001", "M001", "G009"]
    overdue = view.guide_model.index(1, 4)  # 王丽's overdue column
    assert view.guide_model.data(overdue) == "1"
    assert view.guide_model.data(overdue, Qt.ItemDataRole.ForegroundRole) is not None
    assert keys(view.task_model) == ["T2", "T4", "T1"]
    assert keys(view.queue_model) == [("T4", "C4"), ("T1", "C1"), ("T4", "C2")]
    assert "3" in view.tabs.tabText(1)


def test_approve_sends_the_mutation_and_the_item_leaves_the_queue(
    qtbot, view: TeamView, team_session: Session
) -> None:
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T1", "C1"))
    assert "张三" in view.detail.text() and "王丽" in view.detail.text()
    assert view.evidence_note.toPlainText() == "发了生日祝福，她说周六来店"
    with qtbot.waitSignal(view.loaded, timeout=5000):
        qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    [entry] = pending(team_session)
    assert (entry.entity, entry.op, entry.entity_id, entry.guide_id) == (
        "task_target",
        "review",
        "T1:C1",
        "M001",
    )
    assert entry.payload["status"] == "approved"
    assert ("T1", "C1") not in keys(view.queue_model)
    assert len(keys(view.queue_model)) == 2
    assert "(2)" in view.tabs.tabText(1)
    # The next item is selected, ready for the next decision.
    assert view.current_item() is not None


def test_reject_with_a_comment_reopens_the_item(
    qtbot, view: TeamView, team_session: Session
) -> None:
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T4", "C2"))
    type_text(view.comment, "请补一张聊天截图")
    with qtbot.waitSignal(view.loaded, timeout=5000):
        qtbot.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)
    [entry] = pending(team_session)
    assert entry.payload == declared_payload(
        "review",
        task_id="T4",
        customer_id="C2",
        status="rejected",
        review_comment="请补一张聊天截图",
        completed_at="2026-11-22T02:00:00Z",
    )
    assert ("T4", "C2") not in keys(view.queue_model)
    assert ("T4", "C2") in keys(view.open_model)  # open again for its guide
    assert view.comment.toPlainText() == ""


def test_reject_without_a_comment_says_why_and_writes_nothing(
    qtbot, view: TeamView, team_session: Session
) -> None:
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T1", "C1"))
    qtbot.keyClicks(view.comment, "   ")
    qtbot.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)
    assert "comment" in view.review_message.text()
    assert view.comment.hasFocus() or not view.isActiveWindow()
    flush_write_lane(qtbot, team_session)
    assert pending(team_session) == []
    assert ("T1", "C1") in keys(view.queue_model)


def test_a_refused_write_is_said_in_the_view_and_the_comment_is_kept(
    qtbot, view: TeamView, team_session: Session, team_path: Path
) -> None:
    """The guide's completion changed under the manager (a sync): the store refuses."""
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T1", "C1"))
    other = open_raw(team_path)
    with other:
        other.execute(
            "UPDATE task_targets SET status = 'approved' WHERE task_id = 'T1' AND customer_id = 'C1'"
        )
    other.close()
    type_text(view.comment, "不够具体")
    qtbot.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "不在待审核状态" in view.review_message.text())
    assert view.comment.toPlainText() == "不够具体"
    assert view.approve_button.isEnabled()
    assert pending(team_session) == []


def test_reassign_an_open_target_to_another_guide(
    qtbot, view: TeamView, team_session: Session
) -> None:
    view.tabs.setCurrentIndex(2)
    click_row(qtbot, view.open_table, ("T1", "C2"))
    choices = [view.reassign_guide.itemData(i) for i in range(view.reassign_guide.count())]
    assert choices == ["G002", "M001"]  # active guides of the store but its holder
    view.reassign_guide.setCurrentIndex(choices.index("G002"))
    with qtbot.waitSignal(view.loaded, timeout=5000):
        qtbot.mouseClick(view.reassign_button, Qt.MouseButton.LeftButton)
    [entry] = pending(team_session)
    assert (entry.op, entry.payload) == (
        "reassign",
        declared_payload("reassign", task_id="T1", customer_id="C2", guide_id="G002"),
    )
    row = view.open_model.row_of(("T1", "C2"))
    assert view.open_model.data(view.open_model.index(row, 2)) == "李娜"
    assert "李娜" in view.reassign_message.text()
    assert keys(view.guide_model)[0] == "G002"
    g002 = view.guide_model.index(0, 1)
    assert view.guide_model.data(g002) == "5"


def test_the_evidence_thumbnail_enlarges_on_click(qtbot, view: TeamView) -> None:
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T1", "C1"))
    assert view.picture_button.isVisible() and not view.picture_button.icon().isNull()
    qtbot.mouseClick(view.picture_button, Qt.MouseButton.LeftButton)
    dialog = view.findChild(EvidenceDialog, "evidenceDialog")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    picture = dialog.findChild(type(view.detail), "evidencePicture")
    assert picture.pixmap().height() == 640
    dialog.close()
    click_row(qtbot, view.queue, ("T4", "C2"))
    assert not view.picture_button.isVisible() and view.no_picture.isVisible()


def test_refreshes_for_task_changes_only(
    qtbot, view: TeamView, team_session: Session, team_path: Path, clock
) -> None:
    conn = db.connect(team_path)
    try:
        TerminalReplica(conn, clock=clock).apply_page(
            [{**target("T1", "C2", "G001", "done", "2026-11-22T09:00:00Z"), "version": 2}],
            "1.2",
            more=False,
        )
    finally:
        conn.close()
    loads = []
    view.loaded.connect(lambda: loads.append(1))
    team_session.hub.publish(Changes(customers=frozenset({"C2"})))
    flush_write_lane(qtbot, team_session)
    assert loads == [] and ("T1", "C2") not in keys(view.queue_model)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        team_session.hub.publish(Changes(entities=frozenset({"task_target"})))
    assert ("T1", "C2") in keys(view.queue_model)
    assert view.chart.values()[-1] == 3


def test_a_review_hq_refused_shows_hqs_reason(
    qtbot, view: TeamView, team_session: Session, team_path: Path, clock
) -> None:
    view.tabs.setCurrentIndex(1)
    click_row(qtbot, view.queue, ("T1", "C1"))
    with qtbot.waitSignal(view.loaded, timeout=5000):
        qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    reason = "导购在审核之后重新提交了完成记录 / the completion changed after this review"
    conn = db.connect(team_path)
    try:
        replica = TerminalReplica(conn, clock=clock)
        [pushed] = replica.pending_mutations(10)
        replica.acknowledge([{"id": pushed["id"], "status": "rejected", "reason": reason}])
    finally:
        conn.close()
    assert not view.refused.isVisible()
    with qtbot.waitSignal(view.loaded, timeout=5000):
        team_session.hub.publish(Changes(outbox=True, entities=frozenset({"task_target"})))
    assert view.refused.isVisible() and reason in view.refused.text()
    # And where refused changes are listed today (the sync panel's dialog).
    dialog = RejectedDialog(outbox.rejected(team_session.conn))
    qtbot.addWidget(dialog)
    table = dialog.findChild(QTableView, "rejectedList")
    cells = [table.model().index(0, c).data() for c in range(3)]
    assert cells[1] == "Review of a task · T1:C1" and cells[2] == reason


def test_fits_a_small_terminal(view: TeamView) -> None:
    hint = view.minimumSizeHint()
    assert hint.width() <= 900 and hint.height() <= 620, hint


# -- screenshots (not a test) -----------------------------------------------------------------


def _shoot(path: Path, size: tuple[int, int], home: Path) -> None:
    """The workbench signed in as the store manager, Tasks → 团队, at ``size``: the figures
    tab to ``path``, the review queue beside it (``…-queue.png``)."""
    from app.ui.app import install_translator
    from app.ui.main_window import MainWindow
    from app.ui.sync_panel import SyncController

    app = QApplication.instance() or QApplication(sys.argv)
    app.setFont(QFont("Noto Sans CJK SC", 10))
    install_translator(app, "zh_CN")
    now = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    home.mkdir(parents=True, exist_ok=True)
    file = home / "team.sqlite3"
    file.unlink(missing_ok=True)
    fill_team(file, lambda: now, chat_screenshot())
    session = Session(file, clock=lambda: now)
    manager = get_guide(session.conn, "M001")
    assert manager is not None
    window = MainWindow(session, manager, SyncController(session, None))
    window.resize(*size)
    window.show()
    window.show_section("tasks")
    team = window.tasks.team
    assert isinstance(team, TeamView) and window.tasks.tabs is not None
    window.tasks.tabs.setCurrentWidget(team)
    while team.snapshot is None:
        app.processEvents()  # a script, not the app: wait for the first load
    app.processEvents()
    window.grab().save(str(path))
    team.tabs.setCurrentIndex(1)
    team._select(team.queue, team.queue_model.row_of(("T1", "C1")))
    app.processEvents()
    window.grab().save(str(path.with_name(path.stem + "-queue" + path.suffix)))
    window.close()
    session.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shot", type=Path, required=True)
    parser.add_argument("--size", default="1024x768")
    parser.add_argument("--home", type=Path, default=Path("/tmp/gd-team-shot"))
    args = parser.parse_args()
    from sync import credentials

    credentials.use_memory_keyring_if_none()  # the store's key, as in the demo
    width, height = (int(v) for v in args.size.split("x"))
    _shoot(args.shot, (width, height), args.home)


if __name__ == "__main__":
    main()
