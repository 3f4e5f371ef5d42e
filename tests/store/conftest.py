from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import db
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = db.connect(tmp_path / "terminal.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def replica(conn: sqlite3.Connection, clock) -> TerminalReplica:
    return TerminalReplica(conn, clock=clock)
