"""Schema migrations: from an empty file, from the previous version, refusing newer files."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store import db, migrations
from app.store.sqlite import driver as sqlite3


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_empty_file_migrates_to_latest(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "t.sqlite3")
    assert migrations.current_version(conn) == migrations.LATEST
    assert {
        "customers",
        "purchases",
        "followups",
        "tasks",
        "content",
        "appointments",
        "outbox",
        "sync_state",
        "conflicts",
        "audit_log",
    } <= _tables(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()


def test_previous_version_with_outbox_rows_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(raw, target=1)
    assert migrations.current_version(raw) == 1
    raw.execute(
        "INSERT INTO outbox (mutation_id, entity, entity_id, op, payload, created_at)"
        " VALUES ('m-0001-abcd', 'followup', 'f1', 'create', ?, '2026-11-01T10:00:00Z')",
        ('{"id": "f1", "customer_id": "C1", "guide_id": "G007", "note": "老版本"}',),
    )
    raw.close()

    conn = db.connect(path)
    assert migrations.current_version(conn) == migrations.LATEST
    row = conn.execute("SELECT guide_id, status, reject_reason FROM outbox").fetchone()
    assert tuple(row) == ("G007", "pending", "")
    conn.close()


def test_newer_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE future (x)")
    raw.execute(f"PRAGMA user_version = {migrations.LATEST + 5}")
    raw.close()
    before = path.read_bytes()

    with pytest.raises(db.NewerSchemaError, match="请升级"):
        db.connect(path)
    assert path.read_bytes() == before


def test_failed_step_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(raw, target=1)
    real_sql = migrations._sql
    monkeypatch.setattr(
        migrations,
        "_sql",
        lambda name: (
            real_sql(name) + "\nTHIS IS NOT SQL;" if name.startswith("0002") else real_sql(name)
        ),
    )
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(raw)
    assert migrations.current_version(raw) == 1
    assert "conflicts" not in _tables(raw)
    raw.close()


def test_version_3_file_is_brought_to_the_contract(tmp_path: Path) -> None:
    """Step 4 (sqlite-utils transform): ends_at nullable, tasks.store_id NOT NULL, kinds and
    statuses renamed to the declared values, indexes and rows kept."""
    path = tmp_path / "v3.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(raw, target=3)
    raw.executescript(
        """
        INSERT INTO sync_state VALUES ('store_id', 'S001');
        INSERT INTO tasks (id, store_id, kind, title) VALUES ('T1', NULL, 'handover', '认识新顾客');
        INSERT INTO tasks (id, store_id, title) VALUES ('T2', 'S001', '旧任务');
        INSERT INTO task_targets (task_id, customer_id, status) VALUES ('T1', 'C1', 'completed');
        INSERT INTO appointments (id, customer_id, guide_id, starts_at, ends_at, version)
            VALUES ('A1', 'C1', 'G001', '2026-11-22T08:00:00Z', '2026-11-22T09:00:00Z', 7);
        """
    )
    raw.close()

    conn = db.connect(path)
    assert migrations.current_version(conn) == migrations.LATEST
    tasks = [tuple(r) for r in conn.execute("SELECT id, store_id, kind FROM tasks ORDER BY id")]
    assert tasks == [("T1", "S001", "handover_intro"), ("T2", "S001", "custom")]
    assert conn.execute("SELECT status FROM task_targets").fetchone()[0] == "done"
    assert tuple(conn.execute("SELECT id, ends_at, version FROM appointments").fetchone()) == (
        "A1",
        "2026-11-22T09:00:00Z",
        7,
    )
    conn.execute(
        "INSERT INTO appointments (id, customer_id, guide_id, starts_at)"
        " VALUES ('A2', 'C1', 'G001', '2026-11-23T08:00:00Z')"
    )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO tasks (id, store_id, title) VALUES ('T3', NULL, 'x')")
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "appointments_guide" in indexes
    conn.close()
