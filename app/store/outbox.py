"""The outbox: every local change as a mutation, written in the change's own transaction.

A mutation has a client-made UUID (so HQ can recognise a retried push), the guide who
made it, the entity and its id, an op and a JSON payload. Rows leave the outbox only
when HQ acknowledged them; a rejected mutation stays, marked with HQ's reason.

A row also keeps the guide's HQ session valid when it was made (``app.store.sessions``),
or none when the guide signed in offline: the push sends it as the mutation's
``session``, so HQ knows which person acted. It is fixed here, in the change's own
transaction: signing out or locking later changes nothing already queued.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from app.store.sessions import session_for
from app.store.sqlite import driver as sqlite3


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    seq: int
    mutation_id: str
    guide_id: str
    entity: str
    entity_id: str
    op: str
    payload: dict[str, Any]
    created_at: str
    status: str
    reject_reason: str
    attempts: int
    session: str | None = None  # the guide's HQ session; None = signed in offline


def new_id() -> str:
    return str(uuid.uuid4())


def append(
    conn: sqlite3.Connection,
    *,
    guide_id: str,
    entity: str,
    entity_id: str,
    op: str,
    payload: dict[str, Any],
    created_at: str,
    mutation_id: str | None = None,
) -> str:
    """Append one mutation. Call inside the transaction that makes the change itself."""
    if not conn.in_transaction:
        raise RuntimeError("outbox.append must run inside the write's own transaction")
    mutation_id = mutation_id or new_id()
    conn.execute(
        "INSERT INTO outbox (mutation_id, guide_id, entity, entity_id, op, payload, created_at,"
        " session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            mutation_id,
            guide_id,
            entity,
            entity_id,
            op,
            json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            created_at,
            session_for(conn, guide_id, created_at),
        ),
    )
    return mutation_id


def _entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        seq=row["seq"],
        mutation_id=row["mutation_id"],
        guide_id=row["guide_id"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        op=row["op"],
        payload=json.loads(row["payload"]),
        created_at=row["created_at"],
        status=row["status"],
        reject_reason=row["reject_reason"],
        attempts=row["attempts"],
        session=row["session"],
    )


_COLUMNS = (
    "seq, mutation_id, guide_id, entity, entity_id, op, payload, created_at,"
    " status, reject_reason, attempts, session"
)


def pending(conn: sqlite3.Connection, limit: int = 500) -> list[OutboxEntry]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT ?", (limit,)
    )
    return [_entry(row) for row in rows]


def rejected(conn: sqlite3.Connection) -> list[OutboxEntry]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE status = 'rejected' ORDER BY seq")
    return [_entry(row) for row in rows]


# The entity of HQ's audit trail (sync/records.py AUDIT_MUTATIONS: a phone number shown or
# copied). Such a mutation is a record kept for audit, not an edit of anything.
AUDIT_ENTITY = "audit"


def is_audit_record(entity: str) -> bool:
    """A mutation of ``entity`` is an audit record (a reveal, a copy), not an edit waiting
    to sync: the one place that says which is which (status line, `guidedesk status`)."""
    return entity == AUDIT_ENTITY


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """``pending``: everything not yet sent, split into ``edits`` and ``audit`` records;
    ``rejected``: refused by HQ."""
    found: dict[str, int] = {"edits": 0, "audit": 0, "rejected": 0}
    for entity, status, n in conn.execute(
        "SELECT entity, status, count(*) FROM outbox GROUP BY entity, status"
    ):
        if status == "rejected":
            found["rejected"] += n
        elif status == "pending":
            found["audit" if is_audit_record(entity) else "edits"] += n
    return {"pending": found["edits"] + found["audit"], **found}
