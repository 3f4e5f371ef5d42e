"""Free compositions (自由组合): the guide's drafts kept locally, across a restart."""

from __future__ import annotations

from pathlib import Path

from app.store import db, outbox
from app.store.compositions import (
    BODY_MAX,
    IMAGES_MAX,
    SKUS_MAX,
    Composition,
    Problem,
    composition_piece,
    composition_problems,
    delete_composition,
    get_composition,
    list_compositions,
    save_composition,
    search_products,
)
from app.store.content import record_share
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from tests.store.helpers import customer_change
from tests.store.test_tasks import rec

NOW = "2026-11-22T10:30:00Z"
LATER = "2026-11-22T10:35:00Z"
SHA = "a" * 64


def draft(**extra) -> Composition:
    values = {
        "id": "K1",
        "guide_id": "G001",
        "body": "{称呼}您好\x07，新到的围巾很配您上次的大衣。\n周末来试试吧",
        "images": (SHA,),
        "skus": ("S200",),
        "category_631": "service",
    }
    values.update(extra)
    return Composition(**values)


def test_a_draft_round_trips_and_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "terminal.sqlite3"
    conn = db.connect(path)
    changes = save_composition(conn, draft(), now=NOW)
    assert changes.touches("composition")
    save_composition(conn, draft(body="周六见\n第二行"), now=LATER)  # an edit of the same one
    conn.close()

    conn = db.connect(path)  # a restart: the file opened again
    try:
        kept = get_composition(conn, "K1", "G001")
        assert kept is not None
        assert kept.body == "周六见\n第二行" and kept.title == "周六见"
        assert kept.images == (SHA,) and kept.skus == ("S200",)
        assert kept.category_631 == "service"
        assert (kept.created_at, kept.updated_at) == (NOW, LATER)
        assert [c.id for c in list_compositions(conn, "G001")] == ["K1"]
        assert get_composition(conn, "K1", "G002") is None  # another guide never sees it
        assert list_compositions(conn, "G002") == []
        delete_composition(conn, "K1", "G001")
        assert list_compositions(conn, "G001") == []
    finally:
        conn.close()


def test_text_is_cleaned_and_never_reaches_the_outbox(conn: sqlite3.Connection) -> None:
    save_composition(conn, draft(), now=NOW)
    kept = get_composition(conn, "K1", "G001")
    assert kept is not None and "\x07" not in kept.body
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_another_guide_cannot_overwrite_a_draft(conn: sqlite3.Connection) -> None:
    save_composition(conn, draft(), now=NOW)
    save_composition(conn, draft(guide_id="G002", body="别人的"), now=LATER)
    kept = get_composition(conn, "K1", "G001")
    assert kept is not None and kept.body.startswith("{称呼}您好")


def test_limits_come_from_the_contract(conn: sqlite3.Connection) -> None:
    assert (BODY_MAX, IMAGES_MAX, SKUS_MAX) == (2000, 9, 20)
    assert composition_problems(draft()) == []
    assert composition_problems(draft(body=" \n ", category_631=None)) == [
        Problem.NO_WORDS,
        Problem.NO_CATEGORY,
    ]
    too_much = draft(
        body="字" * 2001,
        images=tuple(f"{i:064x}" for i in range(10)),
        skus=tuple(f"S{i}" for i in range(21)),
    )
    assert composition_problems(too_much) == [
        Problem.BODY_TOO_LONG,
        Problem.TOO_MANY_IMAGES,
        Problem.TOO_MANY_SKUS,
    ]
    # A draft keeps what was typed, however long: nothing typed is lost.
    save_composition(conn, too_much, now=NOW)
    kept = get_composition(conn, "K1", "G001")
    assert kept is not None and len(kept.body) == 2001


def test_a_shared_composition_travels_as_itself(conn: sqlite3.Connection, clock) -> None:
    replica = TerminalReplica(conn, clock=clock)
    product = {
        "sku": "S200",
        "name": "羊绒围巾",
        "category": "配饰",
        "color": "驼色",
        "price_cents": 59900,
        "image": None,
    }
    replica.apply_page(
        [customer_change("C1", "张三", "13812345678"), rec("product", "S200", product)],
        "1",
        more=False,
    )
    assert [p.name for p in search_products(conn, "围巾")] == ["羊绒围巾"]
    assert [p.sku for p in search_products(conn, "s20")] == ["S200"]
    assert search_products(conn, "连衣裙") == []

    save_composition(conn, draft(), now=NOW)
    kept = get_composition(conn, "K1", "G001")
    assert kept is not None
    piece = composition_piece(kept)
    assert piece.composed and piece.id == "K1" and piece.kind == "copy"
    assert piece.title == "{称呼}您好，新到的围巾很配您上次的大衣。"
    record_share(conn, customer_id="C1", piece=piece, guide_id="G001", now=LATER)
    row = conn.execute("SELECT content_id, body, skus, category_631 FROM shares").fetchone()
    assert row["content_id"] is None and row["body"] == kept.body
    assert row["skus"] == '["S200"]' and row["category_631"] == "service"
    entry = outbox.pending(conn)[0]
    assert entry.payload["content_id"] is None and entry.payload["images"] == [SHA]


def test_the_wipe_removes_the_compositions(conn: sqlite3.Connection, clock) -> None:
    """A revoked terminal keeps none of what its guides wrote, drafts of their own words
    included (they may name a customer)."""
    save_composition(conn, draft(body="欧阳女士的围巾到了"), now=NOW)
    TerminalReplica(conn, clock=clock).wipe()
    assert list_compositions(conn, "G001") == []
