"""The local store as the sync engine sees it: outbox out, HQ's pages in, the cursor.

``TerminalReplica`` implements the small interface ``sync.client.Replica`` (structurally;
the store does not import the sync package). Rules it keeps:

* a pulled page and its cursor are written in ONE transaction: the cursor is never ahead
  of the rows it covers. Pulled pages use ``synchronous=NORMAL`` (HQ can resend them);
  the guide's own writes stay FULL.
* deleting a customer (HQ moved them away) never touches the outbox: whatever the guide
  typed for them is still pushed, and HQ accepts it as a late edit.
* the first sync loads without FTS triggers and rebuilds the search index once at the
  end (PERFORMANCE.md: triggers are ~80 % of a bulk apply). It is resumable: the mode is
  recorded, and the terminal is not ``ready`` until the last page is in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.clock import store_today
from app.domain.search_keys import customer_search_keys, name_sort_key
from app.store import outbox
from app.store.customers import refresh_derived
from app.store.db import transaction
from app.store.sqlite import driver as sqlite3
from sync.records import DECLARATIONS, RECORDS

# entity -> its local table; the columns are the wire record's fields (sync/records.py)
_TABLES = {
    "store": "stores",
    "guide": "guides",
    "product": "products",
    "customer": "customers",
    "purchase": "purchases",
    "followup": "followups",
    "content": "content",
    "task": "tasks",
    "task_target": "task_targets",
    "share": "shares",
    "appointment": "appointments",
    "conflict": "conflicts",
    "handover": "handovers",
    "tip": "tips",
}
# Fields of a wire record kept in another table (a purchase's items: purchase_items).
_NOT_COLUMNS = {"purchase": {"items"}}
# entity -> (table, key columns, columns written from the wire record)
ENTITY_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    entity: (
        table,
        RECORDS[entity][0],
        tuple(f for f in RECORDS[entity][1] if f not in _NOT_COLUMNS.get(entity, ())),
    )
    for entity, table in _TABLES.items()
}
# Per entity, the declared default of each column that has one: a record from an older HQ
# (or an older change-log row) that lacks a newer field gets it, never a NULL that a NOT
# NULL column refuses.
_DEFAULTS: dict[str, dict[str, Any]] = {
    r.entity: {f.name: f.default_value() for f in r.fields if f.default_value() is not None}
    for r in DECLARATIONS
}
# Tables holding a customer's history: dropped with the customer when HQ moves them away.
CUSTOMER_DEPENDENTS = (
    "purchases",
    "followups",
    "shares",
    "appointments",
    "task_targets",
    "conflicts",
    "handovers",
)

_FTS_TRIGGERS = {
    "customers_fts_ai": """CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
    INSERT INTO customer_fts (rowid, search_keys) VALUES (new.rid, new.search_keys);
END""",
    "customers_fts_ad": """CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
    INSERT INTO customer_fts (customer_fts, rowid, search_keys)
    VALUES ('delete', old.rid, old.search_keys);
END""",
    "customers_fts_au": """CREATE TRIGGER customers_fts_au AFTER UPDATE OF search_keys ON customers BEGIN
    INSERT INTO customer_fts (customer_fts, rowid, search_keys)
    VALUES ('delete', old.rid, old.search_keys);
    INSERT INTO customer_fts (rowid, search_keys) VALUES (new.rid, new.search_keys);
