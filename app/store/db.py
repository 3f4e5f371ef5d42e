"""The terminal's SQLite file: where it lives, how a connection is opened, and migrations.

One SQLite file per terminal (``guidedesk.sqlite3`` in the data folder). A connection
belongs to the thread that opened it (``check_same_thread`` stays on): the UI thread reads
through its own connection, one worker writes the guide's edits, the sync worker applies
pulled pages. WAL lets them run side by side.

Known failures (locked, disk full, read-only, damaged) leave ``connect`` and
``Transaction`` as the typed errors of ``app.store.errors``, classified by SQLite's error
code; any other ``sqlite3.Error`` is a bug and leaves unchanged.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import platformdirs

from app.store import migrations
from app.store.errors import StoreError as StoreError  # re-exported: callers catch it here
from app.store.errors import known, translated

DB_FILENAME = "guidedesk.sqlite3"
HOME_ENV = "GUIDEDESK_HOME"


class NewerSchemaError(StoreError):
    """The file was written by a newer GuideDesk: we refuse to touch it."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The terminal's data folder: ``override``, else ``$GUIDEDESK_HOME``, else the OS's."""
    if override is not None:
        path = Path(override)
    elif os.environ.get(HOME_ENV):
        path = Path(os.environ[HOME_ENV])
    else:
        path = Path(platformdirs.user_data_dir("GuideDesk", "GuideDesk"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_path(home: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(home) / DB_FILENAME


def connect(
    path: str | os.PathLike[str], *, migrate: bool = True, busy_timeout_s: float = 30.0
) -> sqlite3.Connection:
    """Open the terminal database with our pragmas, migrating it to the current schema.

    ``synchronous=FULL`` is the default so a guide's edit survives a power cut once the
    app says it is saved; the sync apply path lowers it per transaction (see replica.py).
    ``busy_timeout_s`` is how long a statement waits for another connection's lock before
    it fails as ``StoreLocked``.
    """
    with translated(path):
        conn = sqlite3.connect(
            os.fspath(path),
            timeout=busy_timeout_s,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves: one transaction per action
            check_same_thread=True,
        )
    conn.row_factory = sqlite3.Row
    try:
        # A file from a newer GuideDesk is refused before anything writes to it (even the
        # journal-mode switch rewrites the header).
        migrations.check_version(conn)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-32000")
        if migrate:
            migrations.migrate(conn)
        else:
            migrations.check_version(conn)
    except sqlite3.Error as exc:
        conn.close()
        error = known(exc, path)
        if error is None:
            raise  # a bug (say, in a migration): it keeps its own type and traceback
        raise error from exc
    except migrations.SchemaTooNew as exc:
        conn.close()
        raise NewerSchemaError(str(exc)) from exc
    return conn


class Transaction:
    """``with Transaction(conn):`` — BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error.

    IMMEDIATE takes the write lock up front, so two writers queue on ``busy_timeout``
    instead of failing half-way with SQLITE_BUSY on lock upgrade. A known SQLite failure
    anywhere in the block (the lock, a full disk, a read-only file) leaves it as the typed
    error of ``app.store.errors``, after the rollback.
    """

    def __init__(self, conn: sqlite3.Connection, *, durable: bool = True) -> None:
        self.conn = conn
        self.durable = durable

    def __enter__(self) -> sqlite3.Connection:
        with translated():
            if not self.durable:
                self.conn.execute("PRAGMA synchronous=NORMAL")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error:
                self._restore()
                raise
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        with translated():
            try:
                if exc_type is None:
                    try:
                        self.conn.execute("COMMIT")
                    except sqlite3.Error:
                        self._rollback()
                        raise
                else:
                    self._rollback()
            finally:
                self._restore()
        error = known(exc) if exc is not None else None
        if error is not None:
            raise error from exc

    def _rollback(self) -> None:
        # SQLite may already have rolled back by itself (a full disk, a failed COMMIT).
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def _restore(self) -> None:
        if not self.durable:
            self.conn.execute("PRAGMA synchronous=FULL")


def transaction(conn: sqlite3.Connection, *, durable: bool = True) -> Transaction:
    return Transaction(conn, durable=durable)
