"""Peer tips on the terminal: posted offline in one transaction, listed pinned first."""

from __future__ import annotations

import base64
import hashlib

import pytest

from app.domain.tips import NEW_GUIDE_SHARES, ordered
from app.store import outbox
from app.store.errors import InvalidEntry
from app.store.tips import list_tips, post_tip


def tip_change(tid: str, *, pinned=False, hidden=False, at="2026-11-20T08:00:00Z", version=1):
    data = {
        "id": tid,
        "guide_id": "G9",
        "guide_name": "老师傅",
        "store_id": "S002",
        "audience": "brand",
        "body": f"心得 {tid}",
        "image": None,
        "created_at": at,
        "pinned": pinned,
        "hidden": hidden,
    }
    return {"entity": "tip", "op": "upsert", "id": tid, "version": version, "data": data}


def test_a_posted_tip_is_a_row_and_an_outbox_mutation_with_its_picture(conn) -> None:
    picture = base64.b64encode(b"\xff\xd8\xffnot-really").decode()
    post_tip(
        conn,
        guide_id="G001",
        guide_name="王芳",
        store_id="S001",
        body="  先问尺码，再推搭配\n\x1b",
        audience="brand",
        picture_b64=picture,
        now="2026-11-22T08:00:00Z",
        tip_id="TIP-1",
    )
    (entry,) = outbox.pending(conn)
    assert (entry.entity, entry.op, entry.entity_id) == ("tip", "create", "TIP-1")
    assert entry.payload["body"] == "先问尺码，再推搭配" and entry.payload["picture"] == picture
    (tip,) = list_tips(conn, "G001").tips
    assert tip.audience == "brand" and tip.guide_name == "王芳"
    assert tip.image == hashlib.sha256(base64.b64decode(picture)).hexdigest()


def test_a_too_long_tip_writes_nothing(conn) -> None:
    with pytest.raises(InvalidEntry):
        post_tip(
            conn,
            guide_id="G001",
            guide_name="王芳",
            store_id="S001",
            body="字" * 501,
            now="2026-11-22T08:00:00Z",
        )
    assert outbox.pending(conn) == [] and list_tips(conn, "G001").tips == []


def test_pulled_tips_hidden_ones_gone_pinned_first_then_newest(conn, replica) -> None:
    replica.apply_page(
        [
            tip_change("T-OLD", at="2026-11-01T08:00:00Z"),
            tip_change("T-NEW", at="2026-11-21T08:00:00Z"),
            tip_change("T-PIN", pinned=True, at="2026-10-01T08:00:00Z"),
            tip_change("T-HID", hidden=True, at="2026-11-22T08:00:00Z"),
        ],
        "1.4",
        more=False,
    )
    listed = list_tips(conn, "G001")
    assert [t.id for t in listed.tips] == ["T-PIN", "T-NEW", "T-OLD"]
    assert [t.id for t in ordered(listed.tips)] == ["T-PIN", "T-NEW", "T-OLD"]  # one rule
    assert listed.new_guide  # no shares yet
    # HQ hides the pinned one: gone at the next pull.
    replica.apply_page([tip_change("T-PIN", pinned=True, hidden=True, version=9)], "1.5", False)
    assert [t.id for t in list_tips(conn, "G001").tips] == ["T-NEW", "T-OLD"]


def test_a_reset_keeps_a_tip_posted_here(conn, replica) -> None:
    post_tip(
        conn,
        guide_id="G001",
        guide_name="王芳",
        store_id="S001",
        body="mine",
        now="2026-11-22T08:00:00Z",
        tip_id="MINE",
    )
    replica.apply_page([tip_change("T-HQ")], "1.1", more=False)
    replica.reset()
    assert [t.id for t in list_tips(conn, "G001").tips] == ["MINE"]


def test_new_guide_threshold() -> None:
    from app.domain.tips import is_new_guide

    assert is_new_guide(0) and not is_new_guide(NEW_GUIDE_SHARES)
