"""Content at HQ (issue 11): publish-content with pictures by hash, refusals with the field
and the reason and nothing stored, retire-content, GET /v1/pictures/{sha}, and the content
report (shares, customers, guides, purchases within the window after a share)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sync.hq import cli
from sync.hq.app import create_app
from sync.hq.pictures import MAX_PICTURE_BYTES, PictureError, inspect_picture
from sync.hq.schema import SCHEMA_VERSION, content, pictures
from sync.hq.storage import HQStorage
from tests.sync.hq.pictures_util import tiny_jpeg, tiny_png

WINTER = {
    "id": "CT-2026-WINTER-01",
    "kind": "copy",
    "title": "冬季新品到店",
    "body": "{称呼}您好，我是{门店}的{导购}，冬季新品到店了，周末来试穿吧。",
    "pictures": ["winter.png"],
    "tags": ["新品", "冬季"],
    "campaign": "WINTER26",
    "valid_from": "2026-12-01",
    "valid_until": "2026-12-31",
    "category_631": "brand",
}
PRODUCT = {
    "id": "CT-P-1",
    "kind": "product",
    "title": "羊绒大衣",
    "sku": "SKU-COAT-1",
    "price": 1299.5,
    "pictures": ["coat.jpg"],
    "category_631": "selling",
}
OUTFIT = {
    "id": "CT-O-1",
    "kind": "outfit",
    "title": "通勤穿搭",
    "skus": ["SKU-COAT-1", "SKU-DRESS-2"],
    "caption": "一件外套三种穿法",
}


def _write(folder: Path, items: Any, files: dict[str, bytes] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    path = folder / "content.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return path


def _counts(hq: HQStorage) -> tuple[int, int]:
    with hq.read() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(content)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(pictures)).scalar_one(),
        )


def _pulled_content(hq: HQStorage, store: str) -> dict[str, dict[str, Any]]:
    page = hq.pull(store, None, 1000)
    found: dict[str, dict[str, Any]] = {}
    for change in json.loads(page.body)["changes"]:
        if change["entity"] == "content":
            found[change["id"]] = change["data"]
    return found


@pytest.fixture
def hq(sqlite_storage: HQStorage, hqdata: Any) -> HQStorage:
    hqdata.small_brand(sqlite_storage)
    return sqlite_storage


def test_publish_a_good_file_reaches_a_terminal_and_its_picture_by_hash(
    hq: HQStorage, sqlite_url: str, tmp_path: Path, clock: Any, capsys: pytest.CaptureFixture
) -> None:
    png, jpeg = tiny_png(8, 6), tiny_jpeg(640, 480)
    path = _write(
        tmp_path / "drop", [WINTER, PRODUCT, OUTFIT], {"winter.png": png, "coat.jpg": jpeg}
    )
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 0
    out = capsys.readouterr().out
    assert "content CT-2026-WINTER-01 published" in out and "3 piece(s), 2 picture(s)" in out

    pulled = _pulled_content(hq, "S002")  # brand scope: every store's terminals
    winter = pulled["CT-2026-WINTER-01"]
    sha = hashlib.sha256(png).hexdigest()
    assert winter["images"] == [sha]
    assert winter["tags"] == ["新品", "冬季"] and winter["campaign"] == "WINTER26"
    assert (winter["valid_from"], winter["valid_until"]) == ("2026-12-01", "2026-12-31")
    assert winter["status"] == "active" and winter["body"] == WINTER["body"]
    assert pulled["CT-P-1"]["price_cents"] == 129950 and pulled["CT-P-1"]["sku"] == "SKU-COAT-1"
    assert pulled["CT-O-1"]["skus"] == ["SKU-COAT-1", "SKU-DRESS-2"]
    assert pulled["CT-O-1"]["caption"] == "一件外套三种穿法"

    token = hq.enroll(hq.create_enroll_code("S001"), "counter").token
    app = create_app(sqlite_url, clock=clock)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        answer = client.get(f"/v1/pictures/{sha}", headers=auth)
        assert answer.status_code == 200
        assert hashlib.sha256(answer.content).hexdigest() == sha
        assert answer.headers["content-type"] == "image/png"
        assert answer.headers["etag"] == f'"{sha}"'
        jsha = pulled["CT-P-1"]["images"][0]
        answer = client.get(f"/v1/pictures/{jsha}", headers=auth)
        assert answer.headers["content-type"] == "image/jpeg" and answer.content == jpeg
        assert client.get(f"/v1/pictures/{'0' * 64}", headers=auth).status_code == 404
        assert client.get("/v1/pictures/not-a-hash", headers=auth).status_code == 422
        assert client.get(f"/v1/pictures/{sha.upper()}", headers=auth).status_code == 422
        assert client.get(f"/v1/pictures/{sha}").status_code == 401

    # The same id again updates it (the picture, unchanged, is kept once).
    path = _write(tmp_path / "drop", [WINTER | {"title": "冬季新品到店啦"}])
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 0
    assert "content CT-2026-WINTER-01 updated" in capsys.readouterr().out
    assert _pulled_content(hq, "S001")["CT-2026-WINTER-01"]["title"] == "冬季新品到店啦"
    assert _counts(hq) == (3, 2)


@pytest.mark.parametrize(
    ("change", "files", "expected"),
    [
        (
            {},
            {"winter.png": b"hello, this is not a picture"},
            "pictures[0]: winter.png: not a picture",
        ),
        ({}, {"winter.png": tiny_png(8, 8)[:-20]}, "pictures[0]: winter.png: broken PNG"),
        (
            {},
            {"winter.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_PICTURE_BYTES},
            "pictures[0]: winter.png: too large",
        ),
        ({}, {}, "pictures[0]: winter.png: cannot read it"),
        ({"kind": "leaflet"}, None, "kind: must be one of copy, product, outfit, poster"),
        ({"title": None}, None, "title: is required"),
        ({"title": "  "}, None, "title: is required"),
        ({"category_631": "sales"}, None, "category_631: must be one of brand, service, selling"),
        ({"valid_until": "2026-11-30"}, None, "valid_until: is before valid_from"),
        ({"valid_from": "2026-13-01"}, None, "valid_from: must be a date YYYY-MM-DD"),
        ({"body": "{姓名}您好"}, None, "body: unknown placeholder {姓名}"),
        ({"kind": "product"}, None, "sku: is required for a product"),
        ({"kind": "outfit"}, None, "skus: is required for an outfit"),
        ({"colour": "red"}, None, "colour: unknown field"),
    ],
)
def test_a_bad_piece_is_refused_with_field_and_reason_and_nothing_is_stored(
    hq: HQStorage,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    change: dict[str, Any],
    files: dict[str, bytes] | None,
    expected: str,
) -> None:
    piece = {k: v for k, v in (WINTER | change).items() if v is not None}
    pictures_ = {"winter.png": tiny_png(4, 4)} if files is None else files
    # A good piece with its own picture beside the bad one: it is not stored either.
    good = PRODUCT | {"pictures": ["coat.png"]}
    path = _write(tmp_path / "drop", [good, piece], pictures_ | {"coat.png": tiny_png(5, 5)})
    before = _counts(hq)
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert "nothing stored" in err
    assert f"CT-2026-WINTER-01 {expected}" in err, err
    assert "CT-P-1" not in err  # the good piece has no problem
    assert _counts(hq) == before == (0, 0)


def test_every_problem_of_a_file_is_listed(
    hq: HQStorage, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    bad = [{"kind": "copy"}, WINTER | {"kind": "x", "pictures": ["missing.png"]}, "text"]
    path = _write(tmp_path / "drop", bad)
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert "piece 1 id: is required" in err and "piece 1 title: is required" in err
    assert "CT-2026-WINTER-01 kind:" in err and "CT-2026-WINTER-01 pictures[0]" in err
    assert "piece 3: must be a JSON object" in err
    assert _counts(hq) == (0, 0)


def test_inspect_picture_reads_dimensions_and_refuses_broken_files() -> None:
    png = inspect_picture(tiny_png(8, 6))
    assert (png.mime, png.size, png.width, png.height) == ("image/png", len(tiny_png(8, 6)), 8, 6)
    assert png.sha256 == hashlib.sha256(tiny_png(8, 6)).hexdigest()
    info = inspect_picture(tiny_jpeg(640, 480))
    assert (info.mime, info.width, info.height) == ("image/jpeg", 640, 480)
    with pytest.raises(PictureError, match="broken JPEG"):
        inspect_picture(tiny_jpeg(640, 480)[:-2])
    broken = bytearray(tiny_png(8, 6))
    broken[40] ^= 0xFF  # inside IDAT: its CRC no longer matches
    with pytest.raises(PictureError, match="CRC"):
        inspect_picture(bytes(broken))
    with pytest.raises(PictureError, match="empty"):
        inspect_picture(b"")


def test_retire_hides_it_at_the_next_sync_and_keeps_past_shares(
    hq: HQStorage, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = _write(tmp_path / "drop", WINTER, {"winter.png": tiny_png(4, 4)})
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 0
    _share(hq, "SH1", "C1", "G002", "CT-2026-WINTER-01", "2026-12-02T02:00:00Z")
    cursor = hq.pull("S001", None, 1000).cursor
    assert cli.main(["retire-content", "CT-2026-WINTER-01", "--db", sqlite_url]) == 0
    assert "retired" in capsys.readouterr().out
    changes = json.loads(hq.pull("S001", cursor, 1000).body)["changes"]
    [retired] = [c for c in changes if c["entity"] == "content"]
    assert retired["data"]["status"] == "retired"
    assert cli.main(["retire-content", "CT-2026-WINTER-01", "--db", sqlite_url]) == 0
    assert "already retired" in capsys.readouterr().out
    assert cli.main(["retire-content", "CT-NOPE", "--db", sqlite_url]) == 1
    assert "content CT-NOPE does not exist" in capsys.readouterr().err
    [row] = hq.content_report()
    assert (row["status"], row["shares"]) == ("retired", 1)


def _share(hq: HQStorage, sid: str, customer: str, guide: str, cid: str, at: str) -> None:
    record = {
        "id": sid,
        "customer_id": customer,
        "guide_id": guide,
        "content_id": cid,
        "task_id": None,
        "channel": "wechat",
        "shared_at": at,
    }
    with hq.write() as tx:
        tx.put("share", [record], scopes="S001")


def test_report_counts_shares_customers_guides_and_purchases_in_the_window(
    hq: HQStorage, hqdata: Any, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pieces = [
        WINTER | {"id": "CT-A", "pictures": []},
        WINTER | {"id": "CT-B", "pictures": [], "campaign": "OTHER"},
        WINTER | {"id": "CT-C", "pictures": []},
    ]
    assert cli.main(["publish-content", str(_write(tmp_path, pieces)), "--db", sqlite_url]) == 0
    capsys.readouterr()
    # small_brand: C1 bought O1 and O2 on 2026-10-01 02:00 (199 yuan each), C4 bought O3.
    _share(hq, "SH1", "C1", "G002", "CT-A", "2026-10-01T00:00:00Z")
    _share(hq, "SH2", "C1", "G002", "CT-A", "2026-10-02T00:00:00Z")  # after O1/O2: none new
    _share(hq, "SH3", "C2", "G001", "CT-A", "2026-10-05T00:00:00Z")
    _share(hq, "SH4", "C4", "G003", "CT-B", "2026-10-03T00:00:00Z")  # O3 was before it
    late = {**hqdata.purchase("O9", "C2", "S001", "G001"), "paid_at": "2026-10-30T00:00:00Z"}
    hq.import_purchases([late])  # 25 days after SH3: outside 14 days, inside 30

    rows = {r["content_id"]: r for r in hq.content_report()}
    figures = ("shares", "customers", "guides", "purchases", "purchase_cents")
    assert tuple(rows["CT-A"][k] for k in figures) == (3, 2, 2, 2, 39800)
    assert tuple(rows["CT-B"][k] for k in figures) == (1, 1, 1, 0, 0)
    assert tuple(rows["CT-C"][k] for k in figures) == (0, 0, 0, 0, 0)
    wide = {r["content_id"]: r for r in hq.content_report(window_days=30)}
    assert (wide["CT-A"]["purchases"], wide["CT-A"]["purchase_cents"]) == (3, 59700)

    assert (
        cli.main(
            ["report", "content", "--campaign", "OTHER", "--format", "json", "--db", sqlite_url]
        )
        == 0
    )
    [only] = json.loads(capsys.readouterr().out)
    assert only["content_id"] == "CT-B"
    assert cli.main(["report", "content", "--format", "csv", "--db", sqlite_url]) == 0
    lines = capsys.readouterr().out.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("content_id,title,kind,campaign,status,shares")
    assert lines[1].startswith("CT-A,") and lines[1].endswith(",3,2,2,0,0,2,39800")
    assert cli.main(["report", "content", "--window-days", "30", "--db", sqlite_url]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["content", "title"]
    assert table[1].split()[0] == "CT-A" and table[1].split()[-1] == "59700"
    assert cli.main(["report", "content", "--campaign", "NONE", "--db", sqlite_url]) == 1
    assert "no content of campaign NONE" in capsys.readouterr().err


def _webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 5
    chunk = b"VP8L" + len(body).to_bytes(4, "little") + body
    return b"RIFF" + (4 + len(chunk)).to_bytes(4, "little") + b"WEBP" + chunk


def test_webp_dimensions_and_a_truncated_webp() -> None:
    info = inspect_picture(_webp_lossless(300, 200))
    assert (info.mime, info.width, info.height) == ("image/webp", 300, 200)
    with pytest.raises(PictureError, match="RIFF length"):
        inspect_picture(_webp_lossless(300, 200)[:-3])


def test_migration_6_upgrades_a_version_5_database(sqlite_url: str, clock: Any) -> None:
    """A database made before content had tags, validity and status: migration 6 adds the
    columns with their declared defaults (rows kept) and the pictures table."""
    hq = HQStorage(sqlite_url, clock=clock)
    hq.migrate()
    hq.put_content([{"id": "CT-OLD", "kind": "copy", "title": "旧文案"}])
    new = ("tags", "campaign", "valid_from", "valid_until", "sku", "price_cents", "caption")
    with hq.write() as tx:
        tx.conn.exec_driver_sql("DROP TABLE pictures")
        for name in (*new, "status"):
            tx.conn.exec_driver_sql(f"ALTER TABLE content DROP COLUMN {name}")
        tx.conn.exec_driver_sql("UPDATE hq_meta SET value = '5' WHERE key = 'schema_version'")
    assert hq.schema_version() == 5
    assert hq.migrate() == SCHEMA_VERSION  # 6 and every step after it
    [row] = hq.content_report()
    assert (row["content_id"], row["status"], row["campaign"]) == ("CT-OLD", "active", None)
    assert hq.put_picture(tiny_png(2, 2)) == hashlib.sha256(tiny_png(2, 2)).hexdigest()
    assert hq.picture(hashlib.sha256(tiny_png(2, 2)).hexdigest()) == ("image/png", tiny_png(2, 2))
    hq.close()
