"""Counts for the 631 mix (app/domain/mix631.py): shares per category in a time window,
for one guide, or per guide of a store (the manager's view).

A share's category is its own (``shares.category_631``), else its piece's (a share
recorded before shares carried one); a share with neither is not counted. Times are the
store's ISO-8601 UTC strings (``...Z``), compared as text; the index ``shares_guide_time``
(migration 14) serves the guide's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from app.store.sqlite import driver as sqlite3

_CATEGORY = "coalesce(s.category_631, c.category_631)"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def guide_counts(
    conn: sqlite3.Connection, guide_id: str, since: datetime, until: datetime
) -> dict[str, int]:
    """Category → the guide's shares in ``[since, until]``."""
    rows = conn.execute(
        f"SELECT {_CATEGORY} AS category, count(*) AS n FROM shares s"
        " LEFT JOIN content c ON c.id = s.content_id"
        " WHERE s.guide_id = ? AND s.shared_at >= ? AND s.shared_at <= ?"
        f" AND {_CATEGORY} IS NOT NULL GROUP BY 1",
        (guide_id, _iso(since), _iso(until)),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


@dataclass(frozen=True, slots=True)
class OverCapShare:
    """A share the manager should see: sent to a customer at the contact cap (the guide's
    reason, or HQ's finding), or to one who had opted out by then (HQ's finding)."""

    customer_name: str
    shared_at: str
    reason: str  # the guide's override reason ('' when HQ found it over the cap unasked)
    flagged_by_hq: bool
    opted_out: bool = False  # HQ found the customer had opted out of marketing by then


@dataclass(frozen=True, slots=True)
class GuideCounts:
    guide_id: str
    name: str
    counts: dict[str, int]
    over_cap: tuple[OverCapShare, ...] = ()


def store_counts(
    conn: sqlite3.Connection, store_id: str, since: datetime, until: datetime
) -> list[GuideCounts]:
    """Every active guide of the store (by name) with their counts, none left out for
    having no shares."""
    guides = conn.execute(
        "SELECT id, name FROM guides WHERE store_id = ? AND active = 1 ORDER BY name, id",
        (store_id,),
    ).fetchall()
    rows = conn.execute(
        f"SELECT s.guide_id, {_CATEGORY} AS category, count(*) AS n FROM shares s"
        " JOIN guides g ON g.id = s.guide_id AND g.store_id = ?"
        " LEFT JOIN content c ON c.id = s.content_id"
        " WHERE s.shared_at >= ? AND s.shared_at <= ?"
        f" AND {_CATEGORY} IS NOT NULL GROUP BY 1, 2",
        (store_id, _iso(since), _iso(until)),
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for guide_id, category, n in rows:
        counts.setdefault(guide_id, {})[category] = n
    over: dict[str, list[OverCapShare]] = {}
    for r in conn.execute(
        "SELECT s.guide_id, coalesce(cu.name, '') AS name, s.shared_at, s.override_reason,"
        " s.over_cap, s.opted_out FROM shares s"
        " JOIN guides g ON g.id = s.guide_id AND g.store_id = ?"
        " LEFT JOIN customers cu ON cu.id = s.customer_id"
        " WHERE s.shared_at >= ? AND s.shared_at <= ?"
        " AND (s.override_reason <> '' OR s.over_cap = 1 OR s.opted_out = 1)"
        " ORDER BY s.shared_at DESC",
        (store_id, _iso(since), _iso(until)),
    ):
        over.setdefault(r[0], []).append(
            OverCapShare(r[1], r[2], r[3], bool(r[4]), opted_out=bool(r[5]))
        )
    return [
        GuideCounts(g[0], g[1], counts.get(g[0], {}), tuple(over.get(g[0], ()))) for g in guides
    ]
