"""HQ storage on SQLite and PostgreSQL: the change log, moves, compaction, checksums."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from sync import protocol
from sync.hq import cli
from sync.hq.storage import (
    SCHEMA_VERSION,
    HQStorage,
    InvalidCursor,
    ResetRequired,
    StorageError,
    changes,
    customer_owners,
    parse_cursor,
)


def pull_all(
    hq: HQStorage, store: str, cursor: str | None = None, limit: int = 1000
) -> tuple[list[dict[str, Any]], str | None]:
    """Every change after ``cursor``, page by page, as the terminal would see them."""
    pulled: list[dict[str, Any]] = []
    while True:
        page = hq.pull(store, cursor, limit)
        body = json.loads(page.body)
        protocol.PullResponse.model_validate(body)  # the spliced body is a valid message
        assert body["cursor"] == page.cursor and len(body["changes"]) == page.count
        pulled += body["changes"]
        cursor = page.cursor
        if not page.more:
            return pulled, cursor


def replay(pulled: list[dict[str, Any]], state: dict | None = None) -> dict:
    """A terminal's view: (entity, id) -> (version, data), deletes remove."""
    state = {} if state is None else state
    for change in pulled:
        key = (change["entity"], change["id"])
        if change["op"] == "upsert":
            state[key] = (change["version"], change["data"])
        else:
            state.pop(key, None)
    return state


def ids(state: dict, entity: str) -> set[str]:
    return {i for (e, i) in state if e == entity}


def enrolled(hq: HQStorage, store: str):
    enrolment = hq.enroll(hq.create_enroll_code(store), "test terminal")
    return hq.terminal_for_token(enrolment.token)


def followup_mutation(customer_id: str, guide_id: str, note: str, n: int = 1) -> protocol.Mutation:
    return protocol.Mutation(
        id=f"mutation-{customer_id}-{n:04d}",
        guide_id=guide_id,
        entity="followup",
        op="create",
        entity_id=f"followup-{customer_id}-{n:04d}",
        payload={
            "id": f"followup-{customer_id}-{n:04d}",
            "customer_id": customer_id,
            "channel": "wechat",
            "note": note,
            "next_followup_on": None,
            "created_at": "2026-11-20T02:00:00Z",
            "task_id": None,
        },
        created_at="2026-11-20T02:00:00Z",
    )


def test_migrate_is_idempotent(storage: HQStorage) -> None:
    assert storage.migrate() == SCHEMA_VERSION
    assert storage.migrate() == SCHEMA_VERSION
    assert storage.schema_version() == SCHEMA_VERSION


def test_uninitialised_database_says_so(sqlite_url: str) -> None:
    with HQStorage(sqlite_url) as hq, pytest.raises(StorageError, match="init"):
        hq.require_schema()


def test_unsupported_url_is_a_known_failure() -> None:
    with pytest.raises(StorageError, match="unsupported database URL"):
        HQStorage("mysql://somewhere/hq")


