"""What is due (待跟进): the one rule the list, the profile and the filter share."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.clock import store_today
from app.domain.followups import Due, due_cutoff, followup_due

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("next_on", "expected"),
    [
        (None, None),
        ("", None),
        ("not a date", None),
        ("2026-11-23", None),  # still to come
        ("2026-11-22", Due(date(2026, 11, 22), 0)),  # due today
        ("2026-11-19", Due(date(2026, 11, 19), 3)),  # 跟进已逾期 3 天
        ("2025-11-22", Due(date(2025, 11, 22), 365)),
        (date(2026, 11, 21), Due(date(2026, 11, 21), 1)),
    ],
)
def test_due_or_overdue(next_on, expected) -> None:
    assert followup_due(next_on, TODAY) == expected


def test_the_filter_cutoff_agrees_with_the_rule() -> None:
    cutoff = due_cutoff(TODAY)
    assert followup_due(cutoff, TODAY) is not None
    assert followup_due(date.fromordinal(cutoff.toordinal() + 1), TODAY) is None


def test_the_store_today_decides_not_utc() -> None:
    # 16:30 UTC on the 21st is already the 22nd in Shanghai: a date of the 22nd is due.
    now = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    assert followup_due("2026-11-22", store_today(now, "Asia/Shanghai")) == Due(
        date(2026, 11, 22), 0
    )
    assert followup_due("2026-11-22", store_today(now, "Europe/Paris")) is None
