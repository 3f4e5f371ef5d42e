"""The contract: every record that travels between HQ and terminals, declared once.

Each :class:`Record` names its fields with their type, nullability, default and allowed
values, its key, its scope (who receives it, and whether it travels with its customer
when HQ moves them to another guide or store), its tables on both sides, and the
mutations a terminal may send about it with their payload shape. Everything else is
derived from here or checked against it:

* HQ's tables (``sync/hq/schema.py`` builds the entity tables from these fields);
* the terminal's migrations (hand-written SQL; ``tests/sync/hq/test_contract.py`` compares the
  real schemas of both sides with this module and round-trips every entity
  HQ → wire → terminal, and names what is missing);
* the wire models (``sync/protocol.py`` derives one pydantic model per record);
* HQ's validation of pushed mutations (:func:`check_payload`, before any handler runs);
* the rules of who may act (``sync/hq/authz.py`` reads :attr:`Mutation.manager_only`).

Plain data and pure functions over the standard library and ``app.domain`` (whose enums
are the allowed values), so the terminal's store can import it at start-up without the
protocol's pydantic models or the HTTP client.

Adding a synced record: declare it here, write its migrations (HQ's schema step and the
terminal's SQL), its rules in ``app/domain``, its mutation handlers at HQ and its UI —
``tests/sync/hq/test_contract.py`` says what is still missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from app.domain.appointments import AppointmentStatus
from app.domain.clock import DEFAULT_TIMEZONE
from app.domain.content import Category631, ContentKind, ContentStatus, ShareChannel
from app.domain.customers import EDITABLE_CUSTOMER_FIELDS, Channel, Gender, Tier
from app.domain.handover import HandoverReason
from app.domain.tasks import EvidenceKind, Outcome, TaskKind, TaskStatus, TaskTargetStatus
from app.domain.tips import MAX_TIP_CHARS, TipAudience


class Type(StrEnum):
    """What a field holds. Dates and times are ISO-8601 text, money integer cents."""

    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DATE = "date"  # 'YYYY-MM-DD'
    TIMESTAMP = "timestamp"  # '2026-11-22T08:30:00Z' (UTC)
    TAGS = "tags"  # JSON list of short texts
    SIZES = "sizes"  # JSON object of short text -> short text
    ITEMS = "items"  # JSON list of {sku, qty, price_cents}
    JSON = "json"  # any JSON object (HQ-made, never from a terminal)


# Types kept as JSON text in both databases.
JSON_TYPES = frozenset({Type.TAGS, Type.SIZES, Type.ITEMS, Type.JSON})
# The empty value of each JSON type (what a NOT NULL JSON column defaults to).
JSON_EMPTY: dict[Type, Any] = {Type.TAGS: [], Type.SIZES: {}, Type.ITEMS: [], Type.JSON: {}}


class Scope(StrEnum):
    """Which terminals receive a record."""

    BRAND = "brand"  # every terminal (products, content)
    STORE = "store"  # the terminals of one store (the store, its guides, tasks)
    CUSTOMER = "customer"  # with its customer: moved to the new store on a handover


_REQUIRED = object()  # no default: a record must carry the field
# The largest evidence picture, as base64 characters (about 300 KB of JPEG): a push batch
# must stay well under the protocol's body limit.
MAX_PICTURE_CHARS = 400_000


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a wire record, and of the column that holds it on each side."""

    name: str
    type: Type = Type.TEXT
    nullable: bool = False
    default: Any = _REQUIRED  # the value of a left-out field; NOT NULL columns' default
    choices: tuple[str, ...] = ()  # allowed values (from an app/domain enum)
    max_len: int = 200  # text: characters; tags / items: entries
    entry_len: int = 40  # tags: characters of one entry
    multiline: bool = False  # text may hold newlines and tabs
    bounds: tuple[int, int] = (-(10**15), 10**15)  # ints
    ref: str | None = None  # HQ's foreign key ("stores.id")
    index: bool = False  # HQ indexes it

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and not self.nullable

    def default_value(self) -> Any:
        """What a record that leaves this field out gets (a fresh list / dict for JSON)."""
        if self.default is _REQUIRED:
            return None
        return _copy(self.default)


