"""HQ campaigns (sync/hq/tasks.py, sync/hq/mutations/tasks.py): publish, re-publish,
cancel, refused files, the report, targets following their customer, conflicts."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from sync import protocol
from sync.hq import cli
from sync.hq.errors import NotFound
from sync.hq.schema import changes, conflicts, task_targets, tasks
from sync.hq.storage import HQStorage
from sync.hq.tasks import TaskFileError

ISSUE_EXAMPLE = {
    "id": "T-2026-12-BDAY",
    "title": "十二月生日问候",
    "kind": "birthday",
    "instructions": "生日前一周发祝福并提醒生日礼",
    "starts_on": "2026-12-01",
    "due_on": "2026-12-31",
    "targets": {
        "stores": ["S001"],
        "guides": [],
        "stages": [],
        "tiers": [],
        "tag_groups": [["VIP", "新品控"], ["亲子"]],
        "birthday_within_days": 30,
        "days_since_purchase": {"min": 90, "max": 180},
        "customers": [],
    },
    "content": [],
    "evidence": "none",
    "review": True,
}
TASK = "T-2026-12-BDAY@S001"
# The clock of these tests: 2026-11-22 10:30 UTC, Shanghai's 22 Nov.
_N = iter(range(10**6))


@pytest.fixture
def brand(storage: HQStorage, hqdata: Any) -> dict[str, Any]:
    """S001 (G001 manager, G002), S002 (G003). On 22 Nov, with the issue's rule:
    C1, C2 selected; C3 lacks 亲子; C4 bought 52 days ago; C5 is in S002; C6's birthday
    is in March; C7 never bought."""
    storage.add_store("S001", "上海南京西路店", "上海")
    storage.add_store("S002", "杭州湖滨店", "杭州")
    storage.add_guide("G001", "王芳", store_id="S001", is_manager=True)
    storage.add_guide("G002", "李娜", store_id="S001")
    storage.add_guide("G003", "陈静", store_id="S002")
    people = [
        ("C1", "S001", "G002", ["VIP", "亲子"], "1990-12-10", "2026-07-01"),
        ("C2", "S001", "G002", ["新品控", "亲子"], "1991-12-20", "2026-06-01"),
        ("C3", "S001", "G001", ["VIP"], "1990-12-01", "2026-07-01"),
        ("C4", "S001", "G002", ["VIP", "亲子"], "1990-12-10", "2026-10-01"),
        ("C5", "S002", "G003", ["VIP", "亲子"], "1990-12-10", "2026-07-01"),
        ("C6", "S001", "G001", ["VIP", "亲子"], "1990-03-01", "2026-07-01"),
        ("C7", "S001", "G002", ["VIP", "亲子"], "1990-12-10", None),
    ]
    storage.import_customers(
        [hqdata.customer(c, s, g, tags=t, birthday=b) for c, s, g, t, b, _ in people]
    )
    storage.import_purchases(
        [
            {**hqdata.purchase(f"O{c}", c, s, g), "paid_at": f"{paid}T03:00:00Z"}
            for c, s, g, _, _, paid in people
            if paid
        ]
    )
    storage.put_content(
        [{"id": "CT001", "kind": "copy", "title": "生日礼", "body": "", "category_631": "brand"}]
    )
    terminals = {}
    for store in ("S001", "S002"):
        enrolment = storage.enroll(storage.create_enroll_code(store), f"terminal {store}")
        terminals[store] = storage.terminal_for_token(enrolment.token)
    return {"terminals": terminals}


def example(**changes_: Any) -> dict[str, Any]:
    raw = copy.deepcopy(ISSUE_EXAMPLE)
    targets = changes_.pop("targets", None)
    if targets is not None:
        raw["targets"].update(targets)
    raw.update(changes_)
    return raw


def targets_of(storage: HQStorage, task_id: str = TASK) -> dict[str, dict[str, Any]]:
    with storage.read() as conn:
        rows = conn.execute(
            sa.select(task_targets).where(task_targets.c.task_id == task_id)
        ).mappings()
        return {r["customer_id"]: dict(r) for r in rows}


def task_row(storage: HQStorage, task_id: str = TASK) -> dict[str, Any]:
    with storage.read() as conn:
        return dict(conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).mappings().one())


def count(storage: HQStorage, table: sa.Table) -> int:
    with storage.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def pulled(storage: HQStorage, store: str) -> list[dict[str, Any]]:
    page = json.loads(storage.pull(store, None, protocol.MAX_PULL_LIMIT).body)
    return page["changes"]


def push(storage: HQStorage, brand: dict, guide: str, op: str, customer: str, **payload: Any):
    n = next(_N)
    made_at = payload.pop("made_at", "2026-11-22T09:00:00Z")
    task_id = payload.pop("task_id", TASK)
    m = protocol.Mutation(
        id=f"m-{n:06d}",
        guide_id=guide,
        entity="task_target",
        op=op,
        entity_id=f"{task_id}:{customer}",
        payload={"task_id": task_id, "customer_id": customer, **payload},
        created_at=made_at,
    )
    store = "S002" if guide == "G003" else "S001"
    [result] = storage.push(brand["terminals"][store], [m])
    return result


def task_conflicts(storage: HQStorage, customer: str) -> list[dict[str, Any]]:
    with storage.read() as conn:
        rows = conn.execute(
            sa.select(conflicts).where(conflicts.c.customer_id == customer)
        ).mappings()
        return [dict(r) for r in rows if r["field"] == "task_target"]


# -- publishing ----------------------------------------------------------------------------


def test_publishing_the_issue_example_targets_who_the_rule_selects(
    storage: HQStorage, brand: dict
) -> None:
    result = storage.publish_task(ISSUE_EXAMPLE)
    assert result.created and result.targets == 2
    assert list(result.stores) == ["S001"]
    task = task_row(storage)
    assert task["campaign_id"] == "T-2026-12-BDAY" and task["store_id"] == "S001"
    assert task["guide_id"] is None and task["kind"] == "birthday" and task["status"] == "open"
    assert task["description"] == "生日前一周发祝福并提醒生日礼"
    assert (task["starts_on"], task["due_on"], task["evidence"]) == (
        "2026-12-01",
        "2026-12-31",
        "none",
    )
    assert bool(task["review"]) is True
    assert json.loads(task["target_rule"]) == ISSUE_EXAMPLE["targets"]
    found = targets_of(storage)
    assert sorted(found) == ["C1", "C2"]
    assert {t["guide_id"] for t in found.values()} == {"G002"}
    assert {t["status"] for t in found.values()} == {"open"}
    # S001's terminals pull the task and its targets; S002's get nothing of it.
    s1 = [(c["entity"], c["id"]) for c in pulled(storage, "S001") if "task" in c["entity"]]
    assert ("task", TASK) in s1 and ("task_target", f"{TASK}:C1") in s1
    assert not [c for c in pulled(storage, "S002") if c["entity"].startswith("task")]


def test_the_store_s_today_decides_who_is_selected(storage: HQStorage, brand: dict, clock) -> None:
    # 21 Nov 16:30 UTC is 22 Nov in Shanghai: C4's purchase of 1 Oct is 52 days ago there,
    # 51 in UTC. A 52-day minimum selects C4 in the Shanghai store only.
    clock.now = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
    rule = {"stores": ["S001"], "days_since_purchase": {"min": 52, "max": 52}}
    storage.publish_task(example(targets=rule, id="T-52"))
    assert sorted(targets_of(storage, "T-52@S001")) == ["C4"]
    with storage.write() as tx:  # the same store on UTC
        store = tx.get("store", "S001")
        tx.put("store", [{**store, "timezone": "UTC"}], scopes="S001")
    storage.publish_task(example(targets=rule, id="T-52b"))
    assert targets_of(storage, "T-52b@S001") == {}


def test_explicit_customers_are_added_and_get_a_task_in_their_store(
    storage: HQStorage, brand: dict
) -> None:
    result = storage.publish_task(example(targets={"customers": ["C3", "C5"]}))
    assert sorted(targets_of(storage)) == ["C1", "C2", "C3"]
    assert sorted(targets_of(storage, "T-2026-12-BDAY@S002")) == ["C5"]
    assert result.stores["S002"].targets == 1
    assert targets_of(storage, "T-2026-12-BDAY@S002")["C5"]["guide_id"] == "G003"


def opt_out(storage: HQStorage, brand: dict, customer: str, guide: str = "G002") -> None:
    """The guide records the customer's opt-out on the terminal (customer/update)."""
    edit = {"fields": {"marketing_opt_out": {"old": False, "new": True}}}
    m = protocol.Mutation(
        id=f"m-{next(_N):06d}",
        guide_id=guide,
        entity="customer",
        op="update",
        entity_id=customer,
        payload=edit,
        created_at="2026-11-22T09:00:00Z",
    )
    [result] = storage.push(brand["terminals"]["S001"], [m])
    assert result["status"] == "applied", result


