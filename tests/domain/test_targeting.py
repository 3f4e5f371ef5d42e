"""Target rules of HQ task files (app/domain/targeting.py), table-driven."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.clock import store_today
from app.domain.lifecycle import PurchaseSummary
from app.domain.targeting import (
    CustomerFacts,
    TargetRule,
    TargetRuleError,
    conditions_hold,
    parse_targets,
    selects,
)

ISSUE_EXAMPLE = {
    "stores": ["S001"],
    "guides": [],
    "stages": [],
    "tiers": [],
    "tag_groups": [["VIP", "新品控"], ["亲子"]],
    "birthday_within_days": 30,
    "days_since_purchase": {"min": 90, "max": 180},
    "customers": [],
}


def facts(**kw) -> CustomerFacts:
    base = {"customer_id": "C1", "store_id": "S001", "guide_id": "G001"}
    if "tags" in kw:
        kw["tags"] = frozenset(kw["tags"])
    return CustomerFacts(**(base | kw))


def bought(last: str, first: str | None = None, orders_365: int = 1) -> PurchaseSummary:
    return PurchaseSummary(
        first_purchase_on=first or last,
        last_purchase_on=last,
        orders_365=orders_365,
        orders_total=orders_365,
    )


# -- birthdays ------------------------------------------------------------------------------

BIRTHDAYS = [
    # (birthday, today, within, selected, why)
    ("1990-02-29", date(2027, 2, 21), 7, True, "29 Feb on 28 Feb in a common year: 7 days"),
    ("1990-02-29", date(2027, 2, 20), 7, False, "8 days to 28 Feb 2027"),
    ("1992-02-29", date(2028, 2, 22), 7, True, "a leap year: 29 Feb is 7 days away"),
    ("1992-02-29", date(2027, 3, 1), 7, False, "just past: next is 28 Feb 2028"),
    ("1990-02-28", date(2027, 2, 28), 0, True, "the day itself is 0 days away"),
    ("1990-01-03", date(2026, 12, 28), 7, True, "over New Year: 6 days"),
    ("1990-01-04", date(2026, 12, 28), 7, True, "over New Year: 7 days (inclusive)"),
    ("1990-01-05", date(2026, 12, 28), 7, False, "over New Year: 8 days"),
    ("1990-12-27", date(2026, 12, 28), 7, False, "yesterday: a year away"),
    (None, date(2026, 12, 28), 7, False, "no birthday known"),
]


@pytest.mark.parametrize(("birthday", "today", "within", "selected", "why"), BIRTHDAYS)
def test_birthday_window(birthday, today, within, selected, why) -> None:
    rule = TargetRule(birthday_within_days=within)
    assert selects(rule, facts(birthday=birthday), today) is selected, why


def test_the_store_s_today_decides_the_window_around_16_utc() -> None:
    # 16:30 UTC on 27 Dec is already 28 Dec in Shanghai: a 3 Jan birthday is 6 days away
    # there and 7 in UTC; with a 6-day window only the Shanghai store selects it.
    now = datetime(2026, 12, 27, 16, 30, tzinfo=UTC)
    rule = TargetRule(birthday_within_days=6)
    customer = facts(birthday="1990-01-03")
    shanghai, utc = store_today(now, "Asia/Shanghai"), store_today(now, "UTC")
    assert (shanghai, utc) == (date(2026, 12, 28), date(2026, 12, 27))
    assert selects(rule, customer, shanghai)
    assert not selects(rule, customer, utc)
    # Before 16:00 UTC both agree.
    assert store_today(datetime(2026, 12, 27, 15, 59, tzinfo=UTC), "Asia/Shanghai") == utc


def test_the_stage_uses_the_store_s_today_too() -> None:
    # New for 60 days after the first purchase: on the 60th Shanghai day it is mature.
    rule = TargetRule(stages=parse_targets({"stages": ["new"]}).stages)
    customer = facts(purchases=bought("2026-10-29"))
    now = datetime(2026, 12, 27, 16, 30, tzinfo=UTC)
    assert not selects(rule, customer, store_today(now, "Asia/Shanghai"))  # 60 days
    assert selects(rule, customer, store_today(now, "UTC"))  # 59 days


# -- tags, stores, guides, tiers, stages ---------------------------------------------------

TAGS = [
    (["VIP", "亲子"], True, "VIP from the first group, 亲子 from the second"),
    (["新品控", "亲子"], True, "the other tag of the first group"),
    (["VIP", "新品控"], False, "nothing from the second group"),
    (["亲子"], False, "nothing from the first group"),
    ([], False, "no tags"),
    (["vip", "亲子"], False, "tags match exactly (case included)"),
]


@pytest.mark.parametrize(("tags", "selected", "why"), TAGS)
def test_or_inside_a_tag_group_and_across_groups(tags, selected, why) -> None:
    rule = parse_targets({"tag_groups": [["VIP", "新品控"], ["亲子"]]})
    assert selects(rule, facts(tags=tags), date(2026, 12, 1)) is selected, why


CONDITIONS = [
    ({"stores": ["S001"]}, {}, True),
    ({"stores": ["S002"]}, {}, False),
    ({"guides": ["G001", "G009"]}, {}, True),
    ({"guides": ["G002"]}, {}, False),
    ({"guides": ["G002"]}, {"guide_id": None}, False),
    ({"tiers": ["head", "waist"]}, {"tier": "waist"}, True),
    ({"tiers": ["head"]}, {"tier": "regular"}, False),
    ({"stages": ["prospect"]}, {"purchases": PurchaseSummary()}, True),
    ({"stages": ["at_risk"]}, {"purchases": bought("2026-08-01", "2025-01-01", 5)}, True),
    ({"stages": ["at_risk"]}, {"purchases": bought("2026-08-01", "2025-01-01", 1)}, False),
    ({"stages": ["dormant", "mature"]}, {"purchases": bought("2025-06-01", "2024-01-01")}, True),
    # every condition given must hold
    ({"stores": ["S001"], "tiers": ["head"]}, {"tier": "head"}, True),
    ({"stores": ["S001"], "tiers": ["head"]}, {"tier": "waist"}, False),
]


@pytest.mark.parametrize(("targets", "fact", "selected"), CONDITIONS)
def test_every_condition_given_must_hold(targets, fact, selected) -> None:
    assert selects(parse_targets(targets), facts(**fact), date(2026, 12, 1)) is selected


SINCE = [
    # (days since the last purchase on 2026-12-01, {min, max}, selected)
    (89, {"min": 90, "max": 180}, False),
    (90, {"min": 90, "max": 180}, True),
    (180, {"min": 90, "max": 180}, True),
    (181, {"min": 90, "max": 180}, False),
    (5000, {"min": 90}, True),
    (0, {"max": 30}, True),
    (31, {"max": 30}, False),
    (None, {"min": 0}, False),  # never bought: no days since a purchase
]


@pytest.mark.parametrize(("days", "bounds", "selected"), SINCE)
def test_days_since_purchase_bounds_are_inclusive(days, bounds, selected) -> None:
    today = date(2026, 12, 1)
    summary = (
        PurchaseSummary()
        if days is None
        else bought(date.fromordinal(today.toordinal() - days).isoformat())
    )
    rule = parse_targets({"days_since_purchase": bounds})
    assert selects(rule, facts(purchases=summary), today) is selected


def test_explicit_customers_are_added_to_what_the_rule_selects() -> None:
    rule = parse_targets({"stores": ["S001"], "tiers": ["head"], "customers": ["C9"]})
    today = date(2026, 12, 1)
    assert selects(rule, facts(tier="head"), today)
    assert not selects(rule, facts(tier="regular"), today)
    # C9 is selected though they fail every condition (another store, regular tier).
    assert selects(rule, facts(customer_id="C9", store_id="S002"), today)
    only = parse_targets({"customers": ["C9"]})
    assert selects(only, facts(customer_id="C9"), today)
    assert not selects(only, facts(), today)  # customers alone select just them


def test_the_issue_example() -> None:
    rule = parse_targets(ISSUE_EXAMPLE)
    today = date(2026, 12, 1)
    good = facts(tags=["VIP", "亲子"], birthday="1990-12-20", purchases=bought("2026-07-01"))
    assert selects(rule, good, today)
    assert not selects(rule, facts(**{**_fields(good), "birthday": "1990-02-01"}), today)
    assert not selects(rule, facts(**{**_fields(good), "purchases": bought("2026-11-01")}), today)
    assert rule.as_dict() == ISSUE_EXAMPLE
    assert parse_targets(rule.as_dict()) == rule
    # The purchase-free prefilter holds for a superset, without purchases.
    assert conditions_hold(
        rule.without_purchases(), facts(**{**_fields(good), "purchases": None}), today
    )


def test_the_prefilter_of_a_rule_of_purchase_conditions_alone_lets_everyone_through() -> None:
    rule = parse_targets({"stages": ["at_risk"]})
    partial = rule.without_purchases()
    assert not partial.has_conditions
    assert conditions_hold(partial, facts(), date(2026, 12, 1))
    assert not selects(partial, facts(), date(2026, 12, 1))  # nothing given: nobody
    at_risk = facts(purchases=bought("2026-08-01", "2025-01-01", 5))
    assert selects(rule, at_risk, date(2026, 12, 1))


def _fields(f: CustomerFacts) -> dict:
    return {n: getattr(f, n) for n in f.__slots__}


def test_a_rule_needing_purchases_refuses_facts_without_them() -> None:
    with pytest.raises(ValueError, match="purchases"):
        selects(parse_targets({"stages": ["new"]}), facts(), date(2026, 12, 1))


# -- refusing a bad targets object --------------------------------------------------------

BAD = [
    ([], "targets", "must be an object"),
    ({}, "targets", "selects nobody"),
    ({"stores": [], "customers": []}, "targets", "selects nobody"),
    ({"store": ["S001"]}, "targets.store", "unknown condition"),
    ({"stores": "S001"}, "targets.stores", "must be a list"),
    ({"stores": ["S001", ""]}, "targets.stores[1]", "non-empty"),
    ({"guides": [7]}, "targets.guides[0]", "non-empty text"),
    ({"stages": ["asleep"]}, "targets.stages[0]", "'asleep' is not one of"),
    ({"tiers": ["gold"]}, "targets.tiers[0]", "is not one of"),
    ({"tag_groups": [["VIP"], []]}, "targets.tag_groups[1]", "is empty"),
    ({"tag_groups": [["VIP"], "亲子"]}, "targets.tag_groups[1]", "must be a list of tags"),
    ({"tag_groups": [["VIP", "x" * 41]]}, "targets.tag_groups[0][1]", "longer than 40"),
    ({"tag_groups": [["VI\nP"]]}, "targets.tag_groups[0][0]", "control character"),
    ({"birthday_within_days": "30"}, "targets.birthday_within_days", "whole number"),
    ({"birthday_within_days": True}, "targets.birthday_within_days", "whole number"),
    ({"birthday_within_days": 400}, "targets.birthday_within_days", "between 0 and 366"),
    ({"days_since_purchase": 90}, "targets.days_since_purchase", "must be an object"),
    ({"days_since_purchase": {"min": 9, "max": 1}}, "targets.days_since_purchase", "greater"),
    ({"days_since_purchase": {"min": -1}}, "targets.days_since_purchase.min", "between"),
    ({"days_since_purchase": {"from": 1}}, "targets.days_since_purchase.from", "unknown"),
    ({"customers": ["C:1"]}, "targets.customers[0]", "':'"),
]


@pytest.mark.parametrize(("raw", "field", "reason"), BAD)
def test_a_bad_targets_object_names_the_field_and_the_reason(raw, field, reason) -> None:
    with pytest.raises(TargetRuleError) as caught:
        parse_targets(raw)
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{field}: ")
