"""The store manager's side of tasks: team figures, the review queue, review and reassign.

The figures are checked against hand-counted rows (``team_records``, also used by the
UI tests); the writes against the contract's declaration of their payloads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.store import outbox, review
from app.store.changes import Changes
from app.store.errors import InvalidEntry
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from sync.records import MUTATIONS, check_payload
from tests.store.helpers import customer_change

NOW = "2026-11-22T10:30:00Z"  # 18:30 in Shanghai
SHANGHAI_EVENING = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
# 01:00 on 23 November in Shanghai, still the 22nd in UTC.
SHANGHAI_AFTER_MIDNIGHT = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
# A 1×1 PNG: evidence as the terminal stores it (base64).
PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def _change(entity: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"entity": entity, "op": "upsert", "id": key, "version": 1, "data": data}


def task(tid: str, title: str, *, due_on: str | None, review_: bool, status: str = "open"):
    return _change(
        "task",
        tid,
        {
            "id": tid,
            "campaign_id": None,
            "store_id": "S001",
            "guide_id": None,
            "kind": "custom",
            "title": title,
            "description": "",
            "content_ids": [],
            "target_rule": {},
            "starts_on": "2026-11-01",
            "due_on": due_on,
            "status": status,
            "evidence": "note",
            "review": review_,
        },
    )


def target(
    tid: str,
    cid: str,
    guide: str | None,
    status: str = "open",
    completed_at: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    data = {
        "task_id": tid,
        "customer_id": cid,
        "guide_id": guide,
        "status": status,
        "completed_at": completed_at,
        "completed_by": guide if completed_at else None,
        "outcome": "contacted" if completed_at else None,
        "evidence": "",
        "evidence_picture": None,
        "review_comment": "",
        "reviewed_by": None,
        "reviewed_at": None,
    }
    data.update(extra)
    return _change("task_target", f"{tid}:{cid}", data)


def guide(gid: str, name: str, *, manager: bool = False, active: bool = True, store="S001"):
    return _change(
        "guide",
        gid,
        {
            "id": gid,
            "store_id": store,
            "name": name,
            "is_manager": manager,
            "active": active,
            "pin_verifier": None,
        },
    )


def team_records(picture: str = PIXEL) -> list[dict[str, Any]]:
    """A Shanghai store: two guides, a manager, a guide who left, three open tasks and a
    cancelled one. The expected figures in the tests below are counted by hand from here."""
    return [
        _change("store", "S001", {"id": "S001", "name": "静安嘉里店", "city": "上海"}),
        _change("store", "S002", {"id": "S002", "name": "徐汇店", "city": "上海"}),
        guide("G001", "王丽"),
        guide("G002", "李娜"),
        guide("M001", "陈店长", manager=True),
        guide("G009", "赵敏", active=False),
        guide("G100", "外店导购", store="S002"),
        customer_change("C1", "张三", "13812345678"),
        customer_change("C2", "曾小凡", "13900001234"),
        customer_change("C3", "欧阳娜娜", "18611112222", guide="G002"),
        customer_change("C4", "单丽", "15000003333", guide="G002"),
        customer_change("C5", "张伟", "13512341234", guide="G002"),
        customer_change("C6", "李梅", "13700005555", guide="G002"),
        task("T1", "十一月生日问候", due_on="2026-11-30", review_=True),
        task("T2", "流失挽回：老客回访", due_on="2026-11-21", review_=False),
        task("T3", "已取消的活动", due_on="2026-11-30", review_=True, status="cancelled"),
        task("T4", "新品上市分享", due_on="2026-11-22", review_=True),
        target(
            "T1",
            "C1",
            "G001",
            "done",
            "2026-11-21T03:00:00Z",
            evidence="发了生日祝福，她说周六来店",
            evidence_picture=picture,
        ),
        target("T1", "C2", "G001"),
        target("T1", "C3", "G002", "approved", "2026-11-20T02:00:00Z", reviewed_by="M001"),
        target("T1", "C4", "G002", "rejected", "2026-11-19T05:00:00Z", review_comment="截图看不清"),
        target("T2", "C1", "G001"),
        target("T2", "C5", "G002"),
        # 00:30 on the 22nd in Shanghai: the chart's 22nd, though UTC says the 21st.
        target("T2", "C6", "G002", "done", "2026-11-21T16:30:00Z"),
        target("T3", "C4", "G001", "done", "2026-11-20T01:00:00Z"),
        target("T4", "C2", "G001", "done", "2026-11-22T02:00:00Z", outcome="purchased"),
        target("T4", "C3", "G009"),
        target("T4", "C4", "G001", "done", "2026-11-01T02:00:00Z"),  # before the chart
    ]


def load_team(replica: TerminalReplica) -> None:
    replica.apply_page(team_records(), "1.1", more=False)
    replica.set_state(store_id="S001", store_name="静安嘉里店")


@pytest.fixture
def team(replica: TerminalReplica) -> TerminalReplica:
    load_team(replica)
    return replica


def declared_payload(op: str, **values: Any) -> dict[str, Any]:
    """What the declaration of ``task_target/op`` says the payload holds, from ``values``
    (a field the declaration does not name is left out; one it names must be given)."""
    fields = MUTATIONS[("task_target", op)].fields
    assert {"task_id", "customer_id"} <= set(fields) <= set(values), (fields, values)
    return {name: values[name] for name in fields}


def counts(f: review.Figures) -> tuple[int, ...]:
    return (f.targets, f.done, f.open, f.overdue, f.approved, f.rejected)


def row(conn: sqlite3.Connection, tid: str, cid: str) -> sqlite3.Row:
    return conn.execute(
        "SELECT * FROM task_targets WHERE task_id = ? AND customer_id = ?", (tid, cid)
    ).fetchone()


# -- figures ----------------------------------------------------------------------------------


def test_completion_by_guide_counts_open_tasks_by_the_guide_holding_each_target(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert snap.today == date(2026, 11, 22)
    by_guide = {f.key: (f.name, counts(f)) for f in snap.by_guide}
    # targets, done, open, overdue, approved, rejected
    assert by_guide == {
        "G001": ("王丽", (5, 3, 2, 1, 0, 0)),
        "G002": ("李娜", (4, 2, 2, 1, 1, 1)),
        "M001": ("陈店长", (0, 0, 0, 0, 0, 0)),  # active, holds nothing
        "G009": ("赵敏", (1, 0, 1, 0, 0, 0)),  # left, still holds a target
    }
    # Active guides first (the manager last), then those who left.
    assert [f.key for f in snap.by_guide] == ["G002", "G001", "M001", "G009"]


def test_completion_by_task_soonest_due_first_without_cancelled_tasks(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert [(f.key, f.name, f.due_on, counts(f)) for f in snap.by_task] == [
        ("T2", "流失挽回：老客回访", "2026-11-21", (3, 1, 2, 2, 0, 0)),
        ("T4", "新品上市分享", "2026-11-22", (3, 2, 1, 0, 0, 0)),
        ("T1", "十一月生日问候", "2026-11-30", (4, 2, 2, 0, 1, 1)),
    ]
    assert counts(snap.totals) == (10, 5, 5, 2, 1, 1)
    assert sum(counts(f)[0] for f in snap.by_guide) == snap.totals.targets


def test_overdue_turns_at_midnight_in_shanghai_not_in_utc(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    before = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    after = review.team_snapshot(conn, now=SHANGHAI_AFTER_MIDNIGHT, manager_id="M001")
    assert SHANGHAI_AFTER_MIDNIGHT.date() == date(2026, 11, 22)  # UTC is still the 22nd
    assert after.today == date(2026, 11, 23)
    t4_before = next(f for f in before.by_task if f.key == "T4")
    t4_after = next(f for f in after.by_task if f.key == "T4")
    assert (t4_before.overdue, t4_after.overdue) == (0, 1)  # due on the 22nd
    assert {f.key: f.overdue for f in after.by_guide}["G009"] == 1
    assert [t.overdue for t in after.open_targets if t.task_id == "T4"] == [True]


def test_completions_per_day_by_the_store_date_for_fourteen_days(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert len(snap.per_day) == review.CHART_DAYS == 14
    assert snap.per_day[0].day == date(2026, 11, 9)
    assert snap.per_day[-1].day == date(2026, 11, 22)
    per_day = {d.day.day: d.completions for d in snap.per_day if d.completions}
    # 20th: T1/C3 approved; 21st: T1/C1; 22nd: T4/C2 and T2/C6 (00:30 Shanghai time).
    # Not counted: the rejected T1/C4, the cancelled T3, T4/C4 done on 1 November.
    assert per_day == {20: 1, 21: 1, 22: 2}


def test_per_day_follows_another_store_zone(team: TerminalReplica, conn: sqlite3.Connection):
    conn.execute("UPDATE stores SET timezone = 'Europe/London' WHERE id = 'S001'")
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    per_day = {d.day.day: d.completions for d in snap.per_day if d.completions}
    assert per_day == {20: 1, 21: 2, 22: 1}  # T2/C6 at 16:30 London is still the 21st


def test_review_queue_holds_done_targets_of_tasks_asking_for_review_oldest_first(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert [(i.task_id, i.customer_id) for i in snap.queue] == [
        ("T4", "C4"),
        ("T1", "C1"),
        ("T4", "C2"),
    ]
    assert snap.queue_total == 3
    item = snap.queue[1]
    assert (item.task_title, item.customer_name, item.guide_id, item.guide_name) == (
        "十一月生日问候",
        "张三",
        "G001",
        "王丽",
    )
    assert item.outcome == "contacted" and item.evidence == "发了生日祝福，她说周六来店"
    assert item.evidence_picture == PIXEL and item.completed_at == "2026-11-21T03:00:00Z"
    assert snap.queue[2].outcome == "purchased"


def test_open_targets_overdue_first_and_active_guides(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    keys = [(t.task_id, t.customer_id, t.status, t.overdue) for t in snap.open_targets]
    assert keys[:2] == [("T2", "C1", "open", True), ("T2", "C5", "open", True)]
    assert set(keys[2:]) == {
        ("T4", "C3", "open", False),
        ("T1", "C2", "open", False),
        ("T1", "C4", "rejected", False),
    }
    assert snap.open_total == 5
    rejected = next(t for t in snap.open_targets if t.status == "rejected")
    assert rejected.review_comment == "截图看不清" and rejected.guide_name == "李娜"
    assert [g.id for g in snap.guides] == ["G002", "G001", "M001"]  # not G009, not S002's


def test_an_empty_store_has_fourteen_zero_days(conn: sqlite3.Connection) -> None:
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert [d.completions for d in snap.per_day] == [0] * 14
    assert snap.queue == () and snap.by_task == () and counts(snap.totals) == (0,) * 6


# -- review -----------------------------------------------------------------------------------


def test_approve_updates_the_row_and_appends_the_declared_mutation(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    changes = review.review_target(
        conn,
        task_id="T1",
        customer_id="C1",
        manager_id="M001",
        decision="approved",
        comment=" 很好 ",
        now=NOW,
    )
    assert changes == Changes(
        customers=frozenset({"C1"}), entities=frozenset({"task_target"}), outbox=True
    )
    assert changes.touches("task_target")
    r = row(conn, "T1", "C1")
    assert (r["status"], r["review_comment"], r["reviewed_by"], r["reviewed_at"]) == (
        "approved",
        "很好",
        "M001",
        NOW,
    )
    assert r["completed_at"] == "2026-11-21T03:00:00Z"  # the completion itself is kept
    [entry] = outbox.pending(conn)
    assert (entry.entity, entry.op, entry.entity_id, entry.guide_id, entry.created_at) == (
        "task_target",
        "review",
        "T1:C1",
        "M001",
        NOW,
    )
    declared = MUTATIONS[("task_target", "review")]
    assert declared.manager_only
    assert set(entry.payload) == set(declared.fields)
    assert check_payload("task_target", "review", entry.payload) == entry.payload
    assert entry.payload == declared_payload(
        "review",
        task_id="T1",
        customer_id="C1",
        status="approved",
        review_comment="很好",
        completed_at="2026-11-21T03:00:00Z",  # the completion the manager approved
    )
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert ("T1", "C1") not in [(i.task_id, i.customer_id) for i in snap.queue]
    assert {f.key: f.approved for f in snap.by_guide}["G001"] == 1


def test_reject_reopens_the_target_for_its_guide_with_the_comment(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    review.review_target(
        conn,
        task_id="T4",
        customer_id="C2",
        manager_id="M001",
        decision="rejected",
        comment="请补一张聊天截图",
        now=NOW,
    )
    r = row(conn, "T4", "C2")
    assert (r["status"], r["review_comment"], r["guide_id"]) == (
        "rejected",
        "请补一张聊天截图",
        "G001",
    )
    [entry] = outbox.pending(conn)
    assert entry.payload["status"] == "rejected"
    assert entry.payload["review_comment"] == "请补一张聊天截图"
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    reopened = [t for t in snap.open_targets if (t.task_id, t.customer_id) == ("T4", "C2")]
    assert [(t.status, t.review_comment) for t in reopened] == [("rejected", "请补一张聊天截图")]
    assert snap.queue_total == 2


@pytest.mark.parametrize("comment", ["", "   ", "\x1b\x07"])
def test_reject_without_a_comment_is_refused_and_writes_nothing(
    team: TerminalReplica, conn: sqlite3.Connection, comment: str
) -> None:
    with pytest.raises(InvalidEntry, match="驳回需要写明原因"):
        review.review_target(
            conn,
            task_id="T1",
            customer_id="C1",
            manager_id="M001",
            decision="rejected",
            comment=comment,
            now=NOW,
        )
    assert row(conn, "T1", "C1")["status"] == "done"
    assert outbox.counts(conn) == {"pending": 0, "edits": 0, "audit": 0, "rejected": 0}


def test_a_comment_longer_than_the_contract_is_refused(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    with pytest.raises(InvalidEntry, match="review_comment"):
        review.review_target(
            conn,
            task_id="T1",
            customer_id="C1",
            manager_id="M001",
            decision="rejected",
            comment="太短" * 501,
            now=NOW,
        )
    assert outbox.pending(conn) == [] and row(conn, "T1", "C1")["status"] == "done"


@pytest.mark.parametrize(
    ("task_id", "customer_id", "manager_id", "reason"),
    [
        ("T1", "C1", "G001", "只有本店在职店长"),  # a guide, not a manager
        ("T1", "C1", "NOBODY", "只有本店在职店长"),
        ("T1", "C2", "M001", "不在待审核状态"),  # still open
        ("T1", "C3", "M001", "不在待审核状态"),  # approved already
        ("T2", "C6", "M001", "不需要店长审核"),
        ("T3", "C4", "M001", "已取消"),
        ("T9", "C1", "M001", "没有这条任务目标"),
    ],
)
def test_review_refused_cases_write_nothing(
    team: TerminalReplica,
    conn: sqlite3.Connection,
    task_id: str,
    customer_id: str,
    manager_id: str,
    reason: str,
) -> None:
    before = conn.execute("SELECT * FROM task_targets ORDER BY task_id, customer_id").fetchall()
    with pytest.raises(review.ReviewRefused, match=reason):
        review.review_target(
            conn,
            task_id=task_id,
            customer_id=customer_id,
            manager_id=manager_id,
            decision="approved",
            comment="",
            now=NOW,
        )
    after = conn.execute("SELECT * FROM task_targets ORDER BY task_id, customer_id").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert outbox.pending(conn) == []


def test_a_completion_that_changed_since_the_manager_saw_it_is_not_reviewed(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """A sync brought the guide's new completion while the manager looked at the old one."""
    seen = review.review_queue(conn)[1]
    assert (seen.task_id, seen.customer_id) == ("T1", "C1")
    team.apply_page(
        [{**target("T1", "C1", "G001", "done", "2026-11-22T09:00:00Z"), "version": 2}],
        "1.2",
        more=False,
    )
    with pytest.raises(review.ReviewRefused, match="重新查看"):
        review.review_target(
            conn,
            task_id="T1",
            customer_id="C1",
            manager_id="M001",
            decision="approved",
            comment="",
            now=NOW,
            completed_at=seen.completed_at,
        )
    assert outbox.pending(conn) == [] and row(conn, "T1", "C1")["status"] == "done"
    review.review_target(
        conn,
        task_id="T1",
        customer_id="C1",
        manager_id="M001",
        decision="approved",
        comment="",
        now=NOW,
        completed_at="2026-11-22T09:00:00Z",
    )
    [entry] = outbox.pending(conn)
    if "completed_at" in MUTATIONS[("task_target", "review")].fields:
        assert entry.payload["completed_at"] == "2026-11-22T09:00:00Z"


