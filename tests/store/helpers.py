"""Wire-shaped records for store tests; a raw connection to an encrypted store file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.store import keys
from app.store.sqlite import driver


def open_raw(db_file: Path, uri: str | None = None, **options: Any) -> driver.Connection:
    """A connection of the driver's own, past ``db.connect`` (another program, a second
    writer), keyed with the folder's cache key as db.connect keys its own."""
    conn = driver.connect(uri or db_file, uri=uri is not None, **options)
    conn.execute(keys.key_pragma(keys.cache_key(db_file)))
    return conn


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
