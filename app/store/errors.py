"""Known failures of the local store, told apart by SQLite's error code. No Qt here.

The machine, not our code, causes some SQLite errors: another program holds the file, the
disk is full, the file is read-only or not ours to open, it is damaged. A person can act
on those (wait, free space, call IT), so the store raises them as the typed exceptions
below and the UI shows a plain message for each type. Every other ``sqlite3.Error`` is a
bug and travels on unchanged, to be shown with its traceback (qutebrowser's split into
known errors and bugs in ``misc/sql.py``).

The code, never the English message, decides: messages change between SQLite versions
and an extended code (``SQLITE_IOERR_WRITE``) still carries its primary code in its low
byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from app.store.sqlite import driver as sqlite3


class StoreError(Exception):
    """A known, environmental failure of the local store that a person can act on."""


class InvalidEntry(StoreError, ValueError):
    """What was typed breaks the contract HQ enforces (too long, too many tags): nothing
    was written, and the dialog keeps the text for the guide to shorten."""


class StoreLocked(StoreError):
    """Another connection or program held the file longer than we wait (SQLITE_BUSY/LOCKED)."""


class DiskFull(StoreError):
    """Nothing more fits on the disk (SQLITE_FULL)."""


class NoAccess(StoreError):
    """The file is read-only, cannot be opened or is not ours (READONLY, CANTOPEN, PERM)."""


class StoreCorrupt(StoreError):
    """The file is damaged or is not a GuideDesk database at all (CORRUPT, NOTADB)."""


class DiskError(StoreError):
    """The operating system failed to read or write the file (SQLITE_IOERR)."""


_BY_PRIMARY_CODE: dict[int, type[StoreError]] = {
    sqlite3.SQLITE_BUSY: StoreLocked,
    sqlite3.SQLITE_LOCKED: StoreLocked,
    sqlite3.SQLITE_FULL: DiskFull,
    sqlite3.SQLITE_READONLY: NoAccess,
    sqlite3.SQLITE_CANTOPEN: NoAccess,
    sqlite3.SQLITE_PERM: NoAccess,
    sqlite3.SQLITE_CORRUPT: StoreCorrupt,
    sqlite3.SQLITE_NOTADB: StoreCorrupt,
    sqlite3.SQLITE_IOERR: DiskError,
}


def kind_of(exc: BaseException) -> type[StoreError] | None:
    """The known failure ``exc`` is (by its SQLite error code), or None for a bug."""
    if not isinstance(exc, sqlite3.Error):
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    return _BY_PRIMARY_CODE.get(code & 0xFF)


def known(exc: BaseException, path: str | os.PathLike[str] | None = None) -> StoreError | None:
    """``exc`` as a typed store error (its cause set), or None when it is a bug."""
    kind = kind_of(exc)
    if kind is None:
        return None
    name = getattr(exc, "sqlite_errorname", "")
    where = f" {os.fspath(path)}" if path is not None else ""
    error = kind(f"本地数据库{where}出错 (local database: {exc}; {name})")
    error.__cause__ = exc
    return error


@contextmanager
def translated(path: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """``with translated():`` — a known SQLite failure inside leaves as its typed error."""
    try:
        yield
    except sqlite3.Error as exc:
        error = known(exc, path)
        if error is None:
            raise
        raise error from exc
