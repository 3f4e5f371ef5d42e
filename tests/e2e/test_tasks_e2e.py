"""A campaign's whole loop through a real HQ process over HTTP, the terminals offline in
between: HQ publishes → the guide's terminal syncs → the guide completes a target with
the network down → syncs → HQ's report shows it done → the manager, on another terminal,
approves → HQ's report shows it approved → the guide's terminal shows it approved. And a
guide's credential trying to approve is refused by HQ."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.store import review, tasks
from sync import client

from .conftest import HQ


def _report(hq: HQ, task_id: str) -> dict[str, dict]:
    rows = json.loads(hq.run("report", "tasks", "--task", task_id, "--format", "json"))
    return {row["guide_id"]: row for row in rows}


def _publish(hq: HQ, tmp_path: Path) -> str:
    today = datetime.now(UTC).date()
    spec = {
        "id": "T-E2E-NEW",
        "title": "新品到店问候",
        "kind": "custom",
        "instructions": "告诉喜欢新品的顾客：冬季新品到店了",
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "due_on": (today + timedelta(days=10)).isoformat(),
        "targets": {"stores": ["S001"], "tag_groups": [["新品控"]]},
        "content": [],
        "evidence": "note",
        "review": True,
    }
    path = tmp_path / "task.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    hq.run("publish-task", str(path))
    return "T-E2E-NEW@S001"


def test_campaign_published_worked_offline_reported_and_approved(
    hq: HQ, make_terminal, tmp_path: Path
) -> None:
    task_id = _publish(hq, tmp_path)
    guide, manager = make_terminal("counter"), make_terminal("back-office")
    guide.enroll(hq, "S001")
    manager.enroll(hq, "S001")
    assert guide.sync().ok and manager.sync().ok
    mine = tasks.guide_tasks(guide.conn, guide_id="G002", store_id="S001", today=_today())
    [mine] = [t for t in mine if t.id == task_id]
    assert mine.total == 30

    # The network drops; the guide works the task at the counter all the same.
    hq.stop()
    tasks.complete_target(
        guide.conn,
        task_id=task_id,
        customer_id="C0001",
        guide_id="G002",
        outcome="contacted",
        note="发了新品图，周末来试穿",
        evidence_note="微信聊天里已发",
        evidence_picture=None,
        now=client.iso(guide.clock()),
    )
    offline = guide.sync()
    assert not offline.ok and offline.offline and guide.status().pending == 2
    hq.restart()
    report = guide.sync()
    assert report.ok and report.pushed == 2 and report.rejected == 0, report
    row = _report(hq, task_id)["G002"]
    assert (row["targets"], row["done"], row["approved"]) == (30, 1, 0)

    # The manager's terminal: the completion is in the review queue; approve it.
    assert manager.sync().ok
    [item] = review.review_queue(manager.conn)
    assert (item.customer_id, item.outcome) == ("C0001", "contacted")
    review.review_target(
        manager.conn,
        task_id=task_id,
        customer_id="C0001",
        manager_id="G001",
        decision="approved",
        comment="好",
        now=client.iso(manager.clock()),
        completed_at=item.completed_at,
    )
    approved = manager.sync()
    assert approved.ok and approved.rejected == 0, approved
    assert _report(hq, task_id)["G002"]["approved"] == 1

    # The guide sees it approved after the next sync; the follow-up is on HQ too.
    assert guide.sync().ok
    status = guide.conn.execute(
        "SELECT status, reviewed_by FROM task_targets WHERE task_id = ? AND customer_id = 'C0001'",
        (task_id,),
    ).fetchone()
    assert tuple(status) == ("approved", "G001")
    assert hq.status("S001")["counts"]["followups"] == 1


def test_a_guides_credential_cannot_approve(hq: HQ, make_terminal, tmp_path: Path) -> None:
    task_id = _publish(hq, tmp_path)
    guide = make_terminal("counter")
    guide.enroll(hq, "S001")
    assert guide.sync().ok
    tasks.complete_target(
        guide.conn,
        task_id=task_id,
        customer_id="C0002",
        guide_id="G002",
        outcome="purchased",
        note="买了大衣",
        evidence_note="小票",
        evidence_picture=None,
        now=client.iso(guide.clock()),
    )
    assert guide.sync().ok
    # A terminal that lets a guide (not the manager) approve: HQ refuses it with a reason.
    guide.conn.execute(
        "INSERT INTO outbox (mutation_id, entity, entity_id, op, payload, created_at, guide_id)"
        " VALUES (?, 'task_target', ?, 'review', ?, ?, 'G002')",
        (
            "forged-approval-0001",
            f"{task_id}:C0002",
            json.dumps({"task_id": task_id, "customer_id": "C0002", "status": "approved"}),
            client.iso(guide.clock()),
        ),
    )
    report = guide.sync()
    assert report.rejected == 1
    [reason] = guide.conn.execute(
        "SELECT reject_reason FROM outbox WHERE mutation_id = 'forged-approval-0001'"
    ).fetchone()
    assert "only the store manager" in reason
    assert _report(hq, task_id)["G002"]["approved"] == 0


def _today():
    from app.domain.clock import store_today

    return store_today(datetime.now(UTC))
