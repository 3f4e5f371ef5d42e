"""HQ's database engine, and the small helpers every storage module shares.

One SQLAlchemy Core code path serves the embedded SQLite file (the default) and
PostgreSQL (when a brand outgrows one machine). Only three things differ, each in one
place: how a write transaction starts (SQLite: ``BEGIN IMMEDIATE``, so writers queue up
instead of failing on a lock upgrade), where a transaction's id comes from, and the bulk
insert fast path (SQLite ``executemany``, PostgreSQL ``COPY``).

The first is the engine's ``begin`` event below; the other two are :meth:`Tx.txid` and
:meth:`Tx.insert_rows` (``sync/hq/tx.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from sync.hq.errors import StorageError


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_encode_str = json.encoder.encode_basestring  # the C function when available
_c_encoder = (
    # One C encoder made once: json.dumps builds a new one per call, which is most of
    # its cost for small records (a demo load encodes a million of them).
    json.encoder.c_make_encoder(None, _refuse, _encode_str, None, ":", ",", False, False, False)
    if json.encoder.c_make_encoder is not None
    else None
)
_py_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _json(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is (what the change log stores)."""
    if isinstance(value, str):
        return _encode_str(value)
    if _c_encoder is None:
        return _py_encode(value)
    return "".join(_c_encoder(value, 0))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the engine --------------------------------------------------------------------------


def engine_url(db_url: str) -> str:
    """The SQLAlchemy URL of ``sqlite:///…`` or ``postgresql://…`` (psycopg 3 driver)."""
    url = db_url.strip()
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("postgresql+psycopg://"):
        return url
    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        return url
    raise StorageError(
        f"unsupported database URL {db_url!r}: use sqlite:///ABSOLUTE/PATH or postgresql://…"
    )


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    path = Path(sa.make_url(url).database or "")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder of {path}: {exc.strerror}") from exc
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        connect_args={"timeout": 30, "check_same_thread": False},
        # Bound parameters are customer data: never in an exception's text, so never in
        # a log line (a failed statement logs its SQL only).
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below (pysqlite would
        # otherwise issue a plain deferred BEGIN on its own).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: an acknowledged push must survive a power cut (the terminal forgets it).
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA cache_size = -32768")  # 32 MiB: the change log's indexes
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: two deferred transactions that both read
        # and then write would otherwise deadlock and one would fail with "locked".
        write = conn.get_execution_options().get("hq_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
