"""The content library in the local store, shares with their outbox entry, the picture
cache by hash, and the form-of-address rule."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import date

import pytest

from app.domain.share_text import fill_placeholders, form_of_address
from app.store import outbox
from app.store.content import ContentQuery, list_content, record_share, share_text
from app.store.picture_cache import CorruptPicture, PictureCache, fetch_into
from app.store.replica import TerminalReplica
from tests.store.helpers import customer_change
from tests.store.test_tasks import rec, target, task

NOW = "2026-11-22T10:30:00Z"


def piece(cid: str, **extra) -> dict:
    data = {
        "id": cid,
        "kind": "copy",
        "title": f"标题 {cid}",
        "body": "{称呼}您好，我是{门店}的{导购}，冬季新品到店了。",
        "images": [],
        "skus": [],
        "category_631": "brand",
        "tags": [],
        "campaign": None,
        "valid_from": None,
        "valid_until": None,
        "status": "active",
    }
    data.update(extra)
    return rec("content", cid, data)


@pytest.fixture
def store(replica: TerminalReplica) -> TerminalReplica:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678"),
            customer_change("C2", "欧阳明", "13900001111", gender="M"),
            piece(
                "K1",
                tags=["新品", "冬季"],
                campaign="WINTER26",
                valid_from="2026-11-01",
                valid_until="2026-12-31",
            ),
            piece(
                "K2",
                kind="product",
                category_631="selling",
                valid_until="2026-10-31",
                title="羊绒围巾",
                body="只要 599",
            ),
            piece("K3", status="retired", title="旧活动"),
            task("T1", kind="content_share"),
            target("T1", "C1"),
        ],
        "1",
        more=False,
    )
    return replica


def ids(conn, **q) -> list[str]:
    return sorted(p.id for p in list_content(conn, ContentQuery(**q)).pieces)


def test_library_hides_retired_and_filters(conn, store) -> None:
    lib = list_content(conn)
    assert lib.total == 2 and sorted(p.id for p in lib.pieces) == ["K1", "K2"]
    assert lib.tags == ["冬季", "新品"] and lib.campaigns == ["WINTER26"]
    assert ids(conn, kind="product") == ["K2"]
    assert ids(conn, tag="冬季") == ["K1"]
    assert ids(conn, campaign="WINTER26") == ["K1"]
    assert ids(conn, category_631="selling") == ["K2"]
    assert ids(conn, valid_on=date(2026, 11, 22)) == ["K1"]
    assert ids(conn, valid_on=date(2026, 10, 5)) == ["K2"]
    assert ids(conn, text="围巾") == ["K2"]
    assert ids(conn, text="旧活动") == []


def test_form_of_address_rule() -> None:
    assert form_of_address("王丽", "F") == "王女士"
    assert form_of_address("张伟", "M") == "张先生"
    assert form_of_address("欧阳娜娜", "F") == "欧阳女士"
    assert form_of_address("李雷", "") == "李雷"
    assert (
        fill_placeholders(
            "{称呼}好，{导购}@{门店} {x}", address="王女士", guide="小李", store="静安店"
        )
        == "王女士好，小李@静安店 {x}"
    )


def test_share_text_fills_per_customer(conn, store) -> None:
    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    assert share_text(conn, k1, "C1", guide="王丽", store="静安嘉里店").text == (
        "张女士您好，我是静安嘉里店的王丽，冬季新品到店了。"
    )
    assert share_text(conn, k1, "C2", guide="王丽", store="静安嘉里店").address == "欧阳先生"


def test_share_is_one_transaction_with_its_outbox_entry_and_task(conn, store) -> None:
    k1 = next(p for p in list_content(conn).pieces if p.id == "K1")
    changes = record_share(conn, customer_id="C1", piece=k1, guide_id="G001", now=NOW)
    assert changes.outbox and "C1" in changes.customers
    record_share(conn, customer_id="C2", piece=k1, guide_id="G001", now=NOW)
    rows = conn.execute("SELECT customer_id, task_id, channel FROM shares ORDER BY customer_id")
    assert [tuple(r) for r in rows] == [("C1", "T1", "wechat"), ("C2", None, "wechat")]
    entries = [e for e in outbox.pending(conn) if e.entity == "share"]
    assert [(e.op, e.payload["customer_id"], e.payload["task_id"]) for e in entries] == [
        ("create", "C1", "T1"),
        ("create", "C2", None),
    ]
    assert entries[0].payload["content_id"] == "K1" and entries[0].payload["shared_at"] == NOW


def test_picture_cache_checks_the_hash_and_evicts_least_recently_used(tmp_path) -> None:
    cache = PictureCache(tmp_path / "pictures", limit_bytes=250)
    assert stat.S_IMODE(os.stat(cache.folder).st_mode) == 0o700
    blobs = [bytes([i]) * 100 for i in range(3)]
    shas = [hashlib.sha256(b).hexdigest() for b in blobs]
    with pytest.raises(CorruptPicture):
        cache.put(shas[0], b"not it")
    assert cache.get(shas[0]) is None
    cache.put(shas[0], blobs[0])
    assert stat.S_IMODE(os.stat(cache.folder / shas[0]).st_mode) == 0o600
    cache.put(shas[1], blobs[1])
    os.utime(cache.folder / shas[0], ns=(1, 1))
    os.utime(cache.folder / shas[1], ns=(2, 2))
    assert cache.get(shas[0]) == blobs[0]  # used now: the newest
    cache.put(shas[2], blobs[2])  # over 250 bytes: the least recently used (1) goes
    assert cache.has(shas[0]) and cache.has(shas[2]) and not cache.has(shas[1])
    assert cache.size() == 200


def test_a_corrupt_download_is_not_kept_and_is_retried(tmp_path) -> None:
    cache = PictureCache(tmp_path / "pictures")
    good = b"picture bytes"
    sha = hashlib.sha256(good).hexdigest()
    answers = [good[:-1], good]
    assert fetch_into(cache, sha, lambda _s: answers.pop(0)) is None
    assert not cache.has(sha)
    assert fetch_into(cache, sha, lambda _s: answers.pop(0)) == good
    assert cache.get(sha) == good


def test_damaged_file_on_disk_is_dropped(tmp_path) -> None:
    cache = PictureCache(tmp_path / "pictures")
    good = b"abc"
    sha = hashlib.sha256(good).hexdigest()
    cache.put(sha, good)
    (cache.folder / sha).write_bytes(b"abd")
    assert cache.get(sha) is None and not cache.has(sha)
