"""Sync with HQ as the guide sees it: a timer and F5 run the engine off the UI thread,
the status bar says how things stand in plain words.

A failure that needs a person (a store problem, a bug) is shown in a dialog once: the
same failure again — the timer retries every minute — while its dialog is open, or after
the guide closed it, shows no new dialog until a sync has succeeded; the status bar keeps
saying it meanwhile.

Records HQ sent that this terminal could not store (the replica skips them and applies
the rest) are said by the status line for as long as the store keeps them, and shown in a
notice once: after a sync, while the store flags them unseen. Closing the notice clears
the flag (a write on the write lane), so the next sync shows nothing until it skips more.

The engine has no Qt in it (``sync.client.SyncEngine``). The UI gets a factory and calls
it *inside* the sync lane's thread, because the engine opens its own SQLite connection
there. Never two syncs at once: a request while one runs is ignored.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.store import outbox
from app.store.changes import Changes
from app.store.replica import SyncStatus, sync_status
from app.store.sync_notes import SkippedRecord, mark_skipped_seen, skipped_records
from app.ui import format as fmt
from app.ui.errors import plain_message
from app.ui.labels import change_label, entity_label
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
        if report.revoked or report.everything:
            self.session.hub.publish(Changes(everything=True))
        elif report.pulled or report.pushed or report.rejected:
            # Only what the sync touched: a quiet minute re-queries nothing.
            self.session.hub.publish(
                Changes(
                    customers=report.customers,
                    entities=report.entities,
                    outbox=bool(report.pushed or report.rejected or report.pulled),
                )
            )
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
    rejected changes, skipped HQ records, offline, errors. A click on the rejected or the
    skipped count lists them; skipped records not seen yet are also a notice, once."""

    def __init__(self, session: Session, sync: SyncController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.session, self.sync = session, sync
        self.status: SyncStatus | None = None
        # The list of skipped records while it is open (as a notice or asked for), and
        # whether the write that clears their "unseen" flag is still under way: no
        # second notice meanwhile.
        self.notice: SkippedDialog | None = None
        self._acknowledging = False
        self.setTextFormat(Qt.TextFormat.RichText)
        self.linkActivated.connect(self._open_link)
        sync.started.connect(self.refresh)
        sync.finished.connect(self._synced)
        session.hub.changed.connect(self._on_changes)
        self.refresh()

    @Slot(object)
    def _on_changes(self, changes: Changes) -> None:
        if changes.outbox or changes.everything:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        self.status = sync_status(self.session.conn)
        parts, links = self.describe(self.status)
        text = " · ".join(html.escape(p) for p in parts)
        for href, link in links:
            text += f" · <a href='{href}'>{html.escape(link)}</a>"
        self.setText(text)
        tip = self.tr("F5: sync now")
        if self.status.pending_audit:
            tip += "\n" + self.tr(
                "Recorded for audit: each phone number shown or copied. These are not edits;"
                " they go to HQ's audit log with the next sync."
            )
        self.setToolTip(tip)

    @Slot()
    def _synced(self) -> None:
        self.refresh()
        status = self.status
        if (
            status is not None
            and status.skipped_unseen
            and self.notice is None
            and not self._acknowledging
        ):
            self.notice = self._open_skipped(details=False)

    def plain_text(self) -> str:
        """The line without markup (what a guide reads)."""
        parts, links = self.describe(self.status or sync_status(self.session.conn))
        return " · ".join([*parts, *(text for _, text in links)])

    def describe(self, status: SyncStatus) -> tuple[list[str], list[tuple[str, str]]]:
        """The line's parts, and its links as (href, text)."""
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
        if status.pending_edits:
            parts.append(self.tr("Edits waiting to upload: {n}").format(n=status.pending_edits))
        elif self.sync.enrolled:
            parts.append(self.tr("All edits uploaded"))
        if status.pending_audit:
            # A phone number shown or copied: kept for HQ's audit trail, not an edit.
            parts.append(self.tr("Recorded for audit: {n}").format(n=status.pending_audit))
        links: list[tuple[str, str]] = []
        if status.rejected:
            links.append(("rejected", self.tr("Refused by HQ: {n}").format(n=status.rejected)))
        if status.skipped:
            links.append(("skipped", self.skipped_text(status.skipped)))
        return parts, links

    def skipped_text(self, n: int) -> str:
        if n == 1:
            return self.tr(
                "1 record from HQ could not be stored here and was skipped; everything else synced"
            )
        return self.tr(
            "{n} records from HQ could not be stored here and were skipped; everything else synced"
        ).format(n=n)

    @Slot(str)
    def _open_link(self, link: str) -> None:
        if link == "skipped":
            self.show_skipped()
        else:
            self.show_rejected()

    @Slot()
    def show_rejected(self, _link: str = "") -> QDialog:
        dialog = RejectedDialog(outbox.rejected(self.session.conn), self.window())
        dialog.open()
        return dialog

    @Slot()
    def show_skipped(self) -> SkippedDialog:
        """The skipped records with their details (the notice itself when it is open)."""
        if self.notice is not None:
            self.notice.show_details()
            self.notice.activateWindow()  # a window-modal child: already above its window
            return self.notice
        self.notice = self._open_skipped(details=True)
        return self.notice

    def _open_skipped(self, *, details: bool) -> SkippedDialog:
        records = skipped_records(self.session.conn)
        dialog = SkippedDialog(records, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if details:
            dialog.show_details()
        dialog.finished.connect(partial(self._acknowledge, dialog, records))
        dialog.open()  # never a nested event loop: the sync keeps running
        return dialog

    def _acknowledge(self, dialog: SkippedDialog, records: list[SkippedRecord], _result=0) -> None:
        """The guide closed the list: what it showed has been seen."""
        if self.notice is dialog:
            self.notice = None
        self._acknowledging = True
        self.session.change(
            partial(mark_skipped_seen, seen=records),
            success=self._acknowledged,
            failure=self._acknowledge_failed,
            owner=self,
        )

    def _acknowledged(self, _changes: Changes) -> None:
        self._acknowledging = False
        self.refresh()

    def _acknowledge_failed(self, exc: BaseException) -> None:
        # Still unseen: the notice comes back after a later sync.
        self._acknowledging = False
        self.session.errors.report(exc)


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
        # Each phase has its own label: the bar never seems to go back when the upload's
        # count gives way to the download's (the engine keeps each total stable).
        if progress.total > 0:
            self.setRange(0, progress.total)
            self.setValue(min(progress.done, progress.total))
            if progress.phase == "push":
                self.setFormat(self.tr("Uploading changes: %v / %m"))
            else:
                self.setFormat(self.tr("First sync: %v / %m"))
        else:
            self.setRange(0, 0)  # busy: how much there is is not known yet


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
                f"{change_label(entry.entity, entry.op)} · {entry.entity_id}",
                entry.reject_reason,
            )
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                self.tr(
                    "HQ refused these changes. They are kept here with HQ's reason;"
                    " show this list to your store manager or IT."
                )
            )
        )
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(720, 360)


