"""Who signed in, provably (HQ side): sign-in at HQ, lockout per guide, PIN changes,
guide sessions on mutations, token expiry and rotation, through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sync import protocol
from sync.hq import audit, auth
from sync.hq.app import create_app
from sync.hq.ratelimit import Limits
from sync.hq.schema import guides, mutations, terminals
from sync.hq.storage import HQStorage, iso

PIN = "246810"
ROOMY = (100_000, 60.0)


def _app(url: str, clock: Any, limits: Limits | None = None) -> Any:
    return create_app(url, clock=clock, limits=limits or Limits(ROOMY, ROOMY, ROOMY, ROOMY))


@pytest.fixture
def client(db_url: str, clock, hqdata) -> Iterator[TestClient]:
    """The app over SQLite, and over PostgreSQL when a test server is given."""
    app = _app(db_url, clock)
    hq = app.state.storage
    hqdata.small_brand(hq)
    for guide in ("G001", "G002", "G003"):
        hq.set_pin(guide, PIN)
    with TestClient(app) as test_client:
        yield test_client


def hq(client: TestClient) -> HQStorage:
    return client.app.state.storage


def enroll(client: TestClient, store: str = "S001") -> dict[str, str]:
    code = hq(client).create_enroll_code(store)
    answer = client.post("/v1/enroll", json={"protocol": 1, "code": code})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def call(client: TestClient, path: str, headers: dict, **body: Any) -> Any:
    return client.post(path, json={"protocol": 1, **body}, headers=headers)


def sign_in(client: TestClient, headers: dict, guide: str = "G002", pin: str = PIN) -> Any:
    return call(client, "/v1/sign-in", headers, guide_id=guide, pin=pin)


def session_of(client: TestClient, headers: dict, guide: str = "G002", pin: str = PIN) -> str:
    answer = sign_in(client, headers, guide, pin)
    assert answer.status_code == 200, answer.text
    return protocol.SignInResponse.model_validate(answer.json()).session


def with_session(headers: dict, session: str) -> dict[str, str]:
    return headers | {protocol.SESSION_HEADER: session}


def error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    protocol.ErrorBody.model_validate(body)
    assert body["error"] == code and body["message"]
    return body


def followup(n: int, *, guide: str = "G002", customer: str = "C1", made: str, session=None):
    record_id = f"f-auth-{n:04d}"
    return {
        "id": f"m-auth-{n:04d}",
        "guide_id": guide,
        "entity": "followup",
        "op": "create",
        "entity_id": record_id,
        "payload": {
            "id": record_id,
            "customer_id": customer,
            "guide_id": guide,
            "channel": "wechat",
            "note": "回访",
            "next_followup_on": None,
            "created_at": made,
            "task_id": None,
        },
        "created_at": made,
        "session": session,
    }


def push(client: TestClient, headers: dict, *batch: dict) -> list[dict[str, Any]]:
    answer = call(client, "/v1/push", headers, mutations=list(batch))
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def actors(client: TestClient) -> dict[str, tuple[str | None, str | None]]:
    with hq(client).read() as conn:
        rows = conn.execute(
            sa.select(mutations.c.id, mutations.c.session_id, mutations.c.signed_in)
        )
        return {mid: (session, signed) for mid, session, signed in rows}


# -- sign-in -----------------------------------------------------------------------------


def test_sign_in_gives_a_session_with_the_brands_idle_lock(client: TestClient, clock) -> None:
    terminal = enroll(client)
    answer = sign_in(client, terminal)
    assert answer.status_code == 200, answer.text
    signed = protocol.SignInResponse.model_validate(answer.json())
    assert signed.guide_id == "G002" and not signed.must_change_pin
    assert signed.idle_lock_seconds == protocol.IDLE_LOCK_SECONDS == 300
    assert signed.expires_at == iso(clock.now + timedelta(hours=12))
    hq(client).set_idle_lock(120)
    assert (
        protocol.SignInResponse.model_validate(sign_in(client, terminal).json()).idle_lock_seconds
        == 120
    )
    hello = protocol.HelloResponse.model_validate(call(client, "/v1/hello", terminal).json())
    assert hello.idle_lock_seconds == 120 and hello.locked_guides == []
    with pytest.raises(Exception, match="between 30"):
        hq(client).set_idle_lock(5)


def test_sign_in_refuses_guides_of_other_stores_and_departed_guides(client: TestClient) -> None:
    terminal = enroll(client)
    error(sign_in(client, terminal, "G003"), 403, "forbidden")  # S002's guide
    error(sign_in(client, terminal, "G404"), 403, "forbidden")
    hq(client).depart("G002", ["G001"], actor="test")
    error(sign_in(client, terminal, "G002"), 403, "guide_disabled")


def test_five_wrong_pins_lock_that_guide_only(client: TestClient, clock) -> None:
    terminal = enroll(client)
    for left in (4, 3, 2, 1):
        body = error(sign_in(client, terminal, pin="135790"), 401, "wrong_pin")
        assert body["remaining_tries"] == left and str(left) in body["message"]
    error(sign_in(client, terminal, pin="135790"), 423, "guide_locked")
    error(sign_in(client, terminal, pin=PIN), 423, "guide_locked")  # the right PIN too
    # Another guide of the same terminal signs in as ever.
    assert sign_in(client, terminal, "G001").status_code == 200
    hello = protocol.HelloResponse.model_validate(call(client, "/v1/hello", terminal).json())
    assert hello.locked_guides == ["G002"]
    # The lock is in the database: a restarted HQ (a new app) still refuses.
    clock.now += timedelta(days=2)
    restarted = _app(hq(client).url, clock)
    with TestClient(restarted) as again:
        error(sign_in(again, terminal, pin=PIN), 423, "guide_locked")
    restarted.state.storage.close()
    with hq(client).read() as conn:
        entries = audit.entries(conn, guide_id="G002")
    actions = [e.action for e in entries if e.action.startswith(("pin_", "guide_"))]
    assert actions.count("pin_wrong") == 5 and actions.count("guide_locked") == 1
    assert all(PIN not in str(e.details) and "135790" not in str(e.details) for e in entries)
    assert hq(client).unlock_guide("G002", actor="ops") is True
    assert hq(client).unlock_guide("G002", actor="ops") is False
    assert sign_in(client, terminal).status_code == 200
    assert hq(client).pin_state("G002")["failures"] == 0


def test_a_good_pin_resets_the_count(client: TestClient) -> None:
    terminal = enroll(client)
    for _ in range(4):
        error(sign_in(client, terminal, pin="135790"), 401, "wrong_pin")
    assert sign_in(client, terminal).status_code == 200
    body = error(sign_in(client, terminal, pin="135790"), 401, "wrong_pin")
    assert body["remaining_tries"] == 4


def test_the_store_manager_unlocks_from_a_terminal(client: TestClient) -> None:
    terminal = enroll(client)
    for _ in range(protocol.PIN_LOCK_AFTER):
        sign_in(client, terminal, pin="135790")
    error(sign_in(client, terminal), 423, "guide_locked")
    manager = session_of(client, terminal, "G001")
    answer = call(client, "/v1/unlock-guide", with_session(terminal, manager), guide_id="G002")
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert sign_in(client, terminal).status_code == 200
    with hq(client).read() as conn:
        [unlock] = audit.entries(conn, guide_id="G002", action="guide_unlocked")
    assert unlock.details == {"by_guide": "G001"}


def test_a_guide_or_another_stores_manager_cannot_unlock(client: TestClient, hqdata) -> None:
    hq(client).add_guide("G005", "赵敏", store_id="S002", is_manager=True, pin=PIN)
    s1, s2 = enroll(client, "S001"), enroll(client, "S002")
    plain = session_of(client, s1, "G002")
    error(
        call(client, "/v1/unlock-guide", with_session(s1, plain), guide_id="G001"), 403, "forbidden"
    )
    other_manager = session_of(client, s2, "G005")
    error(
        call(client, "/v1/unlock-guide", with_session(s2, other_manager), guide_id="G002"),
        403,
        "forbidden",
    )


def test_a_short_pin_from_before_the_rule_must_change(client: TestClient) -> None:
    store = hq(client)
    with store.write() as tx:
        record = tx.get("guide", "G002") | {"pin_verifier": auth.legacy_pin_verifier("1234")}
        tx.put("guide", [record], scopes="S001")
    terminal = enroll(client)
    answer = sign_in(client, terminal, pin="1234")
    assert answer.status_code == 200 and answer.json()["must_change_pin"] is True
    session = answer.json()["session"]
    for weak in ("12345", "111111", "123456", "987654", "12ab56"):
        body = error(
            call(client, "/v1/change-pin", with_session(terminal, session), new_pin=weak),
            422,
            "weak_pin",
        )
        assert weak not in body["message"]
    # Still asked to change (refused changes changed nothing).
    assert sign_in(client, terminal, pin="1234").json()["must_change_pin"] is True
    answer = call(client, "/v1/change-pin", with_session(terminal, session), new_pin="582014")
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    error(sign_in(client, terminal, pin="1234"), 401, "wrong_pin")
    again = sign_in(client, terminal, pin="582014")
    assert again.status_code == 200 and again.json()["must_change_pin"] is False
    with store.read() as conn:
        verifier, flag = conn.execute(
            sa.select(guides.c.pin_verifier, guides.c.pin_must_change).where(guides.c.id == "G002")
        ).one()
    assert verifier.startswith("$argon2id$v=19$m=65536,t=3,p=1$") and not flag


def test_a_pin_change_keeps_the_guides_sessions(client: TestClient, clock) -> None:
    a, b = enroll(client), enroll(client)
    here, there = session_of(client, a), session_of(client, b)
    same = call(client, "/v1/change-pin", with_session(a, here), new_pin=PIN)
    assert "replaces" in error(same, 422, "weak_pin")["message"]
    changed = call(client, "/v1/change-pin", with_session(a, here), new_pin="582014")
    assert changed.status_code == 200
    # Work under the other terminal's session goes on being proven (HQ cannot tell that
    # terminal at once; refusing its edits would lose them).
    results = push(client, b, followup(1, made=iso(clock.now), session=there))
    assert results[0]["status"] == "applied"
    assert call(client, "/v1/sign-out", with_session(a, here)).status_code == 200
    error(call(client, "/v1/sign-out", with_session(a, here)), 401, "session_invalid")
    assert call(client, "/v1/sign-out", with_session(b, there)).status_code == 200


def test_hq_refuses_short_or_trivial_pins(client: TestClient) -> None:
    store = hq(client)
    for pin in ("1234", "12345", "000000", "234567"):
        with pytest.raises(Exception, match="PIN refused"):
            store.set_pin("G002", pin)
        with pytest.raises(Exception, match="PIN refused"):
            store.add_guide("G009", "新人", store_id="S001", pin=pin)
    store.set_pin("G002", "7305921", must_change=True)
    answer = sign_in(client, enroll(client), pin="7305921")
    assert answer.json()["must_change_pin"] is True


def test_an_outdated_verifier_is_remade_at_sign_in(client: TestClient) -> None:
    from argon2 import PasswordHasher

    store = hq(client)
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PIN)
    with store.write() as tx:
        tx.put("guide", [tx.get("guide", "G002") | {"pin_verifier": old}], scopes="S001")
    assert sign_in(client, enroll(client)).status_code == 200
    with store.read() as conn:
        now = conn.execute(sa.select(guides.c.pin_verifier).where(guides.c.id == "G002")).scalar()
    assert now != old and not auth.verifier_outdated(now) and auth.verify_pin(now, PIN)


# -- guide sessions on mutations -------------------------------------------------------


def test_mutations_record_who_acted(client: TestClient, clock) -> None:
    terminal = enroll(client)
    session = session_of(client, terminal)
    made = iso(clock.now)
    results = push(
        client,
        terminal,
        followup(1, made=made, session=session),
        followup(2, made=made),  # signed in offline
        followup(3, made=made, session="not-a-session-hq-issued"),
        followup(4, made=made, session=session_of(client, terminal, "G001")),  # G001's
    )
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert "unknown to HQ" in results[2]["reason"]
    assert "not guide G002's" in results[3]["reason"]
    recorded = actors(client)
    assert recorded["m-auth-0001"] == (auth.token_hash(session), "hq")
    assert recorded["m-auth-0002"] == (None, "offline")
    assert recorded["m-auth-0003"][1] == "hq" and recorded["m-auth-0003"][0] is None
    assert session not in str(recorded)  # the secret itself is never stored


def test_a_session_covers_only_what_was_made_while_it_lasted(client: TestClient, clock) -> None:
    terminal, other = enroll(client), enroll(client)
    session = session_of(client, terminal)
    start = clock.now
    inside = iso(start + timedelta(hours=11))
    before = iso(start - timedelta(hours=1))
    after = iso(start + timedelta(hours=13))
    clock.now = start + timedelta(hours=14)  # pushed later, from the outbox
    results = push(
        client,
        terminal,
        followup(1, made=inside, session=session),
        followup(2, made=before, session=session),
        followup(3, made=after, session=session),
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected"]
    results = push(client, other, followup(4, made=inside, session=session))
    assert results[0]["status"] == "rejected" and "another terminal" in results[0]["reason"]


def test_after_a_sign_out_the_session_proves_nothing_new(client: TestClient, clock) -> None:
    terminal = enroll(client)
    session = session_of(client, terminal)
    made_before = iso(clock.now)
    assert call(client, "/v1/sign-out", with_session(terminal, session)).status_code == 200
    clock.now += timedelta(hours=1)
    results = push(
        client,
        terminal,
        followup(1, made=made_before, session=session),
        followup(2, made=iso(clock.now), session=session),
    )
    assert [r["status"] for r in results] == ["applied", "rejected"]


def test_a_locked_guide_s_later_edits_are_refused(client: TestClient, clock) -> None:
    terminal = enroll(client)
    session = session_of(client, terminal)
    made_before = iso(clock.now)
    clock.now += timedelta(minutes=30)
    for _ in range(protocol.PIN_LOCK_AFTER):
        sign_in(client, terminal, pin="135790")
    clock.now += timedelta(hours=1)
    made_after = iso(clock.now)
    results = push(
        client,
        terminal,
        followup(1, made=made_before, session=session),
        followup(2, made=made_after, session=session),
        followup(3, made=made_after),  # offline, after the lock
        followup(4, guide="G001", customer="C3", made=made_after),  # another guide: fine
    )
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert "locked" in results[2]["reason"]
    error(call(client, "/v1/sign-out", with_session(terminal, session)), 423, "guide_locked")


# -- tokens: expiry and rotation -------------------------------------------------------


def hello(client: TestClient, headers: dict) -> Any:
    return call(client, "/v1/hello", headers)


def test_tokens_expire_and_hello_says_when_to_rotate(client: TestClient, clock) -> None:
    start = clock.now
    terminal = enroll(client)
    first = protocol.HelloResponse.model_validate(hello(client, terminal).json())
    assert first.token_expires_at == iso(start + timedelta(days=90))
    assert first.rotate_after == iso(start + timedelta(days=30)) and not first.should_rotate
    clock.now = start + timedelta(days=30, seconds=1)
    assert hello(client, terminal).json()["should_rotate"] is True
    clock.now = start + timedelta(days=90)
    body = error(hello(client, terminal), 401, "token_expired")
    assert "enrol" in body["message"]
    error(call(client, "/v1/rotate-token", terminal), 401, "token_expired")


def test_rotation_survives_a_crash_before_the_keyring_write(client: TestClient, clock) -> None:
    old = enroll(client)
    clock.now += timedelta(days=31)
    rotated = call(client, "/v1/rotate-token", old)
    assert rotated.status_code == 200
    answer = protocol.RotateTokenResponse.model_validate(rotated.json())
    assert answer.expires_at == iso(clock.now + timedelta(days=90))
    lost = {"Authorization": f"Bearer {answer.token}"}
    # The terminal crashed before storing the new token: the old one still works, hello
    # asks to rotate again, and rotating again replaces the token that never arrived.
    in_grace = protocol.HelloResponse.model_validate(hello(client, old).json())
    assert in_grace.should_rotate and in_grace.token_expires_at == iso(
        clock.now + timedelta(days=1)
    )
    again = call(client, "/v1/rotate-token", old)
    assert again.status_code == 200
    new = {"Authorization": f"Bearer {again.json()['token']}"}
    error(hello(client, lost), 401, "unauthorized")
    assert hello(client, old).status_code == 200
    # The first use of the new token retires the old one.
    fresh = protocol.HelloResponse.model_validate(hello(client, new).json())
    assert not fresh.should_rotate
    error(hello(client, old), 401, "unauthorized")
    assert hello(client, new).status_code == 200


def test_the_old_token_works_for_a_day_at_most(client: TestClient, clock) -> None:
    old = enroll(client)
    rotated = call(client, "/v1/rotate-token", old)
    new = {"Authorization": f"Bearer {rotated.json()['token']}"}
    clock.now += timedelta(hours=23)
    assert hello(client, old).status_code == 200
    clock.now += timedelta(hours=1)
    error(hello(client, old), 401, "token_expired")
    assert hello(client, new).status_code == 200


def test_token_life_is_a_setting_and_old_tokens_rotate_at_once(client: TestClient, clock) -> None:
    store = hq(client)
    store.set_token_days(30)
    terminal = enroll(client)
    assert hello(client, terminal).json()["token_expires_at"] == iso(clock.now + timedelta(days=30))
    with store.write() as tx:  # a token from before expiry existed
        tx.conn.execute(terminals.update().values(token_expires_at=None, token_issued_at=None))
    answer = protocol.HelloResponse.model_validate(hello(client, terminal).json())
    assert answer.should_rotate and answer.token_expires_at is None
    with pytest.raises(Exception, match="between 1 and 3650"):
        store.set_token_days(0)


def test_list_terminals_shows_no_token_hashes(client: TestClient) -> None:
    terminal = enroll(client)
    call(client, "/v1/rotate-token", terminal)
    [row] = hq(client).list_terminals()
    assert "token_hash" not in row and "previous_token_hash" not in row


# -- rate limits -------------------------------------------------------------------------


def test_enrolment_is_rate_limited_per_client_and_overall(sqlite_url: str, clock, hqdata) -> None:
    app = _app(sqlite_url, clock, Limits(enroll_per_client=(3, 60.0), enroll_overall=(5, 60.0)))
    hqdata.small_brand(app.state.storage)
    with TestClient(app) as one, TestClient(app, client=("10.0.0.2", 5000)) as two:
        for _ in range(3):
            error(
                one.post("/v1/enroll", json={"protocol": 1, "code": "WRONG-CODE"}),
                400,
                "invalid_code",
            )
        limited = one.post("/v1/enroll", json={"protocol": 1, "code": "WRONG-CODE"})
        body = error(limited, 429, "rate_limited")
        assert limited.headers["Retry-After"] == "20" and body["retry_after"] == 20
        code = app.state.storage.create_enroll_code("S001")
        error(one.post("/v1/enroll", json={"protocol": 1, "code": code}), 429, "rate_limited")
        assert two.post("/v1/enroll", json={"protocol": 1, "code": code}).status_code == 200
        two.post("/v1/enroll", json={"protocol": 1, "code": "WRONG-CODE"})
        # Overall: 5 tries a minute whoever asks (3 + 2 taken).
        error(two.post("/v1/enroll", json={"protocol": 1, "code": "WRONG"}), 429, "rate_limited")
        clock.now += timedelta(seconds=60)
        error(
            one.post("/v1/enroll", json={"protocol": 1, "code": "WRONG-CODE"}), 400, "invalid_code"
        )
    app.state.storage.close()


def test_pin_checks_are_rate_limited_per_guide_and_terminal(sqlite_url: str, clock, hqdata) -> None:
    limits = Limits(sign_in_per_terminal=(6, 60.0), sign_in_per_guide=(3, 60.0))
    app = _app(sqlite_url, clock, limits)
    store = app.state.storage
    hqdata.small_brand(store)
    store.add_guide("G004", "周洁", store_id="S001", pin=PIN)
    for guide in ("G001", "G002"):
        store.set_pin(guide, PIN)
    with TestClient(app) as client:
        terminal, other = enroll(client), enroll(client)
        for _ in range(3):
            assert sign_in(client, terminal, "G002").status_code == 200
        limited = sign_in(client, other, "G002")  # per guide, from any terminal
        error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) == 20
        for guide in ("G001", "G001", "G004"):
            assert sign_in(client, terminal, guide).status_code == 200
        error(sign_in(client, terminal, "G004"), 429, "rate_limited")  # the terminal's 6
        assert sign_in(client, other, "G004").status_code == 200
        clock.now += timedelta(seconds=20)
        assert sign_in(client, terminal, "G002").status_code == 200
    store.close()


# -- the token before the body -----------------------------------------------------------


def _asgi_post(app: Any, path: str, headers: list[tuple[bytes, bytes]], body: bytes):
    """Drive the ASGI app by hand; counts how often it asked for the body."""
    import anyio

    asked = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", str(len(body)).encode()), *headers],
        "client": ("127.0.0.1", 4000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return (
        status,
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
        asked,
    )


def test_a_bad_token_is_refused_before_the_body_is_read(client: TestClient) -> None:
    big = b'{"protocol": 1, "mutations": [' + b" " * (7 * 1024 * 1024) + b"]}"
    app = client.app
    for path in ("/v1/push", "/v1/pull", "/v1/hello", "/v1/sign-in", "/v1/rotate-token"):
        status, body, asked = _asgi_post(
            app, path, [(b"authorization", b"Bearer not-a-token")], big
        )
        assert (status, asked) == (401, 0) and b"unauthorized" in body
        status, _, asked = _asgi_post(app, path, [], big)
        assert (status, asked) == (401, 0)
    # A good token: the body is read (an empty push, under all that white space).
    token = enroll(client)["Authorization"].encode()
    status, body, asked = _asgi_post(app, "/v1/push", [(b"authorization", token)], big)
    assert (status, asked) == (200, 1) and body == b'{"results":[]}'
    status, body, asked = _asgi_post(
        app, "/v1/hello", [(b"authorization", token)], b'{"protocol": 1}'
    )
    assert status == 200 and asked == 1
