"""A colleague's counter visit (接待记录): a guide serves a customer of another guide of
the store and leaves a short note for the owner.

It is a follow-up of channel ``counter`` authored by the serving guide (sync/records.py,
``followup/counter``): HQ accepts it from any guide of the customer's store and never moves
the customer, so the owner's book stays theirs and the note reaches their timeline as a
colleague's. It plans no next follow-up (the owner's planned date stands).
"""

from __future__ import annotations

from datetime import date

from app.domain.customers import Channel
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import _require_customer, check_entry, refresh_derived
from app.store.db import transaction
from app.store.sqlite import driver as sqlite3
from sync.records import clean_text


def log_counter_visit(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    guide_id: str,
    note: str,
    now: str,
    today: date,
    visit_id: str | None = None,
) -> Changes:
    """Record that ``guide_id`` served ``customer_id`` at the counter: the follow-up row
    and the ``followup/counter`` mutation, in one transaction."""
    record = {
        "id": visit_id or outbox.new_id(),
        "customer_id": customer_id,
        "note": clean_text(note, multiline=True),
        "created_at": now,
    }
    check_entry("followup", "counter", record)
    with transaction(conn):
        _require_customer(conn, customer_id)
        conn.execute(
            "INSERT INTO followups (id, customer_id, guide_id, channel, note,"
            " next_followup_on, created_at, task_id)"
            " VALUES (?, ?, ?, ?, ?, NULL, ?, NULL)",
            (record["id"], customer_id, guide_id, Channel.COUNTER.value, record["note"], now),
        )
        refresh_derived(conn, [customer_id], today)
        outbox.append(
            conn,
            guide_id=guide_id,
            entity="followup",
            entity_id=record["id"],
            op="counter",
            payload=record,
            created_at=now,
        )
    return Changes(
        customers=frozenset({customer_id}), followups=frozenset({record["id"]}), outbox=True
    )
