"""Property: whatever HQ does, a terminal that pulls its store's log — in pages of any
size, from scratch or step by step, before or after compaction — ends up holding exactly
HQ's records for that store."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import protocol
from sync.hq.storage import ENTITY_SPECS, HQStorage

STORES = ("S001", "S002")
GUIDES = {"G001": "S001", "G002": "S001", "G003": "S002", "G004": "S002"}
CUSTOMERS = ("C1", "C2", "C3", "C4", "C5")

operations = st.lists(
    st.one_of(
        st.tuples(st.just("move"), st.sampled_from(CUSTOMERS), st.sampled_from(sorted(GUIDES))),
        st.tuples(st.just("followup"), st.sampled_from(CUSTOMERS), st.integers(0, 3)),
        st.tuples(st.just("edit"), st.sampled_from(CUSTOMERS), st.sampled_from(["a", "b"])),
        st.tuples(st.just("order"), st.sampled_from(CUSTOMERS), st.integers(1, 3)),
        st.tuples(st.just("compact"), st.none(), st.none()),
        st.tuples(st.just("sync"), st.sampled_from(STORES), st.integers(1, 7)),
    ),
    max_size=14,
)


def build(hq: HQStorage) -> None:
    for store in STORES:
        hq.add_store(store, f"门店{store}")
    for guide, store in GUIDES.items():
        hq.add_guide(guide, f"导购{guide}", store_id=store)
    hq.import_customers(
        [
            {"id": c, "store_id": "S001", "guide_id": "G001", "name": f"顾客{c}", "tags": ["x"]}
            for c in CUSTOMERS
        ]
    )
    hq.import_purchases(
        [
            {
                "id": f"O-{c}",
                "customer_id": c,
                "store_id": "S001",
                "guide_id": None,
                "paid_at": "2026-10-01T02:00:00Z",
                "amount_cents": 100,
                "items": [],
            }
            for c in CUSTOMERS
        ]
    )


class Terminal:
    def __init__(self, hq: HQStorage, store: str) -> None:
        self.hq, self.store = hq, store
        self.cursor: str | None = None
        self.state: dict[tuple[str, str], dict[str, Any]] = {}
        enrolment = hq.enroll(hq.create_enroll_code(store), store)
        self.terminal = hq.terminal_for_token(enrolment.token)

    def sync(self, limit: int) -> None:
        while True:
            try:
                page = self.hq.pull(self.store, self.cursor, limit)
            except Exception as exc:  # only ResetRequired is expected here
                assert type(exc).__name__ == "ResetRequired", exc
                self.cursor, self.state = None, {}
                continue
            self.hq.touch_terminal(self.terminal, pulled=True, cursor=self.cursor)
            for change in json.loads(page.body)["changes"]:
                key = (change["entity"], change["id"])
                if change["op"] == "upsert":
                    self.state[key] = change["data"]
                else:
                    self.state.pop(key, None)
            self.cursor = page.cursor
            if not page.more:
                return


def hq_view(hq: HQStorage, store: str) -> dict[tuple[str, str], dict[str, Any]]:
    """What HQ's tables say a terminal of ``store`` should hold."""
    view: dict[tuple[str, str], dict[str, Any]] = {}
    with hq.read() as conn:
        in_store = {
            r[0]
            for r in conn.execute(
                sa.text("SELECT id FROM customers WHERE store_id = :s"), {"s": store}
            )
        }
        for entity, spec in ENTITY_SPECS.items():
            for row in conn.execute(sa.select(spec.table)).mappings():
                record = spec.to_record(row)
                if entity == "store":
                    mine = record["id"] == store
                elif entity in ("guide", "task"):
                    mine = record["store_id"] == store
                elif entity in ("product", "content"):
                    mine = True
                else:
                    mine = record.get("customer_id") in in_store or (
                        entity == "customer" and record["id"] in in_store
                    )
                if mine:
                    view[(entity, spec.change_id(record))] = record
    return view


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_terminals_converge_to_hq(sqlite_url: str, clock, ops: list[tuple]) -> None:
    database = sqlite_url.replace("hq.sqlite3", f"hq-{uuid.uuid4().hex[:8]}.sqlite3")
    with HQStorage(database, clock=clock) as hq:
        hq.migrate()
        build(hq)
        terminals = {store: Terminal(hq, store) for store in STORES}
        writers = {store: Terminal(hq, store) for store in STORES}
        for n, (op, a, b) in enumerate(ops, 1):
            if op == "move":
                hq.move_customer(a, b)
            elif op in ("followup", "edit"):
                customer = hq.customer(a)
                guide = customer["guide_id"]
                if op == "followup":
                    payload = {"customer_id": a, "channel": "call", "note": f"n{b}",
                               "created_at": "2026-11-20T02:00:00Z"}  # fmt: skip
                    entity, kind, entity_id = "followup", "create", f"f-{n}"
                else:
                    payload = {"fields": {"note": {"old": "", "new": b}}}
                    entity, kind, entity_id = "customer", "update", a
                mutation = protocol.Mutation(
                    id=f"mutation-{n:04d}",
                    guide_id=guide,
                    entity=entity,
                    op=kind,
                    entity_id=entity_id,
                    payload=payload,
                    created_at="2026-11-20T02:00:00Z",
                )
                [result] = hq.push(writers[customer["store_id"]].terminal, [mutation])
                assert result["status"] == "applied", result
            elif op == "order":
                customer = hq.customer(a)
                hq.import_purchases(
                    [
                        {
                            "id": f"O-{a}-{b}",
                            "customer_id": a,
                            "store_id": customer["store_id"],
                            "guide_id": None,
                            "paid_at": "2026-11-01T02:00:00Z",
                            "amount_cents": 100 * b,
                            "items": [{"sku": "SKU1", "qty": b, "price_cents": 100}],
                        }
                    ]
                )
            elif op == "compact":
                clock.now += timedelta(days=1)
                hq.compact()
            else:
                terminals[a].sync(b)
        for store, terminal in terminals.items():
            terminal.sync(3)
            assert terminal.state == hq_view(hq, store)
            fresh = Terminal(hq, store)
            fresh.sync(1000)
            assert fresh.state == terminal.state


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_paging_never_changes_what_is_pulled(storage: HQStorage, hqdata, limit: int) -> None:
    hqdata.small_brand(storage)
    storage.move_customer("C1", "G003")
    storage.move_customer("C1", "G002")
    full = storage.pull("S001", None, protocol.MAX_PULL_LIMIT)
    pulled, cursor = [], None
    while True:
        page = storage.pull("S001", cursor, limit)
        pulled += json.loads(page.body)["changes"]
        cursor = page.cursor
        if not page.more:
            break
    assert pulled == json.loads(full.body)["changes"] and cursor == full.cursor
