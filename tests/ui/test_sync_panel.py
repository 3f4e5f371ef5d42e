"""Sync as the guide sees it, with a fake engine standing in for sync.client.SyncEngine."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QLabel, QTableWidget

from app.store.customers import log_followup
from app.store.db import transaction
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


def test_status_label_is_a_label(panel) -> None:
    _, label, _ = panel(None)
    assert isinstance(label, QLabel)