def _copy(value: Any) -> Any:
    return (
        list(value)
        if isinstance(value, list)
        else dict(value)
        if isinstance(value, dict)
        else value
    )


@dataclass(frozen=True, slots=True)
class Mutation:
    """A change a terminal may push about a record, and the payload it carries.

    ``fields`` are record fields the payload may carry (checked with the field's own
    declaration); ``required`` must be present. Payloads of ``customer/update`` have
    their own shape (``{"fields": {name: {"old", "new"}}}`` over ``editable``).
    """

    op: str
    fields: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    editable: tuple[str, ...] = ()  # field-by-field edits (customer/update)
    manager_only: bool = False  # only a store manager (店长) may send it
    about_customer: bool = True  # names a customer the guide must be allowed to act on
    # Any guide of the customer's store may send it, not only the customer's owner (a
    # colleague's counter visit); HQ never changes the owner for it (sync/hq/authz.py).
    store_colleague: bool = False


@dataclass(frozen=True, slots=True)
class Record:
    """One synced entity."""

    entity: str
    hq_table: str
    terminal_table: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    scope: Scope
    mutations: tuple[Mutation, ...] = ()
    # Fields the terminal keeps outside the entity's table (a purchase's items).
    terminal_elsewhere: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.entity} has no field {name!r}")

    def mutation(self, op: str) -> Mutation | None:
        return next((m for m in self.mutations if m.op == op), None)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(e.value for e in enum)


F = Field
_ID = F("id", max_len=128)
_CUSTOMER = F("customer_id", max_len=128, ref="customers.id", index=True)
_NOTE = F("note", default="", max_len=4000, multiline=True)

