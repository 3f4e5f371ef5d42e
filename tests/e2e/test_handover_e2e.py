"""Handover through a real HQ process over HTTP, real terminal files.

- A move while the old terminal has offline edits pending: they reach HQ, stay the
  former owner's, and the new owner sees them; the old terminal drops the customers only
  after pushing (and, when a pull comes first, keeps the outbox and pushes it after).
- A move back (A → B → A): the first store gets the whole history back, both guides'.
- A departure of a guide signed in at that moment: their edits made before are accepted,
  their sign-in leaves the terminal at the next sync, edits after leaving are refused
  with a reason (never a 5xx) and do not hold back anyone else's.
"""

from __future__ import annotations

import json
from datetime import timedelta

from app.store import customers, guides, outbox
from app.store.handovers import latest_handover

from .conftest import HQ, Terminal


def _customer(t: Terminal, customer_id: str) -> dict | None:
    row = t.conn.execute(
        "SELECT guide_id, preferences FROM customers WHERE id = ?", (customer_id,)
    ).fetchone()
    return None if row is None else {"guide_id": row[0], "preferences": row[1]}


def _followups(t: Terminal, customer_id: str) -> dict[str, str]:
    """note -> author of every follow-up the terminal holds for the customer."""
    return dict(
        t.conn.execute(
            "SELECT note, guide_id FROM followups WHERE customer_id = ?", (customer_id,)
        ).fetchall()
    )


