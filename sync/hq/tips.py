"""Peer tips (无师自通) at HQ: where a tip's change is written, its picture, pin and hide.

Routing: a tip's change row goes under its store's scope (audience 'store': only that
store's terminals pull it) or the brand scope ``'*'`` (audience 'brand': every terminal).
The audience never changes after posting, so a pin or hide, written under the same scope,
supersedes the tip's earlier row for exactly the terminals that hold it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from app.domain.tips import TipAudience
from sync.hq.errors import NotFound, Rejected
from sync.hq.pictures import PictureError, store_picture
from sync.hq.schema import BRAND_SCOPE, ENTITY_SPECS, tips
from sync.records import MAX_PICTURE_CHARS, TIP_PICTURE_FIELD

if TYPE_CHECKING:
    from sync.hq.storage import HQStorage
    from sync.hq.tx import Tx


def scope_of(tip: Mapping[str, Any]) -> str:
    return BRAND_SCOPE if tip["audience"] == TipAudience.BRAND.value else tip["store_id"]


def decode_picture(payload: Mapping[str, Any]) -> bytes | None:
    """The picture a ``tip/create`` carries (base64), or None; Rejected with the reason."""
    raw = payload.get(TIP_PICTURE_FIELD)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > MAX_PICTURE_CHARS:
        raise Rejected(
            f"图片太大或格式不对 / payload field 'picture' must be base64 of at most"
            f" {MAX_PICTURE_CHARS} characters"
        )
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected("图片格式不对 / payload field 'picture' is not base64") from exc


def put_tip(tx: Tx, tip: dict[str, Any], *, picture: bytes | None, now: str) -> bool:
    """Keep a new tip (and its picture, by hash) with its change row; False if it exists."""
    if picture is not None:
        try:
            tip["image"] = store_picture(tx, picture, now=now).sha256
        except PictureError as exc:
            raise Rejected(f"图片无法使用 / picture refused: {exc}") from exc
    return tx.insert_if_new("tip", tip, scope=scope_of(tip))


def list_tips(storage: HQStorage, *, store: str | None = None) -> list[dict[str, Any]]:
    """Every tip (hidden ones too), pinned first, newest first; ``store``: the tips that
    store's terminals see (its own and the brand's)."""
    query = sa.select(tips)
    if store is not None:
        query = query.where(
            sa.or_(tips.c.store_id == store, tips.c.audience == TipAudience.BRAND.value)
        )
    query = query.order_by(tips.c.pinned.desc(), tips.c.created_at.desc(), tips.c.id.desc())
    with storage.read() as conn:
        return [ENTITY_SPECS["tip"].to_record(r) for r in conn.execute(query).mappings()]


def set_flag(storage: HQStorage, tip_id: str, flag: str, value: bool) -> bool:
    """Pin / hide (or undo) a tip through the change log; False when it already was."""
    if flag not in ("pinned", "hidden"):
        raise ValueError(flag)
    with storage.write() as tx:
        tip = tx.get("tip", tip_id, lock=True)
        if tip is None:
            raise NotFound(f"tip {tip_id} does not exist")
        if tip[flag] == value:
            return False
        tip[flag] = value
        tx.put("tip", [tip], scopes=scope_of(tip))
        return True


_DEMO_TIPS = (
    ("brand", True, "新顾客先问穿着场合和尺码，再推搭配；第一次别急着推活动。"),
    ("brand", False, "发图文前先看顾客最近买过什么，配一件能搭的单品，回复率高很多。"),
    ("store", False, "周末下午人多，老顾客的预约尽量排在上午，试衣间不用等。"),
    ("store", False, "生日问候写上顾客上次买的款式，比群发祝福更有温度。"),
)


def load_demo_tips(storage: HQStorage, guides: list[Any], *, now: str) -> int:
    """The demo brand's peer tips (one pinned), posted by its first store's guides."""
    first = [g for g in guides if g.store_id == guides[0].store_id]
    with storage.write() as tx:
        for n, (audience, pinned, body) in enumerate(_DEMO_TIPS, 1):
            guide = first[n % len(first)]
            tx.insert_if_new(
                "tip",
                {
                    "id": f"TIP-DEMO-{n}",
                    "guide_id": guide.id,
                    "guide_name": guide.name,
                    "store_id": guide.store_id,
                    "audience": audience,
                    "body": body,
                    "created_at": now,
                    "pinned": pinned,
                },
                scope=BRAND_SCOPE if audience == "brand" else guide.store_id,
            )
    return len(_DEMO_TIPS)
