"""Handover records on the terminal: applied with the customer's history, shown only when
they name the current guide, gone with the customer when HQ moves them away."""

from __future__ import annotations

from app.store.handovers import latest_handover
from app.store.replica import TerminalReplica
from tests.store.helpers import customer_change


def handover(hid: str, customer: str, to_guide: str, at: str, version: int, **extra) -> dict:
    data = {
        "id": hid,
        "customer_id": customer,
        "from_guide_id": "G009",
        "from_guide_name": "周敏",
        "to_guide_id": to_guide,
        "moved_at": at,
        "reason": "transfer",
        "brief": {"days_since_contact": 3, "last_contact": None},
        **extra,
    }
    return {"entity": "handover", "op": "upsert", "id": hid, "version": version, "data": data}


def test_the_latest_handover_to_the_current_guide_is_the_one_shown(
    replica: TerminalReplica, conn
) -> None:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678", version=1, guide="G001"),
            handover("HO-1", "C1", "G002", "2026-10-01T02:00:00Z", 2),
            handover("HO-2", "C1", "G001", "2026-11-20T02:00:00Z", 3, from_guide_name=""),
        ],
        "3.3",
        more=False,
    )
    shown = latest_handover(conn, "C1")
    assert shown is not None and shown.id == "HO-2"
    assert shown.from_guide_name == "G009"  # no name from HQ, no such guide here: the id
    assert shown.brief == {"days_since_contact": 3, "last_contact": None}
    # Moved on within the store without a handover of its own: nothing claims it.
    replica.apply_page(
        [customer_change("C1", "张三", "13812345678", version=4, guide="G003")], "4.4", more=False
    )
    assert latest_handover(conn, "C1") is None
    assert latest_handover(conn, "C404") is None


def test_a_customer_moved_away_takes_their_handovers_along(replica: TerminalReplica, conn) -> None:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678", version=1),
            handover("HO-1", "C1", "G001", "2026-11-20T02:00:00Z", 2),
        ],
        "2.2",
        more=False,
    )
    replica.apply_page(
        [
            {
                "entity": "customer",
                "op": "delete",
                "id": "C1",
                "version": 3,
                "data": {"reason": "moved"},
            }
        ],
        "3.3",
        more=False,
    )
    assert conn.execute("SELECT count(*) FROM handovers").fetchone()[0] == 0
    replica.apply_page(
        [
            customer_change("C2", "李四", "13900001111", version=4),
            handover("HO-2", "C2", "G001", "2026-11-21T02:00:00Z", 5),
        ],
        "5.5",
        more=False,
    )
    replica.reset()  # a full resync forgets them with everything else pulled
    assert conn.execute("SELECT count(*) FROM handovers").fetchone()[0] == 0


def test_two_handovers_in_the_same_second_the_later_write_wins(
    replica: TerminalReplica, conn
) -> None:
    at = "2026-11-20T02:00:00Z"
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678", version=1, guide="G001"),
            handover("HO-b", "C1", "G002", at, 2),  # A -> B ...
            handover("HO-a", "C1", "G001", at, 3, from_guide_name="李娜"),  # ... and back
        ],
        "3.3",
        more=False,
    )
    shown = latest_handover(conn, "C1")
    assert shown is not None and shown.id == "HO-a"
