"""The authorization table: credential x guide session x endpoint -> expected answer.

Every ``/v1/`` route of the app is enumerated; a route without a row in :data:`EXPECTED`
fails the completeness test, so a new endpoint cannot ship unjudged. One world is built
once (terminals in every credential state, sessions in every state) and each case runs
on its own copy of the database, with one request.

Credentials: none; bad (never issued); expired (past its expiry); revoked; rotated_out
(the token a rotation replaced, after the new one was used); in_grace (the token a
rotation replaced, the new one not used yet: still valid); valid.
Guide sessions (header ``X-GuideDesk-Session``, and ``Mutation.session`` in a push):
none; valid (manager G001 on terminal A); expired (G001, issued 13 h ago); other_guide
(G002's, on A: a mutation naming G001 under it); other_terminal (G001's on terminal B);
locked (G004's, locked an hour ago after five wrong PINs).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sync import protocol
from sync.hq import auth
from sync.hq.app import create_app
from sync.hq.ratelimit import Limits
from sync.hq.storage import HQStorage
from tests.sync.hq.pictures_util import tiny_png

PIN = "246810"
CREDENTIALS = ("none", "bad", "expired", "revoked", "rotated_out", "in_grace", "valid")
SESSIONS = ("none", "valid", "expired", "other_guide", "other_terminal", "locked")
ROOMY = (100_000, 60.0)
FIXED_NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)  # each case's clock is set to it


@dataclass(frozen=True)
class World:
    db: Path
    tokens: dict[str, str]
    sessions: dict[str, str]
    code: str
    picture: str  # a content picture's sha256 (GET /v1/pictures/{sha})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("authz-world")
    db = folder / "hq.sqlite3"
    now = [FIXED_NOW - timedelta(days=100)]
    hq = HQStorage(f"sqlite:///{db}", clock=lambda: now[0])
    hq.migrate()
    hq.add_store("S001", "上海南京西路店")
    hq.add_store("S002", "杭州湖滨店")
    for guide, manager in (("G001", True), ("G002", False), ("G004", False)):
        hq.add_guide(guide, f"导购{guide}", store_id="S001", is_manager=manager, pin=PIN)
    hq.add_guide("G003", "陈静", store_id="S002", pin=PIN)
    customer = {
        "store_id": "S001",
        "name": "顾客",
        "phone": "13800000000",
        "joined_at": "2024-03-01T00:00:00Z",
    }
    hq.import_customers(
        [customer | {"id": "C3", "guide_id": "G001"}, customer | {"id": "C5", "guide_id": "G004"}]
    )

    def enrol(name: str) -> tuple[str, Any]:
        token = hq.enroll(hq.create_enroll_code("S001"), name).token
        return token, hq.terminal_for_token(token)

    tokens: dict[str, str] = {"bad": auth.new_token()}
    tokens["expired"], _ = enrol("old")  # 100 days ago: past its 90
    now[0] = FIXED_NOW - timedelta(hours=13)
    t0, a = enrol("A")
    _, b = enrol("B")
    sessions = {"expired": hq.sign_in(a, "G001", PIN).session}
    now[0] = FIXED_NOW - timedelta(hours=2)
    sessions["valid"] = hq.sign_in(a, "G001", PIN).session
    sessions["other_guide"] = hq.sign_in(a, "G002", PIN).session
    sessions["other_terminal"] = hq.sign_in(b, "G001", PIN).session
    sessions["locked"] = hq.sign_in(a, "G004", PIN).session
    now[0] = FIXED_NOW - timedelta(hours=1)
    for _ in range(protocol.PIN_LOCK_AFTER):
        with pytest.raises(auth.AuthFailure):
            hq.sign_in(a, "G004", "135790")
    assert hq.pin_state("G004")["locked_at"]
    t1, _ = hq.rotate_token(auth.authenticate(hq, f"Bearer {t0}"))
    auth.authenticate(hq, f"Bearer {t1}")  # the new token used: t0 retired
    t2, _ = hq.rotate_token(auth.authenticate(hq, f"Bearer {t1}"))  # t1 in its grace
    tokens |= {"rotated_out": t0, "in_grace": t1, "valid": t2}
    tokens["revoked"], revoked = enrol("R")
    hq.revoke_terminal(revoked.id)
    code = hq.create_enroll_code("S001")
    picture = hq.put_picture(tiny_png(3, 2))
    hq.close()
    return World(db, tokens, sessions, code, picture)


# -- what each endpoint answers ----------------------------------------------------------

Expectation = tuple[int, str | None]  # status, error code (None: success)


def _token_gate(credential: str) -> Expectation | None:
    """The answer of any endpoint that needs a terminal token, when the token decides."""
    return {
        "none": (401, "unauthorized"),
        "bad": (401, "unauthorized"),
        "rotated_out": (401, "unauthorized"),
        "expired": (401, "token_expired"),
        "revoked": (403, "revoked"),
    }.get(credential)


def _terminal_only(credential: str, session: str) -> Expectation:
    return _token_gate(credential) or (200, None)


def _with_session(when_valid: dict[str, Expectation]) -> Callable[[str, str], Expectation]:
    def judge(credential: str, session: str) -> Expectation:
        return _token_gate(credential) or when_valid[session]

    return judge


_SESSION_ANSWERS = {
    "none": (401, "session_invalid"),
    "valid": (200, None),
    "expired": (401, "session_invalid"),
    "other_guide": (200, None),  # G002's own session: sign-out and change-pin are G002's
    "other_terminal": (401, "session_invalid"),
    "locked": (423, "guide_locked"),
}

EXPECTED: dict[str, Callable[[str, str], Expectation]] = {
    "/v1/enroll": lambda credential, session: (200, None),  # no token needed, a valid code
    "/v1/hello": _terminal_only,
    "/v1/pull": _terminal_only,
    "/v1/checksum": _terminal_only,
    "/v1/rotate-token": _terminal_only,
    "/v1/push": _terminal_only,
    "/v1/sign-in": _terminal_only,  # G002's right PIN: the session header plays no part
    "/v1/sign-out": _with_session(_SESSION_ANSWERS),
    "/v1/change-pin": _with_session(_SESSION_ANSWERS),
    # Only the store's manager (G001) may unlock G004.
    "/v1/unlock-guide": _with_session(_SESSION_ANSWERS | {"other_guide": (403, "forbidden")}),
    # A GET: the picture's bytes for any valid terminal token; the session plays no part.
    "/v1/pictures/{sha}": _terminal_only,
}

# A pushed mutation's outcome by its session (the push itself is 200): who it names.
PUSH_OUTCOME = {
    "none": ("G001", "applied"),  # signed in offline: the rule table alone
    "valid": ("G001", "applied"),
    "expired": ("G001", "rejected"),
    "other_guide": ("G001", "rejected"),  # G002's session on a mutation naming G001
    "other_terminal": ("G001", "rejected"),
    "locked": ("G004", "rejected"),  # made after G004's lock
}


def _body(endpoint: str, world: World, session: str) -> dict[str, Any]:
    if endpoint == "/v1/enroll":
        return {"code": world.code, "terminal_name": "新柜台"}
    if endpoint == "/v1/sign-in":
        return {"guide_id": "G002", "pin": PIN}
    if endpoint == "/v1/change-pin":
        return {"new_pin": "582014"}
    if endpoint == "/v1/unlock-guide":
        return {"guide_id": "G004"}
    if endpoint == "/v1/push":
        guide, _ = PUSH_OUTCOME[session]
        customer = "C5" if guide == "G004" else "C3"
        made = FIXED_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "mutations": [
                {
                    "id": f"m-table-{session}",
                    "guide_id": guide,
                    "entity": "followup",
                    "op": "create",
                    "entity_id": f"f-table-{session}",
                    "payload": {
                        "id": f"f-table-{session}",
                        "customer_id": customer,
                        "guide_id": guide,
                        "channel": "wechat",
                        "note": "回访",
                        "next_followup_on": None,
                        "created_at": made,
                        "task_id": None,
                    },
                    "created_at": made,
                    "session": world.sessions.get(session),
                }
            ]
        }
    return {}


def _headers(world: World, credential: str, session: str) -> dict[str, str]:
    headers = {}
    if credential != "none":
        headers["Authorization"] = f"Bearer {world.tokens[credential]}"
    if session != "none":
        headers[protocol.SESSION_HEADER] = world.sessions[session]
    return headers


def _app(db: Path, clock: Any) -> Any:
    return create_app(f"sqlite:///{db}", clock=clock, limits=Limits(ROOMY, ROOMY, ROOMY, ROOMY))


def test_every_endpoint_has_a_row(tmp_path: Path, clock) -> None:
    app = _app(tmp_path / "hq.sqlite3", clock)
    routes = {getattr(r, "path", "") for r in app.routes}
    assert {r for r in routes if r.startswith("/v1/")} == set(EXPECTED)
    app.state.storage.close()


@pytest.mark.parametrize("session", SESSIONS)
@pytest.mark.parametrize("credential", CREDENTIALS)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_authorization_table(
    endpoint: str, credential: str, session: str, world: World, tmp_path: Path, clock
) -> None:
    db = tmp_path / "hq.sqlite3"
    shutil.copyfile(world.db, db)
    clock.now = FIXED_NOW
    app = _app(db, clock)
    status, code = EXPECTED[endpoint](credential, session)
    with TestClient(app) as client:
        if endpoint == "/v1/pictures/{sha}":
            answer = client.get(
                f"/v1/pictures/{world.picture}", headers=_headers(world, credential, session)
            )
        else:
            answer = client.post(
                endpoint,
                json={"protocol": protocol.PROTOCOL_VERSION, **_body(endpoint, world, session)},
                headers=_headers(world, credential, session),
            )
    assert answer.status_code == status, answer.text
    if code is not None:
        error = protocol.ErrorBody.model_validate(answer.json())
        assert error.error == code
    elif endpoint == "/v1/push":
        [result] = answer.json()["results"]
        assert result["status"] == PUSH_OUTCOME[session][1], result
