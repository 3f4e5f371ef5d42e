"""Tasks in the local store: the guide's Today, a task's customers, completing one."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.personal_tasks import PersonalKind
from app.store import outbox, tasks
from app.store.customers import customer_profile
from app.store.errors import InvalidEntry
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from sync.records import MUTATIONS, check_payload
from tests.store.helpers import customer_change

NOW = "2026-11-22T10:30:00Z"
TODAY = date(2026, 11, 22)


def rec(entity: str, key: str, data: dict) -> dict:
    return {"entity": entity, "op": "upsert", "id": key, "version": 1, "data": data}


def task(tid: str, **extra) -> dict:
    data = {
        "id": tid,
        "campaign_id": "CAMP-12",
        "store_id": "S001",
        "guide_id": None,
        "kind": "birthday",
        "title": f"任务 {tid}",
        "description": "生日前一周发祝福",
        "content_ids": ["K1", "K-missing"],
        "target_rule": {},
        "starts_on": "2026-11-01",
        "due_on": "2026-11-30",
        "status": "open",
        "evidence": "none",
        "review": False,
    }
    data.update(extra)
    return rec("task", tid, data)


def target(tid: str, cid: str, guide: str = "G001", status: str = "open", **extra) -> dict:
    data = {"task_id": tid, "customer_id": cid, "guide_id": guide, "status": status}
    data.update(extra)
    return rec("task_target", f"{tid}:{cid}", data)


@pytest.fixture
def store(replica: TerminalReplica) -> TerminalReplica:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678"),
            customer_change("C2", "曾小凡", "13900001111"),
            customer_change("C3", "李四", "13700002222"),
            customer_change("C9", "别人的", "13600003333", guide="G002"),
            rec(
                "content",
                "K1",
                {"id": "K1", "kind": "copy", "title": "冬季新品软文", "body": "…"},
            ),
            task("T1"),
            task("T2", due_on="2026-11-20", campaign_id=None, evidence="note"),
            task("T3", starts_on="2026-12-01"),  # not started
            task("T4", status="cancelled"),
            task("T5", store_id="S002"),
            task("T6", evidence="picture"),
            target("T1", "C1"),
            target("T1", "C2", status="done"),
            target("T1", "C3", status="rejected", review_comment="请写清楚聊了什么"),
            target("T1", "C9", guide="G002"),
            target("T2", "C1"),
            target("T2", "C2", status="approved"),
            target("T3", "C1"),
            target("T4", "C1"),
            target("T6", "C2"),
        ],
        "1",
        more=False,
    )
    return replica


def test_guide_tasks_are_open_started_of_the_store_with_counts(
    store: TerminalReplica, conn: sqlite3.Connection
) -> None:
    found = tasks.guide_tasks(conn, guide_id="G001", store_id="S001", today=TODAY)
    assert [t.id for t in found] == ["T1", "T6", "T2"]  # campaign first, then the rest
    t1, t6, t2 = found
    assert (t1.total, t1.done, t1.open, t1.rejected, t1.overdue) == (3, 1, 2, 1, 0)
    assert t1.content_ids == ("K1", "K-missing") and t1.campaign_id == "CAMP-12"
    assert (t2.total, t2.done, t2.open, t2.overdue) == (2, 1, 1, 1)
    assert t2.is_overdue(TODAY) and not t1.is_overdue(TODAY)
    assert t6.evidence == "picture"
    other = tasks.guide_tasks(conn, guide_id="G002", store_id="S001", today=TODAY)
    assert [(t.id, t.total) for t in other] == [("T1", 1)]


def test_task_targets_with_names_masked_phones_and_comment(
    store: TerminalReplica, conn: sqlite3.Connection
) -> None:
    rows = tasks.task_targets(conn, task_id="T1", guide_id="G001")
    assert [(r.customer_id, r.status) for r in rows] == [
        ("C3", "rejected"),
        ("C1", "open"),
        ("C2", "done"),
    ]
    assert rows[0].review_comment == "请写清楚聊了什么"
    assert rows[1].phone == "138****5678" and rows[1].name == "张三"


def test_task_content_says_what_has_not_arrived(
    store: TerminalReplica, conn: sqlite3.Connection
) -> None:
    items = tasks.task_content(conn, ("K1", "K-missing"))
    assert [(i.id, i.title, i.found) for i in items] == [
        ("K1", "冬季新品软文", True),
        ("K-missing", "", False),
    ]


def test_customer_open_tasks(store: TerminalReplica, conn: sqlite3.Connection) -> None:
    assert [t.task_id for t in tasks.customer_open_tasks(conn, "C1", today=TODAY)] == ["T2", "T1"]
    assert tasks.customer_open_tasks(conn, "C2", today=TODAY)[0].task_id == "T6"
    assert tasks.customer_open_tasks(conn, "C3", today=TODAY)[0].status == "rejected"


def test_complete_target_is_one_transaction_with_followup_and_mutation(
    store: TerminalReplica, conn: sqlite3.Connection
) -> None:
    changes = tasks.complete_target(
        conn,
        task_id="T1",
        customer_id="C3",  # rejected: reopened, may be completed again
        guide_id="G001",
        outcome="booked",
        note="约了周六来店试穿",
        evidence_note="",
        evidence_picture=None,
        now=NOW,
        channel="call",
    )
    assert changes.customers == {"C3"} and changes.outbox
    assert changes.entities == {"task_target"} and len(changes.followups) == 1
    row = conn.execute(
        "SELECT * FROM task_targets WHERE task_id = 'T1' AND customer_id = 'C3'"
    ).fetchone()
    assert (row["status"], row["completed_at"], row["completed_by"], row["outcome"]) == (
        "done",
        NOW,
        "G001",
        "booked",
    )
    assert row["review_comment"] == ""
    profile = customer_profile(conn, "C3")
    assert profile is not None
    [followup] = profile.followups
    assert (followup.note, followup.channel, followup.id) == (
        "约了周六来店试穿",
        "call",
        next(iter(changes.followups)),
    )
    assert profile.last_contact_at == NOW
    entries = outbox.pending(conn)
    assert [(e.entity, e.op) for e in entries] == [
        ("followup", "create"),
        ("task_target", "complete"),
    ]
    followup_entry, complete = entries
    assert followup_entry.payload["task_id"] == "T1"
    assert complete.entity_id == "T1:C3" and complete.guide_id == "G001"
    # exactly the declared payload, and it passes the contract HQ applies
    assert set(complete.payload) == set(MUTATIONS[("task_target", "complete")].fields)
    assert check_payload("task_target", "complete", complete.payload) == complete.payload
    assert complete.payload["outcome"] == "booked" and complete.payload["completed_at"] == NOW


def test_a_failure_in_the_write_leaves_nothing(
    store: TerminalReplica, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = outbox.append

    def append(conn, **kw):  # the follow-up goes in, the completion's mutation fails
        if kw["entity"] == "task_target":
            raise sqlite3.OperationalError("disk I/O error")
        return real(conn, **kw)

    monkeypatch.setattr(outbox, "append", append)
    with pytest.raises(sqlite3.OperationalError):
        tasks.complete_target(
            conn,
            task_id="T1",
            customer_id="C1",
            guide_id="G001",
            outcome="contacted",
            note="x",
            evidence_note="",
            evidence_picture=None,
            now=NOW,
        )
    assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    status = conn.execute(
        "SELECT status FROM task_targets WHERE task_id = 'T1' AND customer_id = 'C1'"
    ).fetchone()[0]
    assert status == "open" and not conn.in_transaction


@pytest.mark.parametrize(
    ("task_id", "customer_id", "evidence_note", "picture", "error"),
    [
        ("T1", "C2", "", None, tasks.TargetNotOpen),  # done already
        ("T2", "C2", "", None, tasks.TargetNotOpen),  # approved
        ("T1", "C404", "", None, tasks.TargetNotOpen),
        ("T2", "C1", "", None, InvalidEntry),  # asks for a note
        ("T6", "C2", "note", None, InvalidEntry),  # asks for a picture
        ("T1", "C1", "", "x" * 400_001, InvalidEntry),  # picture too big for the contract
    ],
)
def test_refused_completions_write_nothing(
    store: TerminalReplica,
    conn: sqlite3.Connection,
    task_id,
    customer_id,
    evidence_note,
    picture,
    error,
) -> None:
    with pytest.raises(error):
        tasks.complete_target(
            conn,
            task_id=task_id,
            customer_id=customer_id,
            guide_id="G001",
            outcome="contacted",
            note="x",
            evidence_note=evidence_note,
            evidence_picture=picture,
            now=NOW,
        )
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 0


def test_evidence_is_kept_on_the_target_and_sent(
    store: TerminalReplica, conn: sqlite3.Connection
) -> None:
    tasks.complete_target(
        conn,
        task_id="T6",
        customer_id="C2",
        guide_id="G001",
        outcome="contacted",
        note="发了图",
        evidence_note="聊天截图",
        evidence_picture="/9j/AAAA",
        now=NOW,
    )
    row = conn.execute(
        "SELECT evidence, evidence_picture FROM task_targets WHERE task_id = 'T6'"
    ).fetchone()
    assert tuple(row) == ("聊天截图", "/9j/AAAA")
    assert outbox.pending(conn)[-1].payload["evidence_picture"] == "/9j/AAAA"


def test_personal_tasks_from_the_book(replica: TerminalReplica, conn: sqlite3.Connection) -> None:
    replica.apply_page(
        [
            customer_change("B1", "生日近", "13800000001", birthday="1991-11-25"),
            customer_change("B2", "生日远", "13800000002", birthday="1991-12-25"),
            customer_change("B3", "别人生日", "13800000003", birthday="1991-11-25", guide="G002"),
            customer_change("N1", "新客", "13800000004", birthday=None),
            rec(
                "purchase",
                "P1",
                {
                    "id": "P1",
                    "customer_id": "N1",
                    "store_id": "S001",
                    "guide_id": "G001",
                    "paid_at": "2026-11-15T03:00:00Z",  # day 7 on 11-22
                    "amount_cents": 10000,
                    "items": [],
                },
            ),
            customer_change("F1", "待跟进", "13800000005", birthday=None),
            rec(
                "followup",
                "FU1",
                {
                    "id": "FU1",
                    "customer_id": "F1",
                    "guide_id": "G001",
                    "channel": "call",
                    "note": "下周再联系",
                    "next_followup_on": "2026-11-21",
                    "created_at": "2026-11-14T03:00:00Z",
                    "task_id": None,
                },
            ),
        ],
        "1",
        more=False,
    )
    found = tasks.guide_personal_tasks(conn, guide_id="G001", today=TODAY)
    assert [(t.kind, t.customer_id, t.day) for t in found] == [
        (PersonalKind.FOLLOW_UP, "F1", None),
        (PersonalKind.BIRTHDAY, "B1", None),
        (PersonalKind.NEW_CUSTOMER, "N1", 7),
    ]
    # recording the outcome logs the follow-up; the rule then drops the task
    changes = tasks.complete_personal(
        conn, customer_id="F1", guide_id="G001", note="电话回访了", now=NOW
    )
    assert changes.customers == {"F1"} and changes.outbox
    assert [
        t.customer_id for t in tasks.guide_personal_tasks(conn, guide_id="G001", today=TODAY)
    ] == [
        "B1",
        "N1",
    ]
    assert [(e.entity, e.op) for e in outbox.pending(conn)] == [("followup", "create")]
