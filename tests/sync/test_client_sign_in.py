"""The terminal's side of guide sign-in and token rotation, at the transport edge
(httpx.MockTransport); the real HQ process is in tests/e2e/test_sign_in_e2e.py."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from app.store import db
from app.store.replica import TerminalReplica
from sync import client, protocol
from sync.outcome import AuthError, GuideRefused, OfflineError


def _refusal(status: int, code: str, **extra) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "message": f"{code}!", **extra})


@pytest.mark.parametrize(
    ("status", "code", "extra"),
    [
        (401, "wrong_pin", {"remaining_tries": 3}),
        (423, "guide_locked", {}),
        (403, "guide_disabled", {}),
        (429, "rate_limited", {"retry_after": 30}),
    ],
)
def test_hq_refusals_of_a_guide_are_not_credential_errors(status, code, extra) -> None:
    transport = httpx.MockTransport(lambda request: _refusal(status, code, **extra))
    with (
        client.guide_client("http://hq.test", "t", transport=transport) as hq,
        pytest.raises(GuideRefused) as refused,
    ):
        client.sign_in(hq, "G001", "123456")
    assert refused.value.code == code
    assert refused.value.remaining_tries == extra.get("remaining_tries")
    assert refused.value.retry_after == extra.get("retry_after")


def test_sign_in_sends_the_pin_and_reads_the_session() -> None:
    seen: list[dict] = []

    def hq(request: httpx.Request) -> httpx.Response:
        seen.append({"path": request.url.path, **json.loads(request.content)})
        return httpx.Response(
            200,
            json={
                "session": "s-1",
                "expires_at": "2026-11-22T22:30:00Z",
                "guide_id": "G001",
                "must_change_pin": True,
                "idle_lock_seconds": 120,
            },
        )

    with client.guide_client("http://hq.test", "t", transport=httpx.MockTransport(hq)) as h:
        answer = client.sign_in(h, "G001", "1234")
    assert answer.session == "s-1" and answer.must_change_pin
    assert seen == [{"path": "/v1/sign-in", "protocol": 1, "guide_id": "G001", "pin": "1234"}]


def test_change_pin_names_the_session_in_its_header() -> None:
    headers: list[str | None] = []

    def hq(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers.get(protocol.SESSION_HEADER))
        return httpx.Response(200, json={"ok": True})

    with client.guide_client("http://hq.test", "t", transport=httpx.MockTransport(hq)) as h:
        client.change_pin(h, "s-1", "482916")
    assert headers == ["s-1"]


def test_unreachable_hq_is_offline_after_one_try() -> None:
    calls = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    with (
        client.guide_client("http://hq.test", "t", transport=httpx.MockTransport(down)) as h,
        pytest.raises(OfflineError),
    ):
        client.sign_in(h, "G001", "123456")
    assert calls == ["/v1/sign-in"]  # one try: the guide is waiting


def test_an_expired_token_is_a_credential_error() -> None:
    transport = httpx.MockTransport(lambda request: _refusal(401, "token_expired"))
    with (
        client.guide_client("http://hq.test", "t", transport=transport) as hq,
        pytest.raises(AuthError),
    ):
        client.sign_in(hq, "G001", "123456")


class RotatingHQ:
    """hello says rotate; rotate-token answers a new token; push/pull are empty."""

    def __init__(self, rotate_answer: httpx.Response | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.rotate_answer = rotate_answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers["authorization"].removeprefix("Bearer ")
        self.calls.append((request.url.path, token))
        if request.url.path == "/v1/hello":
            return httpx.Response(
                200,
                json={
                    "terminal_id": "T1",
                    "store_id": "S001",
                    "server_time": "2026-11-22T10:30:00Z",
                    "protocol": 1,
                    "should_rotate": True,
                    "idle_lock_seconds": 90,
                    "locked_guides": ["G002"],
                },
            )
        if request.url.path == "/v1/rotate-token":
            return self.rotate_answer or httpx.Response(
                200, json={"token": "new-token", "expires_at": "2027-02-20T10:30:00Z"}
            )
        if request.url.path == "/v1/push":
            return httpx.Response(200, json={"results": []})
        return httpx.Response(200, json={"changes": [], "cursor": None, "more": False})


def _engine(tmp_path: Path, hq: RotatingHQ, clock, saved: list[str], fail_save=False):
    replica = TerminalReplica(db.connect(tmp_path / "t.sqlite3"), clock=clock)

    def save(token: str) -> None:
        if fail_save:
            raise RuntimeError("keyring locked")
        saved.append(token)

    return client.SyncEngine(
        replica,
        base_url="http://hq.test",
        token="old-token",
        transport=httpx.MockTransport(hq),
        clock=clock,
        sleep=lambda s: None,
        hello_every_s=600,
        on_new_token=save,
    )


def test_hello_saves_the_rotated_token_before_using_it(tmp_path: Path, clock) -> None:
    hq, saved = RotatingHQ(), []
    engine = _engine(tmp_path, hq, clock, saved)
    try:
        assert engine.sync_once().ok
        assert saved == ["new-token"]
        assert hq.calls[:2] == [("/v1/hello", "old-token"), ("/v1/rotate-token", "old-token")]
        assert [token for _path, token in hq.calls[2:]] == ["new-token"]  # the pull
        assert engine.replica.get_state("idle_lock_seconds") == "90"
        assert json.loads(engine.replica.get_state("locked_guides")) == ["G002"]
        # Within hello_every_s the next sync does not say hello again.
        hq.calls.clear()
        assert engine.sync_once().ok
        assert "/v1/hello" not in [path for path, _ in hq.calls]
    finally:
        engine.close()


@pytest.mark.parametrize("failure", ["hq", "keyring"])
def test_a_failed_rotation_keeps_the_old_token(tmp_path: Path, clock, failure) -> None:
    hq = RotatingHQ(_refusal(500, "server_error") if failure == "hq" else None)
    saved: list[str] = []
    engine = _engine(tmp_path, hq, clock, saved, fail_save=failure == "keyring")
    try:
        assert engine.sync_once().ok
        assert saved == []
        assert {token for path, token in hq.calls if path in ("/v1/push", "/v1/pull")} == {
            "old-token"
        }
    finally:
        engine.close()
