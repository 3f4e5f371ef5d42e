"""A peer tip (无师自通) a guide posted: HQ keeps it, with its picture, for the store or
the whole brand (sync/hq/tips.py routes it and lets HQ pin or hide it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import protocol
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _record_id
from sync.hq.terminals import TerminalRecord
from sync.hq.tips import decode_picture, put_tip
from sync.hq.tx import Tx


def _tip_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    """Who posted and for which store come from the acting guide HQ admitted (a guide of
    this terminal's store, proven by their session when they signed in at HQ), never from
    the payload; a picture that is not a whole PNG, JPEG or WebP within the limits rejects
    the tip with the reason (sync/hq/pictures.py), and nothing of it is stored."""
    p = m.payload
    tip_id = _record_id(m)
    body = p.get("body")
    if not isinstance(body, str) or not body.strip():
        raise Rejected("心得内容为空 / payload field 'body' is empty")
    picture = decode_picture(p)
    put_tip(
        tx,
        {
            "id": tip_id,
            "guide_id": guide["id"],
            "guide_name": guide["name"],
            "store_id": guide["store_id"],
            "audience": p.get("audience") or "store",
            "body": body,
            "image": None,
            "created_at": p["created_at"],
            "pinned": False,
            "hidden": False,
        },
        picture=picture,
        now=now,
    )