def test_a_marketing_task_leaves_out_who_opted_out_a_service_task_does_not(
    storage: HQStorage, brand: dict
) -> None:
    """app/domain/outreach.may_target: C1 asked for no marketing. A share campaign with the
    birthday rule (and C3, C5 named) leaves C1 out and says so; the birthday greeting,
    service, still reaches C1; a later opt-out (C2) drops C2's open target when it
    arrives, and a re-publish leaves C2 out again."""
    opt_out(storage, brand, "C1")
    share = example(id="T-SHARE", kind="content_share", targets={"customers": ["C3", "C5"]})
    result = storage.publish_task(share)
    assert sorted(targets_of(storage, "T-SHARE@S001")) == ["C2", "C3"]
    assert sorted(targets_of(storage, "T-SHARE@S002")) == ["C5"]
    assert (result.stores["S001"].opted_out, result.stores["S002"].opted_out) == (1, 0)
    assert result.as_dict()["stores"]["S001"]["opted_out"] == 1
    storage.publish_task(ISSUE_EXAMPLE)  # birthday: service
    assert sorted(targets_of(storage)) == ["C1", "C2"]

    opt_out(storage, brand, "C2")
    assert sorted(targets_of(storage, "T-SHARE@S001")) == ["C3"]
    again = storage.publish_task(share).stores["S001"]
    assert sorted(targets_of(storage, "T-SHARE@S001")) == ["C3"]
    assert (again.opted_out, again.added, again.removed) == (2, 0, 0)


