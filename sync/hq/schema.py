"""HQ's tables, their migrations, and how each wire record maps onto its table.

Every ``sa.Table`` of HQ is defined here, in one place (the change log's ``changes``
included), with :data:`ENTITY_SPECS` and the column defaults a wire record may leave
out. Nothing here opens a connection except the ``hq_meta`` helpers at the end.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync import protocol
from sync.hq.db import _json

SCHEMA_VERSION = 1
BRAND_SCOPE = "*"


metadata = sa.MetaData()
_Id = sa.Text
_BigPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite: a rowid alias


def _text(name: str, *, default: str | None = "", nullable: bool = False) -> sa.Column:
    if default is None:
        return sa.Column(name, sa.Text, nullable=True)
    return sa.Column(name, sa.Text, nullable=nullable, server_default=default)


hq_meta = sa.Table(
    "hq_meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
# SQLite's transaction counter (one row); PostgreSQL uses its own transaction ids.
hq_txid = sa.Table(
    "hq_txid",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
stores = sa.Table(
    "stores",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    _text("city"),
)
guides = sa.Table(
    "guides",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("store_id", _Id, sa.ForeignKey("stores.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("is_manager", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _text("pin_verifier", default=None),
)
products = sa.Table(
    "products",
    metadata,
    sa.Column("sku", _Id, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    _text("category"),
    _text("color"),
    sa.Column("price_cents", sa.BigInteger, nullable=False, server_default="0"),
    _text("image", default=None),
)
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("store_id", _Id, sa.ForeignKey("stores.id"), nullable=False, index=True),
    sa.Column("guide_id", _Id, sa.ForeignKey("guides.id"), nullable=True, index=True),
    sa.Column("name", sa.Text, nullable=False),
    _text("phone"),
    _text("gender"),
    _text("birthday", default=None),
    sa.Column("tier", sa.Text, nullable=False, server_default="regular"),
    sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
    _text("tags", default="[]"),  # JSON list
    _text("sizes", default="{}"),  # JSON object
    _text("preferences"),
    _text("note"),
    _text("joined_at", default=None),
    # Who last set each editable field (a guide id, or HQ): names the loser of a conflict.
    _text("field_authors", default="{}"),
    _text("updated_at", default=None),
)
# Ownership history: every (guide, store) a customer has belonged to, for late edits.
customer_owners = sa.Table(
    "customer_owners",
    metadata,
    sa.Column("id", _BigPK, primary_key=True, autoincrement=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("guide_id", _Id, nullable=True, index=True),
    sa.Column("store_id", _Id, nullable=False),
    sa.Column("since", sa.Text, nullable=False),
    _text("until", default=None),
)
purchases = sa.Table(
    "purchases",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("store_id", _Id, nullable=False),
    sa.Column("guide_id", _Id, nullable=True),
    sa.Column("paid_at", sa.Text, nullable=False),
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    _text("items", default="[]"),  # JSON [{sku, qty, price_cents}]
)
followups = sa.Table(
    "followups",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("guide_id", _Id, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    _text("note"),
    _text("next_followup_on", default=None),
    sa.Column("created_at", sa.Text, nullable=False),
    _text("task_id", default=None),
    _text("terminal_id", default=None),
    _text("received_at", default=None),
)
content = sa.Table(
    "content",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    _text("body"),
    _text("images", default="[]"),
    _text("skus", default="[]"),
    sa.Column("category_631", sa.Text, nullable=False, server_default="brand"),
    _text("published_at", default=None),
    _text("expires_at", default=None),
)
tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    _text("campaign_id", default=None),
    sa.Column("store_id", _Id, nullable=False, index=True),
    _text("guide_id", default=None),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    _text("description"),
    _text("content_id", default=None),
    _text("target_rule", default="{}"),
    _text("starts_on", default=None),
    _text("due_on", default=None),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
)
task_targets = sa.Table(
    "task_targets",
    metadata,
    sa.Column("task_id", _Id, sa.ForeignKey("tasks.id"), primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), primary_key=True, index=True),
    _text("guide_id", default=None),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),
    _text("completed_at", default=None),
    _text("evidence"),
    _text("review_comment"),
)
shares = sa.Table(
    "shares",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("guide_id", _Id, nullable=False),
    _text("content_id", default=None),
    _text("task_id", default=None),
    _text("channel"),
    sa.Column("shared_at", sa.Text, nullable=False),
)
appointments = sa.Table(
    "appointments",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("guide_id", _Id, nullable=False),
    sa.Column("starts_at", sa.Text, nullable=False),
    _text("ends_at", default=None),
    _text("purpose"),
    sa.Column("status", sa.Text, nullable=False, server_default="booked"),
    sa.Column("rating", sa.Integer, nullable=True),
)
conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("customer_id", _Id, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("field", sa.Text, nullable=False),
    _text("kept_value", default=None),  # JSON-encoded
    _text("lost_value", default=None),  # JSON-encoded
    _text("lost_by", default=None),
    _text("detail"),
    sa.Column("created_at", sa.Text, nullable=False),
)
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("action", sa.Text, nullable=False),
    _text("guide_id", default=None),
    _text("terminal_id", default=None),
    _text("customer_id", default=None),
    _text("detail"),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("received_at", sa.Text, nullable=False),
)
terminals = sa.Table(
    "terminals",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("store_id", _Id, sa.ForeignKey("stores.id"), nullable=False, index=True),
    _text("name"),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("enrolled_at", sa.Text, nullable=False),
    _text("last_seen_at", default=None),
    _text("cursor", default=None),  # the last cursor the terminal sent: applied up to there
    _text("revoked_at", default=None),
)
enroll_codes = sa.Table(
    "enroll_codes",
    metadata,
    sa.Column("code_hash", sa.Text, primary_key=True),
    sa.Column("store_id", _Id, sa.ForeignKey("stores.id"), nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Text, nullable=False),
    _text("used_at", default=None),
    _text("terminal_id", default=None),
)
# Pushed mutations by their client UUID: a retried push is recognised, never re-applied.
mutations = sa.Table(
    "mutations",
    metadata,
    sa.Column("id", _Id, primary_key=True),
    sa.Column("terminal_id", _Id, nullable=False),
    sa.Column("guide_id", _Id, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # applied / rejected
    _text("reason"),
    sa.Column("received_at", sa.Text, nullable=False),
)
changes = sa.Table(
    "changes",
    metadata,
    sa.Column("seq", _BigPK, primary_key=True, autoincrement=True),
    sa.Column("txid", sa.BigInteger, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Text, nullable=False),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),  # the wire record as JSON text, sent as is
    sa.Index("changes_scope_order", "scope", "txid", "seq"),
    sa.Index("changes_entity", "scope", "entity", "entity_id"),
    # Never reuse a seq, even after compaction removed the highest row.
    sqlite_autoincrement=True,
)


def _migrate_v1(conn: Connection) -> None:
    metadata.create_all(conn, checkfirst=True)
    if conn.execute(sa.select(hq_txid.c.id)).first() is None:
        conn.execute(hq_txid.insert().values(id=1, value=0))


# (version, what it does, step). Append only; each step runs once, in a write transaction.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _migrate_v1),
]


# -- the wire records --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """How one wire entity maps onto its HQ table."""

    table: sa.Table
    keys: tuple[str, ...]
    fields: tuple[str, ...]  # the wire record, in order (the terminal's columns)
    json_fields: Mapping[str, type] = field(default_factory=dict)  # field -> list / dict
    bool_fields: frozenset[str] = frozenset()

    def change_id(self, record: Mapping[str, Any]) -> str:
        return ":".join(str(record[k]) for k in self.keys)

    def to_row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        row = {f: record.get(f) for f in self.fields}
        for name, kind in self.json_fields.items():
            row[name] = _json(row[name] if row[name] is not None else kind())
        return row

    def to_record(self, row: Mapping[str, Any]) -> dict[str, Any]:
        record = {f: row[f] for f in self.fields}
        for name, kind in self.json_fields.items():
            record[name] = json.loads(record[name]) if record[name] else kind()
        for name in self.bool_fields:
            record[name] = bool(record[name])
        return record


# How each wire record of sync/records.py is stored: its table and the fields kept as
# JSON text or as 0/1 integers.
ENTITY_SPECS: dict[str, EntitySpec] = {
    entity: EntitySpec(
        table,
        protocol.RECORDS[entity][0],
        protocol.RECORDS[entity][1],
        json_fields=json_fields,
        bool_fields=frozenset(bool_fields),
    )
    for entity, table, json_fields, bool_fields in (
        ("store", stores, {}, ()),
        ("guide", guides, {}, ("is_manager", "active")),
        ("product", products, {}, ()),
        ("customer", customers, {"tags": list, "sizes": dict}, ()),
        ("purchase", purchases, {"items": list}, ()),
        ("followup", followups, {}, ()),
        ("conflict", conflicts, {}, ()),
        ("share", shares, {}, ()),
        ("appointment", appointments, {}, ()),
        ("task", tasks, {"target_rule": dict}, ()),
        ("task_target", task_targets, {}, ()),
        ("content", content, {"images": list, "skus": list}, ()),
    )
}
# A customer's history, in the order a move re-sends it (the terminal's dependents).
CUSTOMER_HISTORY = ("purchase", "followup", "share", "appointment", "task_target", "conflict")


def _column_defaults(spec: EntitySpec) -> dict[str, Any]:
    """Values of NOT NULL columns a record may leave out (their server defaults)."""
    found: dict[str, Any] = {}
    for name in spec.fields:
        column = spec.table.c[name]
        default = column.server_default
        if column.nullable or default is None or name in spec.json_fields:
            continue
        arg = default.arg  # type: ignore[attr-defined]
        if isinstance(column.type, sa.Boolean):
            found[name] = isinstance(arg, sa.sql.elements.True_)
        elif isinstance(column.type, sa.Integer):
            found[name] = int(arg)
        else:
            found[name] = arg
    return found


_DEFAULTS = {entity: _column_defaults(spec) for entity, spec in ENTITY_SPECS.items()}
_DEFAULTS_BY_SPEC = {id(spec): _DEFAULTS[entity] for entity, spec in ENTITY_SPECS.items()}


def _wire(spec: EntitySpec, record: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the wire record's fields, in order, with left-out values defaulted."""
    wire = {f: record.get(f) for f in spec.fields}
    for name, value in _DEFAULTS_BY_SPEC[id(spec)].items():
        if wire[name] is None:
            wire[name] = value
    for name, kind in spec.json_fields.items():
        if wire[name] is None:
            wire[name] = kind()
    for name in spec.bool_fields:
        wire[name] = bool(wire[name])
    return wire


# -- hq_meta (schema version, compaction horizon, markers) -----------------------------


def _meta_get(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(hq_meta.c.value).where(hq_meta.c.key == key)).scalar()


def _meta_set(conn: Connection, key: str, value: str) -> None:
    done = conn.execute(hq_meta.update().where(hq_meta.c.key == key).values(value=value))
    if done.rowcount == 0:
        conn.execute(hq_meta.insert().values(key=key, value=value))
