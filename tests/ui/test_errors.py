"""Errors: plain words for known failures, details and a copy button for bugs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.store import errors as store_errors
from app.store.customers import CustomerNotFound, log_followup
from app.store.sqlite import driver as sqlite3
from app.ui.app import install_translator
from app.ui.errors import ErrorDialog, ErrorReporter, install_excepthook, plain_message
from tests.store.helpers import open_raw


def test_known_failures_have_plain_messages(tmp_path: Path) -> None:
    assert (
        plain_message(CustomerNotFound("顾客 C9 不在本机的顾客簿中"))
        == "顾客 C9 不在本机的顾客簿中"
    )
    assert "disk is full" in plain_message(store_errors.DiskFull("x"))
    assert "busy" in plain_message(store_errors.StoreLocked("x"))
    assert "read-only" in plain_message(store_errors.NoAccess("x"))
    assert "damaged" in plain_message(store_errors.StoreCorrupt("x"))
    assert "check the disk" in plain_message(store_errors.DiskError("x"))
    # A raw SQLite error that reached the UI is classified by its code, not its words.
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database " * 100)
    with pytest.raises(sqlite3.DatabaseError) as raised:
        sqlite3.connect(junk).execute("SELECT 1 FROM sqlite_master").fetchall()
    assert "damaged" in plain_message(raised.value)
    assert plain_message(sqlite3.OperationalError("database or disk is full")) is None  # no code
    assert plain_message(sqlite3.OperationalError("no such column: nope")) is None
    assert plain_message(KeyError("bug")) is None


def save_follow_up_and_wait_for_the_message(
    qtbot, session, note: str = "约周六试穿" * 700
) -> QMessageBox:
    session.change(
        lambda conn: log_followup(
            conn,
            customer_id="C2",
            guide_id="G001",
            channel="call",
            note=note,  # by default 3,500 characters: pages more than the disk has left
            now="2026-11-22T09:00:00Z",
        )
    )
    qtbot.waitUntil(lambda: bool(session.errors.shown))
    (box,) = session.errors.shown
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox)
    return box


def on_write_lane(qtbot, session, job) -> None:
    done = []
    session.write.run(job, success=done.append)
    qtbot.waitUntil(lambda: bool(done))


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_full_disk_while_saving_says_so(qtbot, qapp, session, lang) -> None:
    translator = install_translator(qapp, lang)
    try:
        # The write lane's connection runs out of room, as when the disk fills up.
        on_write_lane(
            qtbot,
            session,
            lambda conn: conn.execute(
                "PRAGMA max_page_count = " + str(conn.execute("PRAGMA page_count").fetchone()[0])
            ),
        )
        box = save_follow_up_and_wait_for_the_message(qtbot, session)
        expected = {
            "en": "The disk is full: nothing could be saved. Ask IT to free some space.",
            "zh_CN": "磁盘已满，刚才的内容没有保存。请联系信息部清理空间。",
        }[lang]
        assert box.text() == expected
    finally:
        if translator is not None:
            qapp.removeTranslator(translator)


def test_a_file_locked_by_another_program_says_wait(qtbot, session) -> None:
    holder = open_raw(session.db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the file
    try:
        on_write_lane(qtbot, session, lambda conn: conn.execute("PRAGMA busy_timeout = 50"))
        box = save_follow_up_and_wait_for_the_message(qtbot, session)
        assert box.text() == "The local data file is busy. Wait a moment and try again."
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_known_failure_is_a_message_box(qtbot) -> None:
    reporter = ErrorReporter()
    reporter.report(CustomerNotFound("顾客 C9 不在本机的顾客簿中"))
    (box,) = reporter.shown
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox) and box.text() == "顾客 C9 不在本机的顾客簿中"


def test_bug_is_logged_and_shown_with_copyable_details(qtbot, caplog) -> None:
    reporter = ErrorReporter()
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        reporter.report(exc)
    (dialog,) = reporter.shown
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ErrorDialog) and dialog.windowTitle() == "Something went wrong"
    dialog.findChild(QPushButton, "copyDetailsButton").click()
    copied = QGuiApplication.clipboard().text()
    assert "ZeroDivisionError: boom" in copied and "Traceback" in copied
    assert "ZeroDivisionError: boom" in caplog.text


def test_lane_errors_reach_the_reporter(qtbot, session) -> None:
    def broken(conn):
        raise RuntimeError("bug in a job")

    session.read.run(broken)
    qtbot.waitUntil(lambda: bool(session.errors.shown))
    dialog = session.errors.shown[0]
    qtbot.addWidget(dialog)
    assert "bug in a job" in dialog.details


def test_excepthook_routes_uncaught_errors(qtbot) -> None:
    reporter = ErrorReporter()
    restore = install_excepthook(reporter)
    try:
        try:
            raise ValueError("uncaught in a slot")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    finally:
        restore()
    (dialog,) = reporter.shown
    qtbot.addWidget(dialog)
    assert "uncaught in a slot" in dialog.details


def test_a_note_longer_than_hq_takes_is_refused_in_plain_words(qtbot, session) -> None:
    box = save_follow_up_and_wait_for_the_message(qtbot, session, note="长" * 5000)
    assert "没有保存" in box.text() and "4000" in box.text()
