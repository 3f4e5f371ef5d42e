"""Sync as the guide sees it, with a fake engine standing in for sync.client.SyncEngine."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QPushButton, QTableWidget

from app.store import db
from app.store.customers import copy_phone, log_followup, reveal_phone
from app.store.db import transaction
from app.store.errors import DiskFull, StoreLocked
from app.store.replica import TerminalReplica, sync_status
from app.ui.app import install_translator
from app.ui.labels import CHANGES, ENTITIES
from app.ui.sync_panel import SkippedDialog, SyncController, SyncProgressBar, SyncStatusLabel
from sync.outcome import AuthError, SyncProgress, SyncReport
from sync.records import MUTATIONS, RECORDS


@pytest.fixture
def panel(qtbot, session):
    def build(make_engine):
        sync = SyncController(session, make_engine, interval_s=3600)
        label = SyncStatusLabel(session, sync)
        bar = SyncProgressBar(session, sync)
        qtbot.addWidget(label)
        qtbot.addWidget(bar)
        return sync, label, bar

    built = []
    yield lambda make_engine: built.append(build(make_engine)) or built[-1]
    for sync, _, _ in built:
        sync.stop()


def run_sync(qtbot, sync: SyncController) -> SyncReport:
    with qtbot.waitSignal(sync.finished) as finished:
        assert sync.sync_now()
    return finished.args[0]


def test_not_enrolled(panel) -> None:
    sync, label, _ = panel(None)
    assert not sync.sync_now()
    assert label.objectName() == "syncStatus"
    assert label.plain_text().startswith("Not enrolled: please contact IT")


def test_success_shows_last_sync_and_nothing_pending(qtbot, panel, fake_engine, session) -> None:
    engine = fake_engine(SyncReport(ok=True, ready=True))
    session.conn.execute(
        "INSERT INTO sync_state (key, value) VALUES ('last_sync_at', '2026-11-22T10:00:00Z')"
    )
    sync, label, _ = panel(lambda: engine)
    report = run_sync(qtbot, sync)
    assert report.ok and engine.closed
    text = label.plain_text()
    assert "Last synced" in text and "All edits uploaded" in text
    assert "audit" not in text


def test_offline_and_pending_count(qtbot, panel, fake_engine, session) -> None:
    log_followup(
        session.conn,
        customer_id="C2",
        guide_id="G001",
        channel="call",
        note="没接",
        now="2026-11-22T09:00:00Z",
    )
    sync, label, _ = panel(lambda: fake_engine(SyncReport(ok=False, offline=True, error="x")))
    run_sync(qtbot, sync)
    text = label.plain_text()
    assert "Offline" in text and "Edits waiting to upload: 1" in text


def test_a_reveal_is_recorded_for_audit_not_an_edit(qtbot, panel, fake_engine, session) -> None:
    # Two reveals and a copy of a phone number, one follow-up: one edit waits to sync,
    # three audit records go to HQ's audit trail with it.
    for _ in range(2):
        reveal_phone(session.conn, customer_id="C2", guide_id="G001", now="2026-11-22T09:00:00Z")
    copy_phone(session.conn, customer_id="C2", guide_id="G001", now="2026-11-22T09:01:00Z")
    sync, label, _ = panel(lambda: fake_engine(SyncReport(ok=False, offline=True, error="x")))
    run_sync(qtbot, sync)
    text = label.plain_text()
    assert "All edits uploaded" in text and "Recorded for audit: 3" in text
    assert "waiting" not in text
    assert "not edits" in label.toolTip()
    status = sync_status(session.conn)
    assert (status.pending, status.pending_edits, status.pending_audit) == (3, 0, 3)
    log_followup(
        session.conn,
        customer_id="C2",
        guide_id="G001",
        channel="call",
        note="没接",
        now="2026-11-22T09:02:00Z",
    )
    run_sync(qtbot, sync)
    text = label.plain_text()
    assert "Edits waiting to upload: 1" in text and "Recorded for audit: 3" in text


def test_error_in_plain_words(qtbot, panel, fake_engine) -> None:
    sync, label, _ = panel(lambda: fake_engine(SyncReport(ok=False, error="总部暂时不可用")))
    run_sync(qtbot, sync)
    assert "Sync problem: 总部暂时不可用" in label.plain_text()


def test_engine_that_cannot_start_is_a_plain_problem(qtbot, panel) -> None:
    def broken():
        raise AuthError("本终端尚未登记")

    sync, label, _ = panel(broken)
    report = run_sync(qtbot, sync)
    assert not report.ok
    assert "Sync problem: 本终端尚未登记" in label.plain_text()


def test_rejected_count_opens_the_list(qtbot, panel, fake_engine, session) -> None:
    log_followup(
        session.conn,
        customer_id="C2",
        guide_id="G001",
        channel="sms",
        note="n",
        now="2026-11-22T09:00:00Z",
    )
    with transaction(session.conn):
        session.conn.execute(
            "UPDATE outbox SET status = 'rejected', reject_reason = '顾客已转给其他导购'"
        )
    sync, label, _ = panel(lambda: fake_engine(SyncReport(ok=True, rejected=1)))
    run_sync(qtbot, sync)
    assert "Refused by HQ: 1" in label.plain_text()
    dialog = label.show_rejected()
    qtbot.addWidget(dialog)
    table = dialog.findChild(QTableWidget, "rejectedList")
    assert table.rowCount() == 1 and table.item(0, 2).text() == "顾客已转给其他导购"
    assert table.item(0, 1).text().startswith("Follow-up · ")  # said in words, not codes


def test_never_two_syncs_at_once_and_first_sync_progress(
    qtbot, panel, fake_engine, session
) -> None:
    with transaction(session.conn):
        session.conn.execute("UPDATE sync_state SET value = '0' WHERE key = 'ready'")
    gate = threading.Event()
    engine = fake_engine(
        SyncReport(ok=True, pulled=10, ready=True), steps=(SyncProgress("pull", 4, 10),), gate=gate
    )
    sync, label, bar = panel(lambda: engine)
    assert sync.sync_now()
    assert not sync.sync_now()  # one is running
    qtbot.waitUntil(lambda: bar.maximum() == 10 and bar.value() == 4)
    assert not bar.isHidden()
    assert label.plain_text().startswith("Syncing")
    with qtbot.waitSignals([sync.finished, session.hub.changed]):
        gate.set()
    assert engine.calls == 1 and bar.isHidden()


def test_hq_words_in_the_status_line_are_shown_literally(qtbot, panel, fake_engine) -> None:
    # The status line is rich text on purpose (the rejected count is a link), so every
    # part of it is escaped: HQ's message reads as the characters HQ sent.
    markup = '<h1 style="color:red">FAKE</h1><a href="x">link</a>'
    sync, label, _ = panel(lambda: fake_engine(SyncReport(ok=False, error=markup)))
    run_sync(qtbot, sync)
    document = QTextDocument()
    document.setHtml(label.text())
    assert f"Sync problem: {markup}" in document.toPlainText()
    assert f"Sync problem: {markup}" in label.plain_text()


class ScriptedEngine:
    """Each sync takes the next outcome: a report to return or an exception to raise."""

    def __init__(self, outcomes: list[SyncReport | BaseException]) -> None:
        self.outcomes = outcomes

    def sync_once(self, progress=None) -> SyncReport:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


@pytest.mark.parametrize(
    "failure",
    [
        # A pulled record this terminal cannot store: a bug, shown with its details.
        lambda: sqlite3.IntegrityError("NOT NULL constraint failed: appointments.ends_at"),
        # A problem of this machine: plain words.
        lambda: DiskFull("本地数据库出错 (local database: database or disk is full)"),
    ],
    ids=["bug", "disk-full"],
)
def test_the_same_failure_every_minute_is_one_dialog(qtbot, panel, session, failure) -> None:
    ok = SyncReport(ok=True, ready=True)
    engine = ScriptedEngine([failure(), failure(), failure(), failure(), ok, failure()])
    sync, label, _ = panel(lambda: engine)

    def failing_sync() -> None:
        assert not run_sync(qtbot, sync).ok
        assert "Sync problem" in label.plain_text()  # the status line keeps saying it

    failing_sync()
    (first,) = session.errors.shown
    qtbot.addWidget(first)
    failing_sync()  # the timer again, while the dialog is open
    assert session.errors.shown == [first]
    first.done(0)  # the guide closes it
    assert session.errors.shown == []
    failing_sync()
    failing_sync()  # and again: acknowledged, so no new dialog
    assert session.errors.shown == []
    assert run_sync(qtbot, sync).ok  # a success…
    failing_sync()  # …then the failure is news again
    (again,) = session.errors.shown
    qtbot.addWidget(again)
    assert again is not first


def test_a_different_failure_is_shown_even_after_one_was_closed(qtbot, panel, session) -> None:
    engine = ScriptedEngine([DiskFull("disk full"), StoreLocked("locked"), DiskFull("disk full")])
    sync, _, _ = panel(lambda: engine)
    run_sync(qtbot, sync)
    (full,) = session.errors.shown
    qtbot.addWidget(full)
    full.done(0)
    run_sync(qtbot, sync)
    (locked,) = session.errors.shown
    qtbot.addWidget(locked)
    assert "busy" in locked.text()
    run_sync(qtbot, sync)  # the disk is full again: already seen since the last success
    assert session.errors.shown == [locked]


class ApplyingEngine:
    """Each sync applies the next page of HQ records the way the real engine does: through
    ``TerminalReplica.apply_page`` on a connection of its own, in the sync lane's thread."""

    def __init__(self, path, clock, pages: list[list[dict]]) -> None:
        self.path, self.clock, self.pages = path, clock, pages
        self.cursor = 100

    def sync_once(self, progress=None) -> SyncReport:
        page = self.pages.pop(0)
        self.cursor += 1
        conn = db.connect(self.path)
        try:
            TerminalReplica(conn, clock=self.clock).apply_page(page, str(self.cursor), more=False)
        finally:
            conn.close()
        return SyncReport(ok=True, pulled=len(page), ready=True)


