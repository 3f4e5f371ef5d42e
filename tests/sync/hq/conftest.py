"""HQ fixtures: a fresh database per test, on SQLite always and on PostgreSQL when
GUIDEDESK_TEST_PG_URL is set (each PostgreSQL test creates and drops its own database)."""

from __future__ import annotations

import os
import re
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from sync.hq.storage import HQStorage, engine_url

PG_ENV = "GUIDEDESK_TEST_PG_URL"

# Starlette 1.x warns at import that its TestClient would rather use the `httpx2` package;
# the installed httpx works. Import it once here, quietly, so the test modules (and
# schemathesis, which uses it for ASGI apps) get the already-imported module.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import starlette.testclient  # noqa: F401


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need a server: {PG_ENV} not set")
    return url


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A brand-new PostgreSQL database for this test, dropped afterwards."""
    admin_url = pg_admin_url()
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40]
    name = f"hq_{slug}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(engine_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        base = sa.make_url(engine_url(admin_url)).set(database=name)
        yield base.render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hq.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def storage(db_url: str, clock: Any) -> Iterator[HQStorage]:
    hq = HQStorage(db_url, clock=clock)
    hq.migrate()
    yield hq
    hq.close()


@pytest.fixture
def sqlite_storage(sqlite_url: str, clock: Any) -> Iterator[HQStorage]:
    hq = HQStorage(sqlite_url, clock=clock)
    hq.migrate()
    yield hq
    hq.close()


def customer(customer_id: str, store_id: str, guide_id: str | None, **fields: Any) -> dict:
    """A customer wire record with defaults."""
    record = {
        "id": customer_id,
        "store_id": store_id,
        "guide_id": guide_id,
        "name": f"顾客{customer_id}",
        "phone": "13800000000",
        "gender": "F",
        "birthday": None,
        "tier": "regular",
        "points": 0,
        "tags": [],
        "sizes": {},
        "preferences": "",
        "note": "",
        "joined_at": "2024-03-01T00:00:00Z",
    }
    record.update(fields)
    return record


def purchase(order_id: str, customer_id: str, store_id: str, guide_id: str | None) -> dict:
    return {
        "id": order_id,
        "customer_id": customer_id,
        "store_id": store_id,
        "guide_id": guide_id,
        "paid_at": "2026-10-01T02:00:00Z",
        "amount_cents": 19900,
        "items": [{"sku": "SKU1", "qty": 1, "price_cents": 19900}],
    }


def small_brand(hq: HQStorage) -> None:
    """Two stores: S001 (G001 manager, G002) and S002 (G003); C1–C3 in S001, C4 in S002."""
    hq.add_store("S001", "上海南京西路店", "上海")
    hq.add_store("S002", "杭州湖滨店", "杭州")
    hq.add_guide("G001", "王芳", store_id="S001", is_manager=True)
    hq.add_guide("G002", "李娜", store_id="S001")
    hq.add_guide("G003", "陈静", store_id="S002")
    hq.import_customers(
        [
            customer("C1", "S001", "G002", tags=["新品控"]),
            customer("C2", "S001", "G002"),
            customer("C3", "S001", "G001"),
            customer("C4", "S002", "G003"),
        ]
    )
    hq.import_purchases(
        [
            purchase("O1", "C1", "S001", "G002"),
            purchase("O2", "C1", "S001", "G002"),
            purchase("O3", "C4", "S002", "G003"),
        ]
    )


@pytest.fixture
def hqdata() -> SimpleNamespace:
    """Record builders for tests (a fixture: test modules may not import conftest)."""
    return SimpleNamespace(customer=customer, purchase=purchase, small_brand=small_brand)
