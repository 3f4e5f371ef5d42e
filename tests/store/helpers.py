"""Wire-shaped records for store tests."""

from __future__ import annotations


def customer_change(
    cid: str,
    name: str,
    phone: str,
    *,
    version: int = 1,
    guide: str = "G001",
    store: str = "S001",
    tags: list[str] | None = None,
    **extra,
) -> dict:
    data = {
        "id": cid,
        "store_id": store,
        "guide_id": guide,
        "name": name,
        "phone": phone,
        "gender": "F",
        "birthday": extra.pop("birthday", "1990-05-20"),
        "tier": "regular",
        "points": 10,
        "tags": tags or [],
        "sizes": {"top": "M"},
        "preferences": "",
        "note": "",
        "joined_at": "2024-01-01",
    }
    data.update(extra)
    return {"entity": "customer", "op": "upsert", "id": cid, "version": version, "data": data}
