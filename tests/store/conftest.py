from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import db
from app.store.replica import TerminalReplica


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = db.connect(tmp_path / "terminal.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def replica(conn: sqlite3.Connection, clock) -> TerminalReplica:
    return TerminalReplica(conn, clock=clock)
