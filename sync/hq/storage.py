"""HQ's database: the schema, the change log terminals pull, and every write HQ makes.

One SQLAlchemy Core code path serves the embedded SQLite file (the default) and
PostgreSQL (when a brand outgrows one machine). Only three things differ, each in one
place: how a write transaction starts (SQLite: ``BEGIN IMMEDIATE``, so writers queue up
instead of failing on a lock upgrade), where a transaction's id comes from, and the bulk
insert fast path (SQLite ``executemany``, PostgreSQL ``COPY``).

The change log
--------------
Every write of master or guide data goes through :class:`Tx`, which updates the base
table and appends ``changes`` rows in the same transaction. Terminals pull that log,
scoped to their store plus the brand-wide scope ``'*'`` (products, content).

A change row has ``seq`` (a sequence number) and ``txid`` (the transaction that wrote it).
Ordering by ``seq`` alone is not safe on PostgreSQL: transaction A may take seq 10,
transaction B seq 11, and B commit first. A reader that handed out 11 and moved its cursor
past it would never see 10. So pulls order by ``(txid, seq)`` and only hand out rows whose
``txid`` is below the oldest transaction still running (``pg_snapshot_xmin``): every
transaction below that line has finished, and every transaction that starts later gets a
larger id, so nothing can ever appear behind the cursor. On SQLite writers are serialized,
so a counter bumped once inside each write transaction gives the same guarantee and no
limit is needed. The cursor is the opaque string ``"txid.seq"`` of the last row handed out.

Compaction removes rows superseded by a later row of the same entity, and tombstones, but
only below the smallest cursor of the active terminals; a terminal whose cursor is below
that horizon is told to resync from scratch (``reset_required``).
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from app.domain.customers import EDITABLE_CUSTOMER_FIELDS, Channel
from sync import protocol
from sync.hq import auth

SCHEMA_VERSION = 1
BRAND_SCOPE = "*"
ACTIVE_TERMINAL_DAYS = 30
HQ_AUTHOR = "HQ"  # who set a customer field, when it came from an import rather than a guide
_TERMINAL_TOUCH_S = 60  # how stale last_seen_at may get before a pull writes it again
_BULK_CHUNK = 5_000
_ANALYZE_AFTER = 20_000  # rows an import writes before PostgreSQL's statistics are refreshed


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_encode_str = json.encoder.encode_basestring  # the C function when available
_c_encoder = (
    # One C encoder made once: json.dumps builds a new one per call, which is most of
    # its cost for small records (a demo load encodes a million of them).
    json.encoder.c_make_encoder(None, _refuse, _encode_str, None, ":", ",", False, False, False)
    if json.encoder.c_make_encoder is not None
    else None
)
_py_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _json(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is (what the change log stores)."""
    if isinstance(value, str):
        return _encode_str(value)
    if _c_encoder is None:
        return _py_encode(value)
    return "".join(_c_encoder(value, 0))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- errors ------------------------------------------------------------------------------


class StorageError(Exception):
    """A known failure with a message an operator or a terminal can act on."""


class NotFound(StorageError):
    pass


class InvalidCursor(StorageError):
    pass


class ResetRequired(StorageError):
    """The cursor is below the compaction horizon: the terminal must pull from scratch."""


class Rejected(StorageError):
    """A pushed mutation HQ refuses; the message goes back to the terminal as the reason."""


# -- schema ------------------------------------------------------------------------------

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


# -- cursors -----------------------------------------------------------------------------

Position = tuple[int, int]  # (txid, seq)
_START: Position = (-1, -1)


def format_cursor(position: Position | None, epoch: int = 0) -> str | None:
    """``"txid.seq"``, or ``"txid.seq.epoch"`` once the log has been compacted.

    The epoch counts compactions. A cursor handed out before the latest compaction may
    have missed tombstones it removed, but only below its horizon; a cursor handed out
    since (a terminal that started its full pull after the compaction) is whole even when
    it is below the horizon. Without the epoch HQ could not tell them apart.
    """
    if position is None or position == _START:
        return None
    return f"{position[0]}.{position[1]}" + (f".{epoch}" if epoch else "")


def parse_cursor(cursor: str | None) -> tuple[Position, int]:
    """(position, epoch) of a cursor; the start of the log for None."""
    if cursor is None:
        return _START, 0
    parts = cursor.split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 19 for p in parts):
        raise InvalidCursor(f"cursor {cursor[:64]!r} was not made by this HQ")
    return (int(parts[0]), int(parts[1])), int(parts[2]) if len(parts) == 3 else 0


# -- values handed out -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TerminalRecord:
    id: str
    store_id: str
    name: str
    token_hash: str
    enrolled_at: str
    last_seen_at: str | None
    cursor: str | None
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class Enrolment:
    terminal_id: str
    token: str
    store_id: str
    store_name: str


@dataclass(frozen=True, slots=True)
class PullPage:
    """One page of the change log, with the response body already spliced together."""

    body: bytes
    count: int
    cursor: str | None
    more: bool
    remaining: int


@dataclass(frozen=True, slots=True)
class MoveResult:
    customer_id: str
    from_guide: str | None
    to_guide: str | None
    from_store: str
    to_store: str
    moved: bool  # False when the customer already belonged to that guide
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class CompactionReport:
    horizon: str | None
    removed: int


@dataclass
class ImportCounts:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0


# -- the engine --------------------------------------------------------------------------


