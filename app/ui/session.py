"""What the views of a running terminal share, built once and injected (never a global).

``Session`` holds the UI thread's own read connection (tiny reads only), the read and
write lanes, the change hub, the clock and the error reporter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.domain.clock import store_today
from app.store import db
from app.store.changes import Changes
from app.store.replica import store_timezone
from app.ui.errors import ErrorReporter
from app.ui.workers import Lane


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChangeHub(QObject):
    """The ONE place that hears about store changes (Anki's "operation did execute").

    Every write publishes the ``Changes`` it returned; each view listens and refreshes
    only when the change concerns it.
    """

    changed = Signal(object)  # app.store.changes.Changes

    def publish(self, changes: Changes) -> None:
        if changes != Changes():
            self.changed.emit(changes)


class Session:
    def __init__(
        self,
        db_path: Path,
        *,
        clock: Callable[[], datetime] = utc_now,
        errors: ErrorReporter | None = None,
    ) -> None:
        self.db_path = db_path
        self.clock = clock
        self.errors = errors or ErrorReporter()
        self.conn = db.connect(db_path)  # migrates first, before the lanes open theirs
        opener = partial(db.connect, db_path)
        self.read = Lane("read", self.errors, opener=opener)
        self.write = Lane("write", self.errors, opener=opener)
        self.hub = ChangeHub()
        self._timezone = store_timezone(self.conn)
        self.hub.changed.connect(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches("store"):
            self._timezone = store_timezone(self.conn)

    def today(self) -> date:
        """The store's local date (birthdays, "not contacted for N days", due tasks): the
        same day HQ uses for this store, whatever the terminal's own time zone says."""
        return store_today(self.clock(), self._timezone)

    @property
    def timezone(self) -> str | None:
        """The store's time zone (None before the first sync: the default zone)."""
        return self._timezone

    def now_iso(self) -> str:
        """Now as the store writes times: ISO-8601 UTC with a Z."""
        return self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def change(
        self,
        job: Callable[[Any], Changes],
        *,
        success: Callable[[Changes], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run a store write on the write lane and publish the ``Changes`` it returns.

        The change is published even when ``owner`` (say, a dialog) is gone by then; only
        ``success`` / ``failure`` are skipped (a failure then goes to the error reporter).
        """

        def alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        def done(changes: Changes) -> None:
            self.hub.publish(changes)
            if success is not None and alive():
                success(changes)

        def failed(exc: BaseException) -> None:
            (failure if failure is not None and alive() else self.errors.report)(exc)

        self.write.run(job, success=done, failure=failed)

    def close(self) -> None:
        self.read.close()
        self.write.close()
        self.conn.close()