def unstorable_customer(cid: str, name: str) -> dict:
    from tests.ui.conftest import customer

    bad = customer(cid, name, "13700000000")
    bad["data"]["name"] = None  # NOT NULL: this terminal cannot hold it
    bad["data"]["note"] = f"{name}的备注"
    return bad


def purchase_without_sku(pid: str) -> dict:
    from tests.ui.conftest import change

    return change(
        "purchase",
        {
            "id": pid,
            "customer_id": "C1",
            "store_id": "S001",
            "guide_id": "G001",
            "paid_at": "2026-11-20T06:00:00Z",
            "amount_cents": 100,
            "items": [{"qty": 1}],  # an item without its SKU
        },
    )


def open_notices(label: SyncStatusLabel) -> list[SkippedDialog]:
    return [d for d in label.findChildren(SkippedDialog) if d.isVisible()]


def drain_writes(qtbot, session) -> None:
    """Wait until the write lane has done (and delivered) everything queued so far."""
    done: list[object] = []
    session.write.run(lambda _conn: None, success=done.append)
    qtbot.waitUntil(lambda: bool(done))


def test_skipped_hq_records_are_said_and_shown_once(
    qtbot, panel, session, terminal, clock, new_customer
):
    engine = ApplyingEngine(
        terminal,
        clock,
        [
            [
                new_customer("C7", "周七", "13600000007"),
                unstorable_customer("C8", "李四"),
                purchase_without_sku("P9"),
            ],
            [],  # the timer again, notice still open
            [],  # after it was closed: nothing new
            [unstorable_customer("C10", "赵六")],  # a later skip
        ],
    )
    sync, label, _ = panel(lambda: engine)
    assert open_notices(label) == [] and "skipped" not in label.plain_text()

    run_sync(qtbot, sync)
    assert (
        session.conn.execute("SELECT name FROM customers WHERE id = 'C7'").fetchone()[0] == "周七"
    )
    assert (
        "2 records from HQ could not be stored here and were skipped; everything else synced"
        in label.plain_text()
    )
    (notice,) = open_notices(label)
    assert notice is label.notice
    assert (
        notice.findChild(QLabel, "skippedMessage")
        .text()
        .startswith("Records sent by HQ that could not be stored on this terminal: 2.")
    )
    table = notice.findChild(QTableWidget, "skippedList")
    assert table.isHidden()
    notice.findChild(QPushButton, "skippedDetailsButton").click()
    assert not table.isHidden()
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert [row[:2] for row in rows] == [["Customer", "C8"], ["Purchase", "P9"]]
    assert "NOT NULL" in rows[0][2] and "sku" in rows[1][2]
    assert "李四" not in str(rows)  # the reasons name the constraint, not the customer

    run_sync(qtbot, sync)  # while it is open: no second notice
    assert open_notices(label) == [notice]

    with qtbot.waitSignal(notice.finished):
        notice.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    drain_writes(qtbot, session)
    status = sync_status(session.conn)
    assert status.skipped == 2 and not status.skipped_unseen

    run_sync(qtbot, sync)  # nothing new skipped: no notice, the line still says it
    assert open_notices(label) == [] and label.notice is None
    assert "2 records from HQ could not be stored here" in label.plain_text()

    run_sync(qtbot, sync)  # a later skip is news again
    (again,) = open_notices(label)
    assert again is not notice
    assert "3 records from HQ could not be stored here" in label.plain_text()
    assert again.findChild(QTableWidget, "skippedList").rowCount() == 3
    again.reject()