DECLARATIONS: tuple[Record, ...] = (
    Record(
        "store",
        "stores",
        "stores",
        ("id",),
        (
            F("id", max_len=64),
            F("name", max_len=100),
            F("city", default="", max_len=100),
            # An IANA zone: the store's "today" on both sides (app/domain/clock.py).
            F("timezone", default=DEFAULT_TIMEZONE, max_len=64),
            # Contact fatigue (issue 11): at most ``contact_cap`` outreaches (shares and
            # marketing follow-ups, app/domain/outreach.py) per customer, across every
            # guide, in any ``contact_cap_days`` days; None is no cap. HQ sets it.
            F("contact_cap", Type.INT, nullable=True, bounds=(1, 1000)),
            F("contact_cap_days", Type.INT, default=30, bounds=(1, 366)),
        ),
        Scope.STORE,
    ),
    Record(
        "guide",
        "guides",
        "guides",
        ("id",),
        (
            F("id", max_len=64),
            F("store_id", max_len=64, ref="stores.id", index=True),
            F("name", max_len=100),
            F("is_manager", Type.BOOL, default=False),
            F("active", Type.BOOL, default=True),
            F("pin_verifier", nullable=True, max_len=400),
        ),
        Scope.STORE,
    ),
    Record(
        "product",
        "products",
        "products",
        ("sku",),
        (
            F("sku", max_len=64),
            F("name", max_len=200),
            F("category", default="", max_len=100),
            F("color", default="", max_len=100),
            F("price_cents", Type.INT, default=0, bounds=(0, 10**12)),
            F("image", nullable=True, max_len=400),
        ),
        Scope.BRAND,
    ),
    Record(
        "customer",
        "customers",
        "customers",
        ("id",),
        (
            F("id", max_len=128),
            F("store_id", max_len=64, ref="stores.id", index=True),
            F("guide_id", nullable=True, max_len=64, ref="guides.id", index=True),
            F("name", max_len=100),
            F("phone", default="", max_len=32),
            F("gender", default="", choices=_values(Gender)),
            F("birthday", Type.DATE, nullable=True),
            F("tier", default=Tier.REGULAR.value, choices=_values(Tier)),
            F("points", Type.INT, default=0, bounds=(0, 10**12)),
            F("tags", Type.TAGS, default=[], max_len=100),
            F("sizes", Type.SIZES, default={}, max_len=20),
            F("preferences", default="", max_len=4000, multiline=True),
            _NOTE,
            F("joined_at", Type.TIMESTAMP, nullable=True),
            # The customer asked for no marketing (退订营销): never offered for a share.
            F("marketing_opt_out", Type.BOOL, default=False),
            F("opt_out_reason", default="", max_len=200),  # why, in the guide's words
        ),
        Scope.CUSTOMER,
        (Mutation("update", editable=EDITABLE_CUSTOMER_FIELDS),),
    ),
    Record(
        "purchase",
        "purchases",
        "purchases",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("store_id", max_len=64),
            F("guide_id", nullable=True, max_len=64),
            F("paid_at", Type.TIMESTAMP),
            F("amount_cents", Type.INT, bounds=(-(10**12), 10**12)),
            F("items", Type.ITEMS, default=[], max_len=500),
        ),
        Scope.CUSTOMER,
        terminal_elsewhere=frozenset({"items"}),
    ),
    Record(
        "followup",
        "followups",
        "followups",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("guide_id", max_len=64),
            F("channel", choices=_values(Channel)),
            _NOTE,
            F("next_followup_on", Type.DATE, nullable=True),
            F("created_at", Type.TIMESTAMP),
            F("task_id", nullable=True, max_len=128),
        ),
        Scope.CUSTOMER,
        (
            Mutation(
                "create",
                fields=(
                    "id",
                    "customer_id",
                    "channel",
                    "note",
                    "next_followup_on",
                    "created_at",
                    "task_id",
                ),
                required=("customer_id", "channel", "created_at"),
            ),
            # "Served at the counter" (接待记录): a guide of the customer's store who is
            # not their owner served them; HQ stores it as a follow-up of channel
            # 'counter' authored by that guide, so it reaches the owner's timeline as a
            # colleague's note. It plans no next follow-up and never moves the customer.
            Mutation(
                "counter",
                fields=("id", "customer_id", "note", "created_at"),
                required=("customer_id", "created_at"),
                store_colleague=True,
            ),
        ),
    ),
    Record(
        "content",
        "content",
        "content",
        ("id",),
        (
            _ID,
            F("kind", choices=_values(ContentKind)),
            F("title", max_len=200),
            F("body", default="", max_len=8000, multiline=True),
            # The pictures, in order, as lowercase sha256 hex hashes of their bytes: fetched
            # from HQ's GET /v1/pictures/{sha} and checked against the hash.
            F("images", Type.TAGS, default=[], max_len=20, entry_len=64),
            F("skus", Type.TAGS, default=[], max_len=50),  # an outfit's products
            F("category_631", default=Category631.BRAND.value, choices=_values(Category631)),
            F("published_at", Type.TIMESTAMP, nullable=True),  # when HQ (re)published it
            F("expires_at", Type.TIMESTAMP, nullable=True),  # unused by HQ's publisher
            F("tags", Type.TAGS, default=[], max_len=20),
            F("campaign", nullable=True, max_len=64),
            F("valid_from", Type.DATE, nullable=True),  # shown from this day (store's today)
            F("valid_until", Type.DATE, nullable=True),  # through this day, inclusive
            F("sku", nullable=True, max_len=64),  # a product piece's product
            F("price_cents", Type.INT, nullable=True, bounds=(0, 10**10)),  # its price
            F("caption", default="", max_len=2000, multiline=True),  # an outfit's caption
            F("status", default=ContentStatus.ACTIVE.value, choices=_values(ContentStatus)),
        ),
        Scope.BRAND,
    ),
    Record(
        "task",
        "tasks",
        "tasks",
        ("id",),
        (
            _ID,
            F("campaign_id", nullable=True, max_len=128),
            F("store_id", max_len=64, index=True),
            F("guide_id", nullable=True, max_len=64),
            F("kind", default=TaskKind.CUSTOM.value, choices=_values(TaskKind)),
            F("title", max_len=200),
            F("description", default="", max_len=4000, multiline=True),  # instructions
            F("content_ids", Type.TAGS, default=[], max_len=20),  # suggested content
            F("target_rule", Type.JSON, default={}),
            F("starts_on", Type.DATE, nullable=True),
            F("due_on", Type.DATE, nullable=True),
            F("status", default=TaskStatus.OPEN.value, choices=_values(TaskStatus)),
            F("evidence", default=EvidenceKind.NONE.value, choices=_values(EvidenceKind)),
            F("review", Type.BOOL, default=False),  # a manager approves each completion
        ),
        Scope.STORE,
    ),
    Record(
        "task_target",
        "task_targets",
        "task_targets",
        ("task_id", "customer_id"),
        (
            F("task_id", max_len=128, ref="tasks.id"),
            _CUSTOMER,
            F("guide_id", nullable=True, max_len=64),
            F(
                "status",
                default=TaskTargetStatus.OPEN.value,
                choices=_values(TaskTargetStatus),
            ),
            F("completed_at", Type.TIMESTAMP, nullable=True),
            F("completed_by", nullable=True, max_len=64),  # the author keeps a completion
            F("outcome", nullable=True, choices=_values(Outcome)),
            F("evidence", default="", max_len=4000, multiline=True),  # the evidence note
            # A picture as base64 (a chat screenshot, scaled down by the terminal).
            F("evidence_picture", nullable=True, max_len=MAX_PICTURE_CHARS),
            F("review_comment", default="", max_len=1000, multiline=True),
            F("reviewed_by", nullable=True, max_len=64),
            F("reviewed_at", Type.TIMESTAMP, nullable=True),
        ),
        Scope.CUSTOMER,
        (
            Mutation(
                "complete",
                fields=(
                    "task_id",
                    "customer_id",
                    "completed_at",
                    "outcome",
                    "evidence",
                    "evidence_picture",
                ),
            ),
            # The store manager approves or rejects a done target (status approved /
            # rejected, with a comment); a rejection reopens it for its guide.
            Mutation(
                "review",
                fields=("task_id", "customer_id", "status", "review_comment", "completed_at"),
                required=("status",),
                manager_only=True,
            ),
            # The store manager gives an open target to another guide of the store.
            Mutation(
                "reassign",
                fields=("task_id", "customer_id", "guide_id"),
                required=("guide_id",),
                manager_only=True,
            ),
        ),
    ),
    Record(
        "share",
        "shares",
        "shares",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("guide_id", max_len=64),
            F("content_id", nullable=True, max_len=128),
            F("task_id", nullable=True, max_len=128),
            F("channel", default=ShareChannel.WECHAT.value, choices=_values(ShareChannel)),
            F("shared_at", Type.TIMESTAMP),
            # The 631 category of what was sent: the content's, or the guide's choice for a
            # free composition (自由组合). None only on shares older than this field.
            F("category_631", nullable=True, choices=_values(Category631)),
            # A free composition (content_id None): the guide's own words (placeholders
            # unfilled), the library pictures (sha256 hashes) and products it carried.
            F("body", default="", max_len=2000, multiline=True),
            F("images", Type.TAGS, default=[], max_len=9, entry_len=64),
            F("skus", Type.TAGS, default=[], max_len=20, entry_len=64),
            # Sent although the customer was over the contact cap: the guide's reason.
            F("override_reason", default="", max_len=200),
            # HQ's re-check when the share arrived: the customer was over the cap then
            # (HQ-made; a terminal never sends it). The manager sees it.
            F("over_cap", Type.BOOL, default=False),
            # HQ's check when the share arrived: the customer had opted out of marketing
            # by then (on another terminal, not yet synced to this one). HQ-made too.
            F("opted_out", Type.BOOL, default=False),
        ),
        Scope.CUSTOMER,
        (
            Mutation(
                "create",
                fields=(
                    "id",
                    "customer_id",
                    "content_id",
                    "task_id",
                    "channel",
                    "shared_at",
                    "category_631",
                    "body",
                    "images",
                    "skus",
                    "override_reason",
                ),
                required=("customer_id", "shared_at"),
            ),
        ),
    ),
    Record(
        "appointment",
        "appointments",
        "appointments",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("guide_id", max_len=64),
            F("starts_at", Type.TIMESTAMP),
            # Open-ended is allowed: clash detection assumes DEFAULT_APPOINTMENT_MINUTES.
            F("ends_at", Type.TIMESTAMP, nullable=True),
            F("purpose", default="", max_len=1000, multiline=True),
            F("status", default=AppointmentStatus.BOOKED.value, choices=_values(AppointmentStatus)),
            F("rating", Type.INT, nullable=True, bounds=(1, 5)),
        ),
        Scope.CUSTOMER,
        (
            Mutation(
                "create",
                fields=("id", "customer_id", "starts_at", "ends_at", "purpose", "status", "rating"),
                required=("customer_id", "starts_at"),
            ),
            Mutation("update", fields=("ends_at", "starts_at", "purpose", "status", "rating")),
        ),
    ),
    Record(
        "conflict",
        "conflicts",
        "conflicts",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("field", max_len=64),
            F("kept_value", nullable=True, max_len=8000, multiline=True),  # JSON text
            F("lost_value", nullable=True, max_len=8000, multiline=True),  # JSON text
            F("lost_by", nullable=True, max_len=64),
            F("detail", default="", max_len=1000, multiline=True),
            F("created_at", Type.TIMESTAMP),
        ),
        Scope.CUSTOMER,
    ),
    # A customer changed hands (交接): HQ writes one per move, with the brief it computed
    # then (app/domain/handover.py); it travels with the customer, so the new owner's
    # terminal shows "inherited from X on DATE" and the brief. Terminals never send it.
    Record(
        "handover",
        "handovers",
        "handovers",
        ("id",),
        (
            _ID,
            _CUSTOMER,
            F("from_guide_id", nullable=True, max_len=64),
            F("from_guide_name", default="", max_len=100),
            F("to_guide_id", nullable=True, max_len=64),
            F("moved_at", Type.TIMESTAMP),
            F("reason", default=HandoverReason.TRANSFER.value, choices=_values(HandoverReason)),
            F("brief", Type.JSON, default={}),
        ),
        Scope.CUSTOMER,
    ),
    # A peer tip (无师自通, app/domain/tips.py): a guide's few lines, and a picture, for
    # their store or the whole brand. Declared STORE-scoped; HQ writes each tip's change
    # under its store's scope (audience 'store') or the brand scope '*' (audience
    # 'brand'), so a brand tip reaches every terminal and a store tip only its store's.
    # HQ sets guide_id, guide_name and store_id from the acting guide, never from the
    # payload; ``image`` (the sha256 of a picture in HQ's pictures table), ``pinned`` and
    # ``hidden`` are HQ-made. The mutation's picture travels as the payload-only field
    # ``picture`` (base64 of the bytes, checked by sync/hq/pictures.py at HQ).
    Record(
        "tip",
        "tips",
        "tips",
        ("id",),
        (
            _ID,
            F("guide_id", max_len=64),
            F("guide_name", default="", max_len=100),
            F("store_id", max_len=64, index=True),
            F("audience", default=TipAudience.STORE.value, choices=_values(TipAudience)),
            F("body", max_len=MAX_TIP_CHARS, multiline=True),
            F("image", nullable=True, max_len=64),
            F("created_at", Type.TIMESTAMP),
            F("pinned", Type.BOOL, default=False),  # HQ pinned it: first in every list
            F("hidden", Type.BOOL, default=False),  # HQ hid it: terminals show it no more
        ),
        Scope.STORE,
        (
            Mutation(
                "create",
                fields=("id", "audience", "body", "created_at"),
                required=("body", "created_at"),
                about_customer=False,
            ),
        ),
    ),
)
# The payload-only field of ``tip/create`` that carries its picture (base64, at most
# MAX_PICTURE_CHARS): HQ checks and stores the bytes and sets ``tip.image`` to their hash.
TIP_PICTURE_FIELD = "picture"

