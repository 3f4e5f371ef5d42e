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


@pytest.mark.parametrize(
    ("contact", "timezone", "due"),
    [
        ("2026-11-15T03:00:00Z", "Asia/Shanghai", True),  # contacted before the date
        ("2026-11-19T03:00:00Z", "Asia/Shanghai", False),  # on the day: followed up
        ("2026-11-18T16:30:00Z", "Asia/Shanghai", False),  # 00:30 on the 19th there
        ("2026-11-18T15:30:00Z", "Asia/Shanghai", True),  # 23:30 on the 18th there
        ("2026-11-19T03:00:00Z", "America/New_York", True),  # 22:00 on the 18th there
        ("2026-11-19", "Asia/Shanghai", False),  # a bare date is the store's day
        ("garbage", "Asia/Shanghai", True),
    ],
)
def test_a_contact_on_or_after_the_date_settles_it(contact, timezone, due) -> None:
    found = followup_due("2026-11-19", TODAY, last_contact_at=contact, timezone=timezone)
    assert (found is not None) == due


def test_the_today_pages_follow_up_task_uses_the_same_rule() -> None:
    from app.domain.personal_tasks import Candidate, follow_up_task

    def candidate(contact: str | None) -> Candidate:
        return Candidate("C1", "张三", "13800000000", next_followup_on="2026-11-19",
                         last_contact_at=contact)  # fmt: skip

    for contact in (None, "2026-11-15T03:00:00Z", "2026-11-19T03:00:00Z", "2026-11-18T16:30:00Z"):
        rule = followup_due("2026-11-19", TODAY, last_contact_at=contact, timezone="Asia/Shanghai")
        task = follow_up_task(candidate(contact), TODAY, "Asia/Shanghai")
        assert (task is None) == (rule is None)
        if task is not None and rule is not None:
            assert task.due_on == rule.on