class SkippedDialog(QDialog):
    """Records HQ sent that this terminal could not store, skipped while the rest synced.

    A notice first (what happened, what to do); "Details" lists kind, id and reason. The
    reasons name a constraint or a missing key, never a customer's name or phone.
    """

    def __init__(self, records: list[SkippedRecord], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("skippedDialog")
        self.setWindowTitle(self.tr("Some HQ data was skipped"))
        message = plain_label(
            self.tr(
                "Records sent by HQ that could not be stored on this terminal: {n}. They "
                "were skipped; everything else synced. Please tell IT (Details lists them)."
            ).format(n=len(records)),
            "skippedMessage",
        )
        self.table = QTableWidget(len(records), 3)
        self.table.setObjectName("skippedList")
        self.table.setHorizontalHeaderLabels([self.tr("Kind"), self.tr("ID"), self.tr("Reason")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 120)
        self.table.setColumnWidth(1, 200)
        for row, record in enumerate(records):
            for column, text in enumerate((entity_label(record.entity), record.id, record.reason)):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("OK"))
        self.details_button = QPushButton(self.tr("Details"))
        self.details_button.setObjectName("skippedDetailsButton")
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.details_button.clicked.connect(self.show_details)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(640, 200)

    @Slot()
    def show_details(self) -> None:
        if self.table.isHidden():
            self.table.show()
            self.details_button.setEnabled(False)
            self.resize(max(self.width(), 720), max(self.height(), 360))
