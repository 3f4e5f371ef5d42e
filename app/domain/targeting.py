"""Who a campaign task reaches: the target rule of an HQ task file, once, for both sides.

HQ resolves a task's targets with :func:`selects` when it publishes a task and again when
a customer changes owner; the terminal may use the same function to explain why a
customer is on a list. There is no SQL copy of the rule: HQ may narrow the candidates in
SQL only by conditions whose SQL form is a superset of this one (store, guide, tier, a
tag appearing in the JSON text), then every candidate goes through :func:`selects`.

How a rule combines (WeCom's convention):

- every condition given must hold; an empty list or a missing key is no condition;
- tags inside one group combine with OR, groups with AND
  (``[["VIP", "新品控"], ["亲子"]]`` = (VIP or 新品控) and 亲子);
- ``stages`` are lifecycle stages from the customer's purchases on the store's today
  (:func:`app.domain.lifecycle.lifecycle_stage`); ``tiers`` the member's tier as HQ holds
  it (the column the terminal filters by);
- ``birthday_within_days`` N: the next birthday is 0…N days away (today included; 29 Feb
  is celebrated on 28 Feb in common years; the window runs over New Year);
- ``days_since_purchase`` {min, max}: whole days since the last purchase, both bounds
  inclusive, either may be left out; who never bought has no such days and is not selected;
- explicit ``customers`` are added to what the conditions select. A rule with customers
  and no condition selects just those customers; a rule with neither is refused (to reach
  every member of the brand, list the stores).

"Today" is the store's local date (``app.domain.clock.store_today``), passed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.domain.customers import LifecycleStage, Tier
from app.domain.lifecycle import (
    PurchaseSummary,
    days_since,
    days_until_birthday,
    lifecycle_stage,
)

MAX_BIRTHDAY_DAYS = 366
MAX_DAYS_SINCE = 100 * 366
MAX_IDS = 100_000  # explicit customers in one file
MAX_ID_LEN = 128
MAX_TAG_LEN = 40
_KEYS = (
    "stores",
    "guides",
    "stages",
    "tiers",
    "tag_groups",
    "birthday_within_days",
    "days_since_purchase",
    "customers",
)


class TargetRuleError(ValueError):
    """A targets object HQ cannot publish; names the field (``targets.tag_groups[1]``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TargetRule:
    """A parsed ``targets`` object. Tuples keep the file's order (for :meth:`as_dict`)."""

    stores: tuple[str, ...] = ()
    guides: tuple[str, ...] = ()
    stages: tuple[LifecycleStage, ...] = ()
    tiers: tuple[Tier, ...] = ()
    tag_groups: tuple[tuple[str, ...], ...] = ()
    birthday_within_days: int | None = None
    min_days_since_purchase: int | None = None
    max_days_since_purchase: int | None = None
    customers: tuple[str, ...] = ()

    @property
    def has_conditions(self) -> bool:
        """Whether anything but explicit customers is given."""
        return bool(
            self.stores
            or self.guides
            or self.stages
            or self.tiers
            or self.tag_groups
            or self.birthday_within_days is not None
            or self.min_days_since_purchase is not None
            or self.max_days_since_purchase is not None
        )

    @property
    def needs_purchases(self) -> bool:
        """Whether :func:`selects` needs the customer's purchase summary."""
        return bool(
            self.stages
            or self.min_days_since_purchase is not None
            or self.max_days_since_purchase is not None
        )

    def without_purchases(self) -> TargetRule:
        """The rule minus its purchase conditions: :func:`conditions_hold` on it holds for
        a superset (conditions AND), so HQ sorts out most customers before it loads
        anybody's purchases. (Not :func:`selects`: a rule of purchase conditions alone
        has no condition left, and selects nobody.)"""
        return dataclasses.replace(
            self, stages=(), min_days_since_purchase=None, max_days_since_purchase=None
        )

    def as_dict(self) -> dict[str, Any]:
        """The targets object, every key present (what a task's ``target_rule`` holds)."""
        bounds = None
        if self.min_days_since_purchase is not None or self.max_days_since_purchase is not None:
            bounds = {"min": self.min_days_since_purchase, "max": self.max_days_since_purchase}
        return {
            "stores": list(self.stores),
            "guides": list(self.guides),
            "stages": [s.value for s in self.stages],
            "tiers": [t.value for t in self.tiers],
            "tag_groups": [list(g) for g in self.tag_groups],
            "birthday_within_days": self.birthday_within_days,
            "days_since_purchase": bounds,
            "customers": list(self.customers),
        }


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What a rule looks at about one customer. ``purchases`` None means not loaded: only
    a rule that does not :attr:`~TargetRule.needs_purchases` may be applied then."""

    customer_id: str
    store_id: str
    guide_id: str | None
    tier: str = Tier.REGULAR.value
    tags: frozenset[str] = frozenset()
    birthday: str | None = None
    purchases: PurchaseSummary | None = None


def selects(rule: TargetRule, facts: CustomerFacts, today: date) -> bool:
    """Whether the rule selects this customer on ``today`` (the store's local date):
    an explicit customer, or every condition holds (a rule of customers alone selects
    just them)."""
    if facts.customer_id in rule.customers:
        return True
    return rule.has_conditions and conditions_hold(rule, facts, today)


def conditions_hold(rule: TargetRule, facts: CustomerFacts, today: date) -> bool:
    """Whether every condition of the rule holds for this customer (explicit customers
    aside; True for a rule without conditions). With :meth:`TargetRule.without_purchases`
    it is the prefilter that needs no purchases."""
    if rule.stores and facts.store_id not in rule.stores:
        return False
    if rule.guides and facts.guide_id not in rule.guides:
        return False
    if rule.tiers and facts.tier not in rule.tiers:
        return False
    for group in rule.tag_groups:
        if facts.tags.isdisjoint(group):
            return False
    if rule.birthday_within_days is not None:
        days = days_until_birthday(facts.birthday, today)
        if days is None or days > rule.birthday_within_days:
            return False
    if not rule.needs_purchases:
        return True
    if facts.purchases is None:
        raise ValueError("this rule needs the customer's purchases (CustomerFacts.purchases)")
    if rule.stages and lifecycle_stage(facts.purchases, today) not in rule.stages:
        return False
    if rule.min_days_since_purchase is not None or rule.max_days_since_purchase is not None:
        idle = days_since(facts.purchases.last_purchase_on, today)
        if idle is None:
            return False
        if rule.min_days_since_purchase is not None and idle < rule.min_days_since_purchase:
            return False
        if rule.max_days_since_purchase is not None and idle > rule.max_days_since_purchase:
            return False
    return True


# -- parsing a task file's targets object ---------------------------------------------------


def parse_targets(raw: Any, *, field: str = "targets") -> TargetRule:
    """The rule of a task file's ``targets`` object; TargetRuleError names what is wrong."""
    if not isinstance(raw, Mapping):
        raise TargetRuleError(field, "must be an object")
    for key in raw:
        if key not in _KEYS:
            raise TargetRuleError(
                f"{field}.{key}", f"unknown condition (known: {', '.join(_KEYS)})"
            )
    rule = TargetRule(
        stores=_ids(raw.get("stores"), f"{field}.stores", 64),
        guides=_ids(raw.get("guides"), f"{field}.guides", 64),
        stages=tuple(
            LifecycleStage(v)
            for v in _choices(raw.get("stages"), f"{field}.stages", LifecycleStage)
        ),
        tiers=tuple(Tier(v) for v in _choices(raw.get("tiers"), f"{field}.tiers", Tier)),
        tag_groups=_tag_groups(raw.get("tag_groups"), f"{field}.tag_groups"),
        birthday_within_days=_days(
            raw.get("birthday_within_days"), f"{field}.birthday_within_days", MAX_BIRTHDAY_DAYS
        ),
        customers=_ids(raw.get("customers"), f"{field}.customers", MAX_ID_LEN, MAX_IDS),
    )
    low, high = _bounds(raw.get("days_since_purchase"), f"{field}.days_since_purchase")
    rule = dataclasses.replace(rule, min_days_since_purchase=low, max_days_since_purchase=high)
    if not rule.has_conditions and not rule.customers:
        raise TargetRuleError(
            field,
            "selects nobody: give at least one condition or customer"
            " (to reach every member, list the stores)",
        )
    return rule


def _list(value: Any, field: str, limit: int) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TargetRuleError(field, "must be a list")
    if len(value) > limit:
        raise TargetRuleError(field, f"has more than {limit:,} entries")
    return value


def _text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TargetRuleError(field, "must be a non-empty text")
    if len(value) > max_len:
        raise TargetRuleError(field, f"is longer than {max_len} characters")
    if not value.isprintable():
        raise TargetRuleError(field, "holds a control character")
    return value.strip()


def _ids(value: Any, field: str, max_len: int, limit: int = 10_000) -> tuple[str, ...]:
    items = _list(value, field, limit)
    found = [_text(v, f"{field}[{n}]", max_len) for n, v in enumerate(items)]
    for n, v in enumerate(found):
        if ":" in v:
            raise TargetRuleError(f"{field}[{n}]", "may not contain ':'")
    return tuple(dict.fromkeys(found))


def _choices(value: Any, field: str, enum: Any) -> tuple[str, ...]:
    allowed = [e.value for e in enum]
    found = []
    for n, v in enumerate(_list(value, field, len(allowed) * 4)):
        if v not in allowed:
            raise TargetRuleError(
                f"{field}[{n}]", f"{v!r} is not one of {', '.join(map(repr, allowed))}"
            )
        found.append(v)
    return tuple(dict.fromkeys(found))


def _tag_groups(value: Any, field: str) -> tuple[tuple[str, ...], ...]:
    groups = []
    for n, group in enumerate(_list(value, field, 20)):
        where = f"{field}[{n}]"
        if not isinstance(group, list):
            raise TargetRuleError(where, "must be a list of tags (tags in a group combine with OR)")
        if not group:
            raise TargetRuleError(where, "is empty: a group needs at least one tag")
        if len(group) > 100:
            raise TargetRuleError(where, "has more than 100 tags")
        tags = [_text(t, f"{where}[{m}]", MAX_TAG_LEN) for m, t in enumerate(group)]
        groups.append(tuple(dict.fromkeys(tags)))
    return tuple(groups)


def _days(value: Any, field: str, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TargetRuleError(field, "must be a whole number of days")
    if not 0 <= value <= high:
        raise TargetRuleError(field, f"must be between 0 and {high}")
    return value


def _bounds(value: Any, field: str) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    if not isinstance(value, Mapping):
        raise TargetRuleError(field, 'must be an object {"min": days, "max": days}')
    for key in value:
        if key not in ("min", "max"):
            raise TargetRuleError(f"{field}.{key}", "unknown bound (use min and max)")
    low = _days(value.get("min"), f"{field}.min", MAX_DAYS_SINCE)
    high = _days(value.get("max"), f"{field}.max", MAX_DAYS_SINCE)
    if low is not None and high is not None and low > high:
        raise TargetRuleError(field, f"min ({low}) is greater than max ({high})")
    return low, high
