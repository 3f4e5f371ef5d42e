"""Schemathesis over HQ's OpenAPI schema: generated requests, valid and not, never a 500
and always an answer the schema documents. Derandomized, so every run is the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from sync.hq.app import create_app
from sync.hq.ratelimit import Limits


@pytest.fixture
def fuzz_app(sqlite_url: str, clock, hqdata) -> Iterator[FastAPI]:
    # Limits out of the way: the fuzzer would otherwise see little but 429 (the limits
    # themselves are tests/sync/hq/test_auth.py's).
    roomy = (100_000, 60.0)
    app = create_app(sqlite_url, clock=clock, limits=Limits(roomy, roomy, roomy, roomy))
    hqdata.small_brand(app.state.storage)
    yield app
    app.state.storage.close()


# What the schema cannot say: a request of the right shape may still be refused for what
# it means (400: an enrolment code that does not exist, a cursor HQ did not make, a
# protocol newer than HQ; 426: a protocol older than HQ speaks, answered "update
# GuideDesk" even when the old body no longer matches today's schema, on purpose; 423: a
# guide the fuzzer's wrong PINs locked).
_CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 409, 413, 415, 422, 423, 426]
            },
            "positive_data_acceptance": {
                "expected-statuses": ["2XX", 400, 401, 403, 404, 409, 422, 423, 426]
            },
        }
    }
)


@pytest.fixture
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app, config=_CONFIG)


@pytest.fixture
def terminal_headers(fuzz_app: FastAPI) -> dict[str, str]:
    storage = fuzz_app.state.storage
    enrolment = storage.enroll(storage.create_enroll_code("S001"), "fuzz")
    return {"Authorization": f"Bearer {enrolment.token}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_break_hq(case: Any, terminal_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=terminal_headers)
