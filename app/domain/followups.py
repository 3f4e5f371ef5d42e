"""When a follow-up is due (待跟进): the one rule the list, the profile and the filter share.

A customer's next follow-up date (``next_followup_on``, the store's local date the guide
chose when logging the last follow-up) is *due* on that day and *overdue* after it. "Today"
is the store's (app/domain/clock.store_today), never the machine's. A counter visit by a
colleague (Channel.COUNTER) plans nothing, so it never moves the owner's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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


def due_cutoff(today: date) -> date:
    """The latest next-follow-up date that is due on ``today`` (the store's filter uses
    ``next_followup_on <= due_cutoff(today)``)."""
    return today


def followup_due(next_followup_on: str | date | None, today: date) -> Due | None:
    """The customer's follow-up if it is due or overdue on ``today``; None otherwise (no
    date planned, or one still to come)."""
    on = _day(next_followup_on)
    if on is None or on > due_cutoff(today):
        return None
    return Due(on=on, days_overdue=(today - on).days)
