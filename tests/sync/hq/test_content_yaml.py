"""Content (and task) files may be YAML: the same checks as JSON, dates kept as written,
and a YAML mistake named by its line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sync.hq import cli
from sync.hq.storage import HQStorage
from tests.sync.hq.pictures_util import tiny_png

WINTER_YAML = """\
# 冬季活动 (HQ marketing, 2026-12)
- id: CT-2026-WINTER-01
  kind: copy
  title: 冬季新品到店
  body: "{称呼}您好，我是{门店}的{导购}，冬季新品到店了，周末来试穿吧。"
  pictures: [winter.png]
  tags: [新品, 冬季]
  campaign: WINTER26
  valid_from: 2026-12-01
  valid_until: 2026-12-31
  category_631: brand
- id: CT-P-1
  kind: product
  title: 羊绒大衣
  sku: SKU-COAT-1
  price: 1299.5
  category_631: selling
"""


@pytest.fixture
def hq(sqlite_storage: HQStorage, hqdata: Any) -> HQStorage:
    hqdata.small_brand(sqlite_storage)
    return sqlite_storage


def test_a_yaml_content_file_publishes_like_json(
    hq: HQStorage, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "winter.png").write_bytes(tiny_png(8, 6))
    path = tmp_path / "winter.yaml"
    path.write_text(WINTER_YAML, encoding="utf-8")
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) == 0
    assert "content CT-2026-WINTER-01 published" in capsys.readouterr().out
    rows = {r["content_id"]: r for r in hq.content_report()}
    assert rows["CT-2026-WINTER-01"]["campaign"] == "WINTER26"
    page = hq.pull("S001", None, 1000)
    data = {
        c["id"]: c["data"] for c in json.loads(page.body)["changes"] if c["entity"] == "content"
    }
    winter = data["CT-2026-WINTER-01"]
    assert (winter["valid_from"], winter["valid_until"]) == ("2026-12-01", "2026-12-31")
    assert len(winter["images"]) == 1 and len(winter["images"][0]) == 64
    assert data["CT-P-1"]["price_cents"] == 129950


def test_a_yaml_mistake_names_its_line_and_nothing_is_published(
    hq: HQStorage, sqlite_url: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("- id: CT-X\n  kind: copy\n  title: [未闭合\n", encoding="utf-8")
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) != 0
    err = capsys.readouterr().err
    assert "not valid YAML" in err and "line " in err
    assert hq.content_report() == []
    # The checks are the content file's own: a bad kind in YAML is named like in JSON.
    path.write_text("id: CT-Y\nkind: flyer\ntitle: 传单\n", encoding="utf-8")
    assert cli.main(["publish-content", str(path), "--db", sqlite_url]) != 0
    assert "CT-Y kind" in capsys.readouterr().err
