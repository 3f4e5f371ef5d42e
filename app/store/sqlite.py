"""The one place that names the terminal store's SQLite driver: SQLCipher, through sqlcipher3.

sqlcipher3 is the stdlib ``sqlite3`` module built against SQLCipher (the same DB-API:
``connect``, ``Row``, the exception classes, the ``SQLITE_*`` codes, ``sqlite_errorcode``
on errors), so the store's code and sqlite-utils work on it unchanged. Its classes are
its own, though: a stdlib ``sqlite3.Error`` does not catch its errors. Every module of the
terminal store therefore imports the driver from here::

    from app.store.sqlite import driver as sqlite3

and ``except sqlite3.Error`` / ``sqlite3.Row`` / ``sqlite3.IntegrityError`` mean the
driver's. (HQ's SQLite, through SQLAlchemy, is not this: it stays on the stdlib module.)

Why SQLCipher and not SQLite3 Multiple Ciphers (apsw-sqlite3mc): measured on a 200,000
customer store (issue 8), sqlite3mc's ChaCha20 reads faster than SQLCipher's AES-256 +
HMAC-SHA512 at the same page cache, but apsw is another API (no DB-API connection, no
``Row``, its own exceptions; sqlite-utils does not take it); with a 64 MB page cache
SQLCipher's search p95 is 5.9 ms, well inside the 16 ms budget.
"""

from __future__ import annotations

import sqlcipher3.dbapi2 as driver

# SQLCipher logs a failed key (an HMAC check) to stderr by default: never to the console
# of a terminal at a public counter. Global to the library, set once.
_quiet = driver.connect(":memory:")
_quiet.execute("PRAGMA cipher_log_level = NONE")
_quiet.close()

Connection = driver.Connection
Error = driver.Error
Row = driver.Row
sqlite_version: str = driver.sqlite_version

__all__ = ["Connection", "Error", "Row", "driver", "sqlite_version"]
