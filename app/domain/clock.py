"""The store's local day: what "today" means for birthdays, stages and due dates.

Both sides use it: a store's terminal and HQ resolving that store's task targets must
agree on the date, and a Shanghai store's day starts at 16:00 UTC. Times are stored in
UTC; dates a person sees are the store's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"
# How far a terminal's clock may be off HQ's: HQ's rules allow it (sync/hq/authz.py), and
# `guidedesk --self-check --server URL` calls a larger difference a problem.
CLOCK_SKEW = timedelta(minutes=15)


def store_zone(name: str | None) -> ZoneInfo:
    """The store's time zone; the default for an unknown or empty name."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def store_today(now: datetime, timezone: str | None = None) -> date:
    """The store's local date at the instant ``now`` (a naive ``now`` is taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(store_zone(timezone)).date()
