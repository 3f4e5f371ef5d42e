"""HQ's tables, their migrations, and how each wire record maps onto its table.

Every ``sa.Table`` of HQ is defined here, in one place (the change log's ``changes``
included), with :data:`ENTITY_SPECS` and the column defaults a wire record may leave
out. Nothing here opens a connection except the ``hq_meta`` helpers at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.tasks import TaskKind
from sync import records
from sync.hq.db import _json

SCHEMA_VERSION = 9
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
# -- the synced records' tables, derived from sync/records.py ---------------------------


def _server_default(f: records.Field) -> Any:
    value = f.default_value()
    if value is None:
        return None
    if f.type is records.Type.BOOL:
        return sa.true() if value else sa.false()
    if f.type in records.JSON_TYPES:
        return json.dumps(value)
    return str(value)


def _column(f: records.Field, *, key: bool) -> sa.Column:
    kind: Any = {records.Type.INT: sa.BigInteger, records.Type.BOOL: sa.Boolean}.get(
        f.type, sa.Text
    )
    extra: list[Any] = [sa.ForeignKey(f.ref)] if f.ref else []
    return sa.Column(
        f.name,
        kind,
        *extra,
        primary_key=key,
        nullable=f.nullable and not key,
        server_default=None if key else _server_default(f),
        index=f.index or None,
    )


def _entity_table(entity: str, *hq_only: sa.Column) -> sa.Table:
    """The HQ table of a declared record: its fields as columns, plus HQ-only columns."""
    record = records.BY_ENTITY[entity]
    columns = [_column(f, key=f.name in record.key) for f in record.fields]
    return sa.Table(record.hq_table, metadata, *columns, *hq_only)


stores = _entity_table("store")
guides = _entity_table(
    "guide",
    # When the guide left (离职): their edits made before then are still accepted.
    _text("left_at", default=None),
    # The PIN no longer meets the rule (set before it, or a temporary one from HQ): the
    # next sign-in at HQ answers must_change_pin (sync/hq/sessions.py).
    sa.Column("pin_must_change", sa.Boolean, nullable=False, server_default=sa.false()),
)
products = _entity_table("product")
customers = _entity_table(
    "customer",
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
purchases = _entity_table("purchase")
followups = _entity_table(
    "followup",
    _text("terminal_id", default=None),
    _text("received_at", default=None),
)
content = _entity_table("content")
tasks = _entity_table("task")
task_targets = _entity_table("task_target")
shares = _entity_table("share")
appointments = _entity_table("appointment")
conflicts = _entity_table("conflict")
handovers = _entity_table("handover")
tips = _entity_table("tip")  # peer tips (无师自通): sync/hq/tips.py
# HQ's audit trail (PIPL and operations): a guide's phone reveal, every move and departure
# (sync/hq/audit.py writes and reads it). ``guide_id`` is the guide who acted or was acted
# on; ``actor`` the operator at HQ (the OS user of guidedesk-hq) or None for a terminal;
# ``detail`` is JSON text for the entries audit.record() writes.
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
    _text("actor", default=None),
    _text("from_guide", default=None),
    _text("to_guide", default=None),
    _text("reason", default=None),
    sa.Index("audit_log_customer", "customer_id", "at"),
    sa.Index("audit_log_at", "at"),
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
    # Token rotation (sync/hq/terminals.py): the current token's life; the token it
    # replaced keeps working until the new one is first used or previous_valid_until.
    # NULL expiry: a token from before expiry existed (hello asks to rotate it at once).
    _text("token_issued_at", default=None),
    _text("token_expires_at", default=None),
    _text("previous_token_hash", default=None),
    _text("previous_valid_until", default=None),
    sa.Index("terminals_previous_token", "previous_token_hash"),
)
# Guide sessions (sync/hq/sessions.py): a PIN checked at HQ. ``id`` is the SHA-256 of the
# secret the terminal holds (what mutations name, never the secret itself).
guide_sessions = sa.Table(
    "guide_sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("guide_id", _Id, nullable=False, index=True),
    sa.Column("terminal_id", _Id, nullable=False),
    sa.Column("issued_at", sa.Text, nullable=False),
    sa.Column("expires_at", sa.Text, nullable=False),
    _text("revoked_at", default=None),
)
# Wrong PINs per guide, counted at HQ: ``failures`` in a row since the last good PIN;
# ``locked_at`` set at the limit, cleared only by an unlock (HQ or the store manager).
guide_pins = sa.Table(
    "guide_pins",
    metadata,
    sa.Column("guide_id", _Id, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    _text("last_failure_at", default=None),
    _text("locked_at", default=None),
)
# Content pictures, kept by the sha256 (hex) of their bytes: content records name them by
# hash (``content.images``) and terminals fetch them with GET /v1/pictures/{sha}.
pictures = sa.Table(
    "pictures",
    metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("mime", sa.Text, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
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
    # Who acted: signed_in 'hq' (a guide session HQ issued: session_id names it) or
    # 'offline' (the terminal's own PIN check); NULL for mutations from before version 5.
    _text("session_id", default=None),
    _text("signed_in", default=None),
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


def _default_text(raw: Any) -> str | None:
    """A column default as the database reports it, as plain text ('' for '')."""
    if raw is None:
        return None
    text = re.sub(r"::[a-z ]+$", "", str(raw).strip())  # PostgreSQL: ''::text
    if len(text) >= 2 and text[0] == text[-1] == "'":
        text = text[1:-1].replace("''", "'")
    return {"false": "0", "true": "1"}.get(text.lower(), text)


def declared_default_text(f: records.Field) -> str | None:
    """The declared default as :func:`_default_text` reports it."""
    value = f.default_value()
    if value is None:
        return None
    if f.type in records.JSON_TYPES:
        return json.dumps(value)
    if f.type is records.Type.BOOL:
        return "1" if value else "0"
    return str(value)


def _align_with_contract(conn: Connection) -> None:
    """Make the synced records' tables agree with sync/records.py: add missing columns,
    then fix NOT NULL and defaults (PostgreSQL: ALTER COLUMN; SQLite, whose ALTER cannot
    change either: sqlite-utils ``table.transform()``, which rebuilds the table with its
    indexes inside this transaction). Idempotent: a table that agrees is left alone."""
    postgres = conn.dialect.name == "postgresql"
    inspector = sa.inspect(conn)
    for record in records.DECLARATIONS:
        table = metadata.tables[record.hq_table]
        if not inspector.has_table(record.hq_table):
            table.create(conn)  # a record declared after this database was made
            continue
        live = {c["name"]: c for c in inspector.get_columns(record.hq_table)}
        for column in table.columns:
            if column.name not in live:
                ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")
        live = {c["name"]: c for c in sa.inspect(conn).get_columns(record.hq_table)}
        not_null: dict[str, bool] = {}
        defaults: dict[str, Any] = {}
        for f in record.fields:
            if f.name in record.key:
                continue
            have = live[f.name]
            if have["nullable"] != f.nullable:
                not_null[f.name] = not f.nullable
            want = declared_default_text(f)
            if _default_text(have.get("default")) != want:
                defaults[f.name] = want
        if not (not_null or defaults):
            continue
        if postgres:
            for name, required in not_null.items():
                verb = "SET" if required else "DROP"
                conn.exec_driver_sql(
                    f"ALTER TABLE {table.name} ALTER COLUMN {name} {verb} NOT NULL"
                )
            for name in defaults:
                ddl = table.c[name].server_default
                if ddl is None:
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table.name} ALTER COLUMN {name} DROP DEFAULT"
                    )
                else:
                    value = sa.schema.CreateColumn(table.c[name]).compile(dialect=conn.dialect)
                    literal = str(value).split(" DEFAULT ", 1)[1].split(" NOT NULL")[0]
                    conn.exec_driver_sql(
                        f"ALTER TABLE {table.name} ALTER COLUMN {name} SET DEFAULT {literal}"
                    )
        else:
            import sqlite_utils  # only for this migration

            database = sqlite_utils.Database(conn.connection.driver_connection)
            database[table.name].transform(not_null=not_null, defaults=defaults)


def _migrate_v2(conn: Connection) -> None:
    """The contract (sync/records.py): HQ's tables, and the values it had written, agree
    with what both sides declare. Task kinds and target statuses take the declared names
    (HQ wrote 'handover' and 'completed'; the terminal's migration 4 renames its copies),
    in the tables and in the change log that terminals pull from scratch."""
    _align_with_contract(conn)
    kinds = [k.value for k in TaskKind]
    conn.execute(sa.text("UPDATE tasks SET kind = 'handover_intro' WHERE kind = 'handover'"))
    conn.execute(
        tasks.update().where(tasks.c.kind.not_in(kinds)).values(kind=TaskKind.CUSTOM.value)
    )
    conn.execute(sa.text("UPDATE task_targets SET status = 'done' WHERE status = 'completed'"))
    conn.execute(sa.text("UPDATE shares SET channel = 'wechat' WHERE channel = ''"))
    for entity, old, new in (
        ("task", '"kind":"handover"', '"kind":"handover_intro"'),
        ("task_target", '"status":"completed"', '"status":"done"'),
        ("share", '"channel":""', '"channel":"wechat"'),
    ):
        conn.execute(
            sa.text(
                "UPDATE changes SET data = replace(data, :old, :new)"
                " WHERE entity = :entity AND op = 'upsert' AND data LIKE :pattern"
            ),
            {"old": old, "new": new, "entity": entity, "pattern": f"%{old}%"},
        )


def _migrate_v4(conn: Connection) -> None:
    """The handover record (sync/records.py) and the audit log's columns for moves:
    added where missing (a database made at version 4 or later has them already)."""
    handovers.create(conn, checkfirst=True)
    live = {c["name"] for c in sa.inspect(conn).get_columns("audit_log")}
    for name in ("actor", "from_guide", "to_guide", "reason"):
        if name not in live:
            conn.exec_driver_sql(f"ALTER TABLE audit_log ADD COLUMN {name} TEXT")
    for index in audit_log.indexes:
        index.create(conn, checkfirst=True)


def _add_missing_columns(conn: Connection, table: sa.Table) -> None:
    live = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    for column in table.columns:
        if column.name not in live:
            ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")


def _migrate_v5(conn: Connection) -> None:
    """Who signed in, provably: guide sessions, wrong PINs per guide, the PIN-must-change
    flag, token expiry and rotation, the actor of each mutation. Added where missing (a
    database made at version 5 or later has them already)."""
    guide_sessions.create(conn, checkfirst=True)
    guide_pins.create(conn, checkfirst=True)
    for table in (guides, terminals, mutations):
        _add_missing_columns(conn, table)
    for index in terminals.indexes:
        index.create(conn, checkfirst=True)


def _migrate_v6(conn: Connection) -> None:
    """Content as HQ publishes it (issue 11): the contract's new content columns, and the
    pictures kept by content hash."""
    _align_with_contract(conn)
    pictures.create(conn, checkfirst=True)


# (version, what it does, step). Append only; each step runs once, in a write transaction.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _migrate_v1),
    (2, "the contract of sync/records.py: columns, NOT NULL, defaults, names", _migrate_v2),
    (3, "task campaigns: store time zones, evidence, review, outcomes", _align_with_contract),
    (4, "handovers (inherited from, the brief) and the audit log of moves", _migrate_v4),
    (5, "guide sessions, wrong PINs per guide, token rotation, who acted", _migrate_v5),
    (6, "content: tags, campaign, validity, product, caption, status; pictures", _migrate_v6),
    (7, "contact cap, marketing opt-out, what a share carried", _align_with_contract),
    (8, "peer tips (无师自通): the tips table", _align_with_contract),
    (9, "a share sent to a customer who had opted out of marketing", _align_with_contract),
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
# JSON text or as 0/1 integers (both from the declaration).
_JSON_KIND = {
    records.Type.TAGS: list,
    records.Type.ITEMS: list,
    records.Type.SIZES: dict,
    records.Type.JSON: dict,
}
ENTITY_SPECS: dict[str, EntitySpec] = {
    r.entity: EntitySpec(
        metadata.tables[r.hq_table],
        r.key,
        r.names,
        json_fields={f.name: _JSON_KIND[f.type] for f in r.fields if f.type in _JSON_KIND},
        bool_fields=frozenset(f.name for f in r.fields if f.type is records.Type.BOOL),
    )
    for r in records.DECLARATIONS
}
# A customer's history, in the order a move re-sends it (the terminal's dependents).
CUSTOMER_HISTORY = (
    "purchase",
    "followup",
    "share",
    "appointment",
    "task_target",
    "conflict",
    "handover",
)


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
