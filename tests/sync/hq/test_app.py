"""The HQ endpoints through FastAPI's TestClient: enrolment, auth, push, pull, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sync import protocol
from sync.hq.app import create_app
from sync.hq.storage import HQStorage


@pytest.fixture
def client(sqlite_url: str, clock, hqdata) -> Iterator[TestClient]:
    app = create_app(sqlite_url, clock=clock)
    hqdata.small_brand(app.state.storage)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def pg_client(pg_url: str, clock, hqdata) -> Iterator[TestClient]:
    app = create_app(pg_url, clock=clock)
    hqdata.small_brand(app.state.storage)
    with TestClient(app) as test_client:
        yield test_client


def hq(client: TestClient) -> HQStorage:
    return client.app.state.storage


def enroll(client: TestClient, store: str = "S001") -> dict[str, str]:
    """Enrol a terminal; returns its Authorization header."""
    code = hq(client).create_enroll_code(store)
    answer = client.post("/v1/enroll", json={"protocol": 1, "code": code, "terminal_name": "柜台"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    protocol.ErrorBody.model_validate(body)
    assert body["error"] == code and body["message"]
    return body


def mutation(
    entity: str, op: str, entity_id: str, payload: dict, guide: str = "G002", n: int = 1
) -> dict[str, Any]:
    return {
        "id": f"m-{entity}-{entity_id}-{n:04d}",
        "guide_id": guide,
        "entity": entity,
        "op": op,
        "entity_id": entity_id,
        "payload": payload,
        "created_at": "2026-11-22T02:00:00Z",
    }


def followup(customer_id: str, note: str, guide: str = "G002", n: int = 1) -> dict[str, Any]:
    followup_id = f"f-{customer_id}-{guide}-{n:04d}"
    return mutation(
        "followup",
        "create",
        followup_id,
        {
            "id": followup_id,
            "customer_id": customer_id,
            "guide_id": guide,
            "channel": "wechat",
            "note": note,
            "next_followup_on": "2026-11-29",
            "created_at": "2026-11-22T02:00:00Z",
            "task_id": None,
        },
        guide=guide,
        n=n,
    )


def edit(customer_id: str, fields: dict, guide: str = "G002", n: int = 1) -> dict[str, Any]:
    return mutation("customer", "update", customer_id, {"fields": fields}, guide=guide, n=n)


def push(client: TestClient, headers: dict, *mutations: dict) -> list[dict[str, Any]]:
    answer = client.post(
        "/v1/push", json={"protocol": 1, "mutations": list(mutations)}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def pull_all(
    client: TestClient, headers: dict, cursor: str | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], str | None]:
    pulled: list[dict[str, Any]] = []
    while True:
        answer = client.post(
            "/v1/pull", json={"protocol": 1, "cursor": cursor, "limit": limit}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        page = protocol.PullResponse.model_validate(answer.json())
        pulled += [c.model_dump() for c in page.changes]
        cursor = page.cursor
        if not page.more:
            return pulled, cursor


def latest(pulled: list[dict[str, Any]], entity: str, entity_id: str) -> dict[str, Any]:
    return [c for c in pulled if (c["entity"], c["id"]) == (entity, entity_id)][-1]


# -- enrolment and auth ------------------------------------------------------------------


def test_healthz(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["ok"] is True


def test_enrolment_code_is_single_use(client: TestClient) -> None:
    code = hq(client).create_enroll_code("S001")
    first = client.post("/v1/enroll", json={"protocol": 1, "code": code.lower().replace("-", " ")})
    assert first.status_code == 200
    body = protocol.EnrollResponse.model_validate(first.json())
    assert body.store_id == "S001" and body.store_name == "上海南京西路店" and body.token
    assert_error(client.post("/v1/enroll", json={"protocol": 1, "code": code}), 400, "invalid_code")


def test_expired_or_unknown_code_is_refused(client: TestClient, clock) -> None:
    code = hq(client).create_enroll_code("S001", hours=1)
    clock.now += timedelta(hours=1, seconds=1)
    assert_error(client.post("/v1/enroll", json={"protocol": 1, "code": code}), 400, "invalid_code")
    assert_error(
        client.post("/v1/enroll", json={"protocol": 1, "code": "AAAA-BBBB-CCCC"}),
        400,
        "invalid_code",
    )


def test_hello_names_the_terminal(client: TestClient) -> None:
    headers = enroll(client)
    answer = client.post("/v1/hello", json={"protocol": 1}, headers=headers)
    assert answer.status_code == 200
    hello = protocol.HelloResponse.model_validate(answer.json())
    assert hello.store_id == "S001" and hello.protocol == protocol.PROTOCOL_VERSION


@pytest.mark.parametrize("path", ["/v1/hello", "/v1/push", "/v1/pull", "/v1/checksum"])
def test_unknown_or_missing_token_is_401(client: TestClient, path: str) -> None:
    body = {"protocol": 1, "mutations": []} if path == "/v1/push" else {"protocol": 1}
    assert_error(client.post(path, json=body), 401, "unauthorized")
    bogus = {"Authorization": "Bearer not-a-token"}
    assert_error(client.post(path, json=body, headers=bogus), 401, "unauthorized")
    assert_error(
        client.post(path, json=body, headers={"Authorization": "Basic dXNlcjpwYXNz"}),
        401,
        "unauthorized",
    )


def test_revoked_terminal_is_403(client: TestClient) -> None:
    headers = enroll(client)
    [terminal] = hq(client).list_terminals()
    hq(client).revoke_terminal(terminal["id"])
    body = assert_error(
        client.post("/v1/pull", json={"protocol": 1}, headers=headers), 403, "revoked"
    )
    assert "revoked" in body["message"]
    # A revoked terminal's pushes are not applied either.
    assert_error(
        client.post(
            "/v1/push", json={"protocol": 1, "mutations": [followup("C1", "x")]}, headers=headers
        ),
        403,
        "revoked",
    )
    assert hq(client).counts()["followups"] == 0


def test_old_terminal_is_told_to_update(client: TestClient) -> None:
    headers = enroll(client)
    body = assert_error(
        client.post("/v1/pull", json={"protocol": 0}, headers=headers), 426, "upgrade_required"
    )
    assert "update GuideDesk" in body["message"]
    # An old terminal's body may not even match today's models: still "update".
    old_shape = {"protocol": 0, "since": 17, "page": 3}
    assert_error(client.post("/v1/pull", json=old_shape, headers=headers), 426, "upgrade_required")
    assert_error(
        client.post("/v1/enroll", json={"protocol": 0, "code": "X"}), 426, "upgrade_required"
    )


def test_newer_protocol_than_hq_is_400(client: TestClient) -> None:
    headers = enroll(client)
    body = assert_error(
        client.post("/v1/pull", json={"protocol": 2}, headers=headers), 400, "bad_request"
    )
    assert "protocol" in body["message"]


# -- push --------------------------------------------------------------------------------


def test_same_push_twice_is_applied_once(client: TestClient) -> None:
    headers = enroll(client)
    batch = [followup("C1", "试穿了羊毛大衣"), followup("C2", "周末再来", n=2)]
    assert [r["status"] for r in push(client, headers, *batch)] == ["applied", "applied"]
    assert [r["status"] for r in push(client, headers, *batch)] == ["duplicate", "duplicate"]
    assert hq(client).counts()["followups"] == 2
    # The same mutation twice in one batch is applied once too.
    again = followup("C1", "一次", n=3)
    assert [r["status"] for r in push(client, headers, again, again)] == ["applied", "duplicate"]
    assert hq(client).counts()["followups"] == 3


def test_a_record_sent_again_under_another_mutation_id_is_not_doubled(
    client: TestClient,
) -> None:
    headers = enroll(client)
    _, cursor = pull_all(client, headers)
    first = followup("C1", "只记一次")
    again = {**first, "id": "m-another-id-0001"}
    assert [r["status"] for r in push(client, headers, first, again)] == ["applied", "applied"]
    assert hq(client).counts()["followups"] == 1
    echoed = [c for c in pull_all(client, headers, cursor)[0] if c["entity"] == "followup"]
    assert len(echoed) == 1


def test_followup_is_echoed_to_terminals_with_its_version(client: TestClient) -> None:
    a, b = enroll(client), enroll(client)
    _, cursor = pull_all(client, a)
    [result] = push(client, a, followup("C1", "试穿了羊毛大衣"))
    assert result == {"id": "m-followup-f-C1-G002-0001-0001", "status": "applied", "reason": ""}
    for headers in (a, b):
        [change] = pull_all(client, headers, cursor)[0]
        assert change["entity"] == "followup" and change["version"] > 0
        assert change["data"]["note"] == "试穿了羊毛大衣"
        assert change["data"]["guide_id"] == "G002"


def test_guide_of_another_store_is_rejected_with_a_plain_reason(client: TestClient) -> None:
    headers = enroll(client)
    [result] = push(client, headers, followup("C1", "不该被接受", guide="G003"))
    assert result["status"] == "rejected" and "G003" in result["reason"]
    assert hq(client).counts()["followups"] == 0
    # Rejected again, with the same reason, when the terminal retries.
    [again] = push(client, headers, followup("C1", "不该被接受", guide="G003"))
    assert again == result


def test_customer_of_another_guide_is_rejected(client: TestClient) -> None:
    headers = enroll(client)
    [result] = push(client, headers, followup("C3", "不是我的顾客"))  # C3 belongs to G001
    assert result["status"] == "rejected"
    assert "C3" in result["reason"] and "not assigned to guide G002" in result["reason"]
    # The store manager may write for any customer of the store.
    [manager] = push(client, headers, followup("C1", "店长回访", guide="G001"))
    assert manager["status"] == "applied"
    # A customer of another store is refused even to the manager.
    [other] = push(client, headers, followup("C4", "别店的顾客", guide="G001"))
    assert other["status"] == "rejected"


def test_late_edit_after_a_move_is_accepted(client: TestClient) -> None:
    a, b = enroll(client, "S001"), enroll(client, "S002")
    _, b_cursor = pull_all(client, b)
    hq(client).move_customer("C1", "G003")
    # Terminal A still had C1 and a pending follow-up: HQ takes it (never dropped)…
    [result] = push(client, a, followup("C1", "搬走前写的"))
    assert result["status"] == "applied"
    # …into the customer's current store, where the new owner sees it.
    pulled, _ = pull_all(client, b, b_cursor)
    assert latest(pulled, "customer", "C1")["data"]["guide_id"] == "G003"
    notes = [c["data"]["note"] for c in pulled if c["entity"] == "followup"]
    assert notes == ["搬走前写的"]
    # An edit of the profile is a late edit too.
    [edit_result] = push(client, a, edit("C1", {"note": {"old": "", "new": "怕冷"}}))
    assert edit_result["status"] == "applied"


def test_fields_merge_and_a_lost_edit_is_kept_as_a_conflict(client: TestClient) -> None:
    a, b = enroll(client), enroll(client)
    _, cursor = pull_all(client, a)
    first = edit(
        "C1", {"note": {"old": "", "new": "喜欢驼色"}, "sizes": {"old": {}, "new": {"top": "M"}}}
    )
    assert push(client, a, first)[0]["status"] == "applied"
    # B edited the same note from the same starting point, offline: B's value is kept, A's
    # is recorded as lost; sizes B did not touch stay as A set them.
    second = edit("C1", {"note": {"old": "", "new": "只穿黑白灰"}}, guide="G001", n=2)
    assert push(client, b, second)[0]["status"] == "applied"
    pulled, _ = pull_all(client, a, cursor)
    customer = latest(pulled, "customer", "C1")["data"]
    assert customer["note"] == "只穿黑白灰" and customer["sizes"] == {"top": "M"}
    [conflict] = [c["data"] for c in pulled if c["entity"] == "conflict"]
    assert conflict["field"] == "note" and conflict["customer_id"] == "C1"
    assert json.loads(conflict["kept_value"]) == "只穿黑白灰"
    assert json.loads(conflict["lost_value"]) == "喜欢驼色"
    assert conflict["lost_by"] == "G002" and conflict["detail"]
    # An edit that matches what HQ has already is a no-op, not a conflict.
    third = edit("C1", {"note": {"old": "x", "new": "只穿黑白灰"}}, n=3)
    assert push(client, a, third)[0]["status"] == "applied"
    assert hq(client).counts()["conflicts"] == 1


def test_tags_merge_as_a_set(client: TestClient) -> None:
    a, b = enroll(client), enroll(client)
    _, cursor = pull_all(client, a)
    # Both start from ["新品控"]: A adds one tag, B removes 新品控 and adds another.
    push(client, a, edit("C1", {"tags": {"old": ["新品控"], "new": ["新品控", "职场通勤"]}}))
    push(client, b, edit("C1", {"tags": {"old": ["新品控"], "new": ["羊绒爱好者"]}}, n=2))
    pulled, _ = pull_all(client, a, cursor)
    assert latest(pulled, "customer", "C1")["data"]["tags"] == ["职场通勤", "羊绒爱好者"]
    assert not [c for c in pulled if c["entity"] == "conflict"]


def test_other_mutations_are_applied(client: TestClient) -> None:
    headers = enroll(client)
    _, cursor = pull_all(client, headers)
    hq(client).move_customer("C2", "G002")  # no-op: already G002
    hq(client).move_customer("C3", "G002")  # a handover task with a target for G002
    task_target = [c for c in pull_all(client, headers, cursor)[0] if c["entity"] == "task_target"]
    target_id = task_target[0]["id"]
    results = push(
        client,
        headers,
        mutation(
            "share",
            "create",
            "s-1",
            {"id": "s-1", "customer_id": "C1", "content_id": "CT001", "task_id": None,
             "channel": "wechat", "shared_at": "2026-11-22T03:00:00Z"},
        ),
        mutation(
            "appointment",
            "create",
            "a-1",
            {"id": "a-1", "customer_id": "C1", "starts_at": "2026-11-25T06:00:00Z",
             "ends_at": "2026-11-25T07:00:00Z", "purpose": "试衣", "status": "booked"},
        ),
        mutation("appointment", "update", "a-1", {"status": "done", "rating": 5}, n=2),
        mutation("task_target", "complete", target_id, {"evidence": "已加微信"}),
        mutation("audit", "reveal_phone", "C1", {"id": "audit-1", "customer_id": "C1",
                                                 "at": "2026-11-22T03:00:00Z"}),
    )  # fmt: skip
    assert [r["status"] for r in results] == ["applied"] * 5, results
    pulled, _ = pull_all(client, headers, cursor)
    assert latest(pulled, "share", "s-1")["data"]["content_id"] == "CT001"
    appointment = latest(pulled, "appointment", "a-1")["data"]
    assert appointment["status"] == "done" and appointment["rating"] == 5
    target = latest(pulled, "task_target", target_id)["data"]
    assert target["status"] == "done" and target["evidence"] == "已加微信"
    assert hq(client).counts()["audit_log"] == 2  # the move of C3, then the reveal


@pytest.mark.parametrize(
    ("entity", "op", "payload", "reason"),
    [
        ("followup", "delete", {}, "unknown mutation"),
        ("wishlist", "create", {}, "unknown mutation"),
        ("followup", "create", {"customer_id": "C1"}, "channel"),
        ("followup", "create", {"customer_id": "C1", "channel": "pigeon",
                                "created_at": "2026-11-22T02:00:00Z"}, "channel"),
        ("followup", "create", {"customer_id": 7, "channel": "call"}, "customer_id"),
        ("followup", "create", {"customer_id": "C999", "channel": "call",
                                "created_at": "2026-11-22T02:00:00Z"}, "unknown to HQ"),
        ("followup", "create", {"customer_id": "C1", "channel": "call",
                                "created_at": "2026-11-22"}, "not an ISO-8601 time"),
        ("customer", "update", {"fields": {"phone": {"old": "", "new": "1"}}}, "not editable"),
        ("customer", "update", {"fields": {"tags": {"old": [], "new": "vip"}}}, "must be a list"),
        ("customer", "update", {"fields": []}, "fields"),
        ("appointment", "update", {"status": "done"}, "unknown to HQ"),
        ("task_target", "complete", {}, "task"),
    ],
)  # fmt: skip
def test_malformed_mutations_are_rejected_not_errors(
    client: TestClient, entity: str, op: str, payload: dict, reason: str
) -> None:
    headers = enroll(client)
    entity_id = "C1" if entity == "customer" else "x-0001"
    [result] = push(client, headers, mutation(entity, op, entity_id, payload))
    assert result["status"] == "rejected" and reason in result["reason"], result


# -- pull --------------------------------------------------------------------------------


def test_pull_pages_with_a_cursor(client: TestClient) -> None:
    headers = enroll(client)
    everything, final = pull_all(client, headers, limit=5000)
    paged, paged_final = pull_all(client, headers, limit=2)
    assert paged == everything and paged_final == final
    first = client.post("/v1/pull", json={"protocol": 1, "limit": 2}, headers=headers).json()
    assert first["more"] is True and first["remaining"] == len(everything) - 2
    # At the head: nothing, the same cursor, no more.
    answer = client.post("/v1/pull", json={"protocol": 1, "cursor": final}, headers=headers)
    assert answer.json() == {"changes": [], "cursor": final, "more": False, "remaining": 0}
    # A cursor the terminal sent is recorded (compaction stops below it).
    [terminal] = hq(client).list_terminals()
    assert terminal["cursor"] is not None and terminal["cursor"] <= final


def test_pull_limit_and_cursor_are_checked(client: TestClient) -> None:
    headers = enroll(client)
    too_big = {"protocol": 1, "limit": protocol.MAX_PULL_LIMIT + 1}
    assert_error(client.post("/v1/pull", json=too_big, headers=headers), 422, "bad_request")
    for shape in ("yesterday", "².1", "1.2.3.4", "-1.2", "12345678901234567890.1"):
        bad_cursor = {"protocol": 1, "cursor": shape}
        assert_error(client.post("/v1/pull", json=bad_cursor, headers=headers), 422, "bad_request")
    # The right shape, but beyond a 64-bit integer: HQ did not make it.
    beyond = {"protocol": 1, "cursor": "9999999999999999999.1"}
    assert_error(client.post("/v1/pull", json=beyond, headers=headers), 400, "bad_request")


def test_reset_required_after_compaction(client: TestClient, clock) -> None:
    headers = enroll(client)
    early = client.post("/v1/pull", json={"protocol": 1, "limit": 2}, headers=headers).json()
    hq(client).move_customer("C1", "G001")
    hq(client).move_customer("C1", "G002")
    clock.now += timedelta(days=40)  # the terminal went silent: it no longer holds the log
    hq(client).compact()
    clock.now -= timedelta(days=40)
    body = assert_error(
        client.post("/v1/pull", json={"protocol": 1, "cursor": early["cursor"]}, headers=headers),
        409,
        "reset_required",
    )
    assert "resync" in body["message"]
    # From scratch works, and ends at the head.
    pulled, cursor = pull_all(client, headers)
    assert cursor == hq(client).head_cursor("S001") and pulled


def test_checksum_matches_the_pulled_state(client: TestClient) -> None:
    headers = enroll(client)
    pulled, cursor = pull_all(client, headers, limit=3)
    state: dict[tuple[str, str], int] = {}
    for c in pulled:
        if c["op"] == "upsert":
            state[(c["entity"], c["id"])] = c["version"]
        else:
            state.pop((c["entity"], c["id"]), None)
    answer = client.post("/v1/checksum", json={"protocol": 1, "entities": []}, headers=headers)
    parsed = protocol.ChecksumResponse.model_validate(answer.json())
    assert parsed.cursor == cursor and set(parsed.checksums) == set(protocol.ENTITIES)
    for entity, digest in parsed.checksums.items():
        mine = [(i, v) for (e, i), v in state.items() if e == entity]
        assert digest == protocol.checksum_of(mine)
    unknown = {"protocol": 1, "entities": ["spaceship"]}
    assert_error(client.post("/v1/checksum", json=unknown, headers=headers), 400, "bad_request")


# -- bad input is a 4xx, never a 500 -----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"", 400),
        (b"[]", 422),
        (b'"text"', 422),
        (b"null", 422),
        (b'{"protocol": "one"}', 422),
        (b'{"protocol": 1, "mutations": {"a": 1}}', 422),
        (b'{"protocol": 1, "mutations": [{"id": "short"}]}', 422),
        (b'{"protocol": 1, "mutations": [], "extra": true}', 422),
        (b'{"protocol": 1e400, "mutations": []}', 422),
        (b"[" * 100_000 + b"]" * 100_000, 400),
    ],
)
def test_malformed_requests_are_4xx(client: TestClient, body: bytes, status: int) -> None:
    headers = enroll(client)
    answer = client.post("/v1/push", content=body, headers=headers)
    assert_error(answer, status, "bad_request")


def test_oversized_body_is_413(client: TestClient) -> None:
    headers = enroll(client)
    big = b'{"protocol": 1, "mutations": [], "pad": "' + b"x" * protocol.MAX_BODY_BYTES + b'"}'
    assert_error(client.post("/v1/push", content=big, headers=headers), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"protocol": 1, "pad": "'
        for _ in range(9):
            yield b"x" * (1024 * 1024)
        yield b'"}'

    assert_error(client.post("/v1/push", content=chunks(), headers=headers), 413, "too_large")


def test_body_without_content_type_is_json(client: TestClient) -> None:
    headers = enroll(client) | {"Content-Type": "text/plain"}
    answer = client.post("/v1/hello", content=b'{"protocol": 1}', headers=headers)
    assert answer.status_code == 200


def test_unknown_paths_and_methods_answer_in_error_body_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.get("/v1/push"), 405, "bad_request")


def test_push_and_pull_on_postgresql(pg_client: TestClient) -> None:
    a, b = enroll(pg_client), enroll(pg_client)
    _, cursor = pull_all(pg_client, b)
    batch = [followup("C1", "PostgreSQL 上的跟进")]
    assert push(pg_client, a, *batch)[0]["status"] == "applied"
    assert push(pg_client, a, *batch)[0]["status"] == "duplicate"
    [change] = pull_all(pg_client, b, cursor)[0]
    assert change["data"]["note"] == "PostgreSQL 上的跟进"