def test_an_opt_out_arriving_drops_the_open_marketing_targets_at_once(
    storage: HQStorage, brand: dict
) -> None:
    """When C1's opt-out reaches HQ, the share campaign's open target of C1 goes to every
    terminal of the store at once (a tombstone), C2's stays, and the birthday greeting's
    target of C1 (service) stays."""
    share = example(id="T-SHARE", kind="content_share")
    storage.publish_task(share)
    storage.publish_task(ISSUE_EXAMPLE)
    assert sorted(targets_of(storage, "T-SHARE@S001")) == ["C1", "C2"]
    opt_out(storage, brand, "C1")
    assert sorted(targets_of(storage, "T-SHARE@S001")) == ["C2"]
    assert sorted(targets_of(storage)) == ["C1", "C2"]
    news = [(c["entity"], c["op"], c["id"]) for c in pulled(storage, "S001")]
    assert ("task_target", "delete", "T-SHARE@S001:C1") in news
    assert storage.publish_task(share).stores["S001"].removed == 0  # nothing left to drop


def test_stages_come_from_hq_s_purchases(storage: HQStorage, brand: dict) -> None:
    # On 22 Nov: C4 bought 52 days ago (new), C7 never (prospect), the rest mature.
    storage.publish_task(
        example(
            id="T-NEW",
            targets={
                "tag_groups": [],
                "birthday_within_days": None,
                "days_since_purchase": None,
                "stages": ["new", "prospect"],
            },
        )
    )
    assert sorted(targets_of(storage, "T-NEW@S001")) == ["C4", "C7"]


def test_a_rule_of_stages_alone_reaches_every_store(storage: HQStorage, brand: dict) -> None:
    raw = {**example(id="T-P"), "targets": {"stages": ["prospect", "new"]}}
    result = storage.publish_task(raw)
    assert sorted(result.stores) == ["S001"]  # no prospect or new customer in S002
    assert sorted(targets_of(storage, "T-P@S001")) == ["C4", "C7"]