def test_a_skip_while_the_notice_is_open_is_not_acknowledged_with_it(
    qtbot, panel, session, terminal, clock
):
    engine = ApplyingEngine(
        terminal,
        clock,
        [[unstorable_customer("C8", "李四")], [purchase_without_sku("P9")], []],
    )
    sync, label, _ = panel(lambda: engine)
    run_sync(qtbot, sync)
    (notice,) = open_notices(label)
    assert "1 record from HQ could not be stored here and was skipped" in label.plain_text()
    assert notice.findChild(QTableWidget, "skippedList").rowCount() == 1
    run_sync(qtbot, sync)  # skips one more while the guide still reads the first
    assert open_notices(label) == [notice]
    notice.reject()  # closed with Esc: seen what it listed, not the newer one
    drain_writes(qtbot, session)
    assert sync_status(session.conn).skipped_unseen
    run_sync(qtbot, sync)
    (again,) = open_notices(label)
    assert again.findChild(QTableWidget, "skippedList").rowCount() == 2
    again.reject()
    drain_writes(qtbot, session)
    assert not sync_status(session.conn).skipped_unseen


def test_the_skipped_count_opens_the_list(qtbot, panel, session, terminal, clock) -> None:
    engine = ApplyingEngine(terminal, clock, [[unstorable_customer("C8", "李四")], []])
    sync, label, _ = panel(lambda: engine)
    run_sync(qtbot, sync)
    notice = label.notice
    assert "<a href='skipped'>" in label.text()
    label.linkActivated.emit("skipped")  # while open: the same notice, with its details
    assert open_notices(label) == [notice]
    assert not notice.findChild(QTableWidget, "skippedList").isHidden()
    notice.accept()
    drain_writes(qtbot, session)
    label.linkActivated.emit("skipped")  # seen, still listed on request
    (listed,) = open_notices(label)
    assert listed is not notice and listed is label.notice
    assert listed.findChild(QTableWidget, "skippedList").item(0, 1).text() == "C8"
    run_sync(qtbot, sync)  # nothing unseen: the list stays the only one
    assert open_notices(label) == [listed]
    listed.reject()


def test_skipped_records_in_chinese(qtbot, qapp, panel, session, terminal, clock) -> None:
    translator = install_translator(qapp, "zh_CN")
    try:
        engine = ApplyingEngine(
            terminal, clock, [[unstorable_customer("C8", "李四"), purchase_without_sku("P9")]]
        )
        sync, label, _ = panel(lambda: engine)
        run_sync(qtbot, sync)
        assert "有 2 条总部数据无法保存到本机，已跳过（其余已同步）" in label.plain_text()
        notice = label.notice
        assert notice.windowTitle() == "部分总部数据已跳过"
        table = notice.findChild(QTableWidget, "skippedList")
        assert [table.item(r, 0).text() for r in range(2)] == ["顾客", "消费记录"]
        notice.reject()
        drain_writes(qtbot, session)
    finally:
        qapp.removeTranslator(translator)


def test_every_kind_of_hq_record_has_a_name() -> None:
    assert set(ENTITIES) == set(RECORDS)


def test_every_kind_of_change_has_a_name() -> None:
    assert set(CHANGES) == {f"{entity}/{op}" for entity, op in MUTATIONS}
