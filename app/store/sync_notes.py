"""What the sync left for a person to read: the records HQ sent that this terminal skipped.

``TerminalReplica.apply_page`` keeps them in ``sync_state`` (``skipped_records``, a JSON
list of {entity, id, version, reason}, and ``skipped_unseen`` = "1" until someone has
seen them). The status area reads them here and, once the guide has acknowledged the
notice, clears the flag here. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.store.changes import Changes
from app.store.db import transaction
from app.store.replica import read_skipped
from app.store.sqlite import driver as sqlite3


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """One record HQ sent that could not be stored here. The reason names the constraint
    or the missing key, never a value of the record (no customer names)."""

    entity: str
    id: str
    version: int | None
    reason: str


def skipped_records(conn: sqlite3.Connection) -> list[SkippedRecord]:
    """The skipped records, oldest first (the replica keeps the newest 200)."""
    return [
        SkippedRecord(
            entity=str(r.get("entity")),
            id=str(r.get("id")),
            version=r.get("version"),
            reason=str(r.get("reason") or ""),
        )
        for r in read_skipped(conn)
    ]


def mark_skipped_seen(conn: sqlite3.Connection, seen: list[SkippedRecord]) -> Changes:
    """The guide has read the notice listing ``seen``: clear ``skipped_unseen``.

    Only when ``seen`` is still what the store holds: a sync may have skipped more while
    the notice was open, and those the guide has not seen yet (the flag stays, the next
    sync shows the notice again). One transaction; nothing a view lists changes, so the
    returned ``Changes`` is empty and the caller refreshes the status line itself.
    """
    with transaction(conn):
        if skipped_records(conn) == seen:
            conn.execute("UPDATE sync_state SET value = '0' WHERE key = 'skipped_unseen'")
    return Changes()
