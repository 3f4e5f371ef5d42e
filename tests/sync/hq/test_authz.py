"""Who may act, as a table: (terminal's store, acting guide, operation, customer's owner,
when the edit was made) -> what HQ answers. Run on SQLite and on PostgreSQL.

The brand (tests/sync/hq/conftest.py ``small_brand``): S001 with G001 (manager) and G002,
S002 with G003; C1 and C2 belong to G002, C3 to G001, C4 to G003. Then, with HQ's clock:
G004 joins S001 and leaves on day 0 (departure, customers to G002); C2 moves to G001 on
day 0; C5 (G002's) moved to store S002 ninety days earlier. The book was imported 100
days before day 0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sync import protocol
from sync.hq.authz import CLOCK_SKEW
from sync.hq.storage import HQStorage, iso

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@pytest.fixture
def brand(storage: HQStorage, hqdata, clock) -> dict[str, Any]:
    day0 = clock.now
    clock.now = day0 - 100 * DAY  # when the brand's book was first imported
    hqdata.small_brand(storage)
    storage.add_guide("G004", "赵敏", store_id="S001")
    storage.import_customers([hqdata.customer("C5", "S001", "G002")])
    storage.import_customers([hqdata.customer("C6", "S001", "G004")])
    moved_away = clock.now = day0 - 90 * DAY
    storage.move_customer("C5", "G003")
    clock.now = day0
    storage.move_customer("C2", "G001")
    storage.depart_guide("G004", "G002")
    terminals = {}
    for store in ("S001", "S002"):
        enrolment = storage.enroll(storage.create_enroll_code(store), f"terminal {store}")
        terminals[store] = storage.terminal_for_token(enrolment.token)
    return {"terminals": terminals, "day0": clock.now, "moved_away": moved_away}


_N = iter(range(10**6))


def mutation(guide: str, entity: str, op: str, customer: str, made_at: str, **payload) -> Any:
    n = next(_N)
    record_id = f"rec-{n:06d}"
    base: dict[str, Any] = {"customer_id": customer}
    if (entity, op) == ("followup", "create"):
        base |= {"id": record_id, "channel": "wechat", "note": "到店试穿", "created_at": made_at}
    elif (entity, op) == ("followup", "counter"):
        base |= {"id": record_id, "note": "到店试穿，同事接待", "created_at": made_at}
    elif (entity, op) == ("customer", "update"):
        record_id = customer
        base = {"fields": {"note": {"old": "", "new": f"改 {n}"}}}
    elif entity == "audit":
        base |= {"id": record_id, "at": made_at}
    elif entity == "task_target":
        record_id = f"{payload['task_id']}:{customer}"
    return protocol.Mutation(
        id=f"mutation-{n:06d}",
        guide_id=guide,
        entity=entity,
        op=op,
        entity_id=record_id,
        payload=base | payload,
        created_at=made_at,
    )


# (terminal's store, acting guide, operation, customer, when relative to day 0, expected,
#  a word of the reason)
TABLE = [
    ("S001", "G002", "followup/create", "C1", -HOUR, "applied", ""),
    ("S001", "G002", "customer/update", "C1", -HOUR, "applied", ""),
    ("S001", "G002", "followup/create", "C3", -HOUR, "rejected", "not assigned"),
    ("S001", "G001", "followup/create", "C1", -HOUR, "applied", ""),  # the manager
    ("S001", "G001", "customer/update", "C1", -HOUR, "applied", ""),
    ("S001", "G003", "followup/create", "C1", -HOUR, "rejected", "not a guide of this store"),
    ("S002", "G003", "followup/create", "C1", -HOUR, "rejected", "not assigned"),
    ("S002", "G002", "followup/create", "C1", -HOUR, "rejected", "not a guide of this store"),
    ("S001", "G999", "followup/create", "C1", -HOUR, "rejected", "not a guide of this store"),
    # The former owner: before the move (and within the clock allowance) yes, after no.
    ("S001", "G002", "followup/create", "C2", -HOUR, "applied", ""),
    ("S001", "G002", "followup/create", "C2", CLOCK_SKEW / 2, "applied", ""),
    ("S001", "G002", "followup/create", "C2", HOUR, "rejected", "moved to another guide"),
    ("S001", "G002", "customer/update", "C2", HOUR, "rejected", "moved to another guide"),
    # A customer moved to another store 90 days ago: not even the old manager, now.
    ("S001", "G001", "followup/create", "C5", -HOUR, "rejected", "moved to another guide"),
    ("S001", "G002", "followup/create", "C5", -HOUR, "rejected", "moved to another guide"),
    ("S001", "G002", "followup/create", "C5", -91 * DAY, "applied", ""),
    ("S002", "G003", "followup/create", "C5", -HOUR, "applied", ""),
    # A guide who has left: what they typed before leaving still lands, nothing after.
    ("S001", "G004", "followup/create", "C6", -HOUR, "applied", ""),
    ("S001", "G004", "followup/create", "C6", HOUR, "rejected", "has left"),
    ("S001", "G002", "followup/create", "C6", HOUR, "applied", ""),  # the heir
    # A clock far ahead is refused (it would pin a record to the top of every list).
    ("S001", "G002", "followup/create", "C1", 3 * DAY, "rejected", "future"),
    # A phone is revealed or copied (and recorded) only for a customer the guide may see.
    ("S001", "G002", "audit/reveal_phone", "C1", -HOUR, "applied", ""),
    ("S001", "G002", "audit/reveal_phone", "C3", -HOUR, "rejected", "not assigned"),
    ("S001", "G001", "audit/reveal_phone", "C3", -HOUR, "applied", ""),  # the manager
    ("S001", "G003", "audit/reveal_phone", "C3", -HOUR, "rejected", "not a guide of this store"),
    ("S001", "G002", "audit/copy_phone", "C1", -HOUR, "applied", ""),
    ("S001", "G002", "audit/copy_phone", "C3", -HOUR, "rejected", "not assigned"),
    ("S001", "G002", "audit/copy_phone", "C2", HOUR, "rejected", "moved to another guide"),
    # A counter visit (接待记录): any guide of the customer's store, whoever owns them.
    ("S001", "G002", "followup/counter", "C3", -HOUR, "applied", ""),  # G001's customer
    ("S001", "G001", "followup/counter", "C1", -HOUR, "applied", ""),
    ("S002", "G003", "followup/counter", "C1", -HOUR, "rejected", "is not a customer of"),
    ("S001", "G003", "followup/counter", "C1", -HOUR, "rejected", "not a guide of this store"),
    ("S001", "G002", "followup/counter", "C5", -HOUR, "rejected", "is not a customer of"),
    ("S001", "G004", "followup/counter", "C1", HOUR, "rejected", "has left"),
    # Reviewing a task target is the store manager's.
    ("S001", "G002", "task_target/review", "C6", -HOUR, "rejected", "only the store manager"),
    ("S001", "G001", "task_target/review", "C6", -HOUR, "applied", ""),
]


@pytest.mark.parametrize(
    ("store", "guide", "operation", "customer", "when", "expected", "why"),
    TABLE,
    ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[3]}-{r[5]}-{n}" for n, r in enumerate(TABLE)],
)
def test_who_may_act(
    storage: HQStorage,
    brand: dict[str, Any],
    store: str,
    guide: str,
    operation: str,
    customer: str,
    when: timedelta,
    expected: str,
    why: str,
) -> None:
    entity, op = operation.split("/")
    made_at = iso(brand["day0"] + when)
    extra: dict[str, Any] = {}
    if entity == "task_target":
        # A done target of a task that asks for a review.
        [task] = [t for t in _tasks(storage, "S001") if t["guide_id"] == "G002"]
        done = mutation("G002", "task_target", "complete", customer, made_at, task_id=task["id"])
        assert storage.push(brand["terminals"]["S001"], [done])[0]["status"] == "applied"
        extra = {"task_id": task["id"], "status": "approved", "review_comment": "很好"}
    m = mutation(guide, entity, op, customer, made_at, **extra)
    [result] = storage.push(brand["terminals"][store], [m])
    assert result["status"] == expected, result
    assert why in result["reason"]


def _tasks(storage: HQStorage, store: str) -> list[dict[str, Any]]:
    """The handover tasks HQ made (G002 inherited G004's customer C6)."""
    import json

    page = json.loads(storage.pull(store, None, protocol.MAX_PULL_LIMIT).body)
    return [c["data"] for c in page["changes"] if c["entity"] == "task" and c["op"] == "upsert"]


def test_a_refused_edit_of_the_former_owner_says_why_and_the_rest_of_the_batch_lands(
    storage: HQStorage, brand: dict[str, Any]
) -> None:
    late = mutation("G002", "followup", "create", "C2", iso(brand["day0"] + HOUR))
    early = mutation("G002", "followup", "create", "C2", iso(brand["day0"] - HOUR))
    results = storage.push(brand["terminals"]["S001"], [late, early])
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "顾客已于" in results[0]["reason"]
    # The same mutation again gets the same answer (it is recorded).
    assert storage.push(brand["terminals"]["S001"], [late])[0]["status"] == "rejected"


def test_a_counter_visit_is_the_colleagues_note_and_the_owner_stays(
    storage: HQStorage, brand: dict[str, Any]
) -> None:
    import json

    made_at = iso(brand["day0"] - HOUR)
    visit = mutation("G002", "followup", "counter", "C3", made_at)  # C3 is G001's
    assert storage.push(brand["terminals"]["S001"], [visit])[0]["status"] == "applied"
    page = json.loads(storage.pull("S001", None, protocol.MAX_PULL_LIMIT).body)
    [note] = [
        c["data"]
        for c in page["changes"]
        if c["entity"] == "followup" and c["data"].get("id") == visit.entity_id
    ]
    assert (note["guide_id"], note["channel"], note["customer_id"]) == ("G002", "counter", "C3")
    assert note["next_followup_on"] is None and note["note"] == "到店试穿，同事接待"
    [c3] = [
        c["data"]
        for c in page["changes"]
        if c["entity"] == "customer" and c["op"] == "upsert" and c["data"].get("id") == "C3"
    ]
    assert c3["guide_id"] == "G001"
    # A counter visit cannot be smuggled in as an ordinary follow-up of someone else's.
    sneaky = mutation("G002", "followup", "create", "C3", made_at, channel="counter")
    [result] = storage.push(brand["terminals"]["S001"], [sneaky])
    assert result["status"] == "rejected"
