"""Lifecycle stages, tiers, birthdays and recency: the rules terminal and HQ both apply.

Every rule takes ``today`` (a date) from its caller, never from the clock, so a table of
cases tests it and HQ can recompute yesterday's view. Timestamps are ISO-8601 UTC
strings; a rule that counts days uses their UTC calendar date, which is close enough for
rules measured in tens of days. The thresholds are documented defaults in frozen rule
objects that HQ may override per brand later.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from app.domain.customers import LifecycleStage, Purchase, Tier

# "The last 365 days" of the rules: paid on or after today − 365 days, the same cut the
# store applies in SQL (``paid_at >= year_ago``).
YEAR_DAYS = 365

BirthdayWindow = Literal["week", "month"]


def year_window_start(today: date) -> date:
    """First day counted in the rolling year of ``orders_365`` and ``spent_365_cents``."""
    return today - timedelta(days=YEAR_DAYS)


def _to_date(iso_or_date: str) -> date:
    return date.fromisoformat(iso_or_date[:10])


@dataclass(frozen=True, slots=True)
class PurchaseSummary:
    """What the rules need to know about a customer's orders, as of one day.

    Small enough to compute in SQL (the terminal) or from ``Purchase`` values (HQ,
    tests, the demo brand) so both sides feed the same rules.
    """

    first_purchase_on: str | None = None
    last_purchase_on: str | None = None
    orders_365: int = 0
    spent_365_cents: int = 0
    total_spent_cents: int = 0
    orders_total: int = 0


def summarize(purchases: Iterable[Purchase], today: date) -> PurchaseSummary:
    """A customer's orders as a ``PurchaseSummary`` for ``today``."""
    start = year_window_start(today).isoformat()
    first = last = None
    orders_365 = spent_365 = total = count = 0
    for p in purchases:
        day = p.paid_at[:10]
        first = day if first is None or day < first else first
        last = day if last is None or day > last else last
        count += 1
        total += p.amount_cents
        if day >= start:
            orders_365 += 1
            spent_365 += p.amount_cents
    return PurchaseSummary(first, last, orders_365, spent_365, total, count)


@dataclass(frozen=True, slots=True)
class LifecycleRules:
    """Thresholds of the lifecycle stages (潜客 → 新客 → 成熟 → 流失预警 → 沉睡).

    - ``new_days`` (60): a customer is *new* until 60 days after the first purchase; the
      first weeks decide whether they buy again, so guides get them on a list.
    - ``frequent_orders`` (4) / ``frequent_at_risk_days`` (90): a frequent buyer (at least
      4 orders in the last 365 days) is *at risk* from 90 days without a purchase, a
      month before the 120-day mark after which such buyers rarely come back.
    - ``at_risk_days`` (180): anybody else is *at risk* after 180 days without a purchase.
    - ``dormant_days`` (365): *dormant* after a year without a purchase.

    Everybody who bought and is none of these is *mature*; who never bought is a *prospect*.
    """

    new_days: int = 60
    frequent_orders: int = 4
    frequent_at_risk_days: int = 90
    at_risk_days: int = 180
    dormant_days: int = 365


DEFAULT_LIFECYCLE = LifecycleRules()


def lifecycle_stage(
    summary: PurchaseSummary, today: date, rules: LifecycleRules = DEFAULT_LIFECYCLE
) -> LifecycleStage:
    """The customer's lifecycle stage on ``today`` (thresholds are inclusive: ≥)."""
    if summary.last_purchase_on is None:
        return LifecycleStage.PROSPECT
    idle = (today - _to_date(summary.last_purchase_on)).days
    if idle >= rules.dormant_days:
        return LifecycleStage.DORMANT
    frequent = summary.orders_365 >= rules.frequent_orders
    if idle >= rules.at_risk_days or (frequent and idle >= rules.frequent_at_risk_days):
        return LifecycleStage.AT_RISK
    first = summary.first_purchase_on or summary.last_purchase_on
    if (today - _to_date(first)).days < rules.new_days:
        return LifecycleStage.NEW
    return LifecycleStage.MATURE


@dataclass(frozen=True, slots=True)
class TierRules:
    """Tier thresholds over the last 365 days (头部 / 腰部 / 普通).

    Spend *or* order count qualifies, so a customer who buys often but cheaply is not
    left out: head from ¥10,000 or 8 orders, waist from ¥3,000 or 3 orders.
    """

    head_spent_cents: int = 1_000_000
    head_orders: int = 8
    waist_spent_cents: int = 300_000
    waist_orders: int = 3


DEFAULT_TIERS = TierRules()


def tier_for(summary: PurchaseSummary, rules: TierRules = DEFAULT_TIERS) -> Tier:
    """The tier a customer's last 365 days earn."""
    spent, orders = summary.spent_365_cents, summary.orders_365
    if spent >= rules.head_spent_cents or orders >= rules.head_orders:
        return Tier.HEAD
    if spent >= rules.waist_spent_cents or orders >= rules.waist_orders:
        return Tier.WAIST
    return Tier.REGULAR


def _birthday_in(year: int, month: int, day: int) -> date:
    """The day a birthday is celebrated in ``year``: 29 Feb falls on 28 Feb in common years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


def _month_day(birthday: str | None) -> tuple[int, int] | None:
    """(month, day) of a 'YYYY-MM-DD' birthday; None when absent or unreadable, so a
    malformed CRM value reads as 'birthday unknown' rather than breaking a list."""
    if not birthday:
        return None
    try:
        month, day = int(birthday[5:7]), int(birthday[8:10])
        _birthday_in(2000, month, day)  # a leap year: accepts 29 Feb, rejects 30 Feb
    except ValueError:
        return None
    return month, day


def days_until_birthday(birthday: str | None, today: date) -> int | None:
    """Days until the next birthday (0 on the day itself); None when unknown."""
    md = _month_day(birthday)
    if md is None:
        return None
    upcoming = _birthday_in(today.year, *md)
    if upcoming < today:
        upcoming = _birthday_in(today.year + 1, *md)
    return (upcoming - today).days


def birthday_in_window(birthday: str | None, today: date, window: BirthdayWindow) -> bool:
    """Whether the birthday falls in this calendar week (Monday–Sunday) or this calendar
    month, days already past included: what a guide plans greetings around."""
    md = _month_day(birthday)
    if md is None:
        return False
    if window == "month":
        return _birthday_in(today.year, *md).month == today.month
    if window != "week":
        raise ValueError(f"unknown birthday window {window!r}: use 'week' or 'month'")
    start = today - timedelta(days=today.weekday())
    end = start + timedelta(days=6)
    # A week can straddle New Year: try the birthday in both years it touches.
    return any(start <= _birthday_in(y, *md) <= end for y in {start.year, end.year})


def days_since(iso_or_date: str | None, today: date) -> int | None:
    """Whole days from a date or timestamp (its UTC date) to ``today``; None when absent."""
    return (today - _to_date(iso_or_date)).days if iso_or_date else None


def not_contacted_for(last_contact_at: str | None, today: date, days: int) -> bool:
    """True when the last contact is more than ``days`` days ago, or there was none.

    A contact exactly ``days`` days ago still counts as contacted, matching the store's
    filter (``last_contact_at < today − days``).
    """
    since = days_since(last_contact_at, today)
    return since is None or since > days


def recency(
    last_purchase_at: str | None, last_contact_at: str | None, joined_at: str | None
) -> str:
    """The customer's latest activity as a sortable string ('' when none): the default
    order of the customer list puts whoever the guide last dealt with on top."""
    return max(last_purchase_at or "", last_contact_at or "", joined_at or "")
