"""Drafts (草稿): what a guide typed in a dialog and closed without saving.

A follow-up half typed when a customer walks off, an Esc pressed by habit, the app closed
at the end of a shift: none of it is thrown away. The dialog keeps its fields here and
gets them back the next time it opens for the same customer (and task), for the same
guide. A saved entry removes its draft.

Drafts are the terminal's own: they are never synced and never reach the outbox, and a
revoked terminal's wipe removes them (they hold notes about customers). One row per
(kind, guide, customer, task); ``fields`` is the dialog's own JSON object, which this
module does not interpret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.store.db import transaction
from app.store.sqlite import driver as sqlite3


class DraftKind(StrEnum):
    FOLLOWUP = "followup"  # 记跟进
    EDIT_CUSTOMER = "edit_customer"  # 编辑顾客
    TASK_OUTCOME = "task_outcome"  # 任务结果


@dataclass(frozen=True, slots=True)
class DraftKey:
    """Which dialog a draft belongs to: its kind, the guide typing, the customer, the task."""

    kind: DraftKind
    guide_id: str
    customer_id: str
    task_id: str = ""  # '' for a dialog without a task

    def params(self) -> tuple[str, str, str, str]:
        return (self.kind.value, self.guide_id, self.customer_id, self.task_id)


@dataclass(frozen=True, slots=True)
class Draft:
    fields: dict[str, Any]
    updated_at: str


_WHERE = "kind = ? AND guide_id = ? AND customer_id = ? AND task_id = ?"


def load_draft(conn: sqlite3.Connection, key: DraftKey) -> Draft | None:
    """The draft kept for ``key``, if any (one primary-key read: fine on the UI thread's
    own connection)."""
    row = conn.execute(f"SELECT fields, updated_at FROM drafts WHERE {_WHERE}", key.params())
    found = row.fetchone()
    if found is None:
        return None
    try:
        fields = json.loads(found[0])
    except ValueError:
        return None
    return Draft(fields, found[1]) if isinstance(fields, dict) else None


def keep_draft(
    conn: sqlite3.Connection, key: DraftKey, fields: dict[str, Any], *, now: str
) -> None:
    """Keep ``fields`` as the draft of ``key`` (replacing the one kept before)."""
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    with transaction(conn):
        conn.execute(
            "INSERT INTO drafts (kind, guide_id, customer_id, task_id, fields, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, guide_id, customer_id, task_id)"
            " DO UPDATE SET fields = excluded.fields, updated_at = excluded.updated_at",
            (*key.params(), text, now),
        )


def discard_draft(conn: sqlite3.Connection, key: DraftKey) -> None:
    """Forget the draft of ``key`` (saved, or emptied by the guide); nothing if none."""
    with transaction(conn):
        conn.execute(f"DELETE FROM drafts WHERE {_WHERE}", key.params())


def draft_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM drafts").fetchone()[0])
