"""Errors: plain words for known failures, details and a copy button for bugs."""

from __future__ import annotations

import sqlite3
import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QPushButton

from app.store.customers import CustomerNotFound
from app.ui.errors import ErrorDialog, ErrorReporter, install_excepthook, plain_message


def test_known_failures_have_plain_messages() -> None:
    assert (
        plain_message(CustomerNotFound("顾客 C9 不在本机的顾客簿中"))
        == "顾客 C9 不在本机的顾客簿中"
    )
    assert "disk is full" in plain_message(sqlite3.OperationalError("database or disk is full"))
    assert plain_message(sqlite3.OperationalError("no such column: nope")) is None
    assert plain_message(KeyError("bug")) is None


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
