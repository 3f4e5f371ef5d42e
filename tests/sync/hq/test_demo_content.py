"""The demo brand comes with a content library: a WINTER26 campaign valid around the
demo's today, every kind and 631 category, pictures stored by hash on HQ."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import sqlalchemy as sa

from sync.hq.cli import load_demo
from sync.hq.demo_content import demo_content, picture_png
from sync.hq.pictures import inspect_picture
from sync.hq.schema import content
from sync.hq.storage import HQStorage

TODAY = date(2026, 12, 2)


def test_demo_pictures_are_valid_pngs() -> None:
    data = picture_png((1, 2, 3), (200, 200, 200), (90, 10, 10), shape="bag")
    info = inspect_picture(data)
    assert (info.width, info.height) == (320, 240)


def test_the_demo_library_covers_kinds_categories_and_the_campaign() -> None:
    pieces = [p.record for p in demo_content(TODAY, ["A", "B", "C", "D", "E"])]
    assert 8 <= len(pieces) <= 12
    assert {p["kind"] for p in pieces} == {"copy", "product", "outfit", "poster"}
    assert {p["category_631"] for p in pieces} == {"brand", "service", "selling"}
    winter = [p for p in pieces if p["campaign"] == "WINTER26"]
    assert winter and all(p["valid_from"] <= TODAY.isoformat() <= p["valid_until"] for p in winter)


def test_load_demo_publishes_the_library_with_its_pictures(tmp_path) -> None:
    with HQStorage(f"sqlite:///{tmp_path / 'hq.sqlite3'}") as storage:
        storage.migrate()
        counts = load_demo(storage, customers=60, today=TODAY)
        assert counts is not None and counts["content_published"] >= 8
        with storage.read() as conn:
            rows = conn.execute(sa.select(content.c.id, content.c.images)).all()
        lists = [json.loads(s) if isinstance(s, str) else (s or []) for _i, s in rows]
        images = {sha for shas in lists for sha in shas}
        assert any(cid == "CT-WINTER26-01" for cid, _ in rows) and len(images) >= 5
        for sha in images:
            found = storage.picture(sha)
            assert found is not None and hashlib.sha256(found[1]).hexdigest() == sha


def test_the_demo_has_a_contact_cap_and_customers_who_opted_out(tmp_path) -> None:
    """So the share dialog shows consent on the demo: about 1 in 25 opted out, with a
    reason; every store caps outreach at 4 in 30 days."""
    from sync.hq.schema import customers, stores

    with HQStorage(f"sqlite:///{tmp_path / 'hq.sqlite3'}") as storage:
        storage.migrate()
        load_demo(storage, customers=100, today=TODAY)
        with storage.read() as conn:
            caps = conn.execute(sa.select(stores.c.contact_cap, stores.c.contact_cap_days)).all()
            out = conn.execute(
                sa.select(customers.c.opt_out_reason).where(customers.c.marketing_opt_out)
            ).all()
    assert caps and set(caps) == {(4, 30)}
    assert len(out) == 4 and all(reason for (reason,) in out)
