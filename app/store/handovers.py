"""Handovers on the terminal: who had a customer before this guide, and HQ's brief.

HQ writes a ``handover`` record whenever it moves a customer (sync/records.py); the
replica keeps them in ``handovers`` (migration 7) with the rest of the customer's
history. The profile shows the latest one when it names the customer's current guide:
"inherited from 王芳 on 2026-12-02" and the brief (app/domain/handover.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3  # the store's driver (plain or encrypted) has the same API


@dataclass(frozen=True, slots=True)
class HandoverView:
    id: str
    customer_id: str
    from_guide_id: str | None
    from_guide_name: str  # as HQ named them then (a guide who left is gone from guides)
    to_guide_id: str | None
    moved_at: str
    reason: str  # departure / transfer
    brief: dict[str, Any] = field(default_factory=dict)


def latest_handover(conn: sqlite3.Connection, customer_id: str) -> HandoverView | None:
    """The customer's latest handover if it gave them to their current guide, else None
    (never handed over, or moved again since without a handover record)."""
    row = conn.execute(
        "SELECT h.id, h.customer_id, h.from_guide_id,"
        " coalesce(nullif(h.from_guide_name, ''), g.name, h.from_guide_id, '') AS from_name,"
        " h.to_guide_id, h.moved_at, h.reason, h.brief, c.guide_id AS owner"
        " FROM handovers h JOIN customers c ON c.id = h.customer_id"
        " LEFT JOIN guides g ON g.id = h.from_guide_id"
        # Two moves in one second share moved_at: the later write (version) is the later.
        " WHERE h.customer_id = ? ORDER BY h.moved_at DESC, h.version DESC, h.id DESC LIMIT 1",
        (customer_id,),
    ).fetchone()
    if row is None or row[8] != row[4]:
        return None
    try:
        brief = json.loads(row[7] or "{}")
    except ValueError:
        brief = {}
    return HandoverView(
        id=row[0],
        customer_id=row[1],
        from_guide_id=row[2],
        from_guide_name=row[3],
        to_guide_id=row[4],
        moved_at=row[5],
        reason=row[6],
        brief=brief if isinstance(brief, dict) else {},
    )
