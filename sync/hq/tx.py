"""The write transaction: every write of master or guide data goes through :class:`Tx`,
which changes the base table and appends the change rows terminals pull, together
(the change log: ``sync/hq/changelog.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from sync.hq.db import _json
from sync.hq.errors import InvalidRecord, NotFound, StorageError
from sync.hq.handover import HandoverTx
from sync.hq.schema import (
    _DEFAULTS,
    CUSTOMER_HISTORY,
    ENTITY_SPECS,
    _wire,
    changes,
    customers,
)
from sync.records import BY_ENTITY, ContractError, check_record

if TYPE_CHECKING:
    from sync.hq.storage import HQStorage

_BULK_CHUNK = 5_000
# From this many change rows on, PostgreSQL gets them by COPY (its transaction id fetched
# once): a departure's 170,000 rows took 3 s as an executemany.
_COPY_FROM = 1_000


class Tx(HandoverTx):
    """One write transaction: base tables and change rows change together, or not at all.

    Moving a customer and the handover task (:meth:`move`, :meth:`handover_task`) come
    from :class:`~sync.hq.handover.HandoverTx`.
    """

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
        if self.postgres and self._txid is None and len(self._pending) < _COPY_FROM:
            # PostgreSQL fills in its own transaction id: no extra round trip for it.
            self.conn.execute(_INSERT_CHANGE_PG, self._pending)
        else:
            # The driver's executemany (SQLite) or COPY (PostgreSQL): SQLAlchemy's per-row
            # parameters were half a departure's time (tests/bench/handover.py).
            txid = self.txid()
            self.insert_rows(
                changes,
                _CHANGE_COLUMNS,
                [
                    (txid, r["scope"], r["entity"], r["entity_id"], r["op"], r["data"])
                    for r in self._pending
                ],
            )
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
        records = [_checked(entity, r) for r in records]
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
        wire = _checked(entity, record)
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


def _checked(entity: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """The wire record, checked against its declaration (types, NOT NULL, choices,
    lengths); InvalidRecord names the field. Every write of a single record goes through
    here; the bulk path (insert_new) takes records its callers have checked."""
    try:
        return check_record(BY_ENTITY[entity], record)
    except ContractError as exc:
        raise InvalidRecord(f"记录不符合约定 / {exc}") from exc