# Mutations about something that is not pulled back (HQ's audit trail, PIPL).
AUDIT_MUTATIONS: tuple[Mutation, ...] = (
    # The full number shown ("Show number") or copied to the clipboard ("Copy number"):
    # HQ records it when the guide may see that customer, and refuses it otherwise.
    Mutation("reveal_phone", fields=("id", "customer_id", "at")),
    Mutation("copy_phone", fields=("id", "customer_id", "at")),
)
AUDIT_FIELDS: tuple[Field, ...] = (
    F("id", max_len=128),
    F("customer_id", max_len=128),
    F("at", Type.TIMESTAMP),
)

BY_ENTITY: dict[str, Record] = {r.entity: r for r in DECLARATIONS}
ENTITIES = tuple(BY_ENTITY)

# entity -> (key fields, every field of the record, in order): the short form most code
# needs (the terminal's replica maps its tables with it).
RECORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    r.entity: (r.key, r.names) for r in DECLARATIONS
}

# (entity, op) -> the mutation's declaration; ("audit", op) for the audit trail.
MUTATIONS: dict[tuple[str, str], Mutation] = {
    **{(r.entity, m.op): m for r in DECLARATIONS for m in r.mutations},
    **{("audit", m.op): m for m in AUDIT_MUTATIONS},
}