END""",
}

# Tables that hold data pulled from HQ (cleared on a reset; the outbox is not among them).
PULLED_TABLES = (
    "purchase_items",
    "purchases",
    "customer_tags",
    "customers",
    "shares",
    "appointments",
    "task_targets",
    "tasks",
    "content",
    "conflicts",
    "handovers",
    "products",
    "guides",
    "stores",
)


# What a pulled record that does not fit this terminal's tables raises while applied: a
# constraint (NOT NULL, a key), a value SQLite cannot bind, or a shape the code cannot read
# (an item without a SKU). Environmental failures (disk full, locked, read-only) are not
# among them: those stop the sync and are shown, the page is retried later.
UNAPPLIABLE = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.DataError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)
MAX_SKIPPED_KEPT = 200


def _skipped(change: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    # The reason names the constraint or the missing key, never a value of the record.
    reason = type(exc).__name__
    if isinstance(exc, sqlite3.Error):
        reason += f": {exc}"
    elif isinstance(exc, KeyError):
        reason += f": missing {exc}"
    return {
        "entity": str(change.get("entity")),
        "id": str(change.get("id")),
        "version": change.get("version"),
        "reason": reason[:200],
    }


def _skipped_list(value: str | None) -> list[dict[str, Any]]:
    """The ``skipped_records`` state: a JSON list of {entity, id, version, reason}."""
    return json.loads(value or "[]")


def read_skipped(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The records HQ sent that this terminal skipped, from any connection."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = 'skipped_records'").fetchone()
    return _skipped_list(None if row is None else row[0])


def store_timezone(conn: sqlite3.Connection) -> str | None:
    """The time zone of this terminal's store (its "today"), None before the first sync."""
    row = conn.execute(
        "SELECT timezone FROM stores WHERE id = (SELECT value FROM sync_state"
        " WHERE key = 'store_id')"
    ).fetchone()
    return None if row is None else row[0]


