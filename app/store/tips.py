"""Peer tips (无师自通) on the terminal: posting one offline, and the list the panel shows.

A post is one transaction: the row (version 0 until HQ's copy arrives) and its
``tip/create`` mutation. A picture travels in the mutation as base64 (the UI scales it
down first); its bytes go into the picture cache under their sha256, which is the hash HQ
will set as ``tip.image``, so the tip shows its picture before any sync.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from app.domain.tips import TipAudience, is_new_guide
from app.store import outbox
from app.store.changes import Changes
from app.store.customers import check_entry
from app.store.db import transaction
from app.store.sqlite import driver as sqlite3
from sync.records import TIP_PICTURE_FIELD, clean_text


@dataclass(frozen=True, slots=True)
class Tip:
    id: str
    guide_id: str
    guide_name: str
    store_id: str
    audience: str
    body: str
    image: str | None
    created_at: str
    pinned: bool


@dataclass(frozen=True, slots=True)
class TipList:
    tips: list[Tip]  # not hidden: pinned first, then newest
    new_guide: bool  # show the pinned ones in a highlighted block of their own


def post_tip(
    conn: sqlite3.Connection,
    *,
    guide_id: str,
    guide_name: str,
    store_id: str,
    body: str,
    audience: str = TipAudience.STORE.value,
    picture_b64: str | None = None,
    now: str,
    tip_id: str | None = None,
) -> Changes:
    """Post a tip offline: the row and the outbox mutation together (InvalidEntry if the
    text does not fit the contract: nothing is written, the dialog keeps the text)."""
    text = clean_text(body, multiline=True)
    payload = {
        "id": tip_id or outbox.new_id(),
        "audience": TipAudience(audience).value,
        "body": text,
        "created_at": now,
    }
    check_entry("tip", "create", payload)
    image = None
    if picture_b64:
        image = hashlib.sha256(base64.b64decode(picture_b64)).hexdigest()
    with transaction(conn):
        conn.execute(
            "INSERT INTO tips (id, guide_id, guide_name, store_id, audience, body, image,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (payload["id"], guide_id, guide_name, store_id, payload["audience"], text, image, now),
        )
        outbox.append(
            conn,
            guide_id=guide_id,
            entity="tip",
            entity_id=payload["id"],
            op="create",
            payload={**payload, TIP_PICTURE_FIELD: picture_b64} if picture_b64 else payload,
            created_at=now,
        )
    return Changes(outbox=True, entities=frozenset({"tip"}))


def list_tips(conn: sqlite3.Connection, guide_id: str, limit: int = 200) -> TipList:
    """The tips this terminal holds, not hidden, pinned first, newest first."""
    rows = conn.execute(
        "SELECT id, guide_id, guide_name, store_id, audience, body, image, created_at, pinned"
        " FROM tips WHERE hidden = 0 ORDER BY pinned DESC, created_at DESC, id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    shares = conn.execute("SELECT count(*) FROM shares WHERE guide_id = ?", (guide_id,)).fetchone()
    return TipList(
        [Tip(*r[:8], pinned=bool(r[8])) for r in rows],
        new_guide=is_new_guide(int(shares[0])),
    )
