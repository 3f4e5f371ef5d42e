"""Sync with HQ as the guide sees it: a timer and F5 run the engine off the UI thread,
the status bar says how things stand in plain words.

A failure that needs a person (a store problem, a bug) is shown in a dialog once: the
same failure again — the timer retries every minute — while its dialog is open, or after
the guide closed it, shows no new dialog until a sync has succeeded; the status bar keeps
saying it meanwhile.

The engine has no Qt in it (``sync.client.SyncEngine``). The UI gets a factory and calls
it *inside* the sync lane's thread, because the engine opens its own SQLite connection
there. Never two syncs at once: a request while one runs is ignored.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store import outbox
from app.store.changes import Changes
from app.store.replica import SyncStatus, sync_status
from app.ui import format as fmt
from app.ui.errors import plain_message
from app.ui.session import Session
from app.ui.widgets import plain_label
from app.ui.workers import Lane
from sync.outcome import SyncError, SyncProgress, SyncReport


class SyncController(QObject):
    """Runs ``make_engine().sync_once()`` on its own lane: on a timer, on F5, one at a time."""

    started = Signal()
    progressed = Signal(object)  # SyncProgress
    finished = Signal(object)  # SyncReport

    def __init__(
        self,
        session: Session,
        make_engine: Callable[[], Any] | None,
        *,
        interval_s: int = 60,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.make_engine = make_engine
        self.running = False
        self.last_report: SyncReport | None = None
        # Failures shown in a dialog since the last successful sync (kind, message).
        self._shown: set[tuple[str, str]] = set()
        self._lane = Lane("sync", session.errors)
        self._timer = QTimer(self)
        self._timer.setInterval(max(interval_s, 1) * 1000)
        self._timer.timeout.connect(self.sync_now)

    @property
    def enrolled(self) -> bool:
        return self.make_engine is not None

    def start(self) -> None:
        """Sync now, then every ``interval_s`` seconds."""
        if self.enrolled:
            self._timer.start()
            self.sync_now()

    @Slot()
    def sync_now(self) -> bool:
        """Start a sync unless one is running (or the terminal is not enrolled)."""
        if self.running or self.make_engine is None:
            return False
        self.running = True
        self.started.emit()
        make_engine, lane = self.make_engine, self._lane

        def report_progress(progress: SyncProgress) -> None:
            lane.post(lambda: self.progressed.emit(progress))

        def job() -> SyncReport:
            engine = make_engine()
            try:
                return engine.sync_once(report_progress)
            finally:
                close = getattr(engine, "close", None)
                if close is not None:
                    close()

        lane.run(job, success=self._done, failure=self._failed, owner=self)
        return True

    def _done(self, report: SyncReport) -> None:
        self.running = False
        self.last_report = report
        if report.ok:
            self._shown.clear()
        if report.pulled or report.revoked:
            self.session.hub.publish(Changes(everything=True))
        elif report.pushed or report.rejected:
            self.session.hub.publish(Changes(outbox=True))
        self.finished.emit(report)

    def _failed(self, exc: BaseException) -> None:
        message = plain_message(exc)
        if message is None or not isinstance(exc, SyncError):
            # A problem of this terminal (its disk, its file) or a bug: a person has to
            # know, once. A SyncError (HQ unreachable, refused) is said by the status bar.
            key = (type(exc).__name__, str(exc))
            if key not in self._shown:
                self._shown.add(key)
                self.session.errors.report(exc)
        if message is None:
            message = self.tr("Sync failed unexpectedly (details were logged).")
        self._done(SyncReport(ok=False, error=message))

    def stop(self) -> None:
        self._timer.stop()
        self._lane.close()


class SyncStatusLabel(QLabel):
    """The status bar's sync line (objectName ``syncStatus``): last success, pending and
    rejected changes, offline, errors. A click on the rejected count lists them."""

    def __init__(self, session: Session, sync: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.session, self.sync = session, sync
        self.status: SyncStatus | None = None
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(self.show_rejected)
        sync.started.connect(self.refresh)
        sync.finished.connect(self.refresh)
        session.hub.changed.connect(self._on_changes)
        self.refresh()

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox or changes.everything:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        self.status = sync_status(self.session.conn)
        parts, rejected = self.describe(self.status)
        text = " · ".join(html.escape(p) for p in parts)
        if rejected:
            text += f" · <a href='rejected'>{html.escape(rejected)}</a>"
        self.setText(text)
        self.setToolTip(self.tr("F5: sync now"))

    def plain_text(self) -> str:
        """The line without markup (what a guide reads)."""
        parts, rejected = self.describe(self.status or sync_status(self.session.conn))
        return " · ".join([*parts, rejected] if rejected else parts)

    def describe(self, status: SyncStatus) -> tuple[list[str], str]:
        report = self.sync.last_report
        # This session's last report is fresher than what the store remembers.
        offline = report.offline if report is not None else status.offline
        error = (
            (report.error if not report.ok else None) if report is not None else status.last_error
        )
        parts: list[str] = []
        if not self.sync.enrolled:
            parts.append(self.tr("Not enrolled: please contact IT"))
        elif self.sync.running:
            parts.append(self.tr("Syncing…"))
        elif report is not None and report.revoked:
            parts.append(
                self.tr("This terminal was switched off by HQ and its data removed: contact IT")
            )
        elif offline:
            parts.append(self.tr("Offline: changes are kept here and sent when HQ is reachable"))
        elif error:
            parts.append(self.tr("Sync problem: {error}").format(error=error))
        if status.last_sync_at:
            when = fmt.short_time(status.last_sync_at, self.session.today())
            parts.append(self.tr("Last synced {when}").format(when=when))
        elif self.sync.enrolled:
            parts.append(self.tr("Never synced"))
        if status.pending:
            parts.append(self.tr("Waiting to upload: {n}").format(n=status.pending))
        elif self.sync.enrolled:
            parts.append(self.tr("All changes uploaded"))
        rejected = (
            self.tr("Refused by HQ: {n}").format(n=status.rejected) if status.rejected else ""
        )
        return parts, rejected

    @Slot()
    def show_rejected(self, _link: str = "") -> QDialog:
        dialog = RejectedDialog(outbox.rejected(self.session.conn), self.window())
        dialog.open()
        return dialog


class SyncProgressBar(QProgressBar):
    """Shown during the first sync (a new terminal pulls its whole customer book)."""

    def __init__(self, session: Session, sync: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syncProgress")
        self.session = session
        self.setMaximumWidth(240)
        self.setTextVisible(True)
        self.hide()
        sync.started.connect(self._started)
        sync.progressed.connect(self._progressed)
        sync.finished.connect(self.hide)

    @Slot()
    def _started(self) -> None:
        if not sync_status(self.session.conn).ready:
            self.setRange(0, 0)  # busy until the first page says how much there is
            self.show()

    @Slot(object)
    def _progressed(self, progress: SyncProgress) -> None:
        if not self.isVisible():
            return
        if progress.total > 0:
            self.setRange(0, progress.total)
            self.setValue(min(progress.done, progress.total))
            self.setFormat(self.tr("First sync: %v / %m"))
        else:
            self.setRange(0, 0)


class RejectedDialog(QDialog):
    """The guide's changes HQ refused, with HQ's reason (they stay in the outbox)."""

    def __init__(self, entries: list[outbox.OutboxEntry], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rejectedDialog")
        self.setWindowTitle(self.tr("Changes refused by HQ"))
        table = QTableWidget(len(entries), 3)
        table.setObjectName("rejectedList")
        table.setHorizontalHeaderLabels([self.tr("When"), self.tr("Change"), self.tr("Reason")])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        table.setColumnWidth(0, 160)
        table.setColumnWidth(1, 220)
        for row, entry in enumerate(entries):
            cells = (
                fmt.day_time(entry.created_at),
                f"{entry.entity} {entry.op} {entry.entity_id}",
                entry.reject_reason,
            )
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(self.tr("HQ refused these changes. They are kept here; tell your manager."))
        )
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(720, 360)
