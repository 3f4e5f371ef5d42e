"""HQ's database: :class:`HQStorage`, the one object the server, the CLI and the tests
hold, composed of the operations of the modules beside it.

Where things live (every name is also importable from here, as before the split):

- ``db``: the engine (SQLite pragmas, ``BEGIN IMMEDIATE``), JSON text, the clock helpers;
- ``errors``: StorageError and its kinds;
- ``schema``: every table, the migrations, how each wire record maps onto its table;
- ``tx``: :class:`Tx`, the write transaction every write goes through;
- ``changelog``: the change log explained, cursors, pull, head, checksums, compaction;
- ``terminals``: enrolment codes, enrolment, tokens and their rotation, revocation;
- ``sessions``: guide sign-in at HQ, wrong PINs and locks, guide sessions;
- ``mutations``: pushed mutations, one module per entity family;
- ``handover``: moving customers (在职转接) and departing guides (离职继承);
- ``bulk``: a whole brand at once, the CRM imports, counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.clock import DEFAULT_TIMEZONE
from sync.hq import auth
from sync.hq.bulk import (
    HQ_AUTHOR,
    Bulk,
    ImportCounts,
)
from sync.hq.changelog import (
    ACTIVE_TERMINAL_DAYS,
    ChangeLog,
    CompactionReport,
    Position,
    PullPage,
    _PullStatements,
    format_cursor,
    parse_cursor,
)
from sync.hq.content import Content
from sync.hq.db import (
    _sqlite_engine,
    engine_url,
    iso,
    utc_now,
)
from sync.hq.errors import (
    InvalidCursor,
    NotFound,
    Rejected,
    ResetRequired,
    StorageError,
)
from sync.hq.handover import (
    Handover,
    MoveResult,
)
from sync.hq.mutations import Push
from sync.hq.pictures import Pictures
from sync.hq.schema import (
    BRAND_SCOPE,
    CUSTOMER_HISTORY,
    ENTITY_SPECS,
    MIGRATIONS,
    SCHEMA_VERSION,
    EntitySpec,
    _meta_get,
    _meta_set,
    appointments,
    audit_log,
    changes,
    conflicts,
    content,
    customer_owners,
    customers,
    enroll_codes,
    followups,
    guides,
    hq_meta,
    hq_txid,
    metadata,
    mutations,
    products,
    purchases,
    shares,
    stores,
    task_targets,
    tasks,
    terminals,
)
from sync.hq.sessions import Sessions
from sync.hq.tasks import Tasks
from sync.hq.terminals import (
    Enrolment,
    TerminalRecord,
    Terminals,
)
from sync.hq.tx import (
    Tx,
    _customer_stores,
)

__all__ = [
    "ACTIVE_TERMINAL_DAYS",
    "BRAND_SCOPE",
    "CUSTOMER_HISTORY",
    "ENTITY_SPECS",
    "HQ_AUTHOR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "CompactionReport",
    "Enrolment",
    "EntitySpec",
    "HQStorage",
    "ImportCounts",
    "InvalidCursor",
    "MoveResult",
    "NotFound",
    "Position",
    "PullPage",
    "Rejected",
    "ResetRequired",
    "StorageError",
    "TerminalRecord",
    "Tx",
    "appointments",
    "audit_log",
    "changes",
    "conflicts",
    "content",
    "customer_owners",
    "customers",
    "engine_url",
    "enroll_codes",
    "followups",
    "format_cursor",
    "guides",
    "hq_meta",
    "hq_txid",
    "iso",
    "metadata",
    "mutations",
    "parse_cursor",
    "products",
    "purchases",
    "shares",
    "stores",
    "task_targets",
    "tasks",
    "terminals",
    "utc_now",
]


class HQStorage(ChangeLog, Push, Terminals, Sessions, Handover, Bulk, Tasks, Content, Pictures):
    """HQ's database. Thread-safe: every operation checks a connection out of the pool.

    Transactions, the schema and master data are here; the rest comes from the mixins:
    :class:`ChangeLog` (pull, head, checksums, compact), :class:`Push`, :class:`Terminals`,
    :class:`Handover` (moves) and :class:`Bulk` (brand loads, imports, counts).
    """

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
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size // 2,
                pool_pre_ping=False,
                hide_parameters=True,  # customer data stays out of exceptions and logs
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

    def add_store(
        self, store_id: str, name: str, city: str = "", timezone: str | None = None
    ) -> None:
        """Add or rename a store. ``timezone`` (an IANA name) is the store's "today" on
        both sides; left out, a new store is Asia/Shanghai and an existing one keeps its."""
        if not store_id.strip() or not name.strip():
            raise StorageError("a store needs a code and a name")
        if timezone is not None and not _known_zone(timezone):
            raise StorageError(
                f"unknown time zone {timezone!r}: use an IANA name such as Asia/Shanghai"
            )
        record = {"id": store_id.strip(), "name": name.strip(), "city": city.strip()}
        with self.write() as tx:
            current = tx.get("store", record["id"])
            zone = timezone or (current or {}).get("timezone") or DEFAULT_TIMEZONE
            record["timezone"] = zone
            if current != record:
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
                # A PIN set here meets the rule: no change asked at the next sign-in.
                extra = {"pin_must_change": False} if verifier else None
                tx.put("guide", [record], scopes=store_id, extra=extra)

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

    def meta(self) -> dict[str, str]:
        with self.read() as conn:
            return {k: v for k, v in conn.execute(sa.select(hq_meta.c.key, hq_meta.c.value))}


def _known_zone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
