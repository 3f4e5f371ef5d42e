"""Errors shown in one place: plain words for known failures, details for bugs.

A known failure (the store said what is wrong, the disk is full, HQ is unreachable) is a
message a guide can act on. Anything else is a bug: it is logged with its traceback and
shown as "something went wrong" with a button that copies the details for IT
(qutebrowser's split in ``misc/sql.py``; its ``crashsignal.py`` for the global hook).
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.store import errors as store_errors
from app.store.customers import CustomerNotFound
from app.store.db import StoreError
from app.ui.widgets import plain_label
from sync.outcome import SyncError

log = logging.getLogger("guidedesk.ui")

KNOWN_ERRORS: tuple[type[BaseException], ...] = (StoreError, CustomerNotFound, SyncError)

# What to tell the guide about each kind of store failure (the store classifies them by
# SQLite's error code, app/store/errors.py); the source strings are translated when shown.
_STORE_MESSAGES: tuple[tuple[type[StoreError], str], ...] = (
    (
        store_errors.StoreLocked,
        QT_TRANSLATE_NOOP(
            "ErrorReporter", "The local data file is busy. Wait a moment and try again."
        ),
    ),
    (
        store_errors.DiskFull,
        QT_TRANSLATE_NOOP(
            "ErrorReporter", "The disk is full: nothing could be saved. Ask IT to free some space."
        ),
    ),
    (
        store_errors.NoAccess,
        QT_TRANSLATE_NOOP(
            "ErrorReporter",
            "The local data file is read-only or cannot be opened: nothing could be saved. "
            "Ask IT to check the file and its folder.",
        ),
    ),
    (
        store_errors.DiskError,
        QT_TRANSLATE_NOOP(
            "ErrorReporter",
            "The local data file could not be read or written. Ask IT to check the disk.",
        ),
    ),
    (
        store_errors.StoreCorrupt,
        QT_TRANSLATE_NOOP(
            "ErrorReporter",
            "The local data file is damaged. Ask IT to restore it (HQ keeps a copy).",
        ),
    ),
)


def plain_message(exc: BaseException) -> str | None:
    """What to tell the guide about a known failure, or None when it is a bug.

    A raw ``sqlite3.Error`` that reached the UI without passing a store boundary (a read
    on the UI thread's connection) is classified by the store's own rule, by error code.
    """
    if not isinstance(exc, StoreError):
        exc = store_errors.known(exc) or exc
    for kind, source in _STORE_MESSAGES:
        if isinstance(exc, kind):
            return QCoreApplication.translate("ErrorReporter", source)
    if isinstance(exc, KNOWN_ERRORS):
        return str(exc.args[0]) if exc.args else str(exc)
    return None


class ErrorDialog(QDialog):
    """ "Something went wrong", with the traceback and a button that copies it."""

    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(self.tr("Something went wrong"))
        self.details = details
        title = plain_label(self.tr("Something went wrong"), "dialogTitle", wrap=False)
        explain = plain_label(
            self.tr(
                "GuideDesk ran into an unexpected problem. Your saved work is safe. "
                "Please copy the details and send them to IT."
            )
        )
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setObjectName("errorDetails")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        copy = QPushButton(self.tr("Copy details"))
        copy.setObjectName("copyDetailsButton")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (title, explain, text, buttons):
            layout.addWidget(widget)
        self.resize(640, 420)

    @Slot()
    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details)


class ErrorReporter(QObject):
    """The one place errors are shown. ``report`` may be called from any thread."""

    _reported = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reported.connect(self._show)
        self.shown: list[QDialog] = []  # open dialogs, newest last (tests look here too)

    def report(self, exc: BaseException) -> None:
        # Emitting is queued to this object's (the UI) thread when called from elsewhere.
        self._reported.emit(exc)

    @Slot(object)
    def _show(self, exc: BaseException) -> None:
        message = plain_message(exc)
        parent = QApplication.activeWindow()
        if message is not None:
            log.warning("%s: %s", type(exc).__name__, exc)
            dialog: QDialog = QMessageBox(
                QMessageBox.Icon.Warning,
                self.tr("GuideDesk"),
                message,
                QMessageBox.StandardButton.Ok,
                parent,
            )
            dialog.setObjectName("errorMessage")
            # The message may carry HQ's words or a customer's name: never rich text.
            dialog.setTextFormat(Qt.TextFormat.PlainText)
        else:
            details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            log.error("unexpected error\n%s", details)
            dialog = ErrorDialog(details, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _=0, d=dialog: self._forget(d))
        self.shown.append(dialog)
        dialog.open()  # never a nested event loop: background results keep arriving

    def _forget(self, dialog: QDialog) -> None:
        if dialog in self.shown:
            self.shown.remove(dialog)


def install_excepthook(reporter: ErrorReporter) -> Callable[[], None]:
    """Route uncaught exceptions (PySide6 re-raises slot exceptions) to ``reporter``.

    Returns a function that puts the previous hooks back.
    """
    previous, previous_thread = sys.excepthook, threading.excepthook

    def hook(exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            previous(exc_type, exc, tb)
            return
        reporter.report(exc.with_traceback(tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            reporter.report(args.exc_value)

    sys.excepthook, threading.excepthook = hook, thread_hook

    def restore() -> None:
        sys.excepthook, threading.excepthook = previous, previous_thread

    return restore
