"""The customer book's values: stores, guides, customers, purchases and follow-ups.

Plain frozen dataclasses shared by the terminal and HQ (HQ may import ``app.domain``
because it is pure). Times are ISO-8601 UTC strings ('2026-11-22T08:30:00Z'), dates are
'YYYY-MM-DD' strings, money is integer cents: the same shapes the wire and both
databases use, so nothing is converted twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Tier(StrEnum):
    """Customer tier (头部 / 腰部 / 普通): head, waist, regular."""

    HEAD = "head"
    WAIST = "waist"
    REGULAR = "regular"


class LifecycleStage(StrEnum):
    """Lifecycle stage (潜客 / 新客 / 成熟 / 流失预警 / 沉睡)."""

    PROSPECT = "prospect"
    NEW = "new"
    MATURE = "mature"
    AT_RISK = "at_risk"
    DORMANT = "dormant"


class Gender(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = ""


class Channel(StrEnum):
    """How a follow-up (跟进) reached the customer."""

    WECHAT = "wechat"
    CALL = "call"
    IN_STORE = "in_store"
    SMS = "sms"
    # A colleague served someone else's customer at the counter (接待记录): written by a
    # guide of the customer's store who is not their owner (followup/counter). Not one of
    # the channels a guide picks in the follow-up dialog (app/ui/labels.CHANNELS).
    COUNTER = "counter"


# Fields of a customer that a guide may edit on the terminal; HQ merges them one by one.
EDITABLE_CUSTOMER_FIELDS = (
    "tags",
    "sizes",
    "preferences",
    "note",
    "marketing_opt_out",  # the customer asked for no marketing (app/domain/outreach.py)
    "opt_out_reason",
)


@dataclass(frozen=True, slots=True)
class Store:
    """A shop (门店)."""

    id: str
    name: str
    city: str = ""


@dataclass(frozen=True, slots=True)
class Guide:
    """A shopping guide (导购); ``is_manager`` marks the store manager (店长)."""

    id: str
    store_id: str
    name: str
    is_manager: bool = False
    pin: str | None = None  # only in demo data / HQ import; never stored on a terminal


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str = ""
    color: str = ""
    price_cents: int = 0


@dataclass(frozen=True, slots=True)
class PurchaseItem:
    sku: str
    qty: int
    price_cents: int | None = None


@dataclass(frozen=True, slots=True)
class Purchase:
    """An order (订单) with its items; HQ master data."""

    id: str
    customer_id: str
    store_id: str
    guide_id: str | None
    paid_at: str
    amount_cents: int
    items: tuple[PurchaseItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Customer:
    """A member (会员) of the brand as the customer book holds them."""

    id: str
    store_id: str
    guide_id: str | None
    name: str
    phone: str = ""
    gender: str = ""  # 'F', 'M' or ''
    birthday: str | None = None
    tier: Tier = Tier.REGULAR
    points: int = 0
    tags: tuple[str, ...] = ()
    sizes: dict[str, str] = field(default_factory=dict)
    preferences: str = ""
    note: str = ""
    joined_at: str | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A follow-up (跟进): one contact with a customer, with an optional next date."""

    id: str
    customer_id: str
    guide_id: str
    channel: Channel
    note: str
    created_at: str
    next_followup_on: str | None = None
    task_id: str | None = None


def to_record(value: Any) -> dict[str, Any]:
    """A dataclass as a plain dict (tuples become lists) for JSON and databases."""
    record = asdict(value)
    for key, item in record.items():
        if isinstance(item, tuple):
            record[key] = [asdict(x) if hasattr(x, "__dataclass_fields__") else x for x in item]
    return record


def mask_phone(phone: str) -> str:
    """138****1234: how a phone number shows on screen until a guide reveals it (audited)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