def test_wire_records_are_exactly_the_terminal_columns(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    storage.put_products(
        [{"sku": "SKU1", "name": "羊毛大衣", "category": "大衣", "color": "驼色", "price_cents": 1}]
    )
    storage.move_customer("C2", "G001")  # a handover task and its target
    pulled, _ = pull_all(storage, "S001")
    seen = {c["entity"] for c in pulled}
    assert seen >= {"store", "guide", "product", "customer", "purchase", "task", "task_target"}
    for change in pulled:
        assert set(change["data"]) == set(protocol.RECORDS[change["entity"]][1]), change["entity"]
        assert change["version"] > 0
    [target] = [c for c in pulled if c["entity"] == "task_target"]
    assert target["id"] == f"{target['data']['task_id']}:C2"
    [sku] = [c for c in pulled if c["entity"] == "product"]
    assert sku["id"] == "SKU1"
    [order] = [c for c in pulled if c["id"] == "O1"]
    assert order["data"]["items"] == [{"sku": "SKU1", "qty": 1, "price_cents": 19900}]


def test_a_guide_pin_is_kept_only_as_an_argon2_verifier(storage: HQStorage) -> None:
    storage.add_store("S001", "上海店")
    storage.add_guide("G001", "王芳", store_id="S001", pin="482916")
    [guide] = [c for c in pull_all(storage, "S001")[0] if c["entity"] == "guide"]
    verifier = guide["data"]["pin_verifier"]
    assert verifier.startswith("$argon2") and "482916" not in verifier
    assert PasswordHasher().verify(verifier, "482916")
    with storage.read() as conn:
        dump = json.dumps([list(r) for r in conn.execute(sa.text("SELECT * FROM guides"))])
    assert "482916" not in dump


def test_pull_pages_hand_out_every_change_once_in_order(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    storage.move_customer("C1", "G001")
    everything, final = pull_all(storage, "S001", limit=5000)
    paged, paged_final = pull_all(storage, "S001", limit=2)
    assert paged == everything and paged_final == final
    versions = [c["version"] for c in everything]
    assert len(set(versions)) == len(versions)
    # Nothing new: an empty page that keeps the cursor.
    page = storage.pull("S001", final, 100)
    assert page.count == 0 and page.cursor == final and not page.more
    assert json.loads(page.body) == {"changes": [], "cursor": final, "more": False, "remaining": 0}


def test_first_page_estimates_what_is_left(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    total = len(pull_all(storage, "S001")[0])
    first = storage.pull("S001", None, 3)
    assert first.more and first.remaining == total - 3
    second = storage.pull("S001", first.cursor, 3)
    assert second.remaining > 0


def test_pull_is_scoped_to_the_store_and_the_brand(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    storage.put_products([{"sku": "SKU9", "name": "围巾", "price_cents": 9900}])
    s1 = replay(pull_all(storage, "S001")[0])
    s2 = replay(pull_all(storage, "S002")[0])
    assert ids(s1, "customer") == {"C1", "C2", "C3"} and ids(s2, "customer") == {"C4"}
    assert ids(s1, "store") == {"S001"} and ids(s2, "guide") == {"G003"}
    assert ids(s1, "product") == ids(s2, "product") == {"SKU9"}


def test_a_cursor_hq_did_not_make_is_refused(storage: HQStorage) -> None:
    for bad in ("abc", "1", "1.x", "-1.2", "1.2.3.4", "1." + "9" * 30):
        with pytest.raises(InvalidCursor):
            storage.pull("S001", bad, 10)
    with pytest.raises(ResetRequired):  # from a compaction this log never had
        storage.pull("S001", "1.2.3", 10)


def test_move_to_another_store_hands_over_the_whole_history(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    s1_changes, s1_cursor = pull_all(storage, "S001")
    s2_changes, s2_cursor = pull_all(storage, "S002")
    s1, s2 = replay(s1_changes), replay(s2_changes)
    a = enrolled(storage, "S001")
    [result] = storage.push(a, [followup_mutation("C1", "G002", "搬走前写的")])
    assert result["status"] == "applied"

    moved = storage.move_customer("C1", "G003")
    assert moved.moved and moved.from_store == "S001" and moved.to_store == "S002"
    new_s1, s1_cursor = pull_all(storage, "S001", s1_cursor)
    new_s2, s2_cursor = pull_all(storage, "S002", s2_cursor)
    replay(new_s1, s1)
    replay(new_s2, s2)
    # The old store: tombstones for the history first, then the customer, "moved".
    deletes = [(c["entity"], c["id"]) for c in new_s1 if c["op"] == "delete"]
    assert deletes[-1] == ("customer", "C1")
    assert {("purchase", "O1"), ("purchase", "O2")} <= set(deletes)
    assert new_s1[-1]["data"] == {"reason": "moved"}
    assert "C1" not in ids(s1, "customer") and not ids(s1, "purchase") & {"O1", "O2"}
    assert not ids(s1, "followup")
    # The new store: the customer, the whole history, and a handover task for G003.
    assert s2[("customer", "C1")][1]["guide_id"] == "G003"
    assert {"O1", "O2", "O3"} <= ids(s2, "purchase") and len(ids(s2, "followup")) == 1
    [task] = [data for (e, _), (_, data) in s2.items() if e == "task"]
    assert task["kind"] == "handover_intro" and task["guide_id"] == "G003"
    assert ("task_target", f"{task['id']}:C1") in s2
    owners = storage.owners("C1")
    assert [(o["guide_id"], o["until"] is None) for o in owners] == [
        ("G002", False),
        ("G003", True),
    ]

    # B writes, then HQ moves the customer back: A -> B -> A returns whole.
    b = enrolled(storage, "S002")
    storage.push(b, [followup_mutation("C1", "G003", "新导购的自我介绍", n=2)])
    storage.move_customer("C1", "G002")
    replay(pull_all(storage, "S001", s1_cursor)[0], s1)
    replay(pull_all(storage, "S002", s2_cursor)[0], s2)
    assert s1[("customer", "C1")][1]["guide_id"] == "G002"
    assert len(ids(s1, "followup")) == 2 and {"O1", "O2"} <= ids(s1, "purchase")
    assert "C1" not in ids(s2, "customer") and not ids(s2, "followup")
    assert ids(s2, "purchase") == {"O3"}
    # And a fresh terminal sees the same as the one that followed every step.
    assert replay(pull_all(storage, "S001")[0]) == s1


def test_move_within_the_store_is_one_upsert_and_a_handover(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    _, cursor = pull_all(storage, "S001")
    storage.move_customer("C2", "G001")
    new, _ = pull_all(storage, "S001", cursor)
    assert [(c["entity"], c["op"]) for c in new] == [
        ("customer", "upsert"),
        ("handover", "upsert"),  # inherited from G002, with the brief
        ("task", "upsert"),
        ("task_target", "upsert"),
    ]
    assert new[0]["data"]["guide_id"] == "G001"
    assert not storage.move_customer("C2", "G001").moved  # already there: nothing logged
    assert pull_all(storage, "S001", pull_all(storage, "S001")[1])[0] == []


def test_move_to_an_unknown_or_departed_guide_is_refused(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    with pytest.raises(StorageError, match="G999"):
        storage.move_customer("C1", "G999")
    with pytest.raises(StorageError, match="C999"):
        storage.move_customer("C999", "G001")
    storage.depart_guide("G003", "G001")
    with pytest.raises(StorageError, match="inactive"):
        storage.move_customer("C1", "G003")


def test_departing_guide_hands_every_customer_over(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    pull_all(storage, "S001")
    results = storage.depart_guide("G002", "G001")
    assert sorted(r.customer_id for r in results) == ["C1", "C2"]
    state = replay(pull_all(storage, "S001")[0])
    assert state[("guide", "G002")][1]["active"] is False
    assert state[("customer", "C1")][1]["guide_id"] == "G001"
    assert state[("customer", "C2")][1]["guide_id"] == "G001"
    [task] = [data for (e, _), (_, data) in state.items() if e == "task"]
    targets = {i.split(":")[1] for i in ids(state, "task_target")}
    assert task["kind"] == "handover_intro" and targets == {"C1", "C2"}
    assert storage.customer("C3")["guide_id"] == "G001"  # untouched
    with pytest.raises(StorageError):
        storage.depart_guide("G001", "G001")


def test_compaction_keeps_the_state_and_resets_terminals_below_it(
    storage: HQStorage, hqdata, clock
) -> None:
    hqdata.small_brand(storage)
    early = storage.pull("S001", None, 2).cursor
    for guide in ("G001", "G003", "G002", "G003"):  # superseded rows and tombstones
        storage.move_customer("C1", guide)
    storage.import_customers([hqdata.customer("C2", "S001", "G002", points=99)])
    before_s1 = replay(pull_all(storage, "S001")[0])
    before_s2 = replay(pull_all(storage, "S002")[0])
    with storage.read() as conn:
        rows_before = conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar()

    # An active terminal holds the log back at its cursor; a long-silent one does not.
    holding = enrolled(storage, "S001")
    storage.touch_terminal(holding, pulled=True, cursor=early)
    report = storage.compact()
    assert report.horizon is None or parse_cursor(report.horizon)[0] <= parse_cursor(early)[0]
    assert storage.pull("S001", early, 10).count > 0  # still served, no reset
    with storage.write() as tx:
        tx.conn.execute(sa.text("UPDATE terminals SET last_seen_at = :t"), {"t": "2026-01-01"})
    report = storage.compact(older_than_days=30)
    assert report.removed > 0
    with storage.read() as conn:
        rows_after = conn.execute(sa.select(sa.func.count()).select_from(changes)).scalar()
    assert rows_after == rows_before - report.removed

    assert replay(pull_all(storage, "S001")[0]) == before_s1
    assert replay(pull_all(storage, "S002")[0]) == before_s2
    with pytest.raises(ResetRequired):
        storage.pull("S001", early, 10)
    # A terminal at the horizon goes on normally.
    assert storage.pull("S001", report.horizon, 10).count == 0
    # A terminal that starts from scratch now walks through positions below the horizon
    # in small pages without being sent back to the start (its cursors are of this epoch).
    pulled, _ = pull_all(storage, "S001", limit=1)
    assert replay(pulled) == before_s1
    # Compacting again with nothing new is a no-op.
    assert storage.compact().removed == 0
    clock.now += timedelta(days=1)


def test_checksums_match_what_a_terminal_replayed(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    storage.move_customer("C1", "G003")
    storage.move_customer("C4", "G002")
    pulled, cursor = pull_all(storage, "S001", limit=3)
    state = replay(pulled)
    head, sums = storage.checksums("S001", protocol.ENTITIES)
    assert head == cursor
    for entity in protocol.ENTITIES:
        mine = [(i, version) for (e, i), (version, _) in state.items() if e == entity]
        assert sums[entity] == protocol.checksum_of(mine), entity
    assert sums["customer"].count == 3  # C2, C3, and C4 who moved in; C1 moved out


def test_load_brand_bulk_matches_what_terminals_pull(storage: HQStorage) -> None:
    counts = cli.load_demo(storage, customers=300, seed=7)
    assert counts is not None and counts["customers"] == 300
    assert cli.load_demo(storage, customers=300, seed=7) is None  # loaded already
    first_store = "S001"
    state = replay(pull_all(storage, first_store, limit=500)[0])
    expected = storage.counts(first_store)
    assert len(ids(state, "customer")) == expected["customers"] > 0
    assert len(ids(state, "purchase")) == expected["purchases"] > 0
    assert len(ids(state, "product")) == expected["products"] > 0
    with storage.read() as conn:
        owners = conn.execute(sa.select(sa.func.count()).select_from(customer_owners)).scalar()
    assert owners == 300


def test_reimport_logs_only_real_changes(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    _, cursor = pull_all(storage, "S001")
    same = storage.import_customers([hqdata.customer("C2", "S001", "G002")])
    assert (same.imported, same.updated, same.unchanged) == (0, 0, 1)
    assert pull_all(storage, "S001", cursor)[0] == []
    changed = storage.import_customers([hqdata.customer("C2", "S001", "G002", points=5)])
    assert changed.updated == 1
    [change] = pull_all(storage, "S001", cursor)[0]
    assert change["data"]["points"] == 5


def test_import_owner_change_goes_through_the_move(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    _, cursor = pull_all(storage, "S001")
    storage.import_customers([hqdata.customer("C1", "S002", "G003", tags=["羊绒爱好者"])])
    new = pull_all(storage, "S001", cursor)[0]
    assert new[-1] == {
        "entity": "customer",
        "op": "delete",
        "id": "C1",
        "version": new[-1]["version"],
        "data": {"reason": "moved"},
    }
    s2 = replay(pull_all(storage, "S002")[0])
    data = s2[("customer", "C1")][1]
    assert data["guide_id"] == "G003" and data["tags"] == ["新品控", "羊绒爱好者"]
    assert {"O1", "O2"} <= ids(s2, "purchase")
    assert any(e == "task" for e, _ in s2)


# -- PostgreSQL: transactions that commit out of order ------------------------------------


def naive_pull(hq: HQStorage, store: str, after_seq: int) -> list[tuple[int, str]]:
    """What a log reader that trusts seq order alone would hand out (the bug to avoid)."""
    with hq.read() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT seq, entity_id FROM changes WHERE scope IN (:s, '*') AND seq > :after"
                " ORDER BY seq"
            ),
            {"s": store, "after": after_seq},
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_pull_never_skips_a_transaction_that_commits_late(pg_url: str, clock) -> None:
    with HQStorage(pg_url, clock=clock) as hq:
        hq.migrate()
        hq.add_store("S001", "上海店")
        _, cursor = pull_all(hq, "S001")
        naive_cursor = max(seq for seq, _ in naive_pull(hq, "S001", 0))

        with hq.write() as slow:
            # The slow writer takes its seq first and stays open…
            slow.put("product", [{"sku": "EARLY", "name": "先写的"}], scopes="*")
            slow.flush()
            # …while a later writer commits.
            hq.put_products([{"sku": "LATE", "name": "后写的"}])

            held = hq.pull("S001", cursor, 100)
            assert held.count == 0 and held.cursor == cursor  # not past the open one
            seen_naive = naive_pull(hq, "S001", naive_cursor)
            assert [i for _, i in seen_naive] == ["LATE"]
            naive_cursor = seen_naive[-1][0]  # the naive reader moves past EARLY's seq

        pulled, _ = pull_all(hq, "S001", cursor)
        assert sorted(c["id"] for c in pulled) == ["EARLY", "LATE"]
        # The naive reader has lost EARLY for good.
        assert naive_pull(hq, "S001", naive_cursor) == []


def test_sqlite_writers_queue_instead_of_failing(sqlite_url: str, clock) -> None:
    """Two writers at once: BEGIN IMMEDIATE makes the second wait, then succeed."""
    import threading

    with HQStorage(sqlite_url, clock=clock) as hq:
        hq.migrate()
        hq.add_store("S001", "上海店")
        done = threading.Event()

        def second_writer() -> None:
            hq.put_products([{"sku": "B", "name": "b"}])
            done.set()

        with hq.write() as first:
            first.put("product", [{"sku": "A", "name": "a"}], scopes="*")
            thread = threading.Thread(target=second_writer)
            thread.start()
            assert not done.wait(0.3)  # blocked behind the first writer
        thread.join(10)
        assert done.is_set()
        assert [c["id"] for c in pull_all(hq, "S001")[0]][-2:] == ["A", "B"]
