"""Nothing a terminal sends can stop sync: hostile mutations and cursors against a real HQ
process over HTTP, on SQLite and on PostgreSQL.

Every hostile mutation is rejected with a reason (never a 5xx), the good ones in the same
batch are applied, malformed cursors are a 4xx, a real terminal of the store then syncs
both ways, and HQ's log holds no customer data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import terminal
from app.embedded_hq import EmbeddedHQ
from app.store import customers, db
from sync import protocol

SECRET_NOTE = "机密备注：客户住在南京西路"  # must never reach HQ's log
NAME = "欧阳娜娜"
PHONE = "13912345678"


@pytest.fixture
def hq_process(tmp_path: Path, db_url: str) -> Iterator[EmbeddedHQ]:
    server = EmbeddedHQ(tmp_path / "hq")
    server.db_url = db_url
    for args in (
        ("init",),
        ("add-store", "S001", "上海南京西路店"),
        ("add-store", "S002", "杭州湖滨店"),
        ("add-guide", "G001", "王芳", "--store", "S001", "--manager", "--pin", "246810"),
        ("add-guide", "G002", "李娜", "--store", "S001", "--pin", "246810"),
        ("add-guide", "G003", "陈静", "--store", "S002", "--pin", "246810"),
    ):
        done = server.cli(*args)
        assert done.returncode == 0, done.stderr
    members = tmp_path / "members.csv"
    members.write_text(
        "customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at\n"
        f"C1,{NAME},{PHONE},女,1990-05-20,S001,G002,普通,10,新品控,2024-03-01\n"
        "C2,张三,13800000002,男,1985-01-02,S002,G003,普通,0,,2024-03-01\n",
        encoding="utf-8",
    )
    assert server.cli("import-customers", str(members)).returncode == 0
    server.start()
    yield server
    server.stop()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _mutation(entity: str, op: str, payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    record_id = payload.get("id") or str(uuid.uuid4())
    return {
        "id": str(uuid.uuid4()),
        "guide_id": "G002",
        "entity": entity,
        "op": op,
        "entity_id": record_id,
        "payload": payload,
        "created_at": _now(),
        **fields,
    }


def _followup(**payload: Any) -> dict[str, Any]:
    record = {
        "id": str(uuid.uuid4()),
        "customer_id": "C1",
        "channel": "wechat",
        "note": SECRET_NOTE,
        "created_at": _now(),
    }
    return _mutation("followup", "create", record | payload)


far_future = (datetime.now(UTC) + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
# (what it is, the mutation, a word of HQ's reason)
HOSTILE = [
    ("NUL in a note", lambda: _followup(note=f"{SECRET_NOTE}\x00"), "U+0000"),
    ("lone surrogate in a note", lambda: _followup(note=f"{SECRET_NOTE}\ud800"), "U+D800"),
    ("escape character in a note", lambda: _followup(note="\x1b[31mred"), "U+001B"),
    ("a huge note", lambda: _followup(note="长" * 100_000), "longer than"),
    ("a time that is not one", lambda: _followup(created_at="9999-zz"), "ISO-8601"),
    ("a time far ahead", lambda: _followup(created_at=far_future), "future"),
    ("a date that does not exist", lambda: _followup(next_followup_on="2026-02-30"), "date"),
    ("an unknown channel", lambda: _followup(channel="pigeon"), "channel"),
    ("a NUL in the guide id", lambda: {**_followup(), "guide_id": "G002\x00"}, "plain text"),
    ("a NUL in the entity id", lambda: {**_followup(), "entity_id": "x\x00y"}, "plain text"),
    ("a tab in the op", lambda: {**_followup(), "op": "cr\teate"}, "plain text"),
    ("another store's guide", lambda: {**_followup(), "guide_id": "G003"}, "not a guide"),
    ("another store's customer", lambda: _followup(customer_id="C2"), "not assigned"),
    ("a mutation created far ahead", lambda: {**_followup(), "created_at": far_future}, "future"),
    (
        "a thousand tags",
        lambda: _mutation(
            "customer",
            "update",
            {"fields": {"tags": {"old": [], "new": [f"t{i}" for i in range(1000)]}}},
            entity_id="C1",
        ),
        "at most",
    ),
    (
        "a tag of 10,000 characters",
        lambda: _mutation(
            "customer",
            "update",
            {"fields": {"tags": {"old": [], "new": ["长" * 10_000]}}},
            entity_id="C1",
        ),
        "40 characters",
    ),
    (
        "five hundred sizes",
        lambda: _mutation(
            "customer",
            "update",
            {"fields": {"sizes": {"old": {}, "new": {f"k{i}": "M" for i in range(500)}}}},
            entity_id="C1",
        ),
        "at most",
    ),
    (
        "a rating of 10**30",
        lambda: _mutation(
            "appointment",
            "create",
            {"id": str(uuid.uuid4()), "customer_id": "C1", "starts_at": _now(), "rating": 10**30},
        ),
        "between",
    ),
    ("an unknown kind", lambda: _mutation("wishlist", "create", {}), "unknown mutation"),
]


def test_hostile_mutations_and_cursors_never_stop_sync(
    hq_process: EmbeddedHQ, tmp_path: Path
) -> None:
    # A real terminal of the store, enrolled and synced once.
    home = tmp_path / "terminal"
    home.mkdir()
    db_file = home / db.DB_FILENAME
    terminal.enroll_terminal(db_file, hq_process.url, hq_process.enroll_code("S001"), "counter")
    engine = terminal.engine_factory(db_file)()
    try:
        assert engine.sync_once().ok
    finally:
        engine.close()

    # An attacker's client with another terminal's token of the same store.
    code = hq_process.enroll_code("S001")
    enrolment = httpx.post(
        f"{hq_process.url}/v1/enroll", json={"protocol": 1, "code": code}, timeout=10
    ).json()
    headers = {"Authorization": f"Bearer {enrolment['token']}"}
    good_followup = _followup(note="顾客说周末再来")
    open_ended = _mutation(
        "appointment",
        "create",
        {"id": str(uuid.uuid4()), "customer_id": "C1", "starts_at": _now(), "purpose": "试穿"},
    )  # no ends_at: once a record that failed every pull of its store
    batch = [m() for _, m, _ in HOSTILE]
    batch[5:5] = [good_followup, open_ended]
    response = httpx.post(
        f"{hq_process.url}/v1/push",
        content=json.dumps({"protocol": 1, "mutations": batch}).encode(),
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    results = {r["id"]: r for r in response.json()["results"]}
    for what, m, word in zip(
        [h[0] for h in HOSTILE], [*batch[:5], *batch[7:]], [h[2] for h in HOSTILE], strict=True
    ):
        result = results[m["id"]]
        assert result["status"] == "rejected", (what, result)
        assert word in result["reason"], (what, result["reason"])
    assert results[good_followup["id"]]["status"] == "applied"
    assert results[open_ended["id"]]["status"] == "applied"
    # The same batch again: the same answers, never a 5xx.
    again = httpx.post(
        f"{hq_process.url}/v1/push",
        content=json.dumps({"protocol": 1, "mutations": batch}).encode(),
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert again.status_code == 200
    assert {r["id"]: r["status"] for r in again.json()["results"]} == {
        i: ("rejected" if r["status"] == "rejected" else "duplicate") for i, r in results.items()
    }

    # A frame that is not valid Unicode (a lone surrogate in an envelope field) is refused
    # whole, as a 4xx; the next push goes through.
    broken = {**_followup(), "op": "cr\udc00"}
    refused = httpx.post(
        f"{hq_process.url}/v1/push",
        content=json.dumps({"protocol": 1, "mutations": [broken]}).encode(),
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert refused.status_code == 422, refused.text

    for cursor in ("².1", "1.2.3.4", "-1.2", "a.b", "", "9" * 19 + ".1", "1" * 25 + ".1"):
        pulled = httpx.post(
            f"{hq_process.url}/v1/pull",
            json={"protocol": 1, "cursor": cursor},
            headers=headers,
            timeout=10,
        )
        assert 400 <= pulled.status_code < 500, (cursor, pulled.status_code, pulled.text)

    # The store's terminal syncs both ways: its own follow-up goes up, the attacker's good
    # records (the open-ended appointment among them) come down.
    conn = db.connect(db_file)
    try:
        customers.log_followup(
            conn, customer_id="C1", guide_id="G002", channel="call", note="回电", now=_now()
        )
        engine = terminal.engine_factory(db_file)()
        try:
            report = engine.sync_once()
        finally:
            engine.close()
        assert report.ok and report.pushed == 1, report
        notes = {r[0] for r in conn.execute("SELECT note FROM followups")}
        assert {"顾客说周末再来", "回电"} <= notes
        ends = conn.execute("SELECT ends_at FROM appointments").fetchall()
        assert [tuple(r) for r in ends] == [(None,)]
    finally:
        conn.close()

    hq_process.stop()
    log = (hq_process.folder / "hq-server.log").read_text(encoding="utf-8", errors="replace")
    for secret in (SECRET_NOTE, NAME, PHONE, PHONE[::-1], "顾客说周末再来"):
        assert secret not in log, f"HQ's log holds customer data: {secret}"
    assert " 500 " not in log and "Traceback" not in log, log[-2000:]


def test_protocol_refuses_what_the_wire_cannot_carry() -> None:
    """The shapes refused for the whole request (422): ids the answer must echo."""
    with pytest.raises(ValueError):
        protocol.Mutation.model_validate({**_followup(), "id": "m\x00-0000-0000"} | {"payload": {}})
