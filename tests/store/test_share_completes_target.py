"""A share of content completes the customer's open content_share target on the terminal,
in the share's own transaction, and queues task_target/complete for HQ (the one source of
truth for the completion: HQ does not derive it from the share)."""

from __future__ import annotations

import pytest

from app.store import outbox
from app.store.content import list_content, record_share
from app.store.replica import TerminalReplica
from tests.store.helpers import customer_change
from tests.store.test_content import piece
from tests.store.test_tasks import target, task

NOW = "2026-11-22T10:30:00Z"


@pytest.fixture
def store(replica: TerminalReplica) -> TerminalReplica:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678"),
            customer_change("C2", "欧阳明", "13900001111", gender="M"),
            piece("K1"),
            task("T1", kind="content_share"),
            target("T1", "C1"),
            task("T2", kind="content_share", evidence="note"),
            target("T2", "C2"),
        ],
        "1",
        more=False,
    )
    return replica


def _target(conn, tid: str, cid: str):
    return conn.execute(
        "SELECT status, completed_at, completed_by, outcome FROM task_targets"
        " WHERE task_id = ? AND customer_id = ?",
        (tid, cid),
    ).fetchone()


def test_share_marks_the_open_target_done_with_its_mutation(conn, store) -> None:
    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    changes = record_share(conn, customer_id="C1", piece=k1, guide_id="G001", now=NOW)
    assert "task_target" in changes.entities
    assert tuple(_target(conn, "T1", "C1")) == ("done", NOW, "G001", "contacted")
    entries = [(e.entity, e.op) for e in outbox.pending(conn)]
    assert entries == [("share", "create"), ("task_target", "complete")]
    # a second share to the same customer: no open target left, nothing counted twice
    record_share(conn, customer_id="C1", piece=k1, guide_id="G001", now=NOW)
    completes = [e for e in outbox.pending(conn) if e.entity == "task_target"]
    assert len(completes) == 1


def test_share_rolls_back_with_the_target(conn, store, monkeypatch) -> None:
    import app.store.content as content

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(content, "mark_target_done", boom)
    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    with pytest.raises(RuntimeError):
        record_share(conn, customer_id="C1", piece=k1, guide_id="G001", now=NOW)
    assert conn.execute("SELECT count(*) FROM shares").fetchone()[0] == 0
    assert outbox.pending(conn) == []
    assert _target(conn, "T1", "C1")["status"] == "open"


def test_task_asking_for_evidence_stays_open(conn, store) -> None:
    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    record_share(conn, customer_id="C2", piece=k1, guide_id="G001", now=NOW)
    assert _target(conn, "T2", "C2")["status"] == "open"
    assert [e.entity for e in outbox.pending(conn)] == ["share"]


def test_outreach_counts_every_guides_shares_in_the_window(conn, store) -> None:
    from datetime import UTC, datetime

    from app.store.content import guide_customers, outreach_counts

    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    record_share(conn, customer_id="C1", piece=k1, guide_id="G001", now="2026-11-20T10:00:00Z")
    record_share(conn, customer_id="C1", piece=k1, guide_id="G002", now="2026-11-21T10:00:00Z")
    record_share(conn, customer_id="C1", piece=k1, guide_id="G002", now="2026-09-01T10:00:00Z")
    since = datetime(2026, 10, 23, tzinfo=UTC)
    assert outreach_counts(conn, ["C1", "C2"], since=since) == {"C1": 2}
    now = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    found = {c.id: c for c in guide_customers(conn, "G001", now=now)}
    assert found["C1"].contacts == 2 and found["C1"].eligibility == "ok"  # no cap set
    assert found["C2"].contacts == 0
