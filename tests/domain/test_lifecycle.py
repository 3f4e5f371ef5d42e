"""Lifecycle stages, tiers, birthdays and recency at and around every threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.domain.customers import LifecycleStage, Purchase, Tier
from app.domain.lifecycle import (
    LifecycleRules,
    PurchaseSummary,
    TierRules,
    birthday_in_window,
    days_since,
    days_until_birthday,
    lifecycle_stage,
    not_contacted_for,
    recency,
    summarize,
    tier_for,
    year_window_start,
)

TODAY = date(2026, 11, 22)  # a Sunday


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def purchase(days_ago: int, cents: int) -> Purchase:
    return Purchase(f"P{days_ago}", "C1", "S001", "G001", f"{ago(days_ago)}T03:00:00Z", cents)


def test_summarize_counts_the_rolling_year_inclusively() -> None:
    summary = summarize(
        [purchase(366, 100), purchase(365, 200), purchase(10, 400), purchase(0, 800)], TODAY
    )
    assert summary == PurchaseSummary(
        first_purchase_on=ago(366),
        last_purchase_on=ago(0),
        orders_365=3,
        spent_365_cents=1_400,
        total_spent_cents=1_500,
        orders_total=4,
    )
    assert year_window_start(TODAY).isoformat() == ago(365)
    assert summarize([], TODAY) == PurchaseSummary()


def stage(first: int, last: int, orders_365: int) -> LifecycleStage:
    summary = PurchaseSummary(ago(first), ago(last), orders_365, 0, 0, orders_365)
    return lifecycle_stage(summary, TODAY)


P, N, M, R, D = (
    LifecycleStage.PROSPECT,
    LifecycleStage.NEW,
    LifecycleStage.MATURE,
    LifecycleStage.AT_RISK,
    LifecycleStage.DORMANT,
)


@pytest.mark.parametrize(
    ("first", "last", "orders_365", "expected"),
    [
        (0, 0, 1, N),  # bought today
        (59, 59, 1, N),  # new until 60 days after the first purchase
        (60, 60, 1, M),
        (59, 10, 4, N),
        (200, 89, 4, M),  # a frequent buyer is at risk from 90 days
        (200, 90, 4, R),
        (200, 90, 3, M),  # three orders are not frequent
        (200, 179, 3, M),
        (200, 180, 1, R),  # anybody is at risk from 180 days
        (400, 364, 0, R),
        (400, 365, 0, D),  # dormant after a year
        (700, 700, 0, D),
    ],
)
def test_lifecycle_stage_thresholds(
    first: int, last: int, orders_365: int, expected: LifecycleStage
) -> None:
    assert stage(first, last, orders_365) is expected


def test_prospects_never_bought_and_rules_can_be_overridden() -> None:
    assert lifecycle_stage(PurchaseSummary(), TODAY) is P
    summary = PurchaseSummary(ago(100), ago(100), 1, 0, 0, 1)
    assert lifecycle_stage(summary, TODAY) is M
    assert lifecycle_stage(summary, TODAY, LifecycleRules(new_days=120)) is N
    assert lifecycle_stage(summary, TODAY, LifecycleRules(at_risk_days=100)) is R


@pytest.mark.parametrize(
    ("spent_yuan", "orders", "expected"),
    [
        (0, 0, Tier.REGULAR),
        (2_999, 2, Tier.REGULAR),
        (3_000, 0, Tier.WAIST),
        (0, 3, Tier.WAIST),
        (9_999, 7, Tier.WAIST),
        (10_000, 1, Tier.HEAD),
        (100, 8, Tier.HEAD),
    ],
)
def test_tier_by_spend_or_orders_in_the_last_year(
    spent_yuan: int, orders: int, expected: Tier
) -> None:
    summary = PurchaseSummary(ago(10), ago(1), orders, spent_yuan * 100, 10**9, 99)
    assert tier_for(summary) is expected


def test_tier_rules_can_be_overridden() -> None:
    summary = PurchaseSummary(ago(10), ago(1), 2, 500_000, 500_000, 2)
    assert tier_for(summary) is Tier.WAIST
    assert tier_for(summary, TierRules(head_spent_cents=500_000)) is Tier.HEAD


@pytest.mark.parametrize(
    ("birthday", "today", "days"),
    [
        ("1990-11-22", date(2026, 11, 22), 0),
        ("1990-11-23", date(2026, 11, 22), 1),
        ("1990-11-21", date(2026, 11, 22), 364),
        ("1990-01-01", date(2026, 12, 31), 1),
        ("1992-02-29", date(2027, 2, 28), 0),  # celebrated 28 Feb in common years
        ("1992-02-29", date(2027, 3, 1), 365),  # next: 29 Feb 2028
        ("1992-02-29", date(2028, 2, 28), 1),
        ("1992-02-28", date(2028, 2, 29), 365),
        (None, TODAY, None),
        ("", TODAY, None),
        ("unknown", TODAY, None),
        ("1990-02-30", TODAY, None),
    ],
)
def test_days_until_birthday(birthday: str | None, today: date, days: int | None) -> None:
    assert days_until_birthday(birthday, today) == days


@pytest.mark.parametrize(
    ("birthday", "today", "window", "expected"),
    [
        ("1990-11-16", date(2026, 11, 22), "week", True),  # Monday of Sunday's week
        ("1990-11-15", date(2026, 11, 22), "week", False),
        ("1990-11-23", date(2026, 11, 22), "week", False),
        ("1990-01-02", date(2026, 12, 31), "week", True),  # week of 28 Dec – 3 Jan
        ("1990-12-28", date(2027, 1, 1), "week", True),
        ("1990-01-04", date(2026, 12, 31), "week", False),
        ("1990-12-27", date(2026, 12, 31), "week", False),
        ("1992-02-29", date(2027, 2, 26), "week", True),  # 22–28 Feb 2027
        ("1992-02-29", date(2027, 3, 1), "week", False),
        ("1992-02-29", date(2028, 3, 1), "week", True),  # 28 Feb – 5 Mar 2028
        ("1990-11-01", date(2026, 11, 22), "month", True),
        ("1990-11-30", date(2026, 11, 1), "month", True),
        ("1990-12-01", date(2026, 11, 30), "month", False),
        ("1992-02-29", date(2027, 2, 1), "month", True),
        ("1992-02-29", date(2027, 3, 1), "month", False),
        (None, TODAY, "month", False),
    ],
)
def test_birthday_in_window(birthday: str | None, today: date, window: str, expected: bool) -> None:
    assert birthday_in_window(birthday, today, window) is expected  # type: ignore[arg-type]


def test_unknown_birthday_window_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown birthday window"):
        birthday_in_window("1990-01-01", TODAY, "year")  # type: ignore[arg-type]


def test_days_since_and_not_contacted_for() -> None:
    assert days_since(None, TODAY) is None
    assert days_since(ago(3), TODAY) == 3
    assert days_since(f"{ago(30)}T23:59:59Z", TODAY) == 30
    assert not_contacted_for(None, TODAY, 30)  # never contacted
    assert not not_contacted_for(f"{ago(30)}T09:00:00Z", TODAY, 30)
    assert not_contacted_for(f"{ago(31)}T09:00:00Z", TODAY, 30)


def test_recency_is_the_latest_activity() -> None:
    assert recency(None, None, None) == ""
    assert recency("2026-01-01T10:00:00Z", None, "2025-05-05") == "2026-01-01T10:00:00Z"
    assert recency("2026-01-01T10:00:00Z", "2026-03-01T08:00:00Z", None) == "2026-03-01T08:00:00Z"
    assert recency(None, None, "2024-01-01") == "2024-01-01"
