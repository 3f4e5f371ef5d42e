"""Drafts of the dialogs: kept per kind, guide, customer and task; local; wiped."""

from __future__ import annotations

from pathlib import Path

from app.store import db, outbox
from app.store.drafts import DraftKey, DraftKind, discard_draft, draft_count, keep_draft, load_draft
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3

NOW = "2026-11-22T10:30:00Z"
LATER = "2026-11-22T10:35:00Z"


def test_a_draft_is_kept_replaced_and_discarded(conn: sqlite3.Connection) -> None:
    key = DraftKey(DraftKind.FOLLOWUP, "G001", "C1")
    assert load_draft(conn, key) is None
    keep_draft(conn, key, {"note": "周六来试穿", "channel": "call"}, now=NOW)
    kept = load_draft(conn, key)
    assert kept is not None and kept.fields == {"note": "周六来试穿", "channel": "call"}
    keep_draft(conn, key, {"note": "周日来试穿"}, now=LATER)
    kept = load_draft(conn, key)
    assert kept is not None and kept.fields == {"note": "周日来试穿"} and kept.updated_at == LATER
    assert draft_count(conn) == 1
    discard_draft(conn, key)
    assert load_draft(conn, key) is None
    discard_draft(conn, key)  # nothing to discard: no error


def test_drafts_are_apart_per_kind_guide_customer_and_task(conn: sqlite3.Connection) -> None:
    keys = [
        DraftKey(DraftKind.FOLLOWUP, "G001", "C1"),
        DraftKey(DraftKind.FOLLOWUP, "G002", "C1"),
        DraftKey(DraftKind.FOLLOWUP, "G001", "C2"),
        DraftKey(DraftKind.EDIT_CUSTOMER, "G001", "C1"),
        DraftKey(DraftKind.TASK_OUTCOME, "G001", "C1", "T1"),
        DraftKey(DraftKind.TASK_OUTCOME, "G001", "C1", "T2"),
    ]
    for number, key in enumerate(keys):
        keep_draft(conn, key, {"n": number}, now=NOW)
    assert [load_draft(conn, k).fields["n"] for k in keys] == list(range(len(keys)))  # type: ignore[union-attr]
    discard_draft(conn, keys[0])
    assert load_draft(conn, keys[0]) is None and draft_count(conn) == len(keys) - 1


def test_a_draft_is_never_synced(conn: sqlite3.Connection) -> None:
    keep_draft(conn, DraftKey(DraftKind.FOLLOWUP, "G001", "C1"), {"note": "私事"}, now=NOW)
    assert outbox.pending(conn) == []


def test_a_draft_survives_a_new_connection(tmp_path: Path) -> None:
    path = tmp_path / "terminal.sqlite3"
    key = DraftKey(DraftKind.FOLLOWUP, "G001", "C1")
    first = db.connect(path)
    keep_draft(first, key, {"note": "下周再联系"}, now=NOW)
    first.close()
    second = db.connect(path)
    try:
        kept = load_draft(second, key)
        assert kept is not None and kept.fields == {"note": "下周再联系"}
    finally:
        second.close()


def test_the_wipe_removes_the_drafts(conn: sqlite3.Connection, replica: TerminalReplica) -> None:
    keep_draft(conn, DraftKey(DraftKind.FOLLOWUP, "G001", "C1"), {"note": "欧阳娜娜"}, now=NOW)
    assert draft_count(conn) == 1
    replica.wipe()
    assert draft_count(conn) == 0