def _edit(t: Terminal, customer_id: str, guide_id: str, preferences: str) -> None:
    customers.update_customer(
        t.conn,
        customer_id=customer_id,
        guide_id=guide_id,
        fields={"preferences": preferences},
        now=t.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _audit(hq: HQ, *args: str) -> list[dict]:
    return json.loads(hq.run("audit", "--json", *args))


def test_a_move_while_the_old_terminal_has_offline_edits(hq: HQ, make_terminal) -> None:
    old, new = make_terminal("old-counter"), make_terminal("new-store")
    old.enroll(hq, "S001")
    new.enroll(hq, "S002")
    assert old.sync().ok and new.sync().ok

    # The network drops at the old counter; 李娜 (G002) keeps working.
    hq.stop()
    old.follow_up("C0001", "G002", "离线记的：想要一件驼色大衣，周末来试")
    _edit(old, "C0001", "G002", "喜欢驼色和羊绒")
    old.follow_up("C0002", "G002", "离线记的：尺码换成 M")
    assert not old.sync().ok and old.status().pending == 3
    hq.restart()

    # Meanwhile HQ moves two of her customers to 陈静 (G003) of the other store.
    out = hq.run(
        "move-customers", "--from", "G002", "--to", "G003",
        "--customer", "C0001", "--customer", "C0002",
    )  # fmt: skip
    assert "2 customer(s) moved from G002" in out and "-> G003: 2 customer(s)" in out

    # The old terminal: what she typed goes first and is taken; then the customers leave.
    report = old.sync()
    assert report.ok and report.pushed == 3 and report.rejected == 0, report
    assert old.status().pending == 0 and old.count("outbox") == 0
    assert _customer(old, "C0001") is None and _customer(old, "C0002") is None
    assert _followups(old, "C0001") == {}  # nothing of theirs is left behind
    assert _customer(old, "C0003") == {"guide_id": "G002", "preferences": ""}

    # The new owner: every word, still 李娜's, and how they came to be 陈静's.
    assert new.sync().ok
    assert _customer(new, "C0001") == {"guide_id": "G003", "preferences": "喜欢驼色和羊绒"}
    assert _followups(new, "C0001") == {"离线记的：想要一件驼色大衣，周末来试": "G002"}
    assert _followups(new, "C0002") == {"离线记的：尺码换成 M": "G002"}
    assert new.count("purchases") == 10 + 2  # S002's own ten, and the two orders that came
    handover = latest_handover(new.conn, "C0001")
    assert handover is not None
    assert (handover.from_guide_name, handover.to_guide_id, handover.reason) == (
        "李娜",
        "G003",
        "transfer",
    )
    assert handover.brief["last_contact"]["text"].startswith("离线记的：想要一件驼色大衣")
    [task] = new.conn.execute(
        "SELECT id, description FROM tasks WHERE kind = 'handover_intro' AND guide_id = 'G003'"
    ).fetchall()
    assert "建议话术" in task[1] and "杭州湖滨店的陈静" in task[1]
    assert {r[0] for r in new.conn.execute(
        "SELECT customer_id FROM task_targets WHERE task_id = ?", (task[0],)
    )} == {"C0001", "C0002"}  # fmt: skip
    trail = _audit(hq, "--customer", "C0001")
    assert [(e["action"], e["from_guide"], e["to_guide"]) for e in trail] == [
        ("move", "G002", "G003")
    ]


def test_a_pull_before_the_push_keeps_the_outbox_and_pushes_it(hq: HQ, make_terminal) -> None:
    """The engine pulls even when a push failed; a tombstone that arrives while the old
    owner's edits are still in the outbox removes the customer, never the edits."""
    old, new = make_terminal("old-counter"), make_terminal("new-store")
    old.enroll(hq, "S001")
    new.enroll(hq, "S002")
    assert old.sync().ok and new.sync().ok
    old.follow_up("C0004", "G002", "还没推送的跟进")
    _edit(old, "C0004", "G002", "只在周末联系")
    hq.run("move-customers", "--from", "G002", "--to", "G003", "--customer", "C0004")

    engine = old.engine()
    try:
        engine.pull()  # HQ's tombstones first, as after a failed push
    finally:
        engine.close()
    assert _customer(old, "C0004") is None
    assert [e.entity for e in outbox.pending(old.conn, 10)] == ["followup", "customer"]

    report = old.sync()
    assert report.ok and report.pushed == 2 and report.rejected == 0, report
    assert old.count("outbox") == 0 and _followups(old, "C0004") == {}
    assert new.sync().ok
    assert _customer(new, "C0004") == {"guide_id": "G003", "preferences": "只在周末联系"}
    assert _followups(new, "C0004") == {"还没推送的跟进": "G002"}


def test_a_move_back_returns_the_whole_history(hq: HQ, make_terminal) -> None:
    a, b = make_terminal("store-a"), make_terminal("store-b")
    a.enroll(hq, "S001")
    b.enroll(hq, "S002")
    assert a.sync().ok and b.sync().ok
    a.follow_up("C0005", "G002", "李娜写的")
    assert a.sync().ok

    hq.run("move-customers", "--from", "G002", "--to", "G003", "--customer", "C0005")
    assert a.sync().ok and b.sync().ok
    assert _customer(a, "C0005") is None
    b.follow_up("C0005", "G003", "陈静写的")
    assert b.sync().ok

    hq.run("move-customers", "--from", "G003", "--to", "G002", "--customer", "C0005")
    assert a.sync().ok and b.sync().ok
    assert _customer(a, "C0005") == {"guide_id": "G002", "preferences": ""}
    assert _followups(a, "C0005") == {"李娜写的": "G002", "陈静写的": "G003"}
    assert a.conn.execute(
        "SELECT count(*) FROM purchases WHERE customer_id = 'C0005'"
    ).fetchone()[0] == 1  # fmt: skip
    trail = a.conn.execute(
        "SELECT from_guide_id, to_guide_id FROM handovers WHERE customer_id = 'C0005'"
        " ORDER BY moved_at, rowid"
    ).fetchall()
    assert sorted(tuple(r) for r in trail) == [("G002", "G003"), ("G003", "G002")]
    back = latest_handover(a.conn, "C0005")
    assert back is not None and back.from_guide_name == "陈静"
    assert _customer(b, "C0005") is None and _followups(b, "C0005") == {}
    assert (
        b.conn.execute("SELECT count(*) FROM handovers WHERE customer_id = 'C0005'").fetchone()[0]
        == 0
    )
    assert [(e["from_guide"], e["to_guide"]) for e in _audit(hq, "--customer", "C0005")] == [
        ("G002", "G003"),
        ("G003", "G002"),
    ]


def test_departure_of_a_guide_signed_in_at_that_moment(hq: HQ, make_terminal) -> None:
    t = make_terminal("counter")
    t.enroll(hq, "S001")
    assert t.sync().ok
    assert "G002" in {g.id for g in guides.list_guides(t.conn)}

    # 李娜 is signed in and working (not yet synced) when HQ records her departure.
    t.follow_up("C0006", "G002", "离职前最后一次联系")
    _edit(t, "C0006", "G002", "交接前记下：只穿 S 码")
    out = hq.run("depart", "G002", "--to", "G001")
    assert out.startswith("guide G002 deactivated") and "-> G001: 30 customer(s)" in out

    # The session is still open on the counter an hour later: what she types now is late.
    t.now += timedelta(hours=1)
    t.follow_up("C0007", "G002", "离职之后才写的")
    t.follow_up("C0008", "G001", "王芳自己的跟进")  # another guide's work in the same push
    report = t.sync()
    assert report.ok and report.push_error is None, report  # refused, never a 5xx
    assert (report.pushed, report.rejected) == (3, 1), report  # taken, refused
    [refused] = t.conn.execute(
        "SELECT entity_id, reject_reason FROM outbox WHERE status = 'rejected'"
    ).fetchall()
    assert "已离职" in refused[1] and "has left" in refused[1]
    # Before leaving: accepted, hers; the customer is 王芳's now, on the same terminal.
    assert _followups(t, "C0006") == {"离职前最后一次联系": "G002"}
    assert _customer(t, "C0006") == {"guide_id": "G001", "preferences": "交接前记下：只穿 S 码"}
    assert _followups(t, "C0008")["王芳自己的跟进"] == "G001"
    # The sign-in list no longer offers her; the heir sees where the customers came from.
    assert "G002" not in {g.id for g in guides.list_guides(t.conn)}
    handover = latest_handover(t.conn, "C0006")
    assert handover is not None and handover.from_guide_name == "李娜"
    assert handover.reason == "departure"
    assert t.conn.execute(
        "SELECT count(*) FROM task_targets tt JOIN tasks k ON k.id = tt.task_id"
        " WHERE k.kind = 'handover_intro' AND tt.guide_id = 'G001'"
    ).fetchone()[0] == 30  # fmt: skip
    [depart] = _audit(hq, "--guide", "G002", "--action", "depart")
    assert depart["details"]["heirs"] == {"G001": 30} and depart["actor"]
