"""Sync as the guide sees it, with a fake engine standing in for sync.client.SyncEngine."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QTableWidget

from app.store.customers import log_followup
from app.store.db import transaction
from app.store.errors import DiskFull, StoreLocked
from app.ui.sync_panel import SyncController, SyncProgressBar, SyncStatusLabel
from sync.outcome import AuthError, SyncProgress, SyncReport


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
    assert "Last synced" in text and "All changes uploaded" in text


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
    assert "Offline" in text and "Waiting to upload: 1" in text


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
