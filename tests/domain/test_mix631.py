"""The 631 mix rule: percentages against 60/30/10 and one deterministic advice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.content import Category631
from app.domain.mix631 import Advice, mix, window


def test_no_shares_asks_for_a_first_brand_piece() -> None:
    m = mix({})
    assert m.advice is Advice.NO_SHARES and m.total == 0
    assert all(v == 0 for v in m.percent.values())


@pytest.mark.parametrize(
    ("counts", "advice"),
    [
        ({"brand": 6, "service": 3, "selling": 1}, Advice.HEALTHY),
        ({"brand": 13, "service": 5, "selling": 2}, Advice.HEALTHY),  # 65/25/10
        ({"brand": 5, "service": 3, "selling": 2}, Advice.SELLING_OVER),  # 50/30/20
        ({"brand": 7, "service": 1, "selling": 2}, Advice.SERVICE_UNDER),  # 70/10/20
        ({"brand": 9, "service": 1, "selling": 0}, Advice.BRAND_OVER),  # 90/10/0
        ({"brand": 1}, Advice.BRAND_OVER),  # 100/0/0: brand furthest off
        ({"brand": 2, "service": 6, "selling": 2}, Advice.BRAND_UNDER),  # 20/60/20
        ({"brand": 5, "service": 5, "selling": 0}, Advice.SERVICE_OVER),  # 50/50/0
        ({"brand": 7, "service": 3, "selling": 0}, Advice.SELLING_UNDER),  # 70/30/0
        ({"selling": 3}, Advice.SELLING_OVER),
        ({"service": 1}, Advice.SERVICE_OVER),
    ],
)
def test_the_category_furthest_off_names_the_advice(counts, advice) -> None:
    assert mix(counts).advice is advice


def test_percentages_and_unknown_categories() -> None:
    m = mix({"brand": 1, "service": 1, "selling": 2, "other": 50})
    assert m.total == 4
    assert m.percent == {
        Category631.BRAND: 25.0,
        Category631.SERVICE: 25.0,
        Category631.SELLING: 50.0,
    }
    assert m.advice is Advice.SELLING_OVER  # 40 points over a tolerance of 5


def test_the_advice_is_deterministic_on_ties() -> None:
    # brand 45 (-15) and service 45 (+15) are equally far off: service comes first.
    assert mix({"brand": 9, "service": 9, "selling": 2}).advice is Advice.SERVICE_OVER
    # 70/30/0: brand +10 and selling -10: selling first.
    assert mix({"brand": 7, "service": 3}).advice is Advice.SELLING_UNDER


def test_window_is_the_last_30_days() -> None:
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert window(now) == (now - timedelta(days=30), now)
