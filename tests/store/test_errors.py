"""Known SQLite failures leave the store as typed errors, classified by their error code.

Each failure is provoked for real (a second connection holding the lock, a file that is
not a database, a read-only file, a full database) and checked at the store's boundary:
``db.connect`` and ``db.transaction``. A bug (bad SQL) keeps its own type.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.store import customers, db, errors
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from tests.store.helpers import customer_change, open_raw

NOW = "2026-11-22T10:30:00Z"


def follow_up(conn: sqlite3.Connection, note: str = "电话问候") -> None:
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note=note, now=NOW
    )


@pytest.fixture
def filled(tmp_path: Path, clock) -> Path:
    path = tmp_path / "terminal.sqlite3"
    conn = db.connect(path)
    try:
        TerminalReplica(conn, clock=clock).apply_page(
            [customer_change("C1", "张三", "13812345678")], "1", more=False
        )
    finally:
        conn.close()
    return path


def test_a_lock_held_by_another_connection_is_store_locked(filled: Path) -> None:
    holder = open_raw(filled, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (say, a stuck sync) holds the lock
    conn = db.connect(filled, busy_timeout_s=0.05)
    try:
        with pytest.raises(errors.StoreLocked) as raised:
            follow_up(conn)
        assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
        assert raised.value.__cause__.sqlite_errorname == "SQLITE_BUSY"
        holder.execute("ROLLBACK")
        follow_up(conn)  # the lock is gone: the same write goes through
        assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 1
    finally:
        conn.close()
        holder.close()


def test_a_file_that_is_not_a_database_is_corrupt(tmp_path: Path) -> None:
    db.connect(tmp_path / "other.sqlite3").close()  # the folder has its cache key
    path = tmp_path / "terminal.sqlite3"
    path.write_bytes(b"PK\x03\x04 a zip file someone renamed " * 200)
    with pytest.raises(errors.StoreCorrupt) as raised:
        db.connect(path)
    assert raised.value.__cause__.sqlite_errorname == "SQLITE_NOTADB"
    assert str(path) in str(raised.value)  # the CLI prints it: IT sees which file


def test_a_folder_in_place_of_the_file_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(errors.NoAccess) as raised:
        db.connect(tmp_path)  # a directory: SQLite cannot open it as a database
    assert raised.value.__cause__.sqlite_errorname == "SQLITE_CANTOPEN"


def test_writing_through_a_read_only_opening_is_no_access(filled: Path) -> None:
    # What SQLite does with a file it may not write (it opens it read-only), without
    # depending on file permissions: those do not stop root, who runs many CI containers.
    conn = open_raw(filled, f"file:{filled}?mode=ro", isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        with pytest.raises(errors.NoAccess) as raised:
            follow_up(conn)
        assert raised.value.__cause__.sqlite_errorname == "SQLITE_READONLY"
        assert not conn.in_transaction  # rolled back
    finally:
        conn.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_file_is_no_access(filled: Path) -> None:
    filled.chmod(stat.S_IRUSR)
    filled.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)  # no -wal / -shm beside it either
    try:
        with pytest.raises(errors.NoAccess):
            conn = db.connect(filled)
            try:
                follow_up(conn)
            finally:
                conn.close()
    finally:
        filled.parent.chmod(stat.S_IRWXU)
        filled.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_a_full_database_is_disk_full_and_keeps_nothing(filled: Path) -> None:
    conn = db.connect(filled)
    try:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count={pages}")  # as if the disk ran out now
        with pytest.raises(errors.DiskFull) as raised:
            follow_up(conn, "很长的跟进记录" * 500)  # 3,500 characters: a few new pages
        assert raised.value.__cause__.sqlite_errorname == "SQLITE_FULL"
        assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_bug_keeps_its_own_type(conn: sqlite3.Connection) -> None:
    with (
        pytest.raises(sqlite3.OperationalError, match="no such column") as raised,
        db.transaction(conn),
    ):
        conn.execute("UPDATE customers SET nope = 1")
    assert not isinstance(raised.value, errors.StoreError)
    assert errors.known(raised.value) is None


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (sqlite3.SQLITE_BUSY, errors.StoreLocked),
        (sqlite3.SQLITE_LOCKED, errors.StoreLocked),
        (sqlite3.SQLITE_FULL, errors.DiskFull),
        (sqlite3.SQLITE_READONLY, errors.NoAccess),
        (sqlite3.SQLITE_CANTOPEN, errors.NoAccess),
        (sqlite3.SQLITE_PERM, errors.NoAccess),
        (sqlite3.SQLITE_CORRUPT, errors.StoreCorrupt),
        (sqlite3.SQLITE_NOTADB, errors.StoreCorrupt),
        (sqlite3.SQLITE_IOERR, errors.DiskError),
        (sqlite3.SQLITE_IOERR | 3 << 8, errors.DiskError),  # SQLITE_IOERR_WRITE, an extended code
        (sqlite3.SQLITE_BUSY | 2 << 8, errors.StoreLocked),  # SQLITE_BUSY_SNAPSHOT
        (sqlite3.SQLITE_CONSTRAINT, None),  # our bug, not the machine's
        (sqlite3.SQLITE_ERROR, None),
    ],
)
def test_the_code_decides_not_the_message(code: int, kind: type | None) -> None:
    exc = sqlite3.OperationalError("database is locked")  # a message that would mislead
    exc.sqlite_errorcode = code
    assert errors.kind_of(exc) is kind


def test_an_error_without_a_code_is_a_bug() -> None:
    assert errors.kind_of(sqlite3.OperationalError("database or disk is full")) is None
    assert errors.kind_of(OSError("disk full")) is None