def test_an_unknown_decision_is_a_programming_error(team, conn: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="approved"):
        review.review_target(
            conn,
            task_id="T1",
            customer_id="C1",
            manager_id="M001",
            decision="done",
            comment="",
            now=NOW,
        )


def test_review_is_one_transaction(
    team: TerminalReplica, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_append(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(outbox, "append", broken_append)
    with pytest.raises(sqlite3.OperationalError):
        review.review_target(
            conn,
            task_id="T1",
            customer_id="C1",
            manager_id="M001",
            decision="approved",
            comment="",
            now=NOW,
        )
    assert row(conn, "T1", "C1")["status"] == "done"
    assert row(conn, "T1", "C1")["reviewed_by"] is None
    assert not conn.in_transaction


# -- reassign ---------------------------------------------------------------------------------


def test_reassign_gives_an_open_target_to_another_guide(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    changes = review.reassign_target(
        conn, task_id="T1", customer_id="C2", manager_id="M001", to_guide_id="G002", now=NOW
    )
    assert changes == Changes(
        customers=frozenset({"C2"}), entities=frozenset({"task_target"}), outbox=True
    )
    assert row(conn, "T1", "C2")["guide_id"] == "G002"
    [entry] = outbox.pending(conn)
    assert (entry.entity, entry.op, entry.entity_id, entry.guide_id) == (
        "task_target",
        "reassign",
        "T1:C2",
        "M001",
    )
    declared = MUTATIONS[("task_target", "reassign")]
    assert declared.manager_only and set(entry.payload) == set(declared.fields)
    assert entry.payload == declared_payload(
        "reassign", task_id="T1", customer_id="C2", guide_id="G002"
    )
    assert check_payload("task_target", "reassign", entry.payload) == entry.payload
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert {f.key: f.targets for f in snap.by_guide}["G002"] == 5


def test_a_rejected_target_can_be_reassigned(team, conn: sqlite3.Connection) -> None:
    review.reassign_target(
        conn, task_id="T1", customer_id="C4", manager_id="M001", to_guide_id="G001", now=NOW
    )
    assert row(conn, "T1", "C4")["guide_id"] == "G001"


@pytest.mark.parametrize(
    ("task_id", "customer_id", "manager_id", "to_guide", "reason"),
    [
        ("T1", "C1", "M001", "G002", "只能转派未完成的任务"),  # done
        ("T1", "C3", "M001", "G001", "只能转派未完成的任务"),  # approved
        ("T1", "C2", "M001", "G009", "本店在职导购"),  # left the brand
        ("T1", "C2", "M001", "G100", "本店在职导购"),  # another store's guide
        ("T1", "C2", "M001", "G404", "本店在职导购"),
        ("T1", "C2", "M001", "G001", "已经是该导购的"),
        ("T1", "C2", "G002", "G002", "只有本店在职店长"),
        ("T3", "C4", "M001", "G002", "已取消"),
    ],
)
def test_reassign_refused_cases_write_nothing(
    team: TerminalReplica,
    conn: sqlite3.Connection,
    task_id: str,
    customer_id: str,
    manager_id: str,
    to_guide: str,
    reason: str,
) -> None:
    before = row(conn, task_id, customer_id)["guide_id"]
    with pytest.raises(review.ReviewRefused, match=reason):
        review.reassign_target(
            conn,
            task_id=task_id,
            customer_id=customer_id,
            manager_id=manager_id,
            to_guide_id=to_guide,
            now=NOW,
        )
    assert row(conn, task_id, customer_id)["guide_id"] == before
    assert outbox.pending(conn) == []


def test_a_reassignment_breaking_the_contract_is_refused(team, conn: sqlite3.Connection):
    with pytest.raises(InvalidEntry, match="guide_id"):
        review.reassign_target(
            conn, task_id="T1", customer_id="C2", manager_id="M001", to_guide_id="G\x00", now=NOW
        )
    assert outbox.pending(conn) == []


# -- what HQ refused --------------------------------------------------------------------------


def test_a_review_hq_refused_stays_with_hqs_reason(
    team: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """Offline, the manager approves a completion the guide meanwhile changed on another
    terminal; HQ refuses it with a reason, which the terminal keeps and shows."""
    review.review_target(
        conn,
        task_id="T1",
        customer_id="C1",
        manager_id="M001",
        decision="approved",
        comment="",
        now=NOW,
    )
    [pushed] = team.pending_mutations(10)
    reason = "导购在审核之后重新提交了完成记录 / the completion changed after this review"
    team.acknowledge([{"id": pushed["id"], "status": "rejected", "reason": reason}])
    assert outbox.counts(conn) == {"pending": 0, "edits": 0, "audit": 0, "rejected": 1}
    snap = review.team_snapshot(conn, now=SHANGHAI_EVENING, manager_id="M001")
    assert snap.refused == (review.RefusedDecision("review", "T1", "C1", NOW, reason),)
    # Only the manager's own task decisions: another guide's refusals are not listed.
    assert review.refused_decisions(conn, "G001") == []
