"""UI test fixtures: a small hand-written store, a session over it, a fake sync engine.

The store is filled the way a terminal really is — HQ's change records applied by
``TerminalReplica.apply_page`` — so search keys, derived columns and FTS are the real ones.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from app.store import db
from app.store.guides import GuideAccount, get_guide
from app.store.picture_cache import PictureCache
from app.store.replica import TerminalReplica
from app.ui.session import Session
from sync.outcome import SyncProgress, SyncReport

PIN = "1234"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The offscreen platform cannot pass size hints to a window manager and says so on
    # every show(); that is the platform, not us. Everything else Qt says still fails.
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


STORE_NAME = "静安嘉里店"


@cache
def pin_verifier() -> str:
    return PasswordHasher().hash(PIN)  # ~50 ms: once per test run


def change(entity: str, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
    key = data.get("id") or data.get("sku")
    return {"entity": entity, "op": "upsert", "id": key, "version": version, "data": data}


def customer(cid: str, name: str, phone: str, guide: str = "G001", **extra: Any) -> dict:
    data = {
        "id": cid,
        "store_id": "S001",
        "guide_id": guide,
        "name": name,
        "phone": phone,
        "gender": "F",
        "birthday": "1990-06-15",
        "tier": "regular",
        "points": 10,
        "tags": [],
        "sizes": {"top": "M"},
        "preferences": "",
        "note": "",
        "joined_at": "2024-01-01T02:00:00Z",
    }
    data.update(extra)
    return change("customer", data)


def guides() -> list[dict]:
    return [
        change("store", {"id": "S001", "name": STORE_NAME, "city": "上海"}),
        *(
            change(
                "guide",
                {
                    "id": gid,
                    "store_id": "S001",
                    "name": name,
                    "is_manager": manager,
                    "active": True,
                    "pin_verifier": pin_verifier(),
                },
            )
            for gid, name, manager in (
                ("G001", "王丽", False),
                ("G002", "李娜", False),
                ("M001", "陈店长", True),
            )
        ),
    ]


def book() -> list[dict]:
    """A few customers with history; C1 has purchases, a follow-up and a lost edit."""
    return [
        *guides(),
        change(
            "product",
            {
                "sku": "D100",
                "name": "真丝连衣裙",
                "category": "连衣裙",
                "color": "米白",
                "price_cents": 129900,
                "image": None,
            },
        ),
        change(
            "product",
            {
                "sku": "S200",
                "name": "羊绒围巾",
                "category": "配饰",
                "color": "驼色",
                "price_cents": 59900,
                "image": None,
            },
        ),
        customer(
            "C1",
            "张三",
            "13812345678",
            tags=["新品控", "VIP"],
            birthday="1990-11-20",
            tier="head",
            points=9000,
            sizes={"top": "M", "shoe": "37"},
            preferences="喜欢真丝和浅色",
        ),
        customer("C2", "曾小凡", "13900001234", birthday="1988-11-30"),
        customer("C3", "欧阳娜娜", "18611112222", tier="waist", points=3000),
        customer("C4", "单丽", "15000003333"),
        customer("C5", "张伟", "13512341234", guide="G002"),
        change(
            "purchase",
            {
                "id": "P1",
                "customer_id": "C1",
                "store_id": "S001",
                "guide_id": "G001",
                "paid_at": "2026-11-02T06:00:00Z",
                "amount_cents": 189800,
                "items": [
                    {"sku": "D100", "qty": 1, "price_cents": 129900},
                    {"sku": "S200", "qty": 1, "price_cents": 59900},
                ],
            },
        ),
        change(
            "followup",
            {
                "id": "F1",
                "customer_id": "C1",
                "guide_id": "G001",
                "channel": "wechat",
                "note": "发了新品图，她喜欢那条连衣裙",
                "next_followup_on": None,
                "created_at": "2026-11-10T03:00:00Z",
                "task_id": None,
            },
        ),
        change(
            "conflict",
            {
                "id": "X1",
                "customer_id": "C1",
                "field": "note",
                "kept_value": "周末来店",
                "lost_value": "工作日来店",
                "lost_by": "G002",
                "detail": "",
                "created_at": "2026-11-12T03:00:00Z",
            },
        ),
    ]


def many(count: int, start: int = 100) -> list[dict]:
    """``count`` customers of G001 whose names share the surname 王 (a common query)."""
    return [
        customer(f"C{start + i:05d}", f"王{'一二三四五六七八九十'[i % 10]}{i}", f"139{i:08d}")
        for i in range(count)
    ]


def fill(path: Path, records: list[dict], clock: Callable[[], Any]) -> None:
    conn = db.connect(path)
    try:
        replica = TerminalReplica(conn, clock=clock)
        replica.apply_page(records, str(len(records)), more=False)
        replica.set_state(store_id="S001", store_name=STORE_NAME)
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "terminal.sqlite3"


@pytest.fixture
def picture_cache(tmp_path: Path) -> PictureCache:
    """The terminal's picture cache, empty (named apart from pytest's own ``cache``)."""
    return PictureCache(tmp_path / "pictures")


@pytest.fixture
def terminal(db_path: Path, clock) -> Path:
    """A terminal store holding ``book()``."""
    fill(db_path, book(), clock)
    return db_path


@pytest.fixture
def session(qtbot, terminal: Path, clock) -> Iterator[Session]:
    session = Session(terminal, clock=clock)
    yield session
    session.close()


@pytest.fixture
def guide(session: Session) -> GuideAccount:
    found = get_guide(session.conn, "G001")
    assert found is not None
    return found


@pytest.fixture
def manager(session: Session) -> GuideAccount:
    found = get_guide(session.conn, "M001")
    assert found is not None
    return found


@pytest.fixture
def add_records(terminal: Path, clock) -> Callable[[list[dict]], None]:
    """Apply more HQ records to the terminal store, as a sync would."""
    return lambda records: fill(terminal, records, clock)


@pytest.fixture
def new_customer() -> Callable[..., dict]:
    return customer


@pytest.fixture
def many_customers() -> Callable[..., list[dict]]:
    return many


class FakeEngine:
    """Stands in for ``sync.client.SyncEngine``: reports what it is told to, optionally
    waiting on ``gate`` so a test can look at the UI while a sync runs."""

    def __init__(
        self,
        report: SyncReport,
        steps: tuple[SyncProgress, ...] = (),
        gate: threading.Event | None = None,
    ) -> None:
        self.report, self.steps, self.gate = report, steps, gate
        self.calls = 0
        self.closed = False

    def sync_once(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncReport:
        self.calls += 1
        for step in self.steps:
            if progress:
                progress(step)
        if self.gate is not None:
            self.gate.wait(10)
        return self.report

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_engine() -> Callable[..., FakeEngine]:
    return FakeEngine
