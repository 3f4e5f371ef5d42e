"""The demo brand's content library: a WINTER26 campaign and a few pieces of every kind
and 631 category, with pictures drawn here (valid PNGs written with zlib; no Pillow, no
Qt), published through the same checks as ``guidedesk-hq publish-content``.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sync.hq.content import ContentPiece, parse_content_file

CAMPAIGN = "WINTER26"
WINTER_ID = "CT-WINTER26-01"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def picture_png(
    top: tuple[int, int, int],
    bottom: tuple[int, int, int],
    accent: tuple[int, int, int],
    *,
    width: int = 320,
    height: int = 240,
    shape: str = "coat",
) -> bytes:
    """A small picture: a vertical gradient, a soft floor, and a simple silhouette in
    ``accent`` (a coat, a scarf, a bag or a poster frame)."""
    cx = width // 2
    rows = bytearray()
    for y in range(height):
        t = y / (height - 1)
        base = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        line = bytearray(base * width)
        if y > height * 0.82:  # the floor, a little darker
            line = bytearray(max(c - 18, 0) for c in line)

        def paint(x0: int, x1: int, colour=accent, line=line) -> None:
            for x in range(max(x0, 0), min(x1, width)):
                line[3 * x : 3 * x + 3] = bytes(colour)

        if shape == "coat" and height * 0.18 <= y <= height * 0.8:
            k = (y - height * 0.18) / (height * 0.62)
            half = int(width * (0.12 + 0.08 * k))
            paint(cx - half, cx + half)
            if y < height * 0.55:  # sleeves
                paint(cx - half - 22, cx - half - 6)
                paint(cx + half + 6, cx + half + 22)
            paint(cx - 1, cx + 1, tuple(max(c - 60, 0) for c in accent))
        elif shape == "scarf" and height * 0.25 <= y <= height * 0.75:
            offset = int((y - height * 0.25) * 0.6)
            paint(cx - 70 + offset, cx - 30 + offset)
            paint(cx + 10 - offset // 2, cx + 40 - offset // 2)
        elif shape == "bag" and height * 0.35 <= y <= height * 0.78:
            paint(cx - 60, cx + 60)
        elif shape == "bag" and height * 0.2 <= y < height * 0.35:
            paint(cx - 40, cx - 30)
            paint(cx + 30, cx + 40)
        elif shape == "poster" and height * 0.1 <= y <= height * 0.9:
            paint(int(width * 0.15), int(width * 0.85))
            if height * 0.4 <= y <= height * 0.5:
                paint(int(width * 0.25), int(width * 0.75), (255, 255, 255))
        rows += b"\x00" + line
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


_PICTURES: dict[
    str, tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int], str]
] = {
    "winter.png": ((214, 228, 240), (170, 190, 210), (120, 72, 52), "coat"),
    "cashmere.png": ((245, 236, 222), (222, 205, 180), (176, 48, 58), "scarf"),
    "outfit.png": ((236, 240, 232), (200, 210, 196), (52, 74, 96), "coat"),
    "poster.png": ((40, 52, 80), (20, 26, 40), (196, 160, 92), "poster"),
    "bag.png": ((248, 242, 236), (226, 214, 204), (90, 60, 44), "bag"),
    "care.png": ((230, 240, 236), (200, 220, 212), (96, 140, 120), "scarf"),
}


def demo_pieces(today: date, skus: list[str]) -> list[dict[str, Any]]:
    """The library as a content file would say it; validity around ``today``."""
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    sku = lambda n: skus[n % len(skus)] if skus else f"SKU{n:03d}"  # noqa: E731
    return [
        {
            "id": WINTER_ID,
            "kind": "copy",
            "title": "冬季新品到店",
            "body": "{称呼}您好，我是{门店}的{导购}，冬季新品到店了，周末来试穿吧。",
            "pictures": ["winter.png"],
            "tags": ["新品", "冬季"],
            "campaign": CAMPAIGN,
            "valid_from": day(-7),
            "valid_until": day(30),
            "category_631": "brand",
        },
        {
            "id": "CT-WINTER26-02",
            "kind": "poster",
            "title": "WINTER26 冬季大片",
            "body": "{称呼}，我们的冬季大片上线啦，这一季的主题是「暖」。",
            "pictures": ["poster.png"],
            "tags": ["冬季", "海报"],
            "campaign": CAMPAIGN,
            "valid_from": day(-7),
            "valid_until": day(30),
            "category_631": "brand",
        },
        {
            "id": "CT-WINTER26-03",
            "kind": "outfit",
            "title": "通勤穿搭：驼色大衣 + 羊绒围巾",
            "body": "{称呼}，这套通勤搭配很适合您，周末来店试一试？",
            "caption": "驼色大衣配酒红围巾，上班和周末都好穿。",
            "skus": [sku(1), sku(2)],
            "pictures": ["outfit.png"],
            "tags": ["穿搭", "通勤"],
            "campaign": CAMPAIGN,
            "valid_from": day(-7),
            "valid_until": day(30),
            "category_631": "brand",
        },
        {
            "id": "CT-WINTER26-04",
            "kind": "product",
            "title": "羊绒围巾（酒红）",
            "body": "{称呼}，今年的羊绒围巾到了，柔软不扎，送人也合适。",
            "sku": sku(3),
            "price": 899,
            "pictures": ["cashmere.png"],
            "tags": ["新品", "配饰"],
            "campaign": CAMPAIGN,
            "valid_from": day(-7),
            "valid_until": day(30),
            "category_631": "brand",
        },
        {
            "id": "CT-WINTER26-05",
            "kind": "product",
            "title": "小号托特包",
            "body": "{称呼}，您上次看过的托特包补货了，颜色很正。",
            "sku": sku(4),
            "price": 1299,
            "pictures": ["bag.png"],
            "tags": ["配饰"],
            "campaign": CAMPAIGN,
            "valid_from": day(-7),
            "valid_until": day(30),
            "category_631": "selling",
        },
        {
            "id": "CT-CARE-01",
            "kind": "copy",
            "title": "羊绒的洗护小贴士",
            "body": "{称呼}您好，天冷了羊绒穿得多，手洗用冷水、平铺晾干，有问题随时问我。",
            "pictures": ["care.png"],
            "tags": ["售后", "保养"],
            "category_631": "service",
        },
        {
            "id": "CT-CARE-02",
            "kind": "copy",
            "title": "会员免费修改裤长",
            "body": "{称呼}，会员购买的裤装可以免费改裤长，三天取件，来店时告诉我就行。",
            "tags": ["会员", "售后"],
            "category_631": "service",
        },
        {
            "id": "CT-WINTER26-06",
            "kind": "copy",
            "title": "会员日冬季新品 9 折",
            "body": "{称呼}，本周六会员日，冬季新品 9 折，积分双倍，我给您留好尺码。",
            "tags": ["会员日", "冬季"],
            "campaign": CAMPAIGN,
            "valid_from": day(-1),
            "valid_until": day(6),
            "category_631": "selling",
        },
        {
            "id": "CT-AUTUMN-OLD",
            "kind": "poster",
            "title": "秋季上新（已结束）",
            "body": "{称呼}，秋季上新活动。",
            "pictures": ["poster.png"],
            "tags": ["秋季"],
            "campaign": "AUTUMN26",
            "valid_from": day(-70),
            "valid_until": day(-20),
            "category_631": "brand",
        },
    ]


def demo_content(today: date, skus: list[str]) -> list[ContentPiece]:
    """The pieces, checked as a content file is (pictures included)."""
    with tempfile.TemporaryDirectory(prefix="gd-demo-content-") as folder:
        base = Path(folder)
        for name, (top, bottom, accent, shape) in _PICTURES.items():
            (base / name).write_bytes(picture_png(top, bottom, accent, shape=shape))
        return parse_content_file(demo_pieces(today, skus), base)
