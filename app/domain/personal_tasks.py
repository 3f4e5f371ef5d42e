"""Personal tasks (个人任务): what the terminal asks a guide to do without HQ, offline.

Three rules, each over one customer, each for the store's ``today``:

* **follow-up due** (待跟进): the next follow-up date a guide set has come (or passed);
* **birthday** (生日关怀): the birthday falls within the next ``BIRTHDAY_DAYS`` (7) days,
  the day itself included (29 Feb is celebrated on 28 Feb in common years, as in
  ``lifecycle``);
* **new customer** (新客回访): day 3, 7 and 14 after the first purchase — the first two
  weeks decide whether a new customer buys again. A milestone stays on the list until
  the next one (day 14: for a week), so a guide who was off that day still sees it.

A personal task is done when the guide contacted the customer since it opened (any
follow-up counts: recording an outcome for a personal task logs one). That is why each
task has ``opens_on``: the day it appeared (the birthday's: a week before).

The store narrows the candidates with indexed SQL (``birthday_month_days`` gives it the
birthday keys); the rules themselves live only here.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from app.domain.clock import store_today
from app.domain.followups import followup_due
from app.domain.lifecycle import days_until_birthday

BIRTHDAY_DAYS = 7
NEW_CUSTOMER_DAYS = (3, 7, 14)
# How long the last milestone stays on the list when there is no next one.
LAST_MILESTONE_DAYS = 7


class PersonalKind(StrEnum):
    FOLLOW_UP = "follow_up"  # 待跟进
    BIRTHDAY = "birthday"  # 生日关怀
    NEW_CUSTOMER = "new_customer"  # 新客回访


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the rules read about one customer (one row of the store's candidate query)."""

    customer_id: str
    name: str = ""
    phone: str = ""
    birthday: str | None = None  # 'YYYY-MM-DD'
    next_followup_on: str | None = None  # 'YYYY-MM-DD', the store's date
    first_purchase_at: str | None = None  # ISO-8601 UTC
    last_contact_at: str | None = None  # ISO-8601 UTC


@dataclass(frozen=True, slots=True)
class PersonalTask:
    """One customer to contact today, and why."""

    kind: PersonalKind
    customer_id: str
    name: str
    phone: str
    opens_on: date  # the day it appeared on the list
    due_on: date  # the day it is for (overdue after it)
    day: int | None = None  # new customers: the milestone (3, 7 or 14)

    @property
    def key(self) -> str:
        """A stable name for the task (the same customer and day give the same key)."""
        return f"personal/{self.kind.value}/{self.customer_id}/{self.due_on.isoformat()}"

    def overdue(self, today: date) -> bool:
        return today > self.due_on


def _local_date(value: str | None, timezone: str | None) -> date | None:
    """The store's date of a stored time (a bare 'YYYY-MM-DD' is already a date)."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    try:
        return store_today(datetime.fromisoformat(value.replace("Z", "+00:00")), timezone)
    except ValueError:
        return None


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _contacted_since(c: Candidate, day: date, timezone: str | None) -> bool:
    contacted = _local_date(c.last_contact_at, timezone)
    return contacted is not None and contacted >= day


def follow_up_task(c: Candidate, today: date, timezone: str | None = None) -> PersonalTask | None:
    # What is due is app/domain/followups.py's rule (the book's mark and filter use it too).
    due = followup_due(
        c.next_followup_on, today, last_contact_at=c.last_contact_at, timezone=timezone
    )
    if due is None:
        return None
    return PersonalTask(PersonalKind.FOLLOW_UP, c.customer_id, c.name, c.phone, due.on, due.on)


def birthday_task(c: Candidate, today: date, timezone: str | None = None) -> PersonalTask | None:
    days = days_until_birthday(c.birthday, today)
    if days is None or days > BIRTHDAY_DAYS:
        return None
    due = today + timedelta(days=days)
    opens = due - timedelta(days=BIRTHDAY_DAYS)
    if _contacted_since(c, opens, timezone):
        return None
    return PersonalTask(PersonalKind.BIRTHDAY, c.customer_id, c.name, c.phone, opens, due)


def new_customer_task(
    c: Candidate, today: date, timezone: str | None = None
) -> PersonalTask | None:
    first = _local_date(c.first_purchase_at, timezone)
    if first is None:
        return None
    age = (today - first).days
    ends = (*NEW_CUSTOMER_DAYS[1:], NEW_CUSTOMER_DAYS[-1] + LAST_MILESTONE_DAYS)
    for milestone, until in zip(NEW_CUSTOMER_DAYS, ends, strict=True):
        if milestone <= age < until:
            due = first + timedelta(days=milestone)
            if _contacted_since(c, due, timezone):
                return None
            return PersonalTask(
                PersonalKind.NEW_CUSTOMER, c.customer_id, c.name, c.phone, due, due, milestone
            )
    return None


RULES = {
    PersonalKind.FOLLOW_UP: follow_up_task,
    PersonalKind.BIRTHDAY: birthday_task,
    PersonalKind.NEW_CUSTOMER: new_customer_task,
}


def personal_tasks(
    candidates: Iterable[Candidate], today: date, timezone: str | None = None
) -> list[PersonalTask]:
    """Every personal task of these customers on ``today``: by kind, then due date, name."""
    found = [
        task
        for c in candidates
        for rule in RULES.values()
        if (task := rule(c, today, timezone)) is not None
    ]
    order = list(PersonalKind)
    found = list({(t.kind, t.customer_id): t for t in found}.values())  # a customer once per kind
    return sorted(found, key=lambda t: (order.index(t.kind), t.due_on, t.name, t.customer_id))


def birthday_month_days(today: date, days: int = BIRTHDAY_DAYS) -> list[str]:
    """'MM-DD' keys of every birthday that can fall within ``days`` days of ``today``: what
    the store looks up by index before ``birthday_task`` decides (29 Feb included in a
    common year when 28 Feb is in range)."""
    keys = [(today + timedelta(days=i)).strftime("%m-%d") for i in range(days + 1)]
    years = {(today + timedelta(days=i)).year for i in range(days + 1)}
    if "02-28" in keys and "02-29" not in keys and not all(calendar.isleap(y) for y in years):
        keys.append("02-29")
    return keys


def first_purchase_window(today: date) -> tuple[date, date]:
    """The first-purchase dates that can give a new-customer task today, a day wider on
    each side so a UTC time near midnight is not lost before the rule reads it."""
    longest = NEW_CUSTOMER_DAYS[-1] + LAST_MILESTONE_DAYS
    return today - timedelta(days=longest + 1), today - timedelta(days=NEW_CUSTOMER_DAYS[0] - 1)
