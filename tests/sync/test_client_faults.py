"""The engine against a misbehaving HQ: the outbox survives every failure.

HQ's faults (down, timing out, 500, garbage, revoked, too old a client) are produced at
the transport edge with httpx.MockTransport; the real HQ process is exercised in
tests/e2e. The local store is the real one.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.store import customers, db
from app.store.replica import TerminalReplica, sync_status
from sync import client

NOW = "2026-11-22T10:30:00Z"


def customer(cid: str, version: int) -> dict:
    return {
        "entity": "customer",
        "op": "upsert",
        "id": cid,
        "version": version,
        "data": {
            "id": cid,
            "store_id": "S001",
            "guide_id": "G001",
            "name": "张三",
            "phone": "13812345678",
            "gender": "F",
            "birthday": None,
            "tier": "regular",
            "points": 0,
            "tags": [],
            "sizes": {},
            "preferences": "",
            "note": "",
            "joined_at": "2025-01-01",
        },
    }


class FakeHQ:
    """Just enough of HQ to answer push and pull; ``fault`` decides what goes wrong."""

    def __init__(self) -> None:
        self.applied: dict[str, dict] = {}
        self.pages = [[customer("C1", 1)]]
        self.fault: Callable[[httpx.Request], httpx.Response | None] = lambda request: None
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request.url.path)
        faulty = self.fault(request)
        if faulty is not None:
            return faulty
        body = json.loads(request.content)
        if request.url.path == "/v1/push":
            results = []
            for m in body["mutations"]:
                status = "duplicate" if m["id"] in self.applied else "applied"
                self.applied.setdefault(m["id"], m)
                results.append({"id": m["id"], "status": status, "reason": ""})
            return httpx.Response(200, json={"results": results})
        if request.url.path == "/v1/pull":
            index = int(body["cursor"] or 0)
            page = self.pages[index] if index < len(self.pages) else []
            more = index + 1 < len(self.pages)
            return httpx.Response(
                200, json={"changes": page, "cursor": str(index + 1), "more": more, "remaining": 0}
            )
        return httpx.Response(404, json={"error": "not_found", "message": "no such endpoint"})


@pytest.fixture
def conn(tmp_path: Path):
    connection = db.connect(tmp_path / "t.sqlite3")
    yield connection
    connection.close()


@pytest.fixture
def hq() -> FakeHQ:
    return FakeHQ()


@pytest.fixture
def engine(conn: sqlite3.Connection, hq: FakeHQ, clock):
    replica = TerminalReplica(conn, clock=clock)
    replica.apply_page([customer("C1", 1)], "1", more=False)
    waits: list[float] = []
    made = client.SyncEngine(
        replica,
        base_url="http://hq.test",
        token="t",
        transport=httpx.MockTransport(hq),
        clock=clock,
        sleep=waits.append,
        rng=lambda: 0.5,
    )
    made.waits = waits  # type: ignore[attr-defined]
    yield made
    made.hq.close()


def follow_up(conn: sqlite3.Connection, note: str) -> None:
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="wechat", note=note, now=NOW
    )


def test_happy_path_drains_the_outbox(engine, conn, hq) -> None:
    follow_up(conn, "a")
    report = engine.sync_once()
    assert report.ok and report.pushed == 1
    assert [m["payload"]["note"] for m in hq.applied.values()] == ["a"]
    assert sync_status(conn).pending == 0 and sync_status(conn).last_sync_at == NOW


@pytest.mark.parametrize(
    "fault",
    [
        lambda r: httpx.Response(500, json={"error": "server_error", "message": "boom"}),
        lambda r: httpx.Response(502, text="<html>Bad Gateway</html>"),
        lambda r: httpx.Response(200, text="{not json"),
        lambda r: httpx.Response(200, json={"results": "nope"}),
    ],
    ids=["500", "502-html", "garbage", "wrong-shape"],
)
def test_server_faults_keep_the_outbox_and_back_off(engine, conn, hq, fault) -> None:
    follow_up(conn, "kept")
    hq.fault = fault
    report = engine.sync_once()
    assert not report.ok and report.error
    assert sync_status(conn).pending == 1
    assert sync_status(conn).last_error == report.error
    # Each call is retried with growing delays, never a tight loop: the push, then the
    # pull (a failed push does not stop it; here HQ fails that too).
    attempts = engine.hq.backoff.attempts
    assert hq.calls == ["/v1/push"] * attempts + ["/v1/pull"] * attempts
    push_waits, pull_waits = engine.waits[: attempts - 1], engine.waits[attempts - 1 :]
    assert push_waits == pull_waits and len(push_waits) == attempts - 1
    assert push_waits == sorted(push_waits) and push_waits[0] > 0
    hq.fault = lambda r: None
    assert engine.sync_once().ok and sync_status(conn).pending == 0


def test_offline_and_timeout(engine, conn, hq) -> None:
    follow_up(conn, "offline")

    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    hq.fault = down
    report = engine.sync_once()
    assert report.offline and "离线" in report.error and sync_status(conn).offline

    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    hq.fault = slow
    assert engine.sync_once().offline
    assert sync_status(conn).pending == 1


def test_lost_acknowledgement_is_not_applied_twice(engine, conn, hq) -> None:
    follow_up(conn, "once")
    real = hq.__call__
    state = {"dropped": False}

    def lose_first_answer(request):
        if request.url.path == "/v1/push" and not state["dropped"]:
            state["dropped"] = True
            real(request)  # HQ applies it…
            raise httpx.ReadError("connection reset", request=request)  # …the answer is lost
        return None

    hq.fault = lose_first_answer
    report = engine.sync_once()
    assert report.ok
    assert len(hq.applied) == 1 and sync_status(conn).pending == 0


def test_rejected_mutation_is_kept_and_shown(engine, conn, hq) -> None:
    follow_up(conn, "not mine")

    def reject(request):
        if request.url.path != "/v1/push":
            return None
        [m] = json.loads(request.content)["mutations"]
        return httpx.Response(
            200,
            json={"results": [{"id": m["id"], "status": "rejected", "reason": "顾客不属于该导购"}]},
        )

    hq.fault = reject
    report = engine.sync_once()
    assert report.ok and report.rejected == 1
    status = sync_status(conn)
    assert (status.pending, status.rejected) == (0, 1)


def test_unanswered_mutation_stays_pending(engine, conn, hq) -> None:
    follow_up(conn, "skipped by HQ")
    hq.fault = lambda r: (
        httpx.Response(200, json={"results": []}) if r.url.path == "/v1/push" else None
    )
    # HQ answers nothing for it: it must stay, and the engine must not spin forever.
    calls_before = len(hq.calls)
    report = engine.sync_once()
    assert sync_status(conn).pending == 1
    assert len(hq.calls) - calls_before < 20
    assert not report.ok


def test_revoked_terminal_wipes_its_cache(engine, conn, hq) -> None:
    follow_up(conn, "lost with the terminal")
    forgotten = []
    engine.on_revoked = lambda: forgotten.append(True)
    hq.fault = lambda r: httpx.Response(
        403, json={"error": "revoked", "message": "terminal revoked"}
    )
    report = engine.sync_once()
    assert report.revoked and forgotten
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_old_client_is_told_to_update(engine, hq) -> None:
    hq.fault = lambda r: httpx.Response(
        426, json={"error": "upgrade_required", "message": "protocol 1 is too old"}
    )
    report = engine.sync_once()
    assert not report.ok and "请升级" in report.error
    assert engine.waits == []  # not retried: a person has to act


def test_reset_required_resyncs_from_scratch(engine, conn, hq) -> None:
    follow_up(conn, "pushed before the reset")
    answers = iter(
        [httpx.Response(409, json={"error": "reset_required", "message": "cursor too old"})]
    )

    def once(request):
        if request.url.path == "/v1/pull" and json.loads(request.content)["cursor"] is not None:
            return next(answers, None)
        return None

    hq.fault = once
    hq.pages = [[customer("C1", 7)], [customer("C2", 8)]]
    report = engine.sync_once()
    assert report.ok and report.ready
    assert sorted(r[0] for r in conn.execute("SELECT id FROM customers")) == ["C1", "C2"]
    assert len(hq.applied) == 1


def test_the_collector_is_paused_for_a_page_and_always_resumed(engine, conn, hq) -> None:
    seen: list[bool] = []

    def watch(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/pull":
            seen.append(gc.isenabled())
        return None

    hq.fault = watch
    assert engine.sync_once().ok
    assert seen == [False] and gc.isenabled()

    hq.fault = lambda request: (
        httpx.Response(500, text="boom") if request.url.path == "/v1/pull" else None
    )
    assert not engine.sync_once().ok
    assert gc.isenabled()


def on_push(response: httpx.Response | Callable[[httpx.Request], httpx.Response]):
    """A fault on /v1/push only: the pull is answered normally."""

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != "/v1/push":
            return None
        return response(request) if callable(response) else response

    return fault


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        (
            on_push(httpx.Response(500, json={"error": "server_error", "message": "boom"})),
            "总部服务器出错：boom",
        ),
        (
            on_push(httpx.Response(422, json={"error": "invalid", "message": "bad note"})),
            "总部拒绝了请求：bad note",
        ),
        (on_push(httpx.Response(200, json={"results": []})), "HQ acknowledged nothing"),
    ],
    ids=["500", "refused", "nothing-acknowledged"],
)
def test_a_failed_push_still_pulls(engine, conn, hq, fault, says) -> None:
    """One mutation HQ cannot take must not cut this terminal off from HQ's changes."""
    follow_up(conn, "HQ chokes on this one")
    hq.fault = fault
    hq.pages = [[customer("C1", 1)], [customer("C2", 2)]]
    report = engine.sync_once()
    assert "/v1/pull" in hq.calls
    assert conn.execute("SELECT count(*) FROM customers WHERE id = 'C2'").fetchone()[0] == 1
    assert report.pulled == 1  # the page after the cursor: C2
    # …and the push failure is not hidden: the report and the status say it.
    assert not report.ok and says in report.error and report.push_error == report.error
    status = sync_status(conn)
    assert status.pending == 1 and status.last_error == report.error
    assert status.last_sync_at is None and not status.offline
    hq.fault = lambda r: None
    healed = engine.sync_once()
    assert healed.ok and healed.pushed == 1 and healed.push_error is None
    assert sync_status(conn).pending == 0 and sync_status(conn).last_sync_at == NOW


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    "fault",
    [
        on_push(_unreachable),
        on_push(httpx.Response(401, json={"error": "unauthorized", "message": "who?"})),
        on_push(httpx.Response(426, json={"error": "upgrade_required", "message": "too old"})),
        on_push(httpx.Response(403, json={"error": "revoked", "message": "revoked"})),
    ],
    ids=["unreachable", "credential-refused", "upgrade-required", "revoked"],
)
def test_no_pull_when_the_push_shows_it_cannot_work(engine, conn, hq, fault) -> None:
    follow_up(conn, "kept for later")
    hq.fault = fault
    report = engine.sync_once()
    assert not report.ok and report.error
    assert "/v1/pull" not in hq.calls  # same HQ, same credential, same protocol: pointless
    if report.revoked:
        return  # the cache is wiped (test_revoked_terminal_wipes_its_cache)
    assert report.push_error == report.error
    assert sync_status(conn).pending == 1


