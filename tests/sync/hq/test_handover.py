"""Handover at HQ: move-customers and depart (bulk, one transaction), the handover record
with its brief, the introduction task, the audit log, schema 4 on an older database."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from app.domain.handover import handover_brief
from sync import protocol
from sync.hq import audit, cli
from sync.hq.handover import deal_out
from sync.hq.storage import SCHEMA_VERSION, HQStorage, StorageError


def pull_all(hq: HQStorage, store: str, cursor: str | None = None) -> tuple[list[dict], str]:
    pulled: list[dict[str, Any]] = []
    while True:
        page = hq.pull(store, cursor, 1000)
        body = json.loads(page.body)
        pulled += body["changes"]
        cursor = page.cursor
        if not page.more:
            return pulled, cursor


def replay(pulled: list[dict[str, Any]], state: dict | None = None) -> dict:
    state = {} if state is None else state
    for change in pulled:
        key = (change["entity"], change["id"])
        if change["op"] == "upsert":
            state[key] = change["data"]
        else:
            state.pop(key, None)
    return state


def of(state: dict, entity: str) -> dict[str, dict]:
    return {i: data for (e, i), data in state.items() if e == entity}


def terminal(hq: HQStorage, store: str):
    return hq.terminal_for_token(hq.enroll(hq.create_enroll_code(store), "t").token)


def followup(customer_id: str, guide_id: str, note: str, at: str, n: int) -> protocol.Mutation:
    fid = f"followup-{customer_id}-{n:04d}"
    return protocol.Mutation(
        id=f"mutation-{customer_id}-{n:04d}",
        guide_id=guide_id,
        entity="followup",
        op="create",
        entity_id=fid,
        payload={
            "id": fid,
            "customer_id": customer_id,
            "channel": "call",
            "note": note,
            "created_at": at,
        },
        created_at=at,
    )


def audits(hq: HQStorage, **filters: Any) -> list[audit.AuditEntry]:
    with hq.read() as conn:
        return audit.entries(conn, **filters)


# -- move-customers ------------------------------------------------------------------------


def test_move_customers_moves_all_with_brief_task_and_audit(
    storage: HQStorage, hqdata, clock
) -> None:
    hqdata.small_brand(storage)
    t = terminal(storage, "S001")
    earlier = (clock.now - timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ")
    latest = (clock.now - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = storage.push(
        t,
        [
            followup("C1", "G002", "第一次联系", earlier, 1),
            followup("C1", "G002", "喜欢羊绒，下周三来试大衣", latest, 2),
        ],
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    _, cursor = pull_all(storage, "S001")

    report = storage.move_customers("G002", "G001", actor="ops-anna")

    assert sorted(r.customer_id for r in report.moved) == ["C1", "C2"]
    assert report.per_heir() == {"G001": {"total": 2, "regular": 2}}
    new = replay(pull_all(storage, "S001", cursor)[0])
    assert {c: d["guide_id"] for c, d in of(new, "customer").items()} == {
        "C1": "G001",
        "C2": "G001",
    }
    handovers = {d["customer_id"]: d for d in of(new, "handover").values()}
    c1 = handovers["C1"]
    assert (c1["from_guide_id"], c1["from_guide_name"], c1["to_guide_id"]) == (
        "G002",
        "李娜",
        "G001",
    )
    assert c1["reason"] == "transfer" and c1["moved_at"] == storage.now()
    brief = c1["brief"]
    assert brief["last_contact"] == {
        "on": latest[:10],
        "channel": "call",
        "text": "喜欢羊绒，下周三来试大衣",
    }
    assert brief["days_since_contact"] == 4
    assert brief["tags"] == ["新品控"] and brief["last_purchase_on"] is not None
    assert handovers["C2"]["brief"]["last_contact"] is None  # never contacted
    [task] = of(new, "task").values()
    assert task["kind"] == "handover_intro" and task["guide_id"] == "G001"
    assert task["id"] == report.tasks["G001"]
    assert "建议话术" in task["description"] and "上海南京西路店的王芳" in task["description"]
    assert "原导购 李娜" in task["description"]
    assert {k.split(":")[1] for k in of(new, "task_target")} == {"C1", "C2"}
    # The follow-ups are still the former owner's: their words, their name.
    assert {
        f["guide_id"] for f in of(replay(pull_all(storage, "S001")[0]), "followup").values()
    } == {"G002"}
    moves = audits(storage, action="move")
    assert [(e.customer_id, e.from_guide, e.to_guide, e.reason, e.actor) for e in moves] == [
        ("C1", "G002", "G001", "transfer", "ops-anna"),
        ("C2", "G002", "G001", "transfer", "ops-anna"),
    ]
    assert [e.customer_id for e in audits(storage, customer_id="C2")] == ["C2"]
    assert len(audits(storage, guide_id="G002")) == 2  # the guide filter matches "from"
    assert audits(storage, guide_id="G003") == []


def test_a_customer_who_is_not_from_s_is_refused_and_nothing_moves(
    storage: HQStorage, hqdata
) -> None:
    hqdata.small_brand(storage)
    before = pull_all(storage, "S001")[1]
    with pytest.raises(StorageError, match=r"C3 is not G002's .*G001"):
        storage.move_customers("G002", "G003", ["C1", "C3"])
    with pytest.raises(StorageError, match="C999 does not exist"):
        storage.move_customers("G002", "G003", ["C999"])
    assert storage.customer("C1")["guide_id"] == "G002"
    assert pull_all(storage, "S001", before)[0] == []
    assert audits(storage) == []


def test_move_of_some_customers_to_another_store_carries_the_history(
    storage: HQStorage, hqdata
) -> None:
    hqdata.small_brand(storage)
    s1, s1_cursor = pull_all(storage, "S001")
    state1 = replay(s1)
    report = storage.move_customers("G002", "G003", ["C1"], reason="departure")
    assert [r.customer_id for r in report.moved] == ["C1"] and report.moved[0].to_store == "S002"
    replay(pull_all(storage, "S001", s1_cursor)[0], state1)
    assert "C1" not in of(state1, "customer") and "C2" in of(state1, "customer")
    s2 = replay(pull_all(storage, "S002")[0])
    assert {"O1", "O2"} <= set(of(s2, "purchase"))
    [ho] = [h for h in of(s2, "handover").values() if h["customer_id"] == "C1"]
    assert ho["reason"] == "departure" and ho["from_guide_name"] == "李娜"
    assert not [h for h in of(state1, "handover").values() if h["customer_id"] == "C1"]


def test_a_move_back_brings_every_handover_along(storage: HQStorage, hqdata, clock) -> None:
    hqdata.small_brand(storage)
    storage.move_customers("G002", "G003", ["C1"])
    clock.now += timedelta(days=3)
    storage.move_customers("G003", "G002", ["C1"])
    s1 = replay(pull_all(storage, "S001")[0])
    trail = sorted(
        (h["moved_at"], h["from_guide_id"], h["to_guide_id"])
        for h in of(s1, "handover").values()
        if h["customer_id"] == "C1"
    )
    assert [(f, t) for _, f, t in trail] == [("G002", "G003"), ("G003", "G002")]
    assert [(e.from_guide, e.to_guide) for e in audits(storage, customer_id="C1")] == [
        ("G002", "G003"),
        ("G003", "G002"),
    ]


# -- depart ----------------------------------------------------------------------------------


def test_depart_to_several_heirs_by_tier_is_fair_and_disables_the_guide_now(
    storage: HQStorage, hqdata
) -> None:
    hqdata.small_brand(storage)
    storage.add_guide("G004", "赵敏", store_id="S001")
    tiers = ["head"] * 5 + ["waist"] * 4 + ["regular"] * 6
    storage.import_customers(
        [hqdata.customer(f"V{n:02d}", "S001", "G002", tier=t) for n, t in enumerate(tiers)]
    )
    _, cursor = pull_all(storage, "S001")

    report = storage.depart("G002", ["G001", "G004", "G003"], split_by_tier=True, actor="hr")

    per = report.per_heir()
    assert sum(h["total"] for h in per.values()) == 17  # C1, C2 and the 15 V customers
    for tier, count in (("head", 5), ("waist", 4), ("regular", 8)):
        shares = [per[h].get(tier, 0) for h in ("G001", "G004", "G003")]
        assert sum(shares) == count and max(shares) - min(shares) <= 1, (tier, shares)
    totals = [per[h]["total"] for h in ("G001", "G004", "G003")]
    assert max(totals) - min(totals) <= 1
    assert set(report.tasks) == {"G001", "G004", "G003"} and report.deactivated
    new = replay(pull_all(storage, "S001", cursor)[0])
    assert new[("guide", "G002")]["active"] is False  # every S001 terminal hears it
    with storage.read() as conn:
        left_at = conn.execute(sa.text("SELECT left_at FROM guides WHERE id = 'G002'")).scalar()
    assert left_at == storage.now()
    [depart] = audits(storage, action="depart")
    assert (depart.guide_id, depart.actor, depart.reason) == ("G002", "hr", "departure")
    assert depart.details["heirs"] == {h: per[h]["total"] for h in ("G001", "G004", "G003")}
    assert len(audits(storage, action="move")) == 17
    assert storage.move_customers("G002", "G001").results == ()  # nobody left to move


def test_depart_refuses_an_heir_who_left_or_is_the_guide(storage: HQStorage, hqdata) -> None:
    hqdata.small_brand(storage)
    with pytest.raises(StorageError, match="cannot inherit"):
        storage.depart("G002", ["G001", "G002"])
    storage.depart("G003", ["G001"])
    with pytest.raises(StorageError, match="inactive"):
        storage.depart("G002", ["G003"])
    assert storage.customer("C1")["guide_id"] == "G002"


@pytest.mark.parametrize(
    ("tiers", "heirs", "by_tier", "expected"),
    [
        # round robin by id
        ([("a", "head"), ("b", "head"), ("c", "regular")], ["X", "Y"], False, "XYX"),
        # by tier: heads first (a, c), then the regular b; the rotation goes on
        ([("a", "head"), ("b", "regular"), ("c", "head")], ["X", "Y"], True, "XXY"),
        ([("a", "regular")], ["X", "Y", "Z"], True, "X"),
    ],
)
def test_deal_out(tiers, heirs, by_tier, expected) -> None:
    plan = deal_out(tiers, heirs, by_tier=by_tier)
    assert "".join(plan[c] for c, _ in sorted(tiers)) == expected


def test_the_brief_lists_open_work_and_what_the_owner_noted() -> None:
    from datetime import date

    brief = handover_brief(
        {
            "tags": ["VIP"],
            "sizes": {"上衣": "M"},
            "preferences": "爱穿深色",
            "note": "怕麻烦，别打电话",
        },
        followups=[
            {"created_at": "2026-11-01T08:00:00Z", "channel": "wechat", "note": "旧的"},
            {"created_at": "2026-11-20T08:00:00Z", "channel": "sms", "note": "x" * 300},
        ],
        open_targets=[
            {"title": "生日问候", "due_on": "2026-12-20"},
            {"title": "新品", "due_on": "2026-12-05"},
        ],
        appointments=[{"starts_at": "2026-12-03T06:00:00Z", "purpose": "试衣"}],
        today=date(2026, 12, 2),
    )
    assert brief["days_since_contact"] == 12
    assert brief["last_contact"]["channel"] == "sms"
    assert len(brief["last_contact"]["text"]) == 120 and brief["last_contact"]["text"][-1] == "…"
    assert [t["title"] for t in brief["open_tasks"]] == ["新品", "生日问候"]
    assert brief["appointments"][0]["purpose"] == "试衣"
    assert (brief["note"], brief["sizes"]) == ("怕麻烦，别打电话", {"上衣": "M"})


# -- schema 4 on an older database -----------------------------------------------------------


def test_schema_4_upgrades_a_version_3_database(db_url: str) -> None:
    with HQStorage(db_url) as hq:
        hq.migrate()
        with hq.write() as tx:
            tx.conn.exec_driver_sql("DROP TABLE handovers")
            for index in ("audit_log_customer", "audit_log_at"):
                tx.conn.exec_driver_sql(f"DROP INDEX {index}")
            for column in ("actor", "from_guide", "to_guide", "reason"):
                tx.conn.exec_driver_sql(f"ALTER TABLE audit_log DROP COLUMN {column}")
            tx.conn.exec_driver_sql(
                "INSERT INTO audit_log (id, action, detail, at, received_at)"
                " VALUES ('old', 'reveal_phone', 'by someone', '2026-11-01T00:00:00Z', '')"
            )
            tx.conn.exec_driver_sql("UPDATE hq_meta SET value = '3' WHERE key = 'schema_version'")
        assert hq.migrate() == SCHEMA_VERSION
        inspector = sa.inspect(hq.engine)
        assert "handovers" in inspector.get_table_names()
        assert {"actor", "from_guide", "to_guide", "reason"} <= {
            c["name"] for c in inspector.get_columns("audit_log")
        }
        [old] = audits(hq)
        assert old.details == {"note": "by someone"}  # a text detail from before


# -- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def hq_db(sqlite_url: str) -> str:
    for args in (
        ["init"],
        ["add-store", "S001", "上海南京西路店"],
        ["add-store", "S002", "杭州湖滨店"],
        ["add-guide", "G001", "王芳", "--store", "S001", "--manager"],
        ["add-guide", "G002", "李娜", "--store", "S001"],
        ["add-guide", "G003", "陈静", "--store", "S002"],
    ):
        assert cli.main([*args, "--db", sqlite_url]) == 0, args
    with HQStorage(sqlite_url) as hq:
        hq.import_customers(
            [
                {"id": f"C{n}", "store_id": "S001", "guide_id": "G002", "name": f"顾客{n}"}
                | ({"tier": "head"} if n <= 2 else {})
                for n in range(1, 7)
            ]
        )
    return sqlite_url


def run(db: str, *args: str) -> int:
    return cli.main([*args, "--db", db])


def test_cli_move_customers_depart_and_audit(hq_db: str, capsys) -> None:
    assert run(hq_db, "move-customers", "--from", "G002", "--to", "G003", "--customer", "C5") == 0
    out = capsys.readouterr().out
    assert "moved: 1 customer(s) moved from G002 (transfer)" in out
    assert "-> G003: 1 customer(s) (1 regular); handover task handover-" in out

    assert run(hq_db, "move-customers", "--from", "G002", "--to", "G001", "--customer", "C5") == 1
    assert "C5 is not G002's (their guide is G003); nothing was moved" in capsys.readouterr().err

    assert (
        run(hq_db, "move-customers", "--from", "G003", "--to", "G002", "--json", "--reason",
            "transfer")
        == 0
    )  # fmt: skip
    moved = json.loads(capsys.readouterr().out)
    assert moved["moved"] == 1 and moved["heirs"]["G002"]["total"] == 1
    assert moved["heirs"]["G002"]["task_id"].startswith("handover-")

    assert run(hq_db, "depart", "G002", "--to", "G001", "--to", "G003", "--split-by-tier") == 0
    out = capsys.readouterr().out
    assert out.startswith("guide G002 deactivated")
    assert "-> G001: 3 customer(s) (1 head, 2 regular)" in out
    assert "-> G003: 3 customer(s) (1 head, 2 regular)" in out
    assert run(hq_db, "depart", "G002", "--to", "G001") == 0
    assert "was already inactive" in capsys.readouterr().out

    assert run(hq_db, "audit", "--customer", "C5", "--json") == 0
    trail = json.loads(capsys.readouterr().out)
    assert [(e["action"], e["from_guide"], e["to_guide"]) for e in trail] == [
        ("move", "G002", "G003"),
        ("move", "G003", "G002"),
        ("move", "G002", trail[2]["to_guide"]),
    ]
    assert all(e["actor"] for e in trail)
    assert run(hq_db, "audit", "--guide", "G002") == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(" depart " in line for line in lines) == 1
    assert sum(" move " in line for line in lines) == 8  # 1 + 1 + 6, from or to G002
    assert run(hq_db, "audit", "--guide", "G404") == 0
    assert capsys.readouterr().out == "no audit entries\n"


def test_a_departed_guide_s_session_keeps_what_came_before_and_nothing_after(
    storage: HQStorage, hqdata, clock
) -> None:
    """Signed in at HQ when HQ records the departure: edits made under the session
    before ``left_at`` are taken, later ones refused, and the guide cannot sign in again."""
    from sync.hq.auth import AuthFailure

    hqdata.small_brand(storage)
    storage.add_guide("G002", "李娜", store_id="S001", pin="258036")
    t = terminal(storage, "S001")
    session = storage.sign_in(t, "G002", "258036").session
    before = followup("C1", "G002", "离职前写的", storage.now(), 1).model_copy(
        update={"session": session}
    )
    storage.depart("G002", ["G001"])
    clock.now += timedelta(hours=1)
    after = followup("C2", "G002", "离职后写的", storage.now(), 2).model_copy(
        update={"session": session}
    )
    first, second = storage.push(t, [before, after])
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and "has left" in second["reason"]
    with pytest.raises(AuthFailure) as refused:
        storage.sign_in(t, "G002", "258036")
    assert refused.value.code == "guide_disabled"
    s1 = replay(pull_all(storage, "S001")[0])
    notes = {f["note"]: f["guide_id"] for f in of(s1, "followup").values()}
    assert notes == {"离职前写的": "G002"}


def test_a_late_edit_of_the_former_owner_redoes_the_brief(
    storage: HQStorage, hqdata, clock
) -> None:
    hqdata.small_brand(storage)
    t = terminal(storage, "S001")
    typed = storage.now()  # offline, before the move; pushed after it
    clock.now += timedelta(minutes=5)
    storage.move_customers("G002", "G001", ["C2"])
    _, cursor = pull_all(storage, "S001")
    [result] = storage.push(t, [followup("C2", "G002", "离线时记下：想改裤长", typed, 1)])
    assert result["status"] == "applied"
    pulled, cursor = pull_all(storage, "S001", cursor)
    new = replay(pulled)
    [redone] = of(new, "handover").values()
    assert redone["brief"]["last_contact"]["text"] == "离线时记下：想改裤长"
    assert redone["from_guide_id"] == "G002" and redone["to_guide_id"] == "G001"
    # The new owner's own follow-up is not a late edit: the brief stays as it was.
    [mine] = storage.push(t, [followup("C2", "G001", "新导购的自我介绍", storage.now(), 2)])
    assert mine["status"] == "applied"
    after = replay(pull_all(storage, "S001", cursor)[0])
    assert set(of(after, "followup")) == {"followup-C2-0002"} and not of(after, "handover")


def test_handovers_of_one_second_sort_in_the_order_they_were_made(
    storage: HQStorage, hqdata
) -> None:
    hqdata.small_brand(storage)  # the clock stands still: every move has the same moved_at
    storage.move_customers("G002", "G001", ["C1"])
    storage.move_customers("G001", "G002", ["C1"])
    storage.move_customers("G002", "G001", ["C1"])
    made = sorted(
        (h["id"], h["to_guide_id"])
        for h in of(replay(pull_all(storage, "S001")[0]), "handover").values()
    )
    assert [to for _, to in made] == ["G001", "G002", "G001"]


def test_a_colleagues_counter_visit_is_not_the_briefs_last_contact(
    storage: HQStorage, hqdata, clock
) -> None:
    hqdata.small_brand(storage)
    t = terminal(storage, "S001")
    owners = (clock.now - timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    counter_at = (clock.now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    visit = protocol.Mutation(
        id="mutation-counter-0001",
        guide_id="G001",  # the manager served 李娜's customer at the counter
        entity="followup",
        op="counter",
        entity_id="followup-counter-0001",
        payload={
            "id": "followup-counter-0001",
            "customer_id": "C1",
            "note": "同事接待：来试了围巾",
            "created_at": counter_at,
        },
        created_at=counter_at,
    )
    results = storage.push(t, [followup("C1", "G002", "约了周末来店", owners, 1), visit])
    assert [r["status"] for r in results] == ["applied", "applied"]

    storage.move_customers("G002", "G001", actor="ops-anna")

    new = replay(pull_all(storage, "S001")[0])
    [c1] = [d for d in of(new, "handover").values() if d["customer_id"] == "C1"]
    assert c1["brief"]["last_contact"]["text"] == "约了周末来店"
    assert c1["brief"]["days_since_contact"] == 6
