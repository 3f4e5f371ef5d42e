"""Who signed in, provably, through a real HQ process over HTTP: the actor of each
mutation recorded, a lock that survives HQ's restart until `guidedesk-hq unlock-guide`,
and a huge body with a bad token refused by its token."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from sync import protocol
from sync.hq import auth
from sync.hq.schema import mutations
from sync.hq.storage import HQStorage

PIN = "246810"  # tests/e2e/conftest.py's guides


def post(hq: Any, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{hq.url}{path}",
        json={"protocol": protocol.PROTOCOL_VERSION, **body},
        headers=headers,
        timeout=30,
    )


def enrol(hq: Any) -> str:
    answer = post(hq, "/v1/enroll", {"code": hq.enroll_code("S001"), "terminal_name": "柜台"})
    assert answer.status_code == 200, answer.text
    return f"Bearer {answer.json()['token']}"


def followup(n: int, session: str | None) -> dict[str, Any]:
    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record_id = f"f-e2e-auth-{n:04d}"
    return {
        "id": f"m-e2e-auth-{n:04d}",
        "guide_id": "G002",
        "entity": "followup",
        "op": "create",
        "entity_id": record_id,
        "payload": {
            "id": record_id,
            "customer_id": "C0001",
            "guide_id": "G002",
            "channel": "wechat",
            "note": "到店试穿",
            "next_followup_on": None,
            "created_at": made,
            "task_id": None,
        },
        "created_at": made,
        "session": session,
    }


def test_hq_records_who_acted(hq) -> None:
    token = enrol(hq)
    signed = post(hq, "/v1/sign-in", {"guide_id": "G002", "pin": PIN}, Authorization=token)
    assert signed.status_code == 200, signed.text
    session = protocol.SignInResponse.model_validate(signed.json()).session
    answer = post(
        hq,
        "/v1/push",
        {"mutations": [followup(1, session), followup(2, None), followup(3, "forged-session")]},
        Authorization=token,
    )
    assert [r["status"] for r in answer.json()["results"]] == ["applied", "applied", "rejected"]
    with HQStorage(hq.db_url) as store, store.read() as conn:
        rows = conn.execute(
            sa.select(mutations.c.id, mutations.c.session_id, mutations.c.signed_in)
        ).all()
    recorded = {mid: (sid, how) for mid, sid, how in rows}
    assert recorded["m-e2e-auth-0001"] == (auth.token_hash(session), "hq")
    assert recorded["m-e2e-auth-0002"] == (None, "offline")
    assert recorded["m-e2e-auth-0003"] == (None, "hq")


def test_a_lock_survives_a_restart_until_hq_unlocks(hq) -> None:
    token = enrol(hq)
    for _ in range(protocol.PIN_LOCK_AFTER):
        post(hq, "/v1/sign-in", {"guide_id": "G002", "pin": "135790"}, Authorization=token)
    hq.stop()
    hq.restart()
    locked = post(hq, "/v1/sign-in", {"guide_id": "G002", "pin": PIN}, Authorization=token)
    assert locked.status_code == 423 and locked.json()["error"] == "guide_locked"
    other = post(hq, "/v1/sign-in", {"guide_id": "G001", "pin": PIN}, Authorization=token)
    assert other.status_code == 200
    state = json.loads(hq.run("pin-status", "G002", "--json"))
    assert state["locked_at"] and state["failures"] == protocol.PIN_LOCK_AFTER
    assert "unlocked" in hq.run("unlock-guide", "G002")
    again = post(hq, "/v1/sign-in", {"guide_id": "G002", "pin": PIN}, Authorization=token)
    assert again.status_code == 200


def test_a_huge_body_with_a_bad_token_gets_401(hq) -> None:
    body = b'{"protocol": 1, "mutations": [' + b" " * (7 * 1024 * 1024) + b"]}"
    started = time.perf_counter()
    answer = httpx.post(
        f"{hq.url}/v1/push",
        content=body,
        headers={"Authorization": "Bearer not-a-token"},
        timeout=30,
    )
    elapsed = time.perf_counter() - started
    assert answer.status_code == 401 and answer.json()["error"] == "unauthorized"
    assert elapsed < 10
    # The server is fine afterwards, for a good token.
    token = enrol(hq)
    assert post(hq, "/v1/hello", {}, Authorization=token).status_code == 200
