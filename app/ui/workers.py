"""Background work in one shape (Anki's ``QueryOp``): run a function off the UI thread,
then get its result — or its error — back on the UI thread.

A ``Lane`` is one worker thread; its jobs run one after another, so it needs no locks.
A lane that owns a connection opens it *in its own thread* (a sqlite3 connection belongs
to the thread that made it) and hands it to every job:

* the write lane holds the guide's writing connection (follow-ups, edits, reveals);
* the read lane holds a connection for searches and other queries of tens of ms;
* the sync lane has none: the sync engine opens its own connection there.

The UI thread keeps its own read connection for tiny reads (a profile, the status).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

from app.ui.errors import ErrorReporter

log = logging.getLogger("guidedesk.ui")

T = TypeVar("T")


class _Relay(QObject):
    """Runs callables on the thread it lives in (the UI thread): signals from a worker
    thread to it are queued, which is the whole trick."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run)

    @Slot(object)
    def _run(self, call: Callable[[], None]) -> None:
        call()


class Lane:
    """One worker thread, optionally owning one connection opened by ``opener``."""

    def __init__(
        self, name: str, errors: ErrorReporter, *, opener: Callable[[], Any] | None = None
    ) -> None:
        self.name = name
        self.errors = errors
        self._opener = opener
        self._conn: Any = None  # only ever touched in the lane's thread
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"gd-{name}")
        self._relay = _Relay()  # made here, so it lives in the UI thread
        self._closed = False

    def run(
        self,
        job: Callable[..., T],
        *,
        success: Callable[[T], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run ``job`` on the lane (with the lane's connection as its one argument if the
        lane has one); then ``success(result)`` or ``failure(error)`` on the UI thread.

        Without ``failure`` an error goes to the error reporter. When ``owner`` has been
        deleted meanwhile (its window closed), the result is dropped.
        """
        if self._closed:
            raise RuntimeError(f"lane {self.name} is closed")

        def deliver(call: Callable[[], None]) -> None:
            def guarded() -> None:
                if self._closed or (owner is not None and not shiboken6.isValid(owner)):
                    return
                call()

            self._relay.deliver.emit(guarded)

        def work() -> None:
            if self._closed:
                return  # the app is closing: queued work is dropped
            try:
                result = self._call(job)
            except Exception as exc:
                deliver(partial(failure or self.errors.report, exc))
            else:
                if success is not None:
                    deliver(partial(success, result))

        self._executor.submit(work)

    def post(self, call: Callable[[], None]) -> None:
        """From inside a job: run ``call`` on the UI thread (e.g. a progress update)."""
        self._relay.deliver.emit(lambda: None if self._closed else call())

    def _call(self, job: Callable[..., T]) -> T:
        if self._opener is None:
            return job()
        if self._conn is None:
            self._conn = self._opener()
        return job(self._conn)

    def close(self) -> None:
        """Let the running job finish, drop queued ones, close the connection in its thread."""
        if self._closed:
            return
        self._closed = True

        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        try:
            self._executor.submit(close_connection)
        except RuntimeError:
            # Python is exiting (a window that outlived the interpreter's shutdown): no new
            # work can start; the process ending closes the connection with it.
            log.debug("lane %s closed during interpreter shutdown", self.name)
        self._executor.shutdown(wait=True, cancel_futures=False)