# -- checking values against the declaration -----------------------------------------------

# Characters synced text may not hold: C0 controls but tab and newline, DEL, C1 controls,
# and lone UTF-16 surrogates (they cannot be encoded, so PostgreSQL and any UTF-8 file
# refuse them). NUL is among the controls: PostgreSQL cannot store it in text at all.
_BAD_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
_BAD_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Sane bounds of any date or time a record carries.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100


class ContractError(ValueError):
    """A value the declaration does not allow; the message names the field and why."""


def text_problem(value: str, *, multiline: bool = False, max_len: int = 200) -> str | None:
    """Why ``value`` is not acceptable synced text, or None."""
    if len(value) > max_len:
        return f"longer than {max_len} characters"
    bad = (_BAD_MULTILINE if multiline else _BAD_ONE_LINE).search(value)
    if bad is not None:
        return f"holds the control character U+{ord(bad.group()):04X}"
    return None


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Typed text as synced text may hold it: the invisible control characters removed
    (a paste from a chat or a spreadsheet brings them; nobody means them) and the ends
    trimmed. The terminal cleans what a guide typed with this before it is stored, so HQ
    never has to refuse a follow-up for a stray escape character."""
    return (_BAD_MULTILINE if multiline else _BAD_ONE_LINE).sub("", value).strip()


def parse_timestamp(value: str) -> datetime | None:
    """A real ISO-8601 time within sane years, with its zone; None otherwise."""
    if not isinstance(value, str) or _TIMESTAMP.fullmatch(value) is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if EARLIEST_YEAR <= moment.year <= LATEST_YEAR else None


def parse_date(value: str) -> date | None:
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST_YEAR <= day.year <= LATEST_YEAR else None


def value_problem(f: Field, value: Any) -> str | None:
    """Why ``value`` does not fit field ``f`` (None is judged by nullability), or None."""
    if value is None:
        return None if f.nullable else "may not be empty"
    kind = f.type
    if kind in (Type.TEXT, Type.DATE, Type.TIMESTAMP):
        if not isinstance(value, str):
            return "must be text"
        if kind is Type.DATE:
            return None if parse_date(value) else "is not a date (YYYY-MM-DD)"
        if kind is Type.TIMESTAMP:
            return None if parse_timestamp(value) else "is not an ISO-8601 time"
        if f.choices and value not in f.choices:
            return f"must be one of {', '.join(repr(c) for c in f.choices)}"
        return text_problem(value, multiline=f.multiline, max_len=f.max_len)
    if kind is Type.INT:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        low, high = f.bounds
        return None if low <= value <= high else f"must be between {low} and {high}"
    if kind is Type.BOOL:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is Type.TAGS:
        if not isinstance(value, list) or len(value) > f.max_len:
            return f"must be a list of at most {f.max_len} entries"
        for tag in value:
            if (
                not isinstance(tag, str)
                or not tag.strip()
                or text_problem(tag, max_len=f.entry_len)
            ):
                return f"entries must be short one-line texts (at most {f.entry_len} characters)"
        return None
    if kind is Type.SIZES:
        if not isinstance(value, dict) or len(value) > f.max_len:
            return f"must be an object of at most {f.max_len} entries"
        for k, v in value.items():
            if not isinstance(v, str) or text_problem(k, max_len=40) or text_problem(v, max_len=40):
                return "entries must be short one-line texts (at most 40 characters)"
        return None
    if kind is Type.ITEMS:
        if not isinstance(value, list) or len(value) > f.max_len:
            return f"must be a list of at most {f.max_len} items"
        for item in value:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("sku"), str)
                and isinstance(item.get("qty"), int)
                and not isinstance(item.get("qty"), bool)
            ):
                return "items need a sku and a whole-number qty"
        return None
    if kind is Type.JSON:
        return None if isinstance(value, dict) else "must be a JSON object"
    return f"has an unknown type {kind}"  # pragma: no cover - a declaration bug


def check_record(record: Record, values: Mapping[str, Any]) -> dict[str, Any]:
    """The wire record of ``values``: every field, defaults filled in, each value checked.

    Raises :class:`ContractError` naming the first field that does not fit. HQ runs every
    record it writes through this, so it can never hand a terminal a record that the
    terminal's schema refuses.
    """
    wire: dict[str, Any] = {}
    for f in record.fields:
        value = values.get(f.name)
        if value is None and f.default is not _REQUIRED:
            value = _copy(f.default)
        if f.type is Type.BOOL and isinstance(value, int) and not isinstance(value, bool):
            value = bool(value)  # 0 / 1 from a database column
        problem = value_problem(f, value)
        if problem is not None:
            raise ContractError(f"{record.entity}.{f.name} {problem}")
        wire[f.name] = value
    return wire


def check_payload(entity: str, op: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a pushed mutation, checked against its declaration.

    Returns the declared fields that are present (None for the absent ones); unknown
    payload fields are ignored, so a newer terminal may send more. ``customer/update``
    payloads are checked field by field (see :class:`Mutation`). Raises ContractError.
    """
    declared = MUTATIONS.get((entity, op))
    if declared is None:
        raise ContractError(f"unknown mutation {entity}/{op}")
    fields = (
        {f.name: f for f in AUDIT_FIELDS}
        if entity == "audit"
        else {f.name: f for f in BY_ENTITY[entity].fields}
    )
    if declared.editable:
        return {"fields": _check_edits(fields, declared, payload.get("fields"))}
    checked: dict[str, Any] = {}
    for name in declared.fields:
        value = payload.get(name)
        if value is None:
            if name in declared.required:
                raise ContractError(f"payload field {name!r} is missing")
            checked[name] = None
            continue
        f = fields[name]
        problem = value_problem(f, value)
        if problem is not None:
            raise ContractError(f"payload field {name!r} {problem}")
        checked[name] = value
    return checked


def _check_edits(fields: Mapping[str, Field], declared: Mutation, edits: Any) -> dict[str, Any]:
    if not isinstance(edits, dict) or not edits:
        raise ContractError("payload needs {'fields': {name: {'old': …, 'new': …}}}")
    for name, change in edits.items():
        if name not in declared.editable:
            raise ContractError(f"field {name!r} is not editable on a terminal")
        if not isinstance(change, dict) or change.get("new") is None:
            raise ContractError(f"field {name!r} needs 'old' and 'new'")
        f = fields[name]
        for side in ("old", "new"):
            value = change.get(side)
            if value is None:
                continue  # 'old' may be unknown (None); 'new' was checked above
            problem = value_problem(f, value)
            if problem is not None:
                raise ContractError(f"field {name!r} ({side}) {problem}")
    return edits