def test_republishing_updates_adds_and_removes_only_open_targets(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    assert (
        push(storage, brand, "G002", "complete", "C1", outcome="contacted")["status"] == "applied"
    )
    before = count(storage, changes)
    # Now only C4 (52 days) is selected: C2 (open) goes, C1 (done) stays with its author.
    again = example(
        title="十二月生日问候（更新）", targets={"days_since_purchase": {"min": 40, "max": 60}}
    )
    result = storage.publish_task(again)
    assert not result.created
    s1 = result.stores["S001"]
    assert (s1.added, s1.removed, s1.kept, s1.targets) == (1, 1, 1, 2)
    found = targets_of(storage)
    assert sorted(found) == ["C1", "C4"]
    assert found["C1"]["status"] == "done" and found["C1"]["completed_by"] == "G002"
    assert task_row(storage)["title"] == "十二月生日问候（更新）"
    news = [(c["entity"], c["op"], c["id"]) for c in pulled(storage, "S001")]
    assert ("task_target", "delete", f"{TASK}:C2") in news
    # Publishing the same file again changes nothing.
    mid = count(storage, changes)
    assert mid > before
    storage.publish_task(again)
    assert count(storage, changes) == mid


def test_a_store_dropped_from_the_file_has_its_task_cancelled(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(example(targets={"stores": ["S001", "S002"]}))
    assert sorted(targets_of(storage, "T-2026-12-BDAY@S002")) == ["C5"]
    result = storage.publish_task(ISSUE_EXAMPLE)
    assert result.stores["S002"].status == "cancelled"
    assert task_row(storage, "T-2026-12-BDAY@S002")["status"] == "cancelled"
    assert targets_of(storage, "T-2026-12-BDAY@S002") == {}
    assert task_row(storage)["status"] == "open"


def test_cancel_keeps_the_targets(storage: HQStorage, brand: dict) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    assert storage.cancel_task("T-2026-12-BDAY") == [TASK]
    assert task_row(storage)["status"] == "cancelled"
    assert sorted(targets_of(storage)) == ["C1", "C2"]
    assert storage.cancel_task("T-2026-12-BDAY") == []  # already cancelled
    with pytest.raises(NotFound, match="T-NOPE"):
        storage.cancel_task("T-NOPE")
    # Publishing it again re-opens it.
    storage.publish_task(ISSUE_EXAMPLE)
    assert task_row(storage)["status"] == "open"


BAD_FILES = [
    ({"kind": "greeting"}, "kind", "must be one of"),
    ({"evidence": "video"}, "evidence", "must be one of"),
    ({"starts_on": "2026-02-30"}, "starts_on", "not a real date"),
    ({"due_on": "31/12/2026"}, "due_on", "not a real date"),
    ({"starts_on": "2027-01-02"}, "due_on", "before starts_on"),
    ({"review": "yes"}, "review", "true or false"),
    ({"content": "CT001"}, "content", "must be a list"),
    ({"content": ["CT001", "CT404"]}, "content[1]", "CT404 does not exist"),
    ({"title": ""}, "title", "is required"),
    ({"title": "a\x1bb"}, "title", "control character"),
    ({"id": "T:1"}, "id", "':'"),
    ({"owner": "HQ"}, "owner", "unknown field"),
    ({"targets": {"stores": ["S001", "S999"]}}, "targets.stores[1]", "store S999 does not exist"),
    ({"targets": {"guides": ["G999"]}}, "targets.guides[0]", "guide G999 does not exist"),
    ({"targets": {"customers": ["C999"]}}, "targets.customers[0]", "C999 does not exist"),
    ({"targets": {"tag_groups": [["VIP"], []]}}, "targets.tag_groups[1]", "is empty"),
    ({"targets": {"stages": ["asleep"]}}, "targets.stages[0]", "is not one of"),
]


@pytest.mark.parametrize(("change", "field", "reason"), BAD_FILES)
def test_a_bad_file_is_refused_with_the_field_and_nothing_is_written(
    storage: HQStorage, brand: dict, change: dict, field: str, reason: str
) -> None:
    before = (count(storage, tasks), count(storage, task_targets), count(storage, changes))
    with pytest.raises(TaskFileError) as caught:
        storage.publish_task(example(**change))
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert (count(storage, tasks), count(storage, task_targets), count(storage, changes)) == before


def test_the_cli_refuses_a_bad_file_with_exit_1(
    storage: HQStorage, brand: dict, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "task.json"
    path.write_text(json.dumps(example(due_on="2026-11-31")), encoding="utf-8")
    assert cli.main(["publish-task", str(path), "--db", storage.url]) == 1
    err = capsys.readouterr().err
    assert err.startswith("guidedesk-hq: due_on: '2026-11-31' is not a real date")
    path.write_text('{"id": ', encoding="utf-8")
    assert cli.main(["publish-task", str(path), "--db", storage.url]) == 1
    assert "not valid JSON: line 1" in capsys.readouterr().err
    assert count(storage, tasks) == 0


# -- the report ----------------------------------------------------------------------------


def _worked(storage: HQStorage, brand: dict) -> None:
    """C1 done and approved, C2 done and rejected, C4 open (all G002's)."""
    storage.publish_task(example(targets={"days_since_purchase": {"min": 40, "max": 180}}))
    assert sorted(targets_of(storage)) == ["C1", "C2", "C4"]
    for customer, verdict in (("C1", "approved"), ("C2", "rejected")):
        assert (
            push(storage, brand, "G002", "complete", customer, outcome="contacted")["status"]
            == "applied"
        )
        done = push(storage, brand, "G001", "review", customer, status=verdict, review_comment="")
        assert done["status"] == "applied", done


def test_report_counts_per_task_and_guide(storage: HQStorage, brand: dict, clock) -> None:
    _worked(storage, brand)
    [row] = storage.task_report(task="T-2026-12-BDAY")
    assert row["task_id"] == TASK and row["guide_id"] == "G002" and row["guide_name"] == "李娜"
    counts = {k: row[k] for k in ("targets", "done", "open", "overdue", "approved", "rejected")}
    assert counts == {
        "targets": 3,
        "done": 1,
        "open": 2,
        "overdue": 0,
        "approved": 1,
        "rejected": 1,
    }
    # 31 Dec 16:00 UTC is 1 Jan in Shanghai: the open ones are overdue.
    clock.now = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
    assert storage.task_report(store="S001")[0]["overdue"] == 0
    clock.now = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert storage.task_report(store="S001")[0]["overdue"] == 2
    assert storage.task_report(store="S002") == []
    with pytest.raises(NotFound):
        storage.task_report(task="T-NOPE")


def test_report_formats_table_csv_json(storage: HQStorage, brand: dict, capsysbinary) -> None:
    _worked(storage, brand)

    def report(fmt: str) -> bytes:
        capsysbinary.readouterr()
        assert (
            cli.main(
                [
                    "report",
                    "tasks",
                    "--task",
                    "T-2026-12-BDAY",
                    "--format",
                    fmt,
                    "--db",
                    storage.url,
                ]
            )
            == 0
        )
        return capsysbinary.readouterr().out

    table = report("table").decode("utf-8").splitlines()
    assert table[0].split() == [
        "task",
        "store",
        "guide",
        "name",
        "targets",
        "done",
        "open",
        "overdue",
        "approved",
        "rejected",
    ]
    assert table[1].split()[:4] == [TASK, "S001", "G002", "李娜"]
    raw = report("csv")
    assert (
        raw.startswith(b"\xef\xbb\xbf")
        and raw.count(b"\r\n") == 2
        and b"\n" not in raw.replace(b"\r\n", b"")
    )
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0]["title"] == "十二月生日问候" and rows[0]["approved"] == "1"
    assert rows[0]["targets"] == "3"
    data = json.loads(report("json"))
    assert (
        data[0]["done"] == 1
        and data[0]["rejected"] == 1
        and data[0]["campaign_id"] == "T-2026-12-BDAY"
    )


# -- a target follows its customer ---------------------------------------------------------


def test_an_open_target_follows_a_move_within_the_store(storage: HQStorage, brand: dict) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    assert (
        push(storage, brand, "G002", "complete", "C2", outcome="contacted")["status"] == "applied"
    )
    storage.move_customer("C1", "G001")
    storage.move_customer("C2", "G001")
    found = targets_of(storage)
    assert found["C1"]["guide_id"] == "G001" and found["C1"]["status"] == "open"
    # A completion already made stays with its author.
    assert found["C2"]["guide_id"] == "G002" and found["C2"]["completed_by"] == "G002"
    # The handover task is still made.
    handovers = [
        c
        for c in pulled(storage, "S001")
        if c["entity"] == "task" and c["data"]["kind"] == "handover_intro"
    ]
    assert len(handovers) == 2


def test_a_move_to_another_store_removes_the_open_target_and_adds_one_there(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(example(targets={"stores": ["S001", "S002"]}))
    assert (
        push(storage, brand, "G002", "complete", "C2", outcome="contacted")["status"] == "applied"
    )
    storage.move_customer("C1", "G003")
    storage.move_customer("C2", "G003")
    assert sorted(targets_of(storage)) == ["C2"]  # C1's open target left S001's task
    assert targets_of(storage)["C2"]["completed_by"] == "G002"  # the completion stays
    there = targets_of(storage, "T-2026-12-BDAY@S002")
    assert sorted(there) == ["C1", "C5"]  # C2 was done: no second target
    assert there["C1"]["guide_id"] == "G003" and there["C1"]["status"] == "open"
    s1 = [(c["entity"], c["op"], c["id"]) for c in pulled(storage, "S001")]
    assert ("task_target", "delete", f"{TASK}:C1") in s1
    s2 = [(c["entity"], c["op"], c["id"]) for c in pulled(storage, "S002")]
    assert ("task_target", "upsert", "T-2026-12-BDAY@S002:C1") in s2
    # The old task's completed target moves with the customer's history, as before.
    assert ("task_target", "upsert", f"{TASK}:C2") in s2


def test_no_target_is_added_where_the_campaign_s_rule_does_not_select_the_customer(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(example(targets={"stores": ["S001", "S002"], "guides": ["G002", "G003"]}))
    storage.move_customer("C1", "G003")
    assert "C1" in targets_of(storage, "T-2026-12-BDAY@S002")
    # Back to S001 with G001, whom the rule does not name: the S002 target is removed and
    # none is added in S001.
    storage.move_customer("C1", "G001")
    assert "C1" not in targets_of(storage, "T-2026-12-BDAY@S002")
    assert "C1" not in targets_of(storage)


def test_a_departure_hands_open_targets_to_the_heir(storage: HQStorage, brand: dict) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    storage.depart_guide("G002", "G001")
    assert {t["guide_id"] for t in targets_of(storage).values()} == {"G001"}


# -- conflicts -----------------------------------------------------------------------------


def test_a_completion_after_cancel_is_kept_and_shown(storage: HQStorage, brand: dict) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    storage.cancel_task("T-2026-12-BDAY")
    result = push(
        storage, brand, "G002", "complete", "C1", outcome="purchased", evidence="买了大衣"
    )
    assert result["status"] == "applied"
    target = targets_of(storage)["C1"]
    assert (target["status"], target["completed_by"], target["outcome"]) == (
        "done",
        "G002",
        "purchased",
    )
    [note] = task_conflicts(storage, "C1")
    assert "completed after cancel" in note["detail"] and "已取消" in note["detail"]
    assert json.loads(note["kept_value"])["outcome"] == "purchased"
    assert ("conflict", note["id"]) in [(c["entity"], c["id"]) for c in pulled(storage, "S001")]


def test_a_completion_of_a_target_removed_meanwhile_is_kept(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    storage.publish_task(example(targets={"days_since_purchase": {"min": 40, "max": 60}}))
    assert "C2" not in targets_of(storage)
    assert (
        push(storage, brand, "G002", "complete", "C2", outcome="contacted")["status"] == "applied"
    )
    assert targets_of(storage)["C2"]["status"] == "done"
    [note] = task_conflicts(storage, "C2")
    assert "removed from task" in note["detail"]


def test_two_guides_complete_the_same_target_first_received_wins(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    first = push(
        storage,
        brand,
        "G002",
        "complete",
        "C1",
        outcome="contacted",
        made_at="2026-11-22T09:30:00Z",
    )
    second = push(
        storage,
        brand,
        "G001",
        "complete",
        "C1",
        outcome="purchased",
        made_at="2026-11-22T09:00:00Z",
    )
    assert first["status"] == second["status"] == "applied"
    target = targets_of(storage)["C1"]
    assert (target["completed_by"], target["outcome"]) == ("G002", "contacted")
    [note] = task_conflicts(storage, "C1")
    assert note["lost_by"] == "G001"
    assert json.loads(note["lost_value"])["outcome"] == "purchased"
    assert json.loads(note["kept_value"])["completed_by"] == "G002"
    assert "first it received" in note["detail"]
    # The same guide completing again edits their own completion.
    assert push(storage, brand, "G002", "complete", "C1", outcome="booked")["status"] == "applied"
    assert targets_of(storage)["C1"]["outcome"] == "booked"


def test_a_review_of_a_completion_that_changed_since_is_refused(
    storage: HQStorage, brand: dict
) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    push(
        storage,
        brand,
        "G002",
        "complete",
        "C1",
        outcome="contacted",
        completed_at="2026-11-22T08:00:00Z",
    )
    rejected = push(
        storage,
        brand,
        "G001",
        "review",
        "C1",
        status="rejected",
        review_comment="请补充截图",
        completed_at="2026-11-22T08:00:00Z",
    )
    assert rejected["status"] == "applied"
    # The guide completes again; the manager, offline, approves the completion they saw.
    push(
        storage,
        brand,
        "G002",
        "complete",
        "C1",
        outcome="purchased",
        completed_at="2026-11-22T09:00:00Z",
    )
    stale = push(
        storage,
        brand,
        "G001",
        "review",
        "C1",
        status="approved",
        completed_at="2026-11-22T08:00:00Z",
    )
    assert stale["status"] == "rejected"
    assert "changed since you reviewed it" in stale["reason"] and "请重新审核" in stale["reason"]
    assert targets_of(storage)["C1"]["status"] == "done"
    # The same instant written another way is the same completion.
    fresh = push(
        storage,
        brand,
        "G001",
        "review",
        "C1",
        status="approved",
        completed_at="2026-11-22T17:00:00+08:00",
    )
    assert fresh["status"] == "applied"
    assert targets_of(storage)["C1"]["status"] == "approved"


def test_a_guide_s_credential_cannot_approve(storage: HQStorage, brand: dict) -> None:
    storage.publish_task(ISSUE_EXAMPLE)
    push(storage, brand, "G002", "complete", "C1", outcome="contacted")
    result = push(storage, brand, "G002", "review", "C1", status="approved")
    assert result["status"] == "rejected" and "manager" in result["reason"]
    assert targets_of(storage)["C1"]["status"] == "done"


# -- the real command ----------------------------------------------------------------------


def test_guidedesk_hq_publishes_the_issue_example_as_a_process(tmp_path: Path) -> None:
    exe = shutil.which("guidedesk-hq")
    assert exe is not None, "guidedesk-hq is not installed (pip install -e .)"
    db = f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    env = {**os.environ, "PYTHONWARNINGS": "error"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, *args, "--db", db],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
            env=env,
        )

    for args in (("init",), ("add-store", "S001", "上海南京西路店")):
        assert run(*args).returncode == 0
    path = tmp_path / "T-2026-12-BDAY.json"
    path.write_text(json.dumps(ISSUE_EXAMPLE, ensure_ascii=False, indent=2), encoding="utf-8")
    done = run("publish-task", str(path), "--json")
    assert done.returncode == 0, done.stderr
    published = json.loads(done.stdout)
    assert published["id"] == "T-2026-12-BDAY" and list(published["stores"]) == ["S001"]
    report = run("report", "tasks", "--format", "json")
    assert report.returncode == 0 and json.loads(report.stdout)[0]["task_id"] == TASK
    cancelled = run("cancel-task", "T-2026-12-BDAY")
    assert cancelled.returncode == 0 and "cancelled" in cancelled.stdout
    missing = run("cancel-task", "T-NOPE")
    assert missing.returncode == 1 and "T-NOPE does not exist" in missing.stderr


def test_purchase_summaries_from_sql_agree_with_the_domain_s_summarize(
    storage: HQStorage, clock
) -> None:
    """The database aggregates what app.domain.lifecycle.summarize computes: the same
    summary for every customer of a generated brand (so the stage rule reads one truth),
    through both query shapes (id lists, and a whole store's book)."""
    from collections import defaultdict

    from app.domain.clock import store_today
    from app.domain.demo_brand import generate_brand
    from app.domain.lifecycle import summarize
    from app.domain.targeting import CustomerFacts
    from sync.hq import tasks as hq_tasks
    from sync.hq.cli import demo_records

    brand = generate_brand(300, seed=7, today=store_today(clock.now))
    storage.load_brand(**demo_records(brand))
    bought = defaultdict(list)
    for p in brand.iter_purchases():
        bought[p.customer_id].append(p)
    people = list(brand.iter_customers())
    facts = [CustomerFacts(c.id, c.store_id, c.guide_id) for c in people]
    for whole_store in (10**9, 0):
        with storage.read() as conn:
            tx = SimpleNamespace(conn=conn, storage=storage)
            days = hq_tasks.store_days(tx)
            sql = hq_tasks._summaries(tx, facts, days, whole_store=whole_store)
        for c in people:
            assert sql[c.id] == summarize(bought[c.id], days[c.store_id]), c.id
    assert sum(1 for c in people if sql[c.id].orders_total) > 100