def test_push_and_pull_both_failing_say_both(engine, conn, hq) -> None:
    follow_up(conn, "stuck")

    def fault(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/push":
            return httpx.Response(500, json={"error": "server_error", "message": "boom"})
        raise httpx.ReadTimeout("timed out", request=request)

    hq.fault = fault
    report = engine.sync_once()
    assert not report.ok and report.offline
    assert "boom" in report.error and "超时" in report.error
    assert report.push_error == "总部服务器出错：boom"
    assert sync_status(conn).last_error == report.error and sync_status(conn).pending == 1


def test_a_push_failing_after_some_batches_counts_what_got_through(engine, conn, hq) -> None:
    engine.push_batch = 1
    for note in ("first", "second", "third"):
        follow_up(conn, note)
    pushes = []

    def fail_second_batch(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/push":
            pushes.append(request)
            if len(pushes) >= 2:
                return httpx.Response(500, json={"error": "server_error", "message": "boom"})
        return None

    hq.fault = fail_second_batch
    report = engine.sync_once()
    assert not report.ok and report.pushed == 1 and hq.calls[-1] == "/v1/pull"
    assert [m["payload"]["note"] for m in hq.applied.values()] == ["first"]
    assert sync_status(conn).pending == 2


def test_large_mutations_are_pushed_in_batches_under_the_body_limit(engine, conn, hq) -> None:
    """Completions with evidence pictures: each push body stays under HQ's limit."""
    for n in range(12):
        follow_up(conn, f"{n}" + "图" * 3_000)  # ~9 KB each as UTF-8
    sizes: list[int] = []
    real = hq.fault

    def measure(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == "/v1/push":
            sizes.append(len(request.content))
        return real(request)

    hq.fault = measure
    engine.push_body_budget = 30_000  # so that a dozen notes need several bodies
    report = engine.sync_once()
    assert report.ok and report.pushed == 12
    assert len(sizes) >= 4 and max(sizes) <= 30_000 + 10_000
    assert sync_status(conn).pending == 0
