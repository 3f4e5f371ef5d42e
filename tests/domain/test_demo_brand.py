"""The demo brand: deterministic, consistent with the rules, realistic enough to demo."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import islice
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.customers import Customer, LifecycleStage, Purchase, Tier
from app.domain.demo_brand import DEMO_PIN, DemoBrand, generate_brand, person_name
from app.domain.lifecycle import lifecycle_stage, summarize, tier_for
from app.domain.pin import pin_problem
from app.domain.search_keys import SURNAMES, customer_search_keys, name_pinyin_parts, query_terms

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def brand() -> DemoBrand:
    return generate_brand(2_000, today=TODAY)


@pytest.fixture(scope="module")
def customers(brand: DemoBrand) -> list[Customer]:
    return list(brand.iter_customers())


@pytest.fixture(scope="module")
def purchases(brand: DemoBrand) -> list[Purchase]:
    return list(brand.iter_purchases())


def test_same_seed_same_brand() -> None:
    first, second = generate_brand(300, today=TODAY), generate_brand(300, today=TODAY)
    assert (first.stores, first.guides, first.products) == (
        second.stores,
        second.guides,
        second.products,
    )
    assert list(islice(first.iter_customers(), 100)) == list(islice(second.iter_customers(), 100))
    assert list(islice(first.iter_purchases(), 100)) == list(islice(second.iter_purchases(), 100))
    assert list(first.iter_customers()) == list(first.iter_customers())  # iterating twice
    other = generate_brand(300, seed=7, today=TODAY)
    assert list(islice(other.iter_customers(), 10)) != list(islice(first.iter_customers(), 10))


def test_stores_guides_and_products(brand: DemoBrand) -> None:
    assert [s.id for s in brand.stores] == ["S001", "S002"]
    assert all(s.name.endswith("店") and s.city for s in brand.stores)
    assert [g.id for g in brand.guides] == [f"G{n:03d}" for n in range(1, len(brand.guides) + 1)]
    teams = defaultdict(list)
    for guide in brand.guides:
        teams[guide.store_id].append(guide)
        assert guide.pin == DEMO_PIN == "246810"
        assert pin_problem(guide.pin) is None  # signs in without a forced change
    for team in teams.values():
        assert 4 <= len(team) <= 8
        assert [g.is_manager for g in team] == [True] + [False] * (len(team) - 1)
    assert 150 <= len(brand.products) <= 250
    assert len({p.sku for p in brand.products}) == len(brand.products)
    assert all(p.name and p.category and p.color and p.price_cents > 0 for p in brand.products)


@pytest.mark.parametrize(("size", "stores"), [(100, 2), (5_000, 2), (12_600, 5), (200_000, 80)])
def test_about_one_store_per_2500_customers(size: int, stores: int) -> None:
    brand = generate_brand(size, today=TODAY)
    assert len(brand.stores) == stores
    assert len({s.name for s in brand.stores}) == stores


def test_customers_look_real(brand: DemoBrand, customers: list[Customer]) -> None:
    assert [c.id for c in customers[:2]] == ["C0000001", "C0000002"]
    assert len({c.id for c in customers}) == len(customers) == 2_000
    assert len({c.phone for c in customers}) == len(customers)
    assert all(re.fullmatch(r"1[3-9][0-9]{9}", c.phone) for c in customers)
    genders = Counter(c.gender for c in customers)
    assert genders["F"] > 0.8 * len(customers) and genders["M"] > 0
    guides = {g.id: g.store_id for g in brand.guides}
    for c in customers:
        assert guides[c.guide_id or ""] == c.store_id
        assert len(c.tags) <= 4 and len(set(c.tags)) == len(c.tags)
        assert set(c.sizes) == {"top", "bottom", "shoe"}
        assert c.preferences and c.name
        assert (
            c.joined_at
            and TODAY - timedelta(days=3 * 366) <= date.fromisoformat(c.joined_at[:10]) <= TODAY
        )
        assert c.birthday is None or date.fromisoformat(c.birthday) < TODAY
    surnames = Counter(c.name[0] for c in customers)
    assert {s for s, _ in surnames.most_common(3)} == {"王", "李", "张"}  # as in the census


def test_purchases_are_consistent(
    brand: DemoBrand, customers: list[Customer], purchases: list[Purchase]
) -> None:
    prices = {p.sku: p.price_cents for p in brand.products}
    guides = {g.id: g.store_id for g in brand.guides}
    owners = {c.id: c for c in customers}
    assert len({p.id for p in purchases}) == len(purchases)
    assert 8 <= len(purchases) / len(customers) <= 12  # about ten per customer
    for p in purchases:
        assert 1 <= len(p.items) <= 4
        assert p.amount_cents == sum(i.price_cents * i.qty for i in p.items if i.price_cents)
        assert all(i.sku in prices and 0 < (i.price_cents or 0) <= prices[i.sku] for i in p.items)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p.paid_at)
        assert TODAY - timedelta(days=730) <= date.fromisoformat(p.paid_at[:10]) <= TODAY
        assert p.store_id == owners[p.customer_id].store_id
        assert p.guide_id is None or guides[p.guide_id] == p.store_id


def test_tier_points_and_stages_follow_the_purchases(
    customers: list[Customer], purchases: list[Purchase]
) -> None:
    by_customer = defaultdict(list)
    for p in purchases:
        by_customer[p.customer_id].append(p)
    stages = Counter()
    for c in customers:
        summary = summarize(by_customer[c.id], TODAY)
        assert c.tier is tier_for(summary)
        assert c.points == summary.total_spent_cents // 100
        stages[lifecycle_stage(summary, TODAY)] += 1
    assert set(stages) == set(LifecycleStage)
    assert 0.05 < stages[LifecycleStage.PROSPECT] / len(customers) < 0.15
    assert set(Counter(c.tier for c in customers)) == set(Tier)
    assert max(len(v) for v in by_customer.values()) >= 40  # heavy buyers


def test_names_include_the_hard_cases() -> None:
    rng = Random(1)
    names = [person_name(rng, female=True) for _ in range(20_000)]
    compound = {s for s in SURNAMES if len(s) == 2}
    assert any("·" in n for n in names)
    assert any(n[:2] in compound for n in names)
    assert any(n[0] in "单解仇区朴查" for n in names)
    assert any(ord(ch) > 0xFFFF or 0x3400 <= ord(ch) <= 0x4DBF for n in names for ch in n)


@settings(deadline=None, max_examples=20)
@given(seed=st.integers(min_value=0, max_value=2**31))
def test_every_generated_customer_is_found_by_pinyin_initials_and_phone_tail(seed: int) -> None:
    for c in generate_brand(50, seed=seed, today=TODAY).iter_customers():
        keys = customer_search_keys(c.name, c.phone)
        full, initials = name_pinyin_parts(c.name)
        for typed in (full, initials, full[:3], c.name, c.phone[-4:]):
            assert all(f" {term}" in keys for term in query_terms(typed)), (c.name, typed)


def test_followups_are_recent_plausible_and_stable(
    brand: DemoBrand, customers: list[Customer]
) -> None:
    followups = list(brand.iter_followups())
    assert followups == list(generate_brand(2_000, today=TODAY).iter_followups())
    by_id = {c.id: c for c in customers}
    with_followups = {f.customer_id for f in followups}
    assert 0.4 < len(with_followups) / len(customers) < 0.6
    assert len({f.id for f in followups}) == len(followups)
    guides = {g.id: g.store_id for g in brand.guides}
    for f in followups:
        customer = by_id[f.customer_id]
        day = date.fromisoformat(f.created_at[:10])
        assert TODAY - timedelta(days=120) <= day < TODAY
        assert f.created_at[:10] >= (customer.joined_at or "")[:10]
        assert guides[f.guide_id] == customer.store_id and f.note
        if f.next_followup_on:
            assert date.fromisoformat(f.next_followup_on) > day
    # Customers and purchases do not depend on whether follow-ups were drawn.
    assert list(brand.iter_customers()) == customers
