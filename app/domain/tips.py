"""Peer tips (无师自通): short advice guides post for their store or the whole brand.

A tip is a few lines (at most :data:`MAX_TIP_CHARS`) and an optional picture; HQ may pin
one (it comes first everywhere) or hide one (it leaves every terminal). The rules both
sides apply — who sees a tip, how tips are ordered, who counts as a new guide — live
here; HQ and the terminal's store import them.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol, TypeVar

MAX_TIP_CHARS = 500
# A guide who has recorded fewer shares than this is "new" (新导购): the tips panel shows
# them the pinned tips first, in a block of their own. Shares are what the terminal knows
# of a guide's outreach offline (an account's age is not synced); once a guide has shared
# a handful of pieces they have found their way around and see the plain list.
NEW_GUIDE_SHARES = 5


class TipAudience(StrEnum):
    """Who a tip is for: the poster's store (本店) or every store of the brand (全品牌)."""

    STORE = "store"
    BRAND = "brand"


def is_new_guide(share_count: int) -> bool:
    """A guide still finding their feet: fewer than :data:`NEW_GUIDE_SHARES` shares."""
    return share_count < NEW_GUIDE_SHARES


def visible_to(audience: str, tip_store: str, store_id: str) -> bool:
    """May a terminal of ``store_id`` see a tip of ``tip_store`` for ``audience``?"""
    return audience == TipAudience.BRAND.value or tip_store == store_id


class TipOrder(Protocol):
    """What ordering needs of a tip (the store's rows carry more)."""

    @property
    def pinned(self) -> bool: ...
    @property
    def created_at(self) -> str: ...
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=TipOrder)


def order_key(tip: TipOrder) -> tuple[bool, str, str]:
    """Pinned first, then newest first (ids break ties so the order is stable). Use with
    ``sorted(..., key=order_key, reverse=True)``; the store's SQL orders the same way
    (``ORDER BY pinned DESC, created_at DESC, id DESC``, tested against this)."""
    return (tip.pinned, tip.created_at, tip.id)


def ordered(tips: Iterable[T]) -> list[T]:
    """Tips in the order every list shows them."""
    return sorted(tips, key=order_key, reverse=True)