def _sql_value(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    return value


def _key_values(entity: str, change_id: str) -> tuple[str, ...]:
    keys = ENTITY_TABLES[entity][1]
    return tuple(change_id.split(":", len(keys) - 1)) if len(keys) > 1 else (change_id,)


class TerminalReplica:
    """The terminal database as a sync replica. Use from ONE thread (the sync worker)."""

    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.clock = clock
        # What pages applied since the last take_touched(): the UI refreshes only that.
        self._entities: set[str] = set()
        self._customers: set[str] = set()
        self._everything = False

    def take_touched(self) -> tuple[frozenset[str], frozenset[str], bool]:
        """(entities, customer ids, everything) changed since the last call; resets them."""
        found = (frozenset(self._entities), frozenset(self._customers), self._everything)
        self._entities, self._customers, self._everything = set(), set(), False
        return found

    def close(self) -> None:
        self.conn.close()

    # -- state ----------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_state(self, **values: str | None) -> None:
        with transaction(self.conn):
            self._set_state_in_tx(values)

    def _set_state_in_tx(self, values: dict[str, str | None]) -> None:
        self.conn.executemany(
            "INSERT INTO sync_state (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def cursor(self) -> str | None:
        return self.get_state("cursor")

    def is_ready(self) -> bool:
        return self.get_state("ready") == "1"

    # -- outbox ---------------------------------------------------------------------------

    def pending_mutations(self, limit: int) -> list[dict[str, Any]]:
        # ``session``: the guide's HQ session when the mutation was made; left out when
        # the guide had signed in offline (the envelope's None).
        return [
            {
                "id": e.mutation_id,
                "guide_id": e.guide_id,
                "entity": e.entity,
                "op": e.op,
                "entity_id": e.entity_id,
                "payload": e.payload,
                "created_at": e.created_at,
                **({"session": e.session} if e.session else {}),
            }
            for e in outbox.pending(self.conn, limit)
        ]

    def pending_count(self) -> int:
        return outbox.counts(self.conn)["pending"]

    def acknowledge(self, results: Iterable[dict[str, Any]]) -> None:
        """HQ's answer to a push: applied/duplicate leave the outbox, rejected stay, marked."""
        done, refused = [], []
        for result in results:
            if result["status"] in ("applied", "duplicate"):
                done.append((result["id"],))
            else:
                refused.append((result.get("reason") or "rejected", result["id"]))
        with transaction(self.conn):
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS acked (mutation_id TEXT)")
            self.conn.execute("DELETE FROM temp.acked")
            self.conn.executemany("INSERT INTO temp.acked VALUES (?)", done)
            # A follow-up kept for a customer who has left this terminal (moved while it
            # was pending) goes once HQ has it: HQ sends it to the customer's new scope.
            self.conn.execute(
                "DELETE FROM followups WHERE version = 0 AND id IN (SELECT entity_id FROM"
                " outbox WHERE entity = 'followup' AND mutation_id IN temp.acked)"
                " AND customer_id NOT IN (SELECT id FROM customers)"
            )
            self.conn.execute("DELETE FROM outbox WHERE mutation_id IN temp.acked")
            self.conn.executemany(
                "UPDATE outbox SET status = 'rejected', reject_reason = ? WHERE mutation_id = ?",
                refused,
            )

    def note_push_attempt(self, mutation_ids: list[str]) -> None:
        with transaction(self.conn):
            self.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1 WHERE mutation_id = ?",
                [(m,) for m in mutation_ids],
            )

    # -- pulled pages ---------------------------------------------------------------------

    def apply_page(self, changes: list[dict[str, Any]], cursor: str | None, more: bool) -> None:
        """Apply one page of HQ changes and move the cursor, in one transaction."""
        initial = self.get_state("ready") != "1"
        if initial and self.get_state("initial_load") != "1":
            self._begin_initial_load()
        today = store_today(self.clock(), store_timezone(self.conn))
        try:
            with transaction(self.conn, durable=False):
                touched = self._apply_runs(changes)
                self._forget_fixed(changes)
                self._finish_page(touched, cursor, more, initial=initial, today=today)
            self._note_touched(changes, touched, initial=initial)
        except UNAPPLIABLE:
            # One record this terminal cannot hold must not stop its store's sync for
            # ever: apply the page change by change, skip what fails, and say so once.
            with transaction(self.conn, durable=False):
                touched = set()
                skipped, applied = [], []
                for change in changes:
                    self.conn.execute("SAVEPOINT one_change")
                    try:
                        touched |= self._apply_run([change])
                        applied.append(change)
                    except UNAPPLIABLE as exc:
                        self.conn.execute("ROLLBACK TO one_change")
                        skipped.append(_skipped(change, exc))
                    self.conn.execute("RELEASE one_change")
                self._forget_fixed(applied)
                self._note_skipped(skipped)
                self._finish_page(touched, cursor, more, initial=initial, today=today)
            self._note_touched(applied, touched, initial=initial)

    def _note_touched(
        self, changes: list[dict[str, Any]], customers: set[str], *, initial: bool
    ) -> None:
        self._entities |= {c["entity"] for c in changes}
        self._customers |= customers
        for change in changes:
            if change["entity"] == "customer":
                self._customers.add(change["id"])
        self._everything = self._everything or initial

    def _apply_runs(self, changes: list[dict[str, Any]]) -> set[str]:
        """Apply changes in runs of one entity and op (one executemany per run)."""
        touched: set[str] = set()
        run: list[dict[str, Any]] = []
        for change in changes:
            if run and (run[0]["entity"], run[0]["op"]) != (change["entity"], change["op"]):
                touched |= self._apply_run(run)
                run = []
            run.append(change)
        if run:
            touched |= self._apply_run(run)
        return touched

    def _finish_page(
        self, touched: set[str], cursor: str | None, more: bool, *, initial: bool, today: date
    ) -> None:
        if not initial:
            existing = [
                c
                for c in touched
                if self.conn.execute("SELECT 1 FROM customers WHERE id = ?", (c,)).fetchone()
            ]
            refresh_derived(self.conn, existing, today)
        state: dict[str, str | None] = {"cursor": cursor}
        if initial and not more:
            self._finish_initial_load(today)
            state.update(ready="1", initial_load="0", derived_on=today.isoformat())
        self._set_state_in_tx(state)

    def _note_skipped(self, skipped: list[dict[str, Any]]) -> None:
        """Remember the records HQ sent that could not be applied (newest kept), with a
        flag the status shows until someone has seen it."""
        if not skipped:
            return
        earlier = _skipped_list(self.get_state("skipped_records"))
        kept = [*earlier, *skipped][-MAX_SKIPPED_KEPT:]
        self._set_state_in_tx(
            {"skipped_records": json.dumps(kept, ensure_ascii=False), "skipped_unseen": "1"}
        )

    def _forget_fixed(self, applied: list[dict[str, Any]]) -> None:
        """A skipped record that HQ sent again and that applied now is no longer missing."""
        earlier = self.get_state("skipped_records")
        if not earlier:
            return
        done = {(c.get("entity"), str(c.get("id"))) for c in applied}
        kept = [s for s in _skipped_list(earlier) if (s["entity"], s["id"]) not in done]
        state: dict[str, str | None] = {"skipped_records": json.dumps(kept, ensure_ascii=False)}
        if not kept:
            state["skipped_unseen"] = "0"
        self._set_state_in_tx(state)

    def skipped_records(self) -> list[dict[str, Any]]:
        """What HQ sent that this terminal could not apply: entity, id, version, reason."""
        return _skipped_list(self.get_state("skipped_records"))

    def _apply_run(self, run: list[dict[str, Any]]) -> set[str]:
        entity, op = run[0]["entity"], run[0]["op"]
        if entity not in ENTITY_TABLES:
            return set()  # an entity this version does not know yet: HQ may be newer
        if op == "delete":
            return self._delete(entity, run)
        return self._upsert(entity, run)

    def _upsert(self, entity: str, run: list[dict[str, Any]]) -> set[str]:
        table, keys, columns = ENTITY_TABLES[entity]
        # HQ's log keeps every change, so one record can stand twice in a run (an order
        # imported again): the last one is the record, whole — items and tags included.
        run = list({change["id"]: change for change in run}.values())
        rows = []
        defaults = _DEFAULTS[entity]
        for change in run:
            data = change["data"]
            values = {c: _sql_value(data.get(c)) for c in columns}
            for name, default in defaults.items():
                if values.get(name, 0) is None:
                    values[name] = _sql_value(default)
            for k, v in zip(keys, _key_values(entity, change["id"]), strict=True):
                values[k] = v
            values["version"] = change["version"]
            if entity == "customer":
                values = self._customer_columns(values, data)
            rows.append(values)
        names = list(rows[0])
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
        self.conn.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}",
            rows,
        )
        if entity == "customer":
            ids = [r["id"] for r in rows]
            self.conn.execute(
                "DELETE FROM customer_tags WHERE customer_id IN (SELECT value FROM json_each(?))",
                (json.dumps(ids),),
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?, ?)",
                [(c.get("id"), t) for c in (ch["data"] for ch in run) for t in c.get("tags") or ()],
            )
            return set(ids)
        if entity == "purchase":
            # One statement for the run (index seeks inside SQLite): a statement per
            # purchase cost a fifth of a first sync's purchase time.
            self.conn.execute(
                "DELETE FROM purchase_items WHERE purchase_id IN (SELECT value FROM json_each(?))",
                (json.dumps([r["id"] for r in rows]),),
            )
            self.conn.executemany(
                "INSERT INTO purchase_items (purchase_id, line, sku, qty, price_cents)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (ch["id"], n, item["sku"], item["qty"], item.get("price_cents"))
                    for ch in run
                    for n, item in enumerate(ch["data"].get("items") or ())
                ],
            )
        if "customer_id" in columns:
            return {r["customer_id"] for r in rows}
        return set()

    @staticmethod
    def _customer_columns(values: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        birthday = data.get("birthday")
        values["birthday_md"] = birthday[5:10] if birthday else None
        values["search_keys"] = customer_search_keys(
            data.get("name") or "", data.get("phone") or ""
        )
        values["name_sort"] = name_sort_key(data.get("name") or "")
        return values

    def _delete(self, entity: str, run: list[dict[str, Any]]) -> set[str]:
        table, keys, _ = ENTITY_TABLES[entity]
        key_rows = [_key_values(entity, c["id"]) for c in run]
        if entity == "customer":
            ids = [k[0] for k in key_rows]
            for dependent in CUSTOMER_DEPENDENTS:
                if dependent == "followups":
                    # Keep the guide's own follow-ups that are still in the outbox (not
                    # yet on HQ, or refused and shown): they must not vanish. The rest
                    # went with the customer to their new scope.
                    self.conn.executemany(
                        "DELETE FROM followups WHERE customer_id = ? AND (version > 0 OR id"
                        " NOT IN (SELECT entity_id FROM outbox WHERE entity = 'followup'))",
                        [(i,) for i in ids],
                    )
                else:
                    self.conn.executemany(
                        f"DELETE FROM {dependent} WHERE customer_id = ?", [(i,) for i in ids]
                    )
        where = " AND ".join(f"{k} = ?" for k in keys)
        self.conn.executemany(f"DELETE FROM {table} WHERE {where}", key_rows)
        return set()

    # -- first sync -----------------------------------------------------------------------

    def _begin_initial_load(self) -> None:
        with transaction(self.conn):
            for name in _FTS_TRIGGERS:
                self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            self._set_state_in_tx({"initial_load": "1"})

    def _finish_initial_load(self, today: date) -> None:
        for sql in _FTS_TRIGGERS.values():
            self.conn.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))
        self.conn.execute("INSERT INTO customer_fts (customer_fts) VALUES ('rebuild')")
        refresh_derived(self.conn, None, today)

    def refresh_day(self) -> bool:
        """Recompute stages once per day (they depend on today). True if it ran."""
        today = store_today(self.clock(), store_timezone(self.conn))
        if self.get_state("derived_on") == today.isoformat() or not self.is_ready():
            return False
        with transaction(self.conn, durable=False):
            refresh_derived(self.conn, None, today)
            self._set_state_in_tx({"derived_on": today.isoformat()})
        return True

    # -- resets ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything pulled (HQ said reset_required, or drift): keep the outbox."""
        with transaction(self.conn):
            for table in PULLED_TABLES:
                self.conn.execute(f"DELETE FROM {table}")
            self.conn.execute("DELETE FROM followups WHERE version > 0")
            self.conn.execute("DELETE FROM tips WHERE version > 0")  # posted here: kept
            self._set_state_in_tx({"cursor": None, "ready": "0", "initial_load": "0"})
        self._everything = True

    def wipe(self) -> None:
        """The terminal was revoked: remove every customer record, the outbox included."""
        with transaction(self.conn):
            # guide_sessions: HQ's session secrets; sign_in_failures: who tried when;
            # drafts: what guides typed about customers and did not save (local only);
            # compositions: the guides' own messages (自由组合), local only too.
            wiped = (
                "followups",
                "tips",
                "outbox",
                "audit_log",
                "sync_state",
                "guide_sessions",
                "drafts",
                "compositions",
            )
            for table in (*PULLED_TABLES, *wiped, "sign_in_failures"):
                self.conn.execute(f"DELETE FROM {table}")
            # The search index's own segments hold the search keys (names, phones,
            # reversed phones): an external-content FTS table needs its own delete-all.
            self.conn.execute("INSERT INTO customer_fts (customer_fts) VALUES ('delete-all')")
        # VACUUM rewrites the file without the freed pages; the WAL still holds the old
        # pages until a checkpoint truncates it.
        self.conn.execute("VACUUM")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._everything = True

    # -- drift detection ------------------------------------------------------------------

    def entity_versions(self, entity: str) -> list[tuple[str, int]]:
        table, keys, _ = ENTITY_TABLES[entity]
        key_sql = " || ':' || ".join(keys)
        return [
            (r[0], r[1])
            for r in self.conn.execute(f"SELECT {key_sql}, version FROM {table} WHERE version > 0")
        ]

    def counts(self) -> dict[str, int]:
        return {
            entity: self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for entity, (table, _, _) in ENTITY_TABLES.items()
        }


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the status area shows: enrolment, last success, pending work, last error."""

    enrolled: bool
    terminal_id: str | None
    server: str | None
    store_id: str | None
    store_name: str | None
    ready: bool
    last_sync_at: str | None
    last_attempt_at: str | None
    last_error: str | None
    offline: bool
    pending: int  # every mutation not yet sent: pending_edits + pending_audit
    rejected: int
    # Of pending: edits waiting to sync, and audit records (a phone shown or copied) that
    # go to HQ's audit trail with the next sync (app.store.outbox.is_audit_record).
    pending_edits: int = 0
    pending_audit: int = 0
    # Records HQ sent that this terminal could not apply (skipped, see apply_page).
    skipped: int = 0
    skipped_unseen: bool = False


def sync_status(conn: sqlite3.Connection) -> SyncStatus:
    state = dict(conn.execute("SELECT key, value FROM sync_state").fetchall())
    box = outbox.counts(conn)
    return SyncStatus(
        enrolled=bool(state.get("terminal_id")),
        terminal_id=state.get("terminal_id"),
        server=state.get("server"),
        store_id=state.get("store_id"),
        store_name=state.get("store_name"),
        ready=state.get("ready") == "1",
        last_sync_at=state.get("last_sync_at"),
        last_attempt_at=state.get("last_attempt_at"),
        last_error=state.get("last_error") or None,
        offline=state.get("offline") == "1",
        pending=box["pending"],
        rejected=box["rejected"],
        pending_edits=box["edits"],
        pending_audit=box["audit"],
        skipped=len(_skipped_list(state.get("skipped_records"))),
        skipped_unseen=state.get("skipped_unseen") == "1",
    )
