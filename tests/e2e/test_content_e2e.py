"""Content through a real HQ process over HTTP: HQ publishes a piece with a picture, the
terminal syncs it, fetches the picture by hash into its cache (a corrupted transfer is
refused and fetched again), the network drops, the guide shares it offline, and after the
next sync HQ's content report counts the share."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.store import outbox
from app.store.content import list_content, record_share, share_text
from app.store.picture_cache import PictureCache, fetch_into
from sync import client
from tests.sync.hq.pictures_util import tiny_png

from .conftest import HQ


def _publish(hq: HQ, tmp_path: Path, picture: bytes) -> None:
    today = datetime.now(UTC).date()
    spec = {
        "id": "CT-E2E-WINTER",
        "kind": "copy",
        "title": "冬季新品到店",
        "body": "{称呼}您好，我是{门店}的{导购}，冬季新品到店了。",
        "pictures": ["winter.png"],
        "tags": ["新品", "冬季"],
        "campaign": "WINTER26",
        "valid_from": (today - timedelta(days=1)).isoformat(),
        "valid_until": (today + timedelta(days=30)).isoformat(),
        "category_631": "brand",
    }
    (tmp_path / "winter.png").write_bytes(picture)
    path = tmp_path / "content.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    hq.run("publish-content", str(path))


def test_content_published_synced_pictured_shared_offline_and_reported(
    hq: HQ, make_terminal, tmp_path: Path
) -> None:
    picture = tiny_png(6, 4)
    sha = hashlib.sha256(picture).hexdigest()
    _publish(hq, tmp_path, picture)
    counter = make_terminal("counter")
    counter.enroll(hq, "S001")
    assert counter.sync().ok
    [piece] = list_content(counter.conn).pieces
    assert piece.id == "CT-E2E-WINTER" and piece.images == (sha,) and piece.campaign == "WINTER26"

    cache = PictureCache(counter.home / "pictures")
    engine = counter.engine()
    try:
        # A transfer damaged on the way is refused and nothing is kept …
        assert fetch_into(cache, sha, lambda s: engine.hq.picture(s)[:-1]) is None
        assert not cache.has(sha)
        # … and the next try keeps the real bytes, checked against the hash.
        assert fetch_into(cache, sha, engine.hq.picture) == picture
    finally:
        engine.close()
    assert cache.get(sha) == picture

    row = counter.conn.execute(
        "SELECT c.id, c.guide_id, g.name FROM customers c JOIN guides g ON g.id = c.guide_id"
        " ORDER BY c.id LIMIT 1"
    ).fetchone()
    customer_id, guide_id, guide_name = row[0], row[1], row[2]
    # HQ asks for this piece to be shared with that customer (a content_share task).
    today = datetime.now(UTC).date()
    task = {"id": "T-E2E-SHARE", "title": "分享冬季新品", "kind": "content_share",
            "starts_on": (today - timedelta(days=1)).isoformat(),
            "due_on": (today + timedelta(days=7)).isoformat(),
            "targets": {"customers": [customer_id]},
            "content": ["CT-E2E-WINTER"], "evidence": "none", "review": False}  # fmt: skip
    task_file = tmp_path / "task.json"
    task_file.write_text(json.dumps(task, ensure_ascii=False), encoding="utf-8")
    hq.run("publish-task", str(task_file))
    assert counter.sync().ok

    hq.stop()  # offline: the picture still comes from the cache, the share is recorded
    assert cache.get(sha) == picture
    text = share_text(counter.conn, piece, customer_id, guide=guide_name, store="本店").text
    assert "{称呼}" not in text and guide_name in text
    record_share(
        counter.conn,
        customer_id=customer_id,
        piece=piece,
        guide_id=guide_id,
        now=client.iso(counter.clock()),
    )
    # The share and, in the same transaction, its task target done: both queued offline.
    assert [e.entity for e in outbox.pending(counter.conn)] == ["share", "task_target"]

    hq.restart()
    assert counter.sync().ok
    assert outbox.pending(counter.conn) == []
    rows = json.loads(hq.run("report", "content", "--format", "json"))
    [mine] = [r for r in rows if r.get("content_id", r.get("id")) == "CT-E2E-WINTER"]
    assert mine["shares"] == 1
    tasks = json.loads(hq.run("report", "tasks", "--task", "T-E2E-SHARE", "--format", "json"))
    assert sum(r["done"] for r in tasks) == 1 and sum(r["open"] for r in tasks) == 0
    # HQ's copy of the share is back on the terminal: the customer's timeline shows it synced.
    from app.store.customers import customer_profile

    [shared] = customer_profile(counter.conn, customer_id).shares
    assert shared.synced and shared.title == "冬季新品到店" and shared.category_631 == "brand"
