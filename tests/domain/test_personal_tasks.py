"""Personal tasks: follow-ups due, birthdays within 7 days, new customers on day 3 / 7 / 14."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.personal_tasks import (
    Candidate,
    PersonalKind,
    birthday_month_days,
    birthday_task,
    follow_up_task,
    new_customer_task,
    personal_tasks,
)


@pytest.mark.parametrize(
    ("birthday", "today", "due", "contacted"),
    [
        ("1990-11-22", date(2026, 11, 22), date(2026, 11, 22), None),  # the day itself
        ("1990-11-29", date(2026, 11, 22), date(2026, 11, 29), None),  # 7 days ahead
        ("1990-11-30", date(2026, 11, 22), None, None),  # 8 days: not yet
        ("1990-11-21", date(2026, 11, 22), None, None),  # yesterday: next year's is far
        # the year boundary: a 2 January birthday seen on 28 December
        ("1985-01-02", date(2026, 12, 28), date(2027, 1, 2), None),
        ("1985-12-31", date(2026, 12, 31), date(2026, 12, 31), None),
        # 29 February: on 28 Feb in common years, on 29 Feb in leap years
        ("2000-02-29", date(2027, 2, 21), date(2027, 2, 28), None),
        ("2000-02-29", date(2027, 2, 20), None, None),
        ("2000-02-29", date(2028, 2, 22), date(2028, 2, 29), None),
        ("2000-02-29", date(2028, 2, 21), None, None),
        ("2000-02-28", date(2028, 2, 21), date(2028, 2, 28), None),
        # contacted within the week before: done; before that: still to do
        ("1990-11-25", date(2026, 11, 22), None, "2026-11-19T02:00:00Z"),
        ("1990-11-25", date(2026, 11, 22), date(2026, 11, 25), "2026-11-17T02:00:00Z"),
        # 2026-11-17T16:30Z is already 11-18 in Shanghai: the week had opened
        ("1990-11-25", date(2026, 11, 22), None, "2026-11-17T16:30:00Z"),
        (None, date(2026, 11, 22), None, None),
        ("1990-02-30", date(2026, 2, 25), None, None),  # a malformed CRM value
    ],
)
def test_birthday_within_7_days(birthday, today, due, contacted) -> None:
    task = birthday_task(Candidate("C1", birthday=birthday, last_contact_at=contacted), today)
    assert (task.due_on if task else None) == due
    if task:
        assert task.kind is PersonalKind.BIRTHDAY and (task.due_on - task.opens_on).days == 7


@pytest.mark.parametrize(
    ("first_purchase", "today", "day"),
    [
        ("2026-11-19T03:00:00Z", date(2026, 11, 21), None),  # day 2
        ("2026-11-19T03:00:00Z", date(2026, 11, 22), 3),
        ("2026-11-19T03:00:00Z", date(2026, 11, 25), 3),  # day 6: still the day-3 call
        ("2026-11-19T03:00:00Z", date(2026, 11, 26), 7),
        ("2026-11-19T03:00:00Z", date(2026, 12, 3), 14),
        ("2026-11-19T03:00:00Z", date(2026, 12, 9), 14),  # day 20
        ("2026-11-19T03:00:00Z", date(2026, 12, 10), None),  # day 21: the two weeks are over
        # the year boundary, and a UTC evening that is the next morning in Shanghai
        ("2026-12-28T17:00:00Z", date(2027, 1, 1), 3),
        ("2026-12-28T15:00:00Z", date(2026, 12, 31), 3),  # 12-28 23:00 local: day 3
        ("2026-12-28T17:00:00Z", date(2026, 12, 31), None),  # 12-29 local: day 2
        (None, date(2026, 11, 22), None),
    ],
)
def test_new_customer_on_day_3_7_14(first_purchase, today, day) -> None:
    task = new_customer_task(Candidate("C1", first_purchase_at=first_purchase), today)
    assert (task.day if task else None) == day


def test_new_customer_contacted_since_the_milestone_is_done() -> None:
    c = Candidate("C1", first_purchase_at="2026-11-19T03:00:00Z")
    today = date(2026, 11, 27)  # day 8: the day-7 call is due since 11-26
    assert new_customer_task(c, today) is not None
    called = Candidate(
        "C1", first_purchase_at=c.first_purchase_at, last_contact_at="2026-11-26T05:00:00Z"
    )
    assert new_customer_task(called, today) is None
    earlier = Candidate(
        "C1", first_purchase_at=c.first_purchase_at, last_contact_at="2026-11-23T05:00:00Z"
    )
    assert new_customer_task(earlier, today) is not None


@pytest.mark.parametrize(
    ("next_on", "contacted", "today", "due", "overdue"),
    [
        ("2026-11-22", None, date(2026, 11, 22), date(2026, 11, 22), False),
        ("2026-11-20", "2026-11-10T02:00:00Z", date(2026, 11, 22), date(2026, 11, 20), True),
        ("2026-11-23", None, date(2026, 11, 22), None, False),  # not yet
        ("2026-11-20", "2026-11-21T02:00:00Z", date(2026, 11, 22), None, False),  # done
        (None, None, date(2026, 11, 22), None, False),
    ],
)
def test_follow_up_due_or_past(next_on, contacted, today, due, overdue) -> None:
    task = follow_up_task(
        Candidate("C1", next_followup_on=next_on, last_contact_at=contacted), today
    )
    assert (task.due_on if task else None) == due
    assert (task.overdue(today) if task else False) is overdue


def test_personal_tasks_orders_by_kind_and_keeps_one_per_customer_and_kind() -> None:
    today = date(2026, 11, 22)
    both = Candidate("C1", "张三", birthday="1990-11-24", next_followup_on="2026-11-21")
    tasks = personal_tasks([both, both, Candidate("C2", "李四", birthday="1990-11-23")], today)
    assert [(t.kind, t.customer_id) for t in tasks] == [
        (PersonalKind.FOLLOW_UP, "C1"),
        (PersonalKind.BIRTHDAY, "C2"),
        (PersonalKind.BIRTHDAY, "C1"),
    ]
    assert tasks[0].key == "personal/follow_up/C1/2026-11-21"


@pytest.mark.parametrize(
    ("today", "has_29"),
    [
        (date(2027, 2, 21), True),  # common year: 29 Feb is kept on 28 Feb
        (date(2028, 2, 22), True),  # leap year: the 29th is a day of the window
        (date(2028, 2, 21), False),  # leap year: the 29th is 8 days away
        (date(2027, 1, 10), False),
    ],
)
def test_birthday_keys_cover_every_rule_hit(today: date, has_29: bool) -> None:
    keys = birthday_month_days(today)
    assert ("02-29" in keys) is has_29
    # every birthday the rule selects has its key in the list (the SQL narrows, never drops)
    for month in range(1, 13):
        for day in range(1, 32):
            try:
                date(2000, month, day)
            except ValueError:
                continue
            birthday = f"1990-{month:02d}-{day:02d}"
            if birthday_task(Candidate("C", birthday=birthday), today):
                assert birthday[5:] in keys, birthday
