"""The guide's 631 mix (内容 631 比例): the one rule the Content page's chart, its advice and
the manager's per-guide view share.

Over the last :data:`WINDOW_DAYS` days of a guide's outreach, the share of each 631
category (app/domain/content.Category631) against the target 60 / 30 / 10.

What counts: the guide's **shares** (转发) only, one per customer and piece sent. A share
carries its category (``shares.category_631``); a share recorded before that column
existed counts under its piece's category (``content.category_631`` by ``content_id``);
one with neither is left out. Marketing follow-ups are not counted: they carry no 631
category (they are contact, not content) — the contact cap counts them, the mix does not.

The advice is deterministic: no shares → :attr:`Advice.NO_SHARES`; every category within
its tolerance of the target (10 points; 5 for selling) → :attr:`Advice.HEALTHY`;
otherwise the category furthest from its target in percentage points names the advice,
over or under (equally far: selling, then service, then brand). The domain returns the key and the numbers; the
UI says it in the guide's language (app/ui/content/mix.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.content import Category631

WINDOW_DAYS = 30
TARGET: dict[Category631, int] = {
    Category631.BRAND: 60,
    Category631.SERVICE: 30,
    Category631.SELLING: 10,
}
# How far (percentage points) a category may stray from its target and still be healthy;
# selling is small, so it strays less.
TOLERANCE: dict[Category631, int] = {
    Category631.BRAND: 10,
    Category631.SERVICE: 10,
    Category631.SELLING: 5,
}
# Equally far off: the first of these names the advice (selling is what to coach first).
ORDER = (Category631.SELLING, Category631.SERVICE, Category631.BRAND)


class Advice(StrEnum):
    NO_SHARES = "no_shares"
    HEALTHY = "healthy"
    BRAND_OVER = "brand_over"
    BRAND_UNDER = "brand_under"
    SERVICE_OVER = "service_over"
    SERVICE_UNDER = "service_under"
    SELLING_OVER = "selling_over"
    SELLING_UNDER = "selling_under"


@dataclass(frozen=True, slots=True)
class Mix:
    """Counts and whole percentages per category, and the advice."""

    counts: dict[Category631, int]
    percent: dict[Category631, float]
    advice: Advice

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def window(now: datetime, days: int = WINDOW_DAYS) -> tuple[datetime, datetime]:
    """The window the mix covers: ``[now - days, now]``."""
    return now - timedelta(days=days), now


def mix(counts: Mapping[str, int]) -> Mix:
    """The mix of ``counts`` (category → number of shares; unknown categories ignored)."""
    clean = {c: max(int(counts.get(c.value, 0) or 0), 0) for c in Category631}
    total = sum(clean.values())
    if total == 0:
        return Mix(clean, {c: 0.0 for c in Category631}, Advice.NO_SHARES)
    percent = {c: 100.0 * n / total for c, n in clean.items()}
    off = {c: abs(percent[c] - TARGET[c]) for c in Category631}
    if all(off[c] <= TOLERANCE[c] + 1e-9 for c in Category631):
        return Mix(clean, percent, Advice.HEALTHY)
    worst = max(ORDER, key=lambda c: (round(off[c], 6), -ORDER.index(c)))
    over = percent[worst] > TARGET[worst]
    return Mix(clean, percent, Advice(f"{worst.value}_{'over' if over else 'under'}"))
