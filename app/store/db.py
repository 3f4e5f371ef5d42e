"""The terminal's SQLite file: where it lives, how a connection is opened, and migrations.

One SQLite file per terminal (``guidedesk.sqlite3`` in the data folder). A connection
belongs to the thread that opened it (``check_same_thread`` stays on): the UI thread reads
through its own connection, one worker writes the guide's edits, the sync worker applies
pulled pages. WAL lets them run side by side.

Known failures (locked, disk full, read-only, damaged) leave ``connect`` and
``Transaction`` as the typed errors of ``app.store.errors``, classified by SQLite's error
code; any other ``sqlite3.Error`` is a bug and leaves unchanged.

The file is encrypted (SQLCipher, app/store/sqlite.py) with the data folder's key from the
OS keyring (app/store/keys.py): ``connect`` applies it as the first statement, refuses
with a typed ``CacheKeyError`` when there is no keyring, no key or the wrong one, and
encrypts a plain cache from before in place, once. The folder is 0700, its files 0600.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

from app.store import keys, migrations
from app.store.errors import StoreError as StoreError  # re-exported: callers catch it here
from app.store.errors import StoreLocked, known, translated
from app.store.sqlite import driver as sqlite3

# The page cache of each connection, in KiB (negative: SQLite's unit). 64 MB keeps the
# decrypted pages a search touches: at 32 MB SQLCipher's search p95 on 200,000 customers
# was 13.7 ms (of a 16 ms budget), at 64 MB 5.9 ms (plain SQLite: 3.3 ms).
CACHE_SIZE_KIB = 64_000

# Which key opens a file: keys.cache_key in the product. tests/bench/search.py --plain
# replaces it (with ``lambda path: None``) to measure the same store unencrypted.
cache_key_of: Callable[[Path], bytes | None] = keys.cache_key

DB_FILENAME = "guidedesk.sqlite3"
HOME_ENV = "GUIDEDESK_HOME"


class NewerSchemaError(StoreError):
    """The file was written by a newer GuideDesk: we refuse to touch it."""


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The terminal's data folder (created 0700, or its mode fixed): see data_dir_path."""
    return keys.private_folder(data_dir_path(override))


def data_dir_path(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the data folder is, untouched: ``override``, else ``$GUIDEDESK_HOME``, else the
    OS's (`guidedesk --self-check` looks at it as it is)."""
    if override is not None:
        return Path(override)
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    return Path(platformdirs.user_data_dir("GuideDesk", "GuideDesk"))


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
    db_file = Path(path)
    key = cache_key_of(db_file)
    if key is not None and keys.is_plain(db_file):
        if keys.wiped_at(db_file.parent) is not None:
            raise keys.refusal(db_file)  # a plain copy put back after a wipe: never again
        try:
            _encrypt_plain(db_file, key, busy_timeout_s)
        except migrations.SchemaTooNew as exc:
            raise NewerSchemaError(str(exc)) from exc
    elif not db_file.exists():
        keys.create_private_file(db_file)  # SQLite gives -wal and -shm the file's mode
    with translated(path):
        conn = sqlite3.connect(
            os.fspath(path),
            timeout=busy_timeout_s,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves: one transaction per action
            check_same_thread=True,
        )
    conn.row_factory = sqlite3.Row
    try:
        if key is not None:
            conn.execute(keys.key_pragma(key))  # before anything reads the file
            _check_key(conn, db_file)
        # A file from a newer GuideDesk is refused before anything writes to it (even the
        # journal-mode switch rewrites the header).
        migrations.check_version(conn)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
        if migrate:
            migrations.migrate(conn)
        else:
            migrations.check_version(conn)
        keys.private_files([*keys.database_files(db_file), *keys.folder_files(db_file.parent)])
    except keys.CacheKeyError:
        conn.close()
        raise
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


def _check_key(conn: sqlite3.Connection, db_file: Path) -> None:
    """The first read decrypts page 1: SQLITE_NOTADB there means the key does not fit."""
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_NOTADB:
            raise
        if keys.wiped_at(db_file.parent) is not None:
            raise keys.refusal(db_file) from exc  # an old file put back after the wipe
        raise keys.WrongKey(
            "本地数据文件无法用本终端的密钥解密（可能是从别的终端复制来的文件，或文件已损坏），"
            "未作任何改动。请联系 IT。"
            " (the local database cannot be decrypted with this terminal's key: a copy of"
            f" another terminal's file, or a damaged one; nothing was changed) {db_file}"
        ) from exc


def _encrypt_plain(db_file: Path, key: bytes, busy_timeout_s: float) -> None:
    """A plain cache from before encryption becomes an encrypted one, in place, once.

    sqlcipher_export copies every table (the outbox with it) into an encrypted copy beside
    the file; the copy is flushed to disk and renamed over the plain file, whose WAL was
    checkpointed into it first. A crash before the rename leaves the plain file as it was
    (the next open starts again); after it, the encrypted one.
    """
    encrypting = Path(f"{db_file}{keys.ENCRYPTING_SUFFIX}")
    for leftover in keys.database_files(encrypting):
        leftover.unlink(missing_ok=True)
    with translated(db_file):
        plain = sqlite3.connect(os.fspath(db_file), timeout=busy_timeout_s, isolation_level=None)
        try:
            version = migrations.check_version(plain)  # a newer app's file stays untouched
            busy, _, _ = plain.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                raise StoreLocked(
                    "另一个程序正在使用本地数据文件，无法加密；请关闭它再试。"
                    f" (another program has the local database open: it cannot be encrypted now) {db_file}"
                )
            keys.create_private_file(encrypting)
            plain.execute(
                "ATTACH DATABASE ? AS encrypted KEY ?", (os.fspath(encrypting), f"x'{key.hex()}'")
            )
            plain.execute("SELECT sqlcipher_export('encrypted')")
            plain.execute(f"PRAGMA encrypted.user_version = {version}")
            plain.execute("DETACH DATABASE encrypted")
        finally:
            plain.close()
    with open(encrypting, "rb+") as copy:
        os.fsync(copy.fileno())
    # The plain file's WAL was checkpointed into it (and removed when it closed): nothing
    # beside the new file may be a plain WAL that SQLite would replay into it.
    for side in keys.SIDE_FILES:
        Path(f"{db_file}{side}").unlink(missing_ok=True)
    os.replace(encrypting, db_file)
    keys.fsync_folder(db_file.parent)


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