def engine_url(db_url: str) -> str:
    """The SQLAlchemy URL of ``sqlite:///…`` or ``postgresql://…`` (psycopg 3 driver)."""
    url = db_url.strip()
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("postgresql+psycopg://"):
        return url
    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        return url
    raise StorageError(
        f"unsupported database URL {db_url!r}: use sqlite:///ABSOLUTE/PATH or postgresql://…"
    )


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    path = Path(sa.make_url(url).database or "")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the folder of {path}: {exc.strerror}") from exc
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        connect_args={"timeout": 30, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below (pysqlite would
        # otherwise issue a plain deferred BEGIN on its own).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: an acknowledged push must survive a power cut (the terminal forgets it).
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA cache_size = -32768")  # 32 MiB: the change log's indexes
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: two deferred transactions that both read
        # and then write would otherwise deadlock and one would fail with "locked".
        write = conn.get_execution_options().get("hq_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class HQStorage:
    """HQ's database. Thread-safe: every operation checks a connection out of the pool."""

    def __init__(
        self,
        db_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        pool_size: int = 16,
    ) -> None:
        self.url = engine_url(db_url)
        self.clock = clock
        # Connections kept open. The HTTP app runs at most this many handlers at once, so
        # a busy server never opens and closes overflow connections (~5 ms each on
        # PostgreSQL, a new backend process).
        self.pool_size = pool_size
        if self.url.startswith("sqlite"):
            self.dialect = "sqlite"
            self.engine = _sqlite_engine(self.url, pool_size)
        else:
            self.dialect = "postgresql"
            self.engine = sa.create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size // 2, pool_pre_ping=False
            )
        self._autocommit = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        self._pull_sql = _PullStatements(postgres=self.dialect == "postgresql")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> HQStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> str:
        return iso(self.clock())

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: one snapshot for several statements."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """A connection for statements that each stand alone (no snapshot shared).

        On PostgreSQL it runs in autocommit: no BEGIN / COMMIT round trips around a
        one-statement read, which is most of what a busy sync endpoint does.
        """
        with self._autocommit.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A write transaction; the change rows it emitted are flushed just before commit."""
        with self.engine.connect() as conn:
            conn.execution_options(hq_write=True)
            with conn.begin():
                tx = Tx(self, conn)
                yield tx
                tx.flush()

    # -- schema --------------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the schema up to date (idempotent). Returns the schema version."""
        with self.write() as tx:
            conn = tx.conn
            if self.dialect == "postgresql":
                # Several workers may start at once: one migrates, the others wait.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7202611)"))
            hq_meta.create(conn, checkfirst=True)
            version = _meta_get(conn, "schema_version")
            current = int(version) if version else 0
            for number, _what, step in MIGRATIONS:
                if number > current:
                    step(conn)
                    _meta_set(conn, "schema_version", str(number))
                    current = number
            return current

    def schema_version(self) -> int:
        try:
            with self.read() as conn:
                value = _meta_get(conn, "schema_version")
        except sa.exc.DBAPIError:
            return 0
        return int(value) if value else 0

    def require_schema(self) -> None:
        if self.schema_version() < SCHEMA_VERSION:
            raise StorageError("HQ database is not initialised: run `guidedesk-hq init` first")

    # -- master data ---------------------------------------------------------------------

    def add_store(self, store_id: str, name: str, city: str = "") -> None:
        if not store_id.strip() or not name.strip():
            raise StorageError("a store needs a code and a name")
        record = {"id": store_id.strip(), "name": name.strip(), "city": city.strip()}
        with self.write() as tx:
            if tx.get("store", record["id"]) != record:
                tx.put("store", [record], scopes=record["id"])

    def add_guide(
        self,
        guide_id: str,
        name: str,
        *,
        store_id: str,
        is_manager: bool = False,
        pin: str | None = None,
    ) -> None:
        if not guide_id.strip() or not name.strip():
            raise StorageError("a guide needs a code and a name")
        try:
            verifier = auth.pin_verifier(pin) if pin is not None else None
        except ValueError as exc:
            raise StorageError(str(exc)) from exc
        with self.write() as tx:
            if tx.get("store", store_id) is None:
                raise NotFound(f"store {store_id} does not exist (add it with add-store)")
            current = tx.get("guide", guide_id)
            record = {
                "id": guide_id.strip(),
                "store_id": store_id,
                "name": name.strip(),
                "is_manager": is_manager,
                "active": True,
                "pin_verifier": verifier or (current or {}).get("pin_verifier"),
            }
            if current is not None and current["store_id"] != store_id:
                raise StorageError(
                    f"guide {guide_id} works in store {current['store_id']};"
                    " moving a guide between stores is not supported"
                )
            if current != record:
                tx.put("guide", [record], scopes=store_id)

    def put_products(self, records: Sequence[Mapping[str, Any]]) -> int:
        with self.write() as tx:
            return tx.put_changed("product", records, scope_of=lambda r: BRAND_SCOPE)

    def put_content(self, records: Sequence[Mapping[str, Any]]) -> int:
        with self.write() as tx:
            return tx.put_changed("content", records, scope_of=lambda r: BRAND_SCOPE)

    def stores_and_guides(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        with self.read() as conn:
            found_stores = {
                r["id"]: dict(r) for r in conn.execute(sa.select(stores)).mappings().all()
            }
            found_guides = {
                r["id"]: dict(r) for r in conn.execute(sa.select(guides)).mappings().all()
            }
        return found_stores, found_guides

    def product_prices(self) -> dict[str, int]:
        with self.read() as conn:
            return {
                r[0]: r[1] for r in conn.execute(sa.select(products.c.sku, products.c.price_cents))
            }

    def known_customers(self, ids: Iterable[str]) -> set[str]:
        """Which of these customer ids HQ has."""
        with self.read() as conn:
            return set(_customer_stores(conn, ids))

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            row = (
                conn.execute(sa.select(customers).where(customers.c.id == customer_id))
                .mappings()
                .first()
            )
        return ENTITY_SPECS["customer"].to_record(row) if row else None

    def owners(self, customer_id: str) -> list[dict[str, Any]]:
        with self.read() as conn:
            rows = conn.execute(
                sa.select(customer_owners)
                .where(customer_owners.c.customer_id == customer_id)
                .order_by(customer_owners.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    # -- moves (在职转接 / 离职继承) -----------------------------------------------------

    def move_customer(self, customer_id: str, to_guide_id: str) -> MoveResult:
        """Give a customer to another guide, with their whole history, in one transaction."""
        with self.write() as tx:
            guide = tx.active_guide(to_guide_id)
            result = tx.move(customer_id, guide["store_id"], guide["id"])
            if result.moved:
                task_id = tx.handover_task(guide, [customer_id], result.from_guide)
                return dataclasses.replace(result, task_id=task_id)
            return result

    def depart_guide(self, guide_id: str, to_guide_id: str) -> list[MoveResult]:
        """A guide leaves: every customer goes to ``to_guide_id``; the guide is deactivated."""
        if guide_id == to_guide_id:
            raise StorageError("a departing guide cannot inherit their own customers")
        with self.write() as tx:
            leaving = tx.get("guide", guide_id)
            if leaving is None:
                raise NotFound(f"guide {guide_id} does not exist")
            heir = tx.active_guide(to_guide_id)
            ids = [
                r[0]
                for r in tx.conn.execute(
                    sa.select(customers.c.id)
                    .where(customers.c.guide_id == guide_id)
                    .order_by(customers.c.id)
                )
            ]
            results = [tx.move(c, heir["store_id"], heir["id"]) for c in ids]
            if ids:
                tx.handover_task(heir, ids, guide_id)
            if leaving["active"]:
                tx.put("guide", [{**leaving, "active": False}], scopes=leaving["store_id"])
            return results

    # -- terminals -----------------------------------------------------------------------

    def create_enroll_code(self, store_id: str, *, hours: float = 24) -> str:
        if not 0 < hours <= 24 * 30:
            raise StorageError("an enrolment code lives between a few minutes and 30 days")
        code = auth.new_enroll_code()
        now = self.clock()
        with self.write() as tx:
            if tx.get("store", store_id) is None:
                raise NotFound(f"store {store_id} does not exist")
            tx.conn.execute(
                enroll_codes.insert().values(
                    code_hash=auth.code_hash(code),
                    store_id=store_id,
                    created_at=iso(now),
                    expires_at=iso(now + timedelta(hours=hours)),
                )
            )
        return code

    def enroll(self, code: str, terminal_name: str = "") -> Enrolment | None:
        """Trade a one-time code for a new terminal; None when the code is unknown,
        used or expired (one answer for all three: nothing to learn from probing)."""
        now = self.now()
        hashed = auth.code_hash(code)
        token = auth.new_token()
        terminal_id = f"T-{uuid.uuid4().hex[:16]}"
        with self.write() as tx:
            taken = tx.conn.execute(
                enroll_codes.update()
                .where(
                    enroll_codes.c.code_hash == hashed,
                    enroll_codes.c.used_at.is_(None),
                    enroll_codes.c.expires_at > now,
                )
                .values(used_at=now, terminal_id=terminal_id)
            )
            if taken.rowcount != 1:
                return None
            store_id = tx.conn.execute(
                sa.select(enroll_codes.c.store_id).where(enroll_codes.c.code_hash == hashed)
            ).scalar_one()
            store = tx.get("store", store_id)
            tx.conn.execute(
                terminals.insert().values(
                    id=terminal_id,
                    store_id=store_id,
                    name=terminal_name.strip()[:100],
                    token_hash=auth.token_hash(token),
                    enrolled_at=now,
                    last_seen_at=now,
                )
            )
        return Enrolment(terminal_id, token, store_id, store["name"] if store else "")

    def terminal_for_token(self, token: str) -> TerminalRecord | None:
        with self.lookup() as conn:
            row = conn.execute(_TERMINAL_BY_TOKEN, {"h": auth.token_hash(token)}).first()
        return TerminalRecord(*row) if row else None

    def touch_terminal(
        self, terminal: TerminalRecord, *, pulled: bool = False, cursor: str | None = None
    ) -> None:
        """Record that a terminal was seen; after a pull, also the cursor it sent (it has
        applied everything up to there, and compaction stops below it).

        At most once a minute per terminal, so a busy terminal's syncs stay read-only. A
        recorded cursor that lags only makes compaction keep more; it never costs
        correctness: a terminal below the horizon is told to resync whatever was recorded.
        """
        now = self.clock()
        fresh = terminal.last_seen_at and terminal.last_seen_at >= iso(
            now - timedelta(seconds=_TERMINAL_TOUCH_S)
        )
        first_cursor = pulled and terminal.cursor is None and cursor is not None
        if fresh and not first_cursor:
            return
        values: dict[str, Any] = {"last_seen_at": iso(now)}
        if pulled:
            values["cursor"] = cursor
        with self.write() as tx:
            tx.conn.execute(terminals.update().where(terminals.c.id == terminal.id).values(values))

    def revoke_terminal(self, terminal_id: str) -> None:
        with self.write() as tx:
            done = tx.conn.execute(
                terminals.update()
                .where(terminals.c.id == terminal_id, terminals.c.revoked_at.is_(None))
                .values(revoked_at=self.now())
            )
            if done.rowcount == 0:
                exists = tx.conn.execute(
                    sa.select(terminals.c.id).where(terminals.c.id == terminal_id)
                ).first()
                if exists is None:
                    raise NotFound(f"terminal {terminal_id} does not exist")

    def list_terminals(self) -> list[dict[str, Any]]:
        with self.read() as conn:
            rows = conn.execute(
                sa.select(terminals).order_by(terminals.c.store_id, terminals.c.enrolled_at)
            ).mappings()
            return [
                {k: v for k, v in r.items() if k != "token_hash"} | {"active": not r["revoked_at"]}
                for r in rows
            ]

    # -- pull ----------------------------------------------------------------------------

    def pull(self, store_id: str, cursor: str | None, limit: int) -> PullPage:
        """The next page of the store's change log after ``cursor`` (see module doc)."""
        after, epoch = parse_cursor(cursor)
        limit = max(1, min(limit, protocol.MAX_PULL_LIMIT))
        sql = self._pull_sql
        params: dict[str, Any] = {
            "scope": store_id,
            "txid": after[0],
            "seq": after[1],
            "limit": limit + 1,
        }
        with self.lookup() if sql.postgres else self.read() as conn:
            if sql.postgres:
                # One statement, one snapshot: the horizon, the visibility limit and the
                # rows agree with each other (and a pull is one round trip).
                rows = conn.execute(sql.page, params).all()
                horizon = next((r[6] for r in rows if r[0] is None), None)
                runs = [sorted((r[:6] for r in rows if r[0] is not None), key=_position)]
            else:
                # A read transaction is a snapshot on SQLite. Two index ranges per scope
                # instead of one "(txid, seq) > (t, s)", which SQLite seeks on txid only:
                # a page deep inside one big transaction (an import) would rescan it.
                horizon = _meta_get(conn, "horizon")
                runs = []
                for scope in (store_id, BRAND_SCOPE):
                    rows = conn.execute(sql.same_tx, {**params, "scope": scope}).all()
                    if len(rows) <= limit:
                        rows += conn.execute(sql.later_tx, {**params, "scope": scope}).all()
                    runs.append(rows)
            below, current_epoch = parse_cursor(horizon or None)
            if cursor is not None and (
                epoch > current_epoch or (epoch < current_epoch and after < below)
            ):
                raise ResetRequired(
                    "本终端太久没有同步，需要重新下载全部数据 (cursor older than the log: full resync)"
                )
            page = list(islice(heapq.merge(*runs, key=_position), limit + 1))
            more = len(page) > limit
            page = page[:limit]
            # ``remaining``: rows after this page, for the first sync's progress bar.
            remaining = 0
            if more and cursor is None:
                total = conn.execute(sql.count_scope, {"scope": store_id}).scalar() or 0
                remaining = max(0, total - len(page))
            elif more:
                remaining = _estimate_remaining(conn, page)
        # Stamped with the current epoch: this terminal is now up to date with it.
        new_cursor = format_cursor(_position(page[-1]) if page else after, current_epoch)
        return PullPage(
            body=_page_body(page, new_cursor, more, remaining),
            count=len(page),
            cursor=new_cursor,
            more=more,
            remaining=remaining,
        )

    def head_cursor(self, store_id: str) -> str | None:
        with self.read() as conn:
            return self._head(conn, store_id)

    def _head(self, conn: Connection, store_id: str) -> str | None:
        sql = self._pull_sql
        heads = [
            tuple(row)
            for scope in (store_id, BRAND_SCOPE)
            if (row := conn.execute(sql.head, {"scope": scope}).first()) is not None
        ]
        below, epoch = parse_cursor(_meta_get(conn, "horizon") or None)
        if below != _START:
            heads.append(below)
        return format_cursor(max(heads), epoch) if heads else None

    def checksums(
        self, store_id: str, entities: Iterable[str]
    ) -> tuple[str | None, dict[str, protocol.EntityChecksum]]:
        """Per entity, the digest of (id, version) of the latest upsert of each id the
        store's terminal sees; plus the head cursor those digests correspond to."""
        sql = self._pull_sql
        result: dict[str, protocol.EntityChecksum] = {}
        with self.read() as conn:
            params: dict[str, Any] = {"scope": store_id}
            for entity in entities:
                latest: dict[str, tuple[str, int]] = {}
                for entity_id, op, seq in conn.execute(sql.versions, {**params, "entity": entity}):
                    latest[entity_id] = (op, seq)
                pairs = [(i, seq) for i, (op, seq) in latest.items() if op == "upsert"]
                result[entity] = protocol.checksum_of(pairs)
            head = self._head(conn, store_id)
        return head, result

    # -- compaction ----------------------------------------------------------------------

    def compact(self, *, older_than_days: int = ACTIVE_TERMINAL_DAYS) -> CompactionReport:
        """Drop superseded change rows and tombstones below every active terminal's cursor.

        A terminal is active when it is not revoked and was seen within ``older_than_days``;
        a terminal idle for longer is not waited for and resyncs from scratch if it returns.
        """
        cutoff = iso(self.clock() - timedelta(days=older_than_days))
        with self.write() as tx:
            conn = tx.conn
            visible = None
            if self.dialect == "postgresql":
                visible = conn.execute(self._pull_sql.visible).scalar_one()
            head_sql = sa.select(changes.c.txid, changes.c.seq)
            if visible is not None:
                head_sql = head_sql.where(changes.c.txid < visible)
            head = conn.execute(
                head_sql.order_by(changes.c.txid.desc(), changes.c.seq.desc()).limit(1)
            ).first()
            if head is None:
                return CompactionReport(_meta_get(conn, "horizon"), 0)
            active = [
                parse_cursor(c)[0]
                for (c,) in conn.execute(
                    sa.select(terminals.c.cursor).where(
                        terminals.c.revoked_at.is_(None),
                        terminals.c.last_seen_at >= cutoff,
                        terminals.c.cursor.is_not(None),
                    )
                )
            ]
            horizon = min([tuple(head), *active])
            old = _meta_get(conn, "horizon") or None
            old_position, epoch = parse_cursor(old)
            if old_position >= horizon:
                return CompactionReport(old, 0)
            removed = conn.execute(
                sa.text(
                    "DELETE FROM changes WHERE (txid < :t OR (txid = :t AND seq < :s))"
                    " AND (op = 'delete' OR EXISTS (SELECT 1 FROM changes later"
                    " WHERE later.scope = changes.scope AND later.entity = changes.entity"
                    " AND later.entity_id = changes.entity_id"
                    " AND (later.txid > changes.txid"
                    " OR (later.txid = changes.txid AND later.seq > changes.seq))))"
                ),
                {"t": horizon[0], "s": horizon[1]},
            ).rowcount
            if not removed:
                return CompactionReport(old, 0)  # nothing gone: no terminal needs a reset
            new_horizon = format_cursor(horizon, epoch + 1) or ""
            _meta_set(conn, "horizon", new_horizon)
            _meta_set(conn, "compacted_at", self.now())
            return CompactionReport(new_horizon, removed)

    # -- push ----------------------------------------------------------------------------

    def push(
        self, terminal: TerminalRecord, batch: Sequence[protocol.Mutation]
    ) -> list[dict[str, str]]:
        """Apply pushed mutations, each in its own transaction with its ``mutations`` row.

        Answers per mutation: applied, duplicate (seen before; a rejected one is rejected
        again with its first reason), or rejected with a plain reason.
        """
        with self.lookup() as conn:
            seen = _seen_mutations(conn, [m.id for m in batch])
            wanted = list({m.guide_id for m in batch if m.id not in seen})
            found = conn.execute(sa.select(guides).where(guides.c.id.in_(wanted))).mappings()
            by_id = {g["id"]: ENTITY_SPECS["guide"].to_record(g) for g in found}
        results = []
        for mutation in batch:
            previous = seen.get(mutation.id)
            if previous is None:
                previous = self._apply_mutation(terminal, mutation, by_id.get(mutation.guide_id))
                seen[mutation.id] = previous
                status, reason = previous
            else:
                status, reason = previous
                status = "rejected" if status == "rejected" else "duplicate"
            results.append({"id": mutation.id, "status": status, "reason": reason})
        return results

    def _seen_mutations(self, ids: list[str]) -> dict[str, tuple[str, str]]:
        with self.lookup() as conn:
            return _seen_mutations(conn, ids)

    def _apply_mutation(
        self, terminal: TerminalRecord, m: protocol.Mutation, guide: Mapping[str, Any] | None
    ) -> tuple[str, str]:
        now = self.now()
        row = {
            "id": m.id,
            "terminal_id": terminal.id,
            "guide_id": m.guide_id,
            "entity": m.entity,
            "op": m.op,
            "received_at": now,
        }
        try:
            handler = _handler(terminal, m, guide)
            with self.write() as tx:
                handler(tx, terminal, guide, m, now)
                tx.conn.execute(mutations.insert().values(**row, status="applied", reason=""))
            return ("applied", "")
        except Rejected as refusal:
            reason = str(refusal)
        except sa.exc.IntegrityError as exc:
            # A concurrent push of the same mutation won the race: report its outcome.
            again = self._seen_mutations([m.id]).get(m.id)
            if again is not None:
                return again
            reason = (
                f"总部无法保存这条记录 / HQ cannot store this record ({type(exc.orig).__name__})"
            )
        try:
            with self.write() as tx:
                tx.conn.execute(mutations.insert().values(**row, status="rejected", reason=reason))
        except sa.exc.IntegrityError:
            again = self._seen_mutations([m.id]).get(m.id)
            if again is None:
                raise
            return again
        return ("rejected", reason)

    # -- bulk loading --------------------------------------------------------------------

    def load_brand(
        self,
        *,
        stores_: Iterable[Mapping[str, Any]],
        guides_: Iterable[Mapping[str, Any]],
        products_: Iterable[Mapping[str, Any]],
        customers_: Iterable[Mapping[str, Any]],
        purchases_: Iterable[Mapping[str, Any]],
        followups_: Iterable[Mapping[str, Any]] = (),
        content_: Iterable[Mapping[str, Any]] = (),
        meta: Mapping[str, str] | None = None,
    ) -> dict[str, int]:
        """Insert a whole brand into an empty HQ in one transaction (demo data, benchmarks).

        Records are wire records; customers' and purchases' scope is the customer's store.
        ``meta`` entries are written in the same transaction (a marker that it happened).
        """
        counts: dict[str, int] = {}
        with self.write() as tx:
            existing = tx.conn.execute(sa.select(sa.func.count()).select_from(customers)).scalar()
            if existing:
                raise StorageError("HQ already holds customers: bulk loading needs an empty HQ")
            counts["stores"] = tx.insert_new("store", stores_, scope_of=lambda r: r["id"])
            counts["guides"] = tx.insert_new("guide", guides_, scope_of=lambda r: r["store_id"])
            counts["products"] = tx.insert_new("product", products_, scope_of=lambda r: BRAND_SCOPE)
            counts["content"] = tx.insert_new("content", content_, scope_of=lambda r: BRAND_SCOPE)
            store_of: dict[str, str] = {}
            owners: list[tuple[Any, ...]] = []

            def customer_scope(record: Mapping[str, Any]) -> str:
                store_of[record["id"]] = record["store_id"]
                owners.append(
                    (
                        record["id"],
                        record["guide_id"],
                        record["store_id"],
                        record.get("joined_at") or tx.now,
                        None,
                    )
                )
                return record["store_id"]

            counts["customers"] = tx.insert_new("customer", customers_, scope_of=customer_scope)
            tx.insert_rows(
                customer_owners, ("customer_id", "guide_id", "store_id", "since", "until"), owners
            )
            counts["purchases"] = tx.insert_new(
                "purchase", purchases_, scope_of=lambda r: store_of[r["customer_id"]]
            )
            counts["followups"] = tx.insert_new(
                "followup", followups_, scope_of=lambda r: store_of[r["customer_id"]]
            )
            for key, value in (meta or {}).items():
                _meta_set(tx.conn, key, value)
        self._analyze()
        return counts

    def _analyze(self) -> None:
        """After a bulk load on PostgreSQL: fresh statistics, or the planner guesses at a
        million new rows (and a first sync's pages come from bitmap scans and sorts)."""
        if self.dialect == "postgresql":
            with self._autocommit.connect() as conn:
                conn.exec_driver_sql("ANALYZE changes, customers, purchases, customer_owners")

    # -- imports -------------------------------------------------------------------------

    def import_customers(self, records: Sequence[Mapping[str, Any]]) -> ImportCounts:
        """Create or update customers (wire records from the CRM) in one transaction.

        Tags from the CRM are added to the customer's tags (a guide's tags are kept);
        identity, tier, points and joined_at are HQ's and overwrite; a change of owner
        goes through :meth:`Tx.move` like any other move. Only real changes are logged.
        """
        counts = ImportCounts()
        with self.write() as tx:
            current = tx.load("customer", [r["id"] for r in records])
            fresh = [r for r in records if r["id"] not in current]
            tx.insert_new(
                "customer",
                [{**r, "field_authors": _json(_authors_of(r))} for r in fresh],
                scope_of=lambda r: r["store_id"],
                extra=("field_authors",),
            )
            tx.insert_rows(
                customer_owners,
                ("customer_id", "guide_id", "store_id", "since", "until"),
                [(r["id"], r["guide_id"], r["store_id"], tx.now, None) for r in fresh],
            )
            counts.imported = len(fresh)
            moves: dict[str, list[str]] = {}
            for record in records:
                old = current.get(record["id"])
                if old is None:
                    continue
                merged = {**old, **{k: record[k] for k in _IMPORTED_FIELDS}}
                merged["tags"] = list(dict.fromkeys([*old["tags"], *record["tags"]]))
                owner_changes = (old["store_id"], old["guide_id"]) != (
                    record["store_id"],
                    record["guide_id"],
                )
                if merged == old and not owner_changes:
                    counts.unchanged += 1
                    continue
                counts.updated += 1
                if owner_changes:
                    result = tx.move(record["id"], record["store_id"], record["guide_id"])
                    if result.moved and record["guide_id"]:
                        moves.setdefault(record["guide_id"], []).append(record["id"])
                if merged != old:
                    authors = tx.field_authors(record["id"])
                    if merged["tags"] != old["tags"]:
                        authors["tags"] = HQ_AUTHOR
                    owner = {"store_id": record["store_id"], "guide_id": record["guide_id"]}
                    tx.put(
                        "customer",
                        [merged | owner],
                        scopes=record["store_id"],
                        extra={"field_authors": _json(authors), "updated_at": tx.now},
                    )
            for guide_id, moved in moves.items():
                tx.handover_task(tx.active_guide(guide_id), moved, None)
        if counts.imported + counts.updated > _ANALYZE_AFTER:
            self._analyze()
        return counts

    def import_purchases(self, records: Sequence[Mapping[str, Any]]) -> ImportCounts:
        """Create or update orders (wire records) in one transaction; scope = the
        customer's current store. Unknown customers must be refused by the caller."""
        counts = ImportCounts()
        with self.write() as tx:
            current = tx.load("purchase", [r["id"] for r in records])
            store_of = tx.customer_stores({r["customer_id"] for r in records})
            fresh = [r for r in records if r["id"] not in current]
            counts.imported = tx.insert_new(
                "purchase", fresh, scope_of=lambda r: store_of[r["customer_id"]]
            )
            changed = [r for r in records if r["id"] in current and current[r["id"]] != dict(r)]
            if changed:
                tx.put("purchase", changed, scopes=[store_of[r["customer_id"]] for r in changed])
            counts.updated = len(changed)
            counts.unchanged = len(records) - counts.imported - counts.updated
        if counts.imported + counts.updated > _ANALYZE_AFTER:
            self._analyze()
        return counts

    # -- reports -------------------------------------------------------------------------

    def counts(self, store_id: str | None = None) -> dict[str, int]:
        """Rows per kind, brand-wide or for one store (records of its customers)."""
        by_customer = ("purchases", "followups", "shares", "appointments", "conflicts")
        found: dict[str, int] = {}
        with self.read() as conn:

            def count(table: sa.Table, where: Any = None) -> int:
                query = sa.select(sa.func.count()).select_from(table)
                if where is not None:
                    query = query.where(where)
                return int(conn.execute(query).scalar() or 0)

            store_customers = sa.select(customers.c.id).where(customers.c.store_id == store_id)
            found["stores"] = count(stores, stores.c.id == store_id if store_id else None)
            found["guides"] = count(guides, guides.c.store_id == store_id if store_id else None)
            found["customers"] = count(
                customers, customers.c.store_id == store_id if store_id else None
            )
            for name in by_customer:
                table = metadata.tables[name]
                found[name] = count(
                    table, table.c.customer_id.in_(store_customers) if store_id else None
                )
            found["tasks"] = count(tasks, tasks.c.store_id == store_id if store_id else None)
            found["task_targets"] = count(
                task_targets,
                task_targets.c.customer_id.in_(store_customers) if store_id else None,
            )
            found["products"] = count(products)
            found["content"] = count(content)
            found["terminals"] = count(
                terminals, terminals.c.store_id == store_id if store_id else None
            )
            found["active_terminals"] = count(
                terminals,
                sa.and_(
                    terminals.c.revoked_at.is_(None),
                    terminals.c.store_id == store_id if store_id else sa.true(),
                ),
            )
            found["changes"] = count(
                changes, changes.c.scope.in_([store_id, BRAND_SCOPE]) if store_id else None
            )
            found["audit_log"] = count(audit_log)
        return found

    def meta(self) -> dict[str, str]:
        with self.read() as conn:
            return {k: v for k, v in conn.execute(sa.select(hq_meta.c.key, hq_meta.c.value))}


# What a CRM import overwrites (the owner goes through a move; tags are added to).
_IMPORTED_FIELDS = (
    "name",
    "phone",
    "gender",
    "birthday",
    "tier",
    "points",
    "joined_at",
)


def _authors_of(record: Mapping[str, Any]) -> dict[str, str]:
    return {"tags": HQ_AUTHOR} if record.get("tags") else {}


def _position(row: Sequence[Any]) -> Position:
    return (row[0], row[1])


def _page_body(page: list[Any], cursor: str | None, more: bool, remaining: int) -> bytes:
    # The stored data is already the wire record's JSON: splice it, never re-encode it.
    parts = [
        f'{{"entity":"{entity}","op":"{op}","id":{_encode_str(entity_id)},"version":{seq},"data":{data}}}'
        for _txid, seq, entity, entity_id, op, data in page
    ]
    return (
        '{"changes":['
        + ",".join(parts)
        + '],"cursor":'
        + _json(cursor)
        + ',"more":'
        + ("true" if more else "false")
        + ',"remaining":'
        + str(remaining)
        + "}"
    ).encode("utf-8")


def _estimate_remaining(conn: Connection, page: list[Any]) -> int:
    """Rows left after a full page, from the page's density in the global seq space
    (counting them exactly would cost a scan per page; the progress bar needs a guess)."""
    first_seq, last_seq = min(r[1] for r in page), max(r[1] for r in page)
    head = conn.execute(sa.select(sa.func.max(changes.c.seq))).scalar() or last_seq
    density = len(page) / max(1, last_seq - first_seq + 1)
    return max(1, int((head - last_seq) * density))


class _PullStatements:
    """The pull's statements, prepared once (the only SQL that differs per dialect)."""

    def __init__(self, *, postgres: bool) -> None:
        self.postgres = postgres
        # Transactions below the oldest one still running have all finished.
        self.visible = sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        columns = "txid, seq, entity, entity_id, op, data"
        limit = ""
        if postgres:
            # A scalar subquery: evaluated once per statement, in the statement's snapshot.
            limit = " AND txid < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"
            scoped = (
                f"SELECT * FROM (SELECT {columns}, NULL AS horizon FROM changes"
                f" WHERE scope = {{scope}} AND (txid, seq) > (:txid, :seq){limit}"
                " ORDER BY txid, seq LIMIT :limit) AS {name}"
            )
            # PostgreSQL seeks a row comparison on (scope, txid, seq) directly. The first
            # row carries the compaction horizon, read in the same snapshot as the page.
            self.page = sa.text(
                "SELECT NULL::bigint, NULL::bigint, NULL, NULL, NULL, NULL,"
                " (SELECT value FROM hq_meta WHERE key = 'horizon')"
                f" UNION ALL {scoped.format(scope=':scope', name='store_rows')}"
                f" UNION ALL {scoped.format(scope=repr('*'), name='brand_rows')}"
            )
        select = f"SELECT {columns} FROM changes"
        self.same_tx = sa.text(
            f"{select} WHERE scope = :scope AND txid = :txid AND seq > :seq{limit}"
            " ORDER BY txid, seq LIMIT :limit"
        )
        self.later_tx = sa.text(
            f"{select} WHERE scope = :scope AND txid > :txid{limit} ORDER BY txid, seq LIMIT :limit"
        )
        self.count_scope = sa.text(
            f"SELECT count(*) FROM changes WHERE scope IN (:scope, '*'){limit}"
        )
        self.head = sa.text(
            f"SELECT txid, seq FROM changes WHERE scope = :scope{limit}"
            " ORDER BY txid DESC, seq DESC LIMIT 1"
        )
        self.versions = sa.text(
            "SELECT entity_id, op, seq FROM changes"
            f" WHERE scope IN (:scope, '*') AND entity = :entity{limit} ORDER BY txid, seq"
        )


_TERMINAL_BY_TOKEN = sa.select(terminals).where(terminals.c.token_hash == sa.bindparam("h"))


def _seen_mutations(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Outcome (status, reason) of the mutations HQ has seen among ``ids``."""
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        query = sa.select(mutations.c.id, mutations.c.status, mutations.c.reason).where(
            mutations.c.id.in_(ids[start : start + 500])
        )
        found.update({mid: (status, reason) for mid, status, reason in conn.execute(query)})
    return found


def _customer_stores(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Customer id -> current store, for the ids that exist (chunked IN lists)."""
    unique = list(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(unique), 500):
        query = sa.select(customers.c.id, customers.c.store_id).where(
            customers.c.id.in_(unique[start : start + 500])
        )
        found.update({r[0]: r[1] for r in conn.execute(query)})
    return found


def _meta_get(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(hq_meta.c.value).where(hq_meta.c.key == key)).scalar()


def _meta_set(conn: Connection, key: str, value: str) -> None:
    done = conn.execute(hq_meta.update().where(hq_meta.c.key == key).values(value=value))
    if done.rowcount == 0:
        conn.execute(hq_meta.insert().values(key=key, value=value))


# -- the write transaction ---------------------------------------------------------------


class Tx:
    """One write transaction: base tables and change rows change together, or not at all."""

    def __init__(self, storage: HQStorage, conn: Connection) -> None:
        self.storage = storage
        self.conn = conn
        self.now = storage.now()
        self._txid: int | None = None
        self._pending: list[dict[str, Any]] = []

    @property
    def postgres(self) -> bool:
        return self.storage.dialect == "postgresql"

    def txid(self) -> int:
        """This transaction's id: PostgreSQL's own, or SQLite's counter bumped once."""
        if self._txid is None:
            if self.postgres:
                query = "SELECT pg_current_xact_id()::text::bigint"
            else:
                query = "UPDATE hq_txid SET value = value + 1 WHERE id = 1 RETURNING value"
            self._txid = int(self.conn.execute(sa.text(query)).scalar_one())
        return self._txid

    # -- the change log ------------------------------------------------------------------

    def emit(self, scope: str, entity: str, entity_id: str, op: str, data: str) -> None:
        self._pending.append(
            {
                "scope": scope,
                "entity": entity,
                "entity_id": entity_id,
                "op": op,
                "data": data,
            }
        )
        if len(self._pending) >= _BULK_CHUNK:
            self.flush()

    def emit_upsert(self, entity: str, record: Mapping[str, Any], *, scope: str) -> None:
        spec = ENTITY_SPECS[entity]
        self.emit(scope, entity, spec.change_id(record), "upsert", _json(_wire(spec, record)))

    def emit_delete(self, entity: str, entity_id: str, *, scope: str, reason: str = "") -> None:
        self.emit(scope, entity, entity_id, "delete", _json({"reason": reason}) if reason else "{}")

    def flush(self) -> None:
        if not self._pending:
            return
        if self.postgres and self._txid is None:
            # PostgreSQL fills in its own transaction id: no extra round trip for it.
            self.conn.execute(_INSERT_CHANGE_PG, self._pending)
        else:
            txid = self.txid()
            self.conn.execute(changes.insert(), [{**row, "txid": txid} for row in self._pending])
        self._pending = []

    # -- base tables + change rows, together ---------------------------------------------

    def put(
        self,
        entity: str,
        records: Sequence[Mapping[str, Any]],
        *,
        scopes: str | Sequence[str],
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Upsert records of one entity and append their change rows.

        This (with :meth:`insert_new` for bulk loads) is the one way master and guide
        data is written: the base row and the change the terminals pull never diverge.
        ``extra`` sets HQ-only columns that are not part of the wire record.
        """
        if not records:
            return
        spec = ENTITY_SPECS[entity]
        records = [_wire(spec, r) for r in records]
        rows = [spec.to_row(r) | dict(extra or {}) for r in records]
        insert = (pg_insert if self.postgres else sqlite_insert)(spec.table)
        statement = insert.on_conflict_do_update(
            index_elements=list(spec.keys),
            set_={c: insert.excluded[c] for c in rows[0] if c not in spec.keys},
        )
        self.conn.execute(statement, rows)
        for n, record in enumerate(records):
            scope = scopes if isinstance(scopes, str) else scopes[n]
            self.emit_upsert(entity, record, scope=scope)

    def insert_if_new(
        self,
        entity: str,
        record: Mapping[str, Any],
        *,
        scope: str,
        extra: Mapping[str, Any] | None = None,
    ) -> bool:
        """Insert a record made on a terminal unless its id exists; log it if inserted.

        Records a guide creates (follow-ups, shares, appointments) carry a client id: the
        same record arriving again under another mutation id is not a second record.
        """
        spec = ENTITY_SPECS[entity]
        wire = _wire(spec, record)
        insert = (pg_insert if self.postgres else sqlite_insert)(spec.table)
        statement = insert.on_conflict_do_nothing(index_elements=list(spec.keys)).returning(
            spec.table.c[spec.keys[0]]
        )
        inserted = self.conn.execute(statement, spec.to_row(wire) | dict(extra or {})).first()
        if inserted is None:
            return False
        self.emit_upsert(entity, wire, scope=scope)
        return True

    def put_changed(
        self,
        entity: str,
        records: Sequence[Mapping[str, Any]],
        *,
        scope_of: Callable[[Mapping[str, Any]], str],
    ) -> int:
        """:meth:`put` only the records that differ from what is stored."""
        spec = ENTITY_SPECS[entity]
        current = self.load(entity, [spec.change_id(r) for r in records])
        wanted = [_wire(spec, r) for r in records]
        changed = [r for r in wanted if current.get(spec.change_id(r)) != r]
        self.put(entity, changed, scopes=[scope_of(r) for r in changed])
        return len(changed)

    def insert_new(
        self,
        entity: str,
        records: Iterable[Mapping[str, Any]],
        *,
        scope_of: Callable[[Mapping[str, Any]], str],
        extra: tuple[str, ...] = (),
    ) -> int:
        """Bulk-insert records known to be new, with their change rows (the fast path)."""
        spec = ENTITY_SPECS[entity]
        fields = spec.fields
        columns = (*fields, *extra)
        # Positions to fix up per row, worked out once (this loop runs a million times).
        defaults = [(fields.index(f), v) for f, v in _DEFAULTS[entity].items()]
        defaults += [(fields.index(f), kind) for f, kind in spec.json_fields.items()]
        json_at = [fields.index(f) for f in spec.json_fields]
        bool_at = [fields.index(f) for f in spec.bool_fields]
        key_at = [fields.index(k) for k in spec.keys]
        txid = self.txid()
        self.flush()
        base: list[tuple[Any, ...]] = []
        logged: list[tuple[Any, ...]] = []
        count = 0
        for record in records:
            values = [record.get(f) for f in fields]
            for n, default in defaults:
                if values[n] is None:
                    values[n] = default() if isinstance(default, type) else default
            for n in bool_at:
                values[n] = bool(values[n])
            data = _json(dict(zip(fields, values, strict=True)))
            change_id = ":".join(str(values[n]) for n in key_at)
            for n in json_at:
                values[n] = _json(values[n])
            values.extend(record[x] for x in extra)
            base.append(tuple(values))
            logged.append((txid, scope_of(record), entity, change_id, "upsert", data))
            count += 1
            if len(base) >= _BULK_CHUNK:
                self.insert_rows(spec.table, columns, base)
                self.insert_rows(changes, _CHANGE_COLUMNS, logged)
                base, logged = [], []
        self.insert_rows(spec.table, columns, base)
        self.insert_rows(changes, _CHANGE_COLUMNS, logged)
        return count

    def insert_rows(
        self, table: sa.Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Plain bulk insert: ``COPY`` on PostgreSQL, ``executemany`` on SQLite."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            driver = self.conn.connection.driver_connection
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.conn.exec_driver_sql(
                f"INSERT INTO {table.name} ({names}) VALUES ({marks})", list(rows)
            )

    # -- reads inside the transaction ----------------------------------------------------

    def get(self, entity: str, entity_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        spec = ENTITY_SPECS[entity]
        keys = entity_id.split(":", len(spec.keys) - 1)
        if len(keys) != len(spec.keys):
            return None
        query = _GET_LOCKED[entity] if lock else _GET[entity]
        params = {f"k{n}": value for n, value in enumerate(keys)}
        row = self.conn.execute(query, params).mappings().first()
        return spec.to_record(row) if row else None

    def load(self, entity: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Wire records by id (single-key entities), fetched in chunks."""
        spec = ENTITY_SPECS[entity]
        key = spec.table.c[spec.keys[0]]
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            query = sa.select(spec.table).where(key.in_(unique[start : start + 500]))
            for row in self.conn.execute(query).mappings():
                record = spec.to_record(row)
                found[spec.change_id(record)] = record
        return found

    def customer_stores(self, ids: Iterable[str]) -> dict[str, str]:
        return _customer_stores(self.conn, ids)

    def field_authors(self, customer_id: str) -> dict[str, str]:
        raw = self.conn.execute(
            sa.select(customers.c.field_authors).where(customers.c.id == customer_id)
        ).scalar()
        return json.loads(raw) if raw else {}

    def active_guide(self, guide_id: str) -> dict[str, Any]:
        guide = self.get("guide", guide_id)
        if guide is None:
            raise NotFound(f"guide {guide_id} does not exist")
        if not guide["active"]:
            raise StorageError(f"guide {guide_id} has left (inactive): choose an active guide")
        return guide

    def history(self, customer_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Every record of a customer's history, as (entity, wire record)."""
        found = []
        for entity in CUSTOMER_HISTORY:
            spec = ENTITY_SPECS[entity]
            rows = self.conn.execute(
                sa.select(spec.table)
                .where(spec.table.c.customer_id == customer_id)
                .order_by(*[spec.table.c[k] for k in spec.keys])
            ).mappings()
            found += [(entity, spec.to_record(r)) for r in rows]
        return found

    # -- moves ---------------------------------------------------------------------------

    def move(self, customer_id: str, to_store: str, to_guide: str | None) -> MoveResult:
        """Change a customer's owner inside this transaction (see HQStorage.move_customer).

        Another store: the old store's terminals get tombstones for the whole history and
        then for the customer (reason "moved"), the new store's get the customer and the
        whole history, so A → B → A comes back complete. Same store: one upsert.
        """
        customer = self.get("customer", customer_id, lock=True)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        from_store, from_guide = customer["store_id"], customer["guide_id"]
        result = MoveResult(customer_id, from_guide, to_guide, from_store, to_store, moved=False)
        if (from_store, from_guide) == (to_store, to_guide):
            return result
        self.conn.execute(
            customer_owners.update()
            .where(customer_owners.c.customer_id == customer_id, customer_owners.c.until.is_(None))
            .values(until=self.now)
        )
        self.conn.execute(
            customer_owners.insert().values(
                customer_id=customer_id, guide_id=to_guide, store_id=to_store, since=self.now
            )
        )
        moved = {**customer, "store_id": to_store, "guide_id": to_guide}
        history = self.history(customer_id) if from_store != to_store else []
        for entity, record in history:
            self.emit_delete(entity, ENTITY_SPECS[entity].change_id(record), scope=from_store)
        if from_store != to_store:
            self.emit_delete("customer", customer_id, scope=from_store, reason="moved")
        self.put("customer", [moved], scopes=to_store, extra={"updated_at": self.now})
        # The history itself does not change: it is sent again, to its new store.
        for entity, record in history:
            self.emit_upsert(entity, record, scope=to_store)
        return MoveResult(customer_id, from_guide, to_guide, from_store, to_store, moved=True)

    def handover_task(
        self, guide: Mapping[str, Any], customer_ids: Sequence[str], from_guide: str | None
    ) -> str:
        """The new owner's task to introduce themself (handover), one target per customer."""
        today = self.now[:10]
        due = (date.fromisoformat(today) + timedelta(days=7)).isoformat()
        task_id = f"handover-{uuid.uuid4().hex[:12]}"
        previous = f"（原导购 {from_guide}）" if from_guide else ""
        task = {
            "id": task_id,
            "campaign_id": None,
            "store_id": guide["store_id"],
            "guide_id": guide["id"],
            "kind": "handover",
            "title": "认识一下您的新顾客 / Introduce yourself",
            "description": (
                f"{len(customer_ids)} 位顾客已转交给您{previous}，请在一周内主动联系并做自我介绍。"
                f" / {len(customer_ids)} customer(s) were handed over to you:"
                " introduce yourself within a week."
            ),
            "content_id": None,
            "target_rule": {"handover_from": from_guide, "customers": len(customer_ids)},
            "starts_on": today,
            "due_on": due,
            "status": "open",
        }
        self.put("task", [task], scopes=guide["store_id"])
        targets = [
            {
                "task_id": task_id,
                "customer_id": customer_id,
                "guide_id": guide["id"],
                "status": "open",
                "completed_at": None,
                "evidence": "",
                "review_comment": "",
            }
            for customer_id in customer_ids
        ]
        self.put("task_target", targets, scopes=guide["store_id"])
        return task_id


# Lookups by key, built once (building a statement per call is a good part of its cost).
_GET = {
    entity: sa.select(spec.table).where(
        *[spec.table.c[k] == sa.bindparam(f"k{n}") for n, k in enumerate(spec.keys)]
    )
    for entity, spec in ENTITY_SPECS.items()
}
_GET_LOCKED = {entity: query.with_for_update() for entity, query in _GET.items()}
_CHANGE_COLUMNS = ("txid", "scope", "entity", "entity_id", "op", "data")
_INSERT_CHANGE_PG = changes.insert().values(txid=sa.text("pg_current_xact_id()::text::bigint"))


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


# -- applying pushed mutations -----------------------------------------------------------

_MAX_TEXT = 4_000


def _handler(
    terminal: TerminalRecord, m: protocol.Mutation, guide: Mapping[str, Any] | None
) -> _Handler:
    """The handler of a mutation, if its kind is known and its guide works in the
    terminal's store; otherwise Rejected (checked before any transaction starts)."""
    handler = _HANDLERS.get((m.entity, m.op))
    if handler is None:
        raise Rejected(f"不支持的操作 / unknown mutation {m.entity}/{m.op}")
    if guide is None or guide["store_id"] != terminal.store_id:
        raise Rejected(
            f"导购 {m.guide_id} 不属于本门店 / guide {m.guide_id} is not a guide of store"
            f" {terminal.store_id}"
        )
    return handler


def _field(
    payload: Mapping[str, Any],
    name: str,
    *,
    required: bool = True,
    kind: type = str,
    max_len: int = 200,
) -> Any:
    value = payload.get(name)
    if value is None:
        if required:
            raise Rejected(f"缺少字段 / payload field {name!r} is missing")
        return None
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise Rejected(f"字段格式不对 / payload field {name!r} must be a {kind.__name__}")
    if isinstance(value, str) and len(value) > max_len:
        raise Rejected(f"字段太长 / payload field {name!r} is longer than {max_len}")
    return value


def _timestamp(payload: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = _field(payload, name, required=required, max_len=40)
    if value is not None and not (len(value) >= 10 and value[:4].isdigit() and value[4] == "-"):
        raise Rejected(f"时间格式不对 / payload field {name!r} is not an ISO date or time")
    return value


def _customer_for(tx: Tx, guide: Mapping[str, Any], customer_id: Any) -> dict[str, Any]:
    """The customer, locked, if this guide may write to them; otherwise Rejected.

    Allowed: the owner now; the manager of the customer's store; and anyone who owned
    the customer before (or managed a store that held them) — a late edit made on a
    terminal before HQ moved the customer is accepted, never dropped.
    """
    if not isinstance(customer_id, str) or not customer_id:
        raise Rejected("缺少顾客编号 / payload field 'customer_id' is missing")
    customer = tx.get("customer", customer_id, lock=True)
    if customer is None:
        raise Rejected(f"顾客 {customer_id} 在总部不存在 / customer {customer_id} is unknown to HQ")
    if customer["guide_id"] == guide["id"]:
        return customer
    if guide["is_manager"] and customer["store_id"] == guide["store_id"]:
        return customer
    earlier = customer_owners.c.guide_id == guide["id"]
    if guide["is_manager"]:
        earlier = sa.or_(earlier, customer_owners.c.store_id == guide["store_id"])
    owned_before = tx.conn.execute(
        sa.select(customer_owners.c.id)
        .where(customer_owners.c.customer_id == customer_id, earlier)
        .limit(1)
    ).first()
    if owned_before is not None:
        return customer
    raise Rejected(
        f"顾客不属于该导购 / customer {customer_id} is not assigned to guide {guide['id']}"
    )


def _record_id(m: protocol.Mutation) -> str:
    record_id = m.payload.get("id", m.entity_id)
    if record_id != m.entity_id:
        raise Rejected(f"记录编号不一致 / payload id {record_id!r} differs from {m.entity_id!r}")
    if ":" in m.entity_id:
        raise Rejected("记录编号不能包含冒号 / a record id may not contain ':'")
    return m.entity_id


def _followup_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    followup_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"))
    channel = _field(p, "channel", max_len=32)
    if channel not in {c.value for c in Channel}:
        raise Rejected(f"未知的跟进方式 / unknown follow-up channel {channel!r}")
    record = {
        "id": followup_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        "channel": channel,
        "note": _field(p, "note", required=False, max_len=_MAX_TEXT) or "",
        "next_followup_on": _timestamp(p, "next_followup_on", required=False),
        "created_at": _timestamp(p, "created_at"),
        "task_id": _field(p, "task_id", required=False, max_len=128),
    }
    tx.insert_if_new(
        "followup",
        record,
        scope=customer["store_id"],
        extra={"terminal_id": terminal.id, "received_at": now},
    )


def _customer_update(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    fields = m.payload.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise Rejected("缺少修改内容 / payload needs {'fields': {name: {'old', 'new'}}}")
    for name, change in fields.items():
        if name not in EDITABLE_CUSTOMER_FIELDS:
            raise Rejected(f"字段不可在终端修改 / field {name!r} is not editable on a terminal")
        if not isinstance(change, dict) or "new" not in change:
            raise Rejected(f"字段 {name} 缺少新值 / field {name!r} needs 'old' and 'new'")
        _check_value(name, change.get("old"), allow_none=True)
        _check_value(name, change["new"], allow_none=False)
    customer = _customer_for(tx, guide, m.entity_id)
    authors = tx.field_authors(customer["id"])
    updated = dict(customer)
    lost: list[dict[str, Any]] = []
    for name, change in fields.items():
        old, new, current = change.get("old"), change["new"], customer[name]
        if name == "tags":
            # A set merge: apply what this guide added and removed to the current set.
            added = [t for t in new if t not in (old or [])]
            removed = set(old or []) - set(new)
            merged = [t for t in current if t not in removed]
            merged += [t for t in dict.fromkeys(added) if t not in merged]
            if merged != current:
                updated["tags"] = merged
                authors["tags"] = guide["id"]
        elif current == new:
            continue
        elif current == old:
            updated[name] = new
            authors[name] = guide["id"]
        else:
            loser = authors.get(name)
            lost.append(
                {
                    "id": str(uuid.uuid4()),
                    "customer_id": customer["id"],
                    "field": name,
                    "kept_value": _json(new),
                    "lost_value": _json(current),
                    "lost_by": loser,
                    "detail": (
                        f"{guide['name']}（{guide['id']}）的修改覆盖了"
                        f"{loser or '他人'}在此之前的修改 / {guide['id']}'s edit of {name}"
                        f" replaced a change made meanwhile by {loser or 'someone else'}"
                    ),
                    "created_at": now,
                }
            )
            updated[name] = new
            authors[name] = guide["id"]
    if updated != customer:
        tx.put(
            "customer",
            [updated],
            scopes=customer["store_id"],
            extra={"field_authors": _json(authors), "updated_at": now},
        )
    if lost:
        tx.put("conflict", lost, scopes=customer["store_id"])


def _check_value(name: str, value: Any, *, allow_none: bool) -> None:
    if value is None:
        if allow_none:
            return
        raise Rejected(f"字段 {name} 的新值为空 / field {name!r} has no new value")
    if name == "tags":
        ok = isinstance(value, list) and all(isinstance(t, str) and len(t) <= 40 for t in value)
        ok = ok and len(value) <= 100
    elif name == "sizes":
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 40 and len(v) <= 40
            for k, v in value.items()
        )
    else:
        ok = isinstance(value, str) and len(value) <= _MAX_TEXT
    if not ok:
        raise Rejected(f"字段 {name} 的格式不对 / field {name!r} has a value of the wrong shape")


def _share_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    share_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"))
    record = {
        "id": share_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        "content_id": _field(p, "content_id", required=False, max_len=128),
        "task_id": _field(p, "task_id", required=False, max_len=128),
        "channel": _field(p, "channel", required=False, max_len=32) or "wechat",
        "shared_at": _timestamp(p, "shared_at"),
    }
    tx.insert_if_new("share", record, scope=customer["store_id"])


_APPOINTMENT_STATUSES = ("booked", "done", "cancelled", "no_show")


def _appointment_fields(p: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    values = {
        "starts_at": _timestamp(p, "starts_at", required=required),
        "ends_at": _timestamp(p, "ends_at", required=False),
        "purpose": _field(p, "purpose", required=False, max_len=_MAX_TEXT),
        "status": _field(p, "status", required=False, max_len=32),
        "rating": _field(p, "rating", required=False, kind=int),
    }
    if values["status"] is not None and values["status"] not in _APPOINTMENT_STATUSES:
        raise Rejected(f"未知的预约状态 / unknown appointment status {values['status']!r}")
    if values["rating"] is not None and not 1 <= values["rating"] <= 5:
        raise Rejected("评分应为 1–5 / rating must be 1 to 5")
    return values


def _appointment_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    appointment_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"))
    values = _appointment_fields(p, required=True)
    record = {
        "id": appointment_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        **values,
        "purpose": values["purpose"] or "",
        "status": values["status"] or "booked",
    }
    tx.insert_if_new("appointment", record, scope=customer["store_id"])


def _appointment_update(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    current = tx.get("appointment", m.entity_id, lock=True)
    if current is None:
        raise Rejected(f"预约不存在 / appointment {m.entity_id} is unknown to HQ")
    customer = _customer_for(tx, guide, current["customer_id"])
    values = {
        k: v for k, v in _appointment_fields(m.payload, required=False).items() if v is not None
    }
    updated = {**current, **values}
    if updated != current:
        tx.put("appointment", [updated], scopes=customer["store_id"])


def _task_target_complete(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    task_id = p.get("task_id")
    customer_id = p.get("customer_id")
    if task_id is None or customer_id is None:
        task_id, _, customer_id = m.entity_id.partition(":")
    if not (isinstance(task_id, str) and isinstance(customer_id, str) and task_id and customer_id):
        raise Rejected("任务目标不明 / task target needs task_id and customer_id")
    target = tx.get("task_target", f"{task_id}:{customer_id}", lock=True)
    if target is None:
        raise Rejected(f"任务目标不存在 / task target {task_id}:{customer_id} is unknown to HQ")
    customer = _customer_for(tx, guide, customer_id)
    updated = {
        **target,
        "status": "completed",
        "completed_at": _timestamp(p, "completed_at", required=False) or now,
        "evidence": _field(p, "evidence", required=False, max_len=_MAX_TEXT) or "",
    }
    if updated != target:
        tx.put("task_target", [updated], scopes=customer["store_id"])


def _audit_reveal_phone(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    # Recorded even when the customer has moved on since: the audit trail is the point.
    p = m.payload
    audit_id = _field(p, "id", required=False, max_len=128) or m.id
    customer_id = _field(p, "customer_id", required=False, max_len=128) or m.entity_id
    at = _timestamp(p, "at", required=False) or m.created_at or now
    exists = tx.conn.execute(sa.select(audit_log.c.id).where(audit_log.c.id == audit_id)).first()
    if exists is None:
        tx.conn.execute(
            audit_log.insert().values(
                id=audit_id,
                action="reveal_phone",
                guide_id=guide["id"],
                terminal_id=terminal.id,
                customer_id=customer_id,
                at=at,
                received_at=now,
            )
        )


_Handler = Callable[[Tx, TerminalRecord, Mapping[str, Any], protocol.Mutation, str], None]
_HANDLERS: dict[tuple[str, str], _Handler] = {
    ("followup", "create"): _followup_create,
    ("customer", "update"): _customer_update,
    ("share", "create"): _share_create,
    ("appointment", "create"): _appointment_create,
    ("appointment", "update"): _appointment_update,
    ("task_target", "complete"): _task_target_complete,
    ("audit", "reveal_phone"): _audit_reveal_phone,
}
