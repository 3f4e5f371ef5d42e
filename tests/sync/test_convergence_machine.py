"""The crown of the sync tests: a hypothesis state machine of several terminals and HQ.

Real parts: each terminal is a real SQLite file with the real store functions, replica
and ``SyncEngine``; HQ is the real FastAPI app over a real SQLite database, reached over
HTTP through an in-process transport that can fail like a network does. Between random
edits, syncs and HQ's moves of customers between guides and stores, the machine cuts
terminals off (partitions), loses HQ's answers after HQ applied a push (lost
acknowledgements), breaks a first or later pull after a few pages, and kills terminals
(the connection and engine dropped mid-way and the file reopened, as after a power cut).

When things settle (the network heals and every terminal syncs until quiet): nothing a
guide typed is lost — every follow-up is on HQ, no outbox holds anything, nothing was
rejected — and every terminal holds exactly HQ's customers, follow-ups and orders (with
their items) for its store, with equal per-entity checksums.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from app.store import db
from app.store.customers import log_followup, update_customer
from app.store.replica import TerminalReplica
from sync import client
from sync.hq.app import create_app
from sync.hq.storage import HQStorage
from sync.hq.storage import customers as hq_customers
from sync.hq.storage import followups as hq_followups
from sync.hq.storage import purchases as hq_purchases

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
STORES = {"S001": ["G001", "G002"], "S002": ["G003", "G004"]}  # the first is the manager
GUIDE_STORE = {g: s for s, gs in STORES.items() for g in gs}
CUSTOMERS = [f"C{n}" for n in range(1, 7)]
TERMINALS = [("T1", "S001"), ("T2", "S001"), ("T3", "S002")]


class Network(httpx.BaseTransport):
    """HTTP to the in-process HQ, with the faults a shop's network has."""

    def __init__(self, hq: TestClient) -> None:
        self.hq = hq
        self.down = False
        self.lose_next_answer = False  # HQ gets the request and acts; the answer is lost
        self.pulls_before_cut: int | None = None  # the connection dies after N pages

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("partitioned", request=request)
        if request.url.path == "/v1/pull" and self.pulls_before_cut is not None:
            if self.pulls_before_cut == 0:
                raise httpx.ReadError("cut mid-pull", request=request)
            self.pulls_before_cut -= 1
        answer = self.hq.request(
            request.method, request.url.path, content=request.read(), headers=request.headers
        )
        if self.lose_next_answer and request.url.path == "/v1/push":
            self.lose_next_answer = False
            raise httpx.ReadError("acknowledgement lost", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


class Terminal:
    def __init__(self, name: str, store: str, folder: Path, hq: TestClient, hq_db: HQStorage):
        self.name, self.store = name, store
        self.path = folder / f"{name}.sqlite3"
        self.network = Network(hq)
        code = hq_db.create_enroll_code(store)
        answer = hq.post("/v1/enroll", json={"protocol": 1, "code": code, "terminal_name": name})
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["token"]
        self.engine: client.SyncEngine | None = None
        self.open()

    def open(self) -> None:
        conn = db.connect(self.path)
        self.engine = client.SyncEngine(
            TerminalReplica(conn, clock=lambda: START),
            base_url="http://hq.test",
            token=self.token,
            transport=self.network,
            clock=lambda: START,
            sleep=lambda _s: None,
            backoff=client.Backoff(attempts=2),
            push_batch=3,
            page_size=4,
            verify_every=1,
        )

    @property
    def conn(self) -> sqlite3.Connection:
        assert self.engine is not None
        return self.engine.replica.conn  # type: ignore[attr-defined]

    def kill(self) -> None:
        """Drop everything in memory, as a power cut does, and start again from the file."""
        assert self.engine is not None
        self.engine.hq.close()
        self.conn.close()
        self.open()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()
            self.engine = None

    def local_customers(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM customers ORDER BY id")]

    def snapshot(self) -> tuple[dict[str, tuple], set[str], dict[str, tuple]]:
        customers = {
            r[0]: tuple(r[1:])
            for r in self.conn.execute(
                "SELECT id, name, guide_id, store_id, note, preferences FROM customers"
            )
        }
        followups = {r[0] for r in self.conn.execute("SELECT id FROM followups")}
        orders: dict[str, list] = {
            r[0]: [r[1]] for r in self.conn.execute("SELECT id, customer_id FROM purchases")
        }
        for order, sku, qty in self.conn.execute(
            "SELECT purchase_id, sku, qty FROM purchase_items ORDER BY purchase_id, line"
        ):
            orders[order].append((sku, qty))
        return customers, followups, {k: tuple(v) for k, v in orders.items()}


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="guidedesk-machine-"))
        self.clock = START
        self.hq_db = HQStorage(f"sqlite:///{self.folder / 'hq.sqlite3'}", clock=lambda: self.clock)
        self.hq_db.migrate()
        for store, guides in STORES.items():
            self.hq_db.add_store(store, f"门店{store}")
            for n, guide in enumerate(guides):
                self.hq_db.add_guide(guide, f"导购{guide}", store_id=store, is_manager=n == 0)
        self.hq_db.import_customers(
            [
                {
                    "id": c,
                    "store_id": "S001" if n % 2 else "S002",
                    "guide_id": "G002" if n % 2 else "G004",
                    "name": f"顾客{c}",
                    "phone": f"1380000{n:04d}",
                }
                for n, c in enumerate(CUSTOMERS)
            ]
        )
        self.http = TestClient(create_app("", storage=self.hq_db))
        self.terminals: dict[str, Terminal] = {}
        self.typed: set[str] = set()  # every follow-up a guide saved on any terminal
        self.edits = 0

    @initialize()
    def enrol(self) -> None:
        for name, store in TERMINALS:
            t = self.terminals[name] = Terminal(name, store, self.folder, self.http, self.hq_db)
            first = t.engine.sync_once()  # type: ignore[union-attr]
            assert first.ok and first.ready and t.local_customers(), first

    def teardown(self) -> None:
        try:
            if self.terminals:
                self.settle()
        finally:
            for t in self.terminals.values():
                t.close()
            self.http.close()
            self.hq_db.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- what guides and HQ do -----------------------------------------------------------

    terminal = st.sampled_from([name for name, _ in TERMINALS])

    @rule(name=terminal, pick=st.integers(0, 5), note=st.text(min_size=1, max_size=8))
    def follow_up(self, name: str, pick: int, note: str) -> None:
        t = self.terminals[name]
        local = t.local_customers()
        if not local:
            return
        customer_id = local[pick % len(local)]
        guide = STORES[t.store][0]  # the store manager may follow up any of its customers
        followup_id = f"F-{name}-{len(self.typed)}"
        self.clock += timedelta(seconds=1)
        log_followup(
            t.conn,
            customer_id=customer_id,
            guide_id=guide,
            channel="wechat",
            note=note.strip() or "x",
            now=self.clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
            followup_id=followup_id,
        )
        self.typed.add(followup_id)

    @rule(name=terminal, pick=st.integers(0, 5), value=st.sampled_from(["宽松", "修身", "黑色"]))
    def edit_preferences(self, name: str, pick: int, value: str) -> None:
        t = self.terminals[name]
        local = t.local_customers()
        if not local:
            return
        self.clock += timedelta(seconds=1)
        self.edits += 1
        update_customer(
            t.conn,
            customer_id=local[pick % len(local)],
            guide_id=STORES[t.store][0],
            fields={"preferences": f"{value}{self.edits}"},
            now=self.clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    faults = st.sampled_from(["none", "lost-ack", "cut-0", "cut-1", "cut-2"])

    @rule(name=terminal, fault=faults)
    def sync(self, name: str, fault: str) -> None:
        """A sync, perhaps with HQ's answer to the push lost or the pull cut after N pages."""
        network = self.terminals[name].network
        network.lose_next_answer = fault == "lost-ack"
        network.pulls_before_cut = int(fault[4:]) if fault.startswith("cut-") else None
        report = self.terminals[name].engine.sync_once()  # type: ignore[union-attr]
        network.lose_next_answer, network.pulls_before_cut = False, None
        assert report.rejected == 0, report
        assert report.ok or report.error, report

    @rule(name=terminal, picks=st.lists(st.integers(0, 5), min_size=1, max_size=4), fault=faults)
    def busy_counter(self, name: str, picks: list[int], fault: str) -> None:
        """Several follow-ups typed, then the sync timer fires into a fault."""
        for n, pick in enumerate(picks):
            self.follow_up(name, pick, f"柜台 {n}")
        self.sync(name, fault)

    @rule(customer=st.sampled_from(CUSTOMERS), guide=st.sampled_from(sorted(GUIDE_STORE)))
    def hq_moves_customer(self, customer: str, guide: str) -> None:
        self.clock += timedelta(seconds=1)
        self.hq_db.move_customer(customer, guide)

    @rule(customer=st.sampled_from(CUSTOMERS), suffix=st.integers(0, 9))
    def hq_renames_customer(self, customer: str, suffix: int) -> None:
        """The CRM corrects a name (HQ's field) while terminals may be editing theirs."""
        current = self.hq_db.customer(customer)
        assert current is not None
        self.clock += timedelta(seconds=1)
        self.hq_db.import_customers([{**current, "name": f"顾客{customer}-{suffix}"}])

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        order=st.integers(0, 1),
        skus=st.lists(st.sampled_from(["SKU1", "SKU2", "SKU3"]), max_size=3, unique=True),
    )
    def hq_imports_order(self, customer: str, order: int, skus: list[str]) -> None:
        """HQ imports an order, or imports it again corrected (other items): the log then
        holds both versions, which a terminal may meet in one page."""
        current = self.hq_db.customer(customer)
        assert current is not None
        self.clock += timedelta(seconds=1)
        self.hq_db.import_purchases(
            [
                {
                    "id": f"O-{customer}-{order}",
                    "customer_id": customer,
                    "store_id": current["store_id"],
                    "guide_id": current["guide_id"],
                    "paid_at": "2026-11-01T02:00:00Z",
                    "amount_cents": 1000 * (len(skus) + 1),
                    "items": [{"sku": sku, "qty": n + 1} for n, sku in enumerate(skus)],
                }
            ]
        )

    # -- what goes wrong -----------------------------------------------------------------

    @rule(name=terminal, down=st.booleans())
    def partition(self, name: str, down: bool) -> None:
        self.terminals[name].network.down = down

    @rule(name=terminal)
    def kill(self, name: str) -> None:
        self.terminals[name].kill()

    # -- what must always hold -----------------------------------------------------------

    @invariant()
    def nothing_typed_is_lost_meanwhile(self) -> None:
        """Every follow-up is on its terminal (pending or synced) or already on HQ."""
        on_hq = self.hq_followups()
        on_terminals = set()
        for t in self.terminals.values():
            on_terminals |= t.snapshot()[1]
            on_terminals |= {
                r[0] for r in t.conn.execute("SELECT entity_id FROM outbox WHERE entity='followup'")
            }
        assert self.typed <= on_hq | on_terminals

    def hq_followups(self) -> set[str]:
        with self.hq_db.read() as conn:
            return {r[0] for r in conn.execute(sa.select(hq_followups.c.id))}

    def hq_scope(self, store: str) -> tuple[dict[str, tuple], set[str], dict[str, tuple]]:
        with self.hq_db.read() as conn:
            rows = conn.execute(
                sa.select(
                    hq_customers.c.id,
                    hq_customers.c.name,
                    hq_customers.c.guide_id,
                    hq_customers.c.store_id,
                    hq_customers.c.note,
                    hq_customers.c.preferences,
                ).where(hq_customers.c.store_id == store)
            ).all()
            customers = {r[0]: tuple(r[1:]) for r in rows}
            followups = {
                r[0]
                for r in conn.execute(
                    sa.select(hq_followups.c.id).where(
                        hq_followups.c.customer_id.in_(list(customers))
                    )
                )
            }
            orders = {
                r[0]: (r[1], *((i["sku"], i["qty"]) for i in json.loads(r[2])))
                for r in conn.execute(
                    sa.select(
                        hq_purchases.c.id, hq_purchases.c.customer_id, hq_purchases.c["items"]
                    ).where(hq_purchases.c.customer_id.in_(list(customers)))
                )
            }
        return customers, followups, orders

    def settle(self) -> None:
        for t in self.terminals.values():
            t.network.down = False
            t.network.lose_next_answer = False
            t.network.pulls_before_cut = None
        # A move emits changes for two scopes, and a late edit pushed by one terminal
        # is news for another: a few rounds reach the fixed point.
        for _round in range(3):
            for t in self.terminals.values():
                report = t.engine.sync_once()  # type: ignore[union-attr]
                assert report.ok and report.ready and report.rejected == 0, report
        on_hq = self.hq_followups()
        assert self.typed <= on_hq, f"lost follow-ups: {sorted(self.typed - on_hq)}"
        for t in self.terminals.values():
            outbox = t.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            assert outbox == 0, f"{t.name}: {outbox} mutations still in the outbox"
            assert t.snapshot() == self.hq_scope(t.store), f"{t.name} differs from HQ"
            assert t.engine.verify(), f"{t.name}: checksums differ"  # type: ignore[union-attr]


SyncMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_terminals_converge_through_faults = SyncMachine.TestCase
