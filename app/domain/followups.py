"""When a follow-up is due (待跟进): the one rule the list, the profile, the book's filter
and the Today page's follow-up tasks share.

A customer's next follow-up date (``next_followup_on``, the store's local date the guide
chose when logging a follow-up) is *due* on that day and *overdue* after it — until the
customer is contacted on or after that day (a follow-up logged then, whatever it plans
next). "Today" and the day of a contact are the store's (app/domain/clock.py), never the
machine's or UTC's. A counter visit by a colleague (Channel.COUNTER) plans nothing, so it
never moves the owner's date.

The store's SQL filter is this rule written for SQLite (``app/store/customers.py``,
``due`` of ``CustomerQuery``): ``next_followup_on <= due_cutoff(today)`` and the contact's
local day (``last_contact_at`` shifted by :func:`utc_offset_minutes`) before that date;
``tests/store/test_due_filter.py`` checks that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from app.domain.clock import store_today, store_zone


@dataclass(frozen=True, slots=True)
class Due:
    """A follow-up that is due: ``days_overdue`` 0 means due today."""

    on: date
    days_overdue: int


def _day(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def contact_day(last_contact_at: str | None, timezone: str | None = None) -> date | None:
    """The store's local day of a contact (a UTC ISO time); None if there is none."""
    if not last_contact_at:
        return None
    if len(last_contact_at) == 10:
        return _day(last_contact_at)  # a bare date is already the store's day
    try:
        moment = datetime.fromisoformat(last_contact_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return store_today(moment, timezone)


def due_cutoff(today: date) -> date:
    """The latest next-follow-up date that is due on ``today``."""
    return today


def utc_offset_minutes(timezone: str | None, today: date) -> int:
    """The store's offset from UTC on ``today`` (minutes east), to find a contact's local
    day in SQL; a contact within an hour of midnight on a day the clocks change may be
    judged on the neighbouring day there."""
    noon = datetime.combine(today, time(12), tzinfo=store_zone(timezone))
    offset = noon.utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def followup_due(
    next_followup_on: str | date | None,
    today: date,
    *,
    last_contact_at: str | None = None,
    timezone: str | None = None,
) -> Due | None:
    """The customer's follow-up if it is due or overdue on ``today``; None otherwise: no
    date planned, one still to come, or the customer was contacted on or after it."""
    on = _day(next_followup_on)
    if on is None or on > due_cutoff(today):
        return None
    contacted = contact_day(last_contact_at, timezone)
    if contacted is not None and contacted >= on:
        return None
    return Due(on=on, days_overdue=(today - on).days)
