"""``guidedesk-hq`` commands through ``main([...])``: exit codes, output, CSV imports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sync.hq import cli
from sync.hq.storage import HQStorage

CUSTOMER_HEADER = "customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at"
PURCHASE_HEADER = "order_id,customer_id,store,guide,paid_at,amount,items"


@pytest.fixture
def hq_db(sqlite_url: str) -> str:
    """An initialised HQ with two stores and three guides."""
    for args in (
        ["init"],
        ["add-store", "S001", "上海南京西路店", "--city", "上海"],
        ["add-store", "S002", "杭州湖滨店"],
        ["add-guide", "G001", "王芳", "--store", "S001", "--manager", "--pin", "1234"],
        ["add-guide", "G002", "李娜", "--store", "S001", "--pin", "1234"],
        ["add-guide", "G003", "陈静", "--store", "S002"],
    ):
        assert cli.main([*args, "--db", sqlite_url]) == 0, args
    return sqlite_url


def run(db: str, *args: str) -> int:
    return cli.main([*args, "--db", db])


def status(db: str, capsys: pytest.CaptureFixture[str], store: str | None = None) -> dict:
    capsys.readouterr()
    assert run(db, "status", "--json", *(("--store", store) if store else ())) == 0
    return json.loads(capsys.readouterr().out)


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def customers_in(db: str) -> dict[str, dict]:
    with HQStorage(db) as hq:
        return {c: hq.customer(c) for c in ("C1", "C2", "C3", "C4", "C5") if hq.customer(c)}


# -- imports -----------------------------------------------------------------------------


def test_import_customers_utf8_with_bom(hq_db: str, tmp_path: Path, capsys) -> None:
    path = write_csv(
        tmp_path / "members.csv",
        [
            CUSTOMER_HEADER,
            "C1,张三,13812345678,女,1990-03-05,S001,G002,头部,1200,新品控|职场通勤,2024-03-01",
            "C2,欧阳娜娜,+86 139-1234-5678,F,1992/7/9,S001,G001,waist,0,,2024-03-01 10:30",
            "C3,迪丽热巴·迪力木拉提,,,,S002,,普通,,,",
        ],
        encoding="utf-8-sig",
    )
    assert run(hq_db, "import-customers", str(path)) == 0
    out = capsys.readouterr()
    assert out.out == (
        "imported 3, updated 0, unchanged 0, refused 0, warnings 0 (read as UTF-8 with BOM)\n"
    )
    assert out.err == ""
    found = customers_in(hq_db)
    assert found["C1"]["name"] == "张三" and found["C1"]["tier"] == "head"
    assert found["C1"]["tags"] == ["新品控", "职场通勤"] and found["C1"]["points"] == 1200
    assert found["C1"]["joined_at"] == "2024-02-29T16:00:00Z"  # China midnight, in UTC
    assert found["C2"]["phone"] == "13912345678" and found["C2"]["birthday"] == "1992-07-09"
    assert found["C2"]["joined_at"] == "2024-03-01T02:30:00Z"
    assert found["C3"]["guide_id"] is None and found["C3"]["gender"] == ""


def test_import_customers_gb18030_from_excel(hq_db: str, tmp_path: Path, capsys) -> None:
    path = write_csv(
        tmp_path / "excel.csv",
        [CUSTOMER_HEADER, "C1,司马𠮷,13812345678,男,,S001,G002,腰部,10,羊绒爱好者,"],
        encoding="gb18030",
    )
    assert run(hq_db, "import-customers", str(path)) == 0
    found = customers_in(hq_db)["C1"]
    assert found["name"] == "司马𠮷" and found["gender"] == "M" and found["tags"] == ["羊绒爱好者"]


def test_bad_lines_are_reported_by_number_and_good_lines_imported(
    hq_db: str, tmp_path: Path, capsys
) -> None:
    path = write_csv(
        tmp_path / "members.csv",
        [
            CUSTOMER_HEADER,
            "C1,张三,13812345678,女,,S001,G002,普通,0,,",
            "C2,李四,12345,女,,S001,G002,普通,0,,",
            "C3,王五,13812345679,女,,S009,G002,普通,0,,",
            "C4,赵六,13812345670,女,,S001,G003,普通,0,,",
            "C5,钱七,13812345671,x,1990-02-30,S001,G002,金卡,abc,,",
            ",无名,13812345672,女,,S001,G002,普通,0,,",
            "C6,孙八,13812345673,女,,S001,G002,普通,0,,,extra",
        ],
    )
    assert run(hq_db, "import-customers", str(path)) == 1
    out = capsys.readouterr()
    assert out.out.startswith("imported 1, updated 0, unchanged 0, refused 6,")
    errors = out.err.strip().splitlines()
    assert errors == [
        "line 3: phone '12345' is not a mobile number",
        "line 4: store 'S009' is unknown (add it with add-store)",
        "line 5: guide G003 works in store S002, not S001",
        "line 6: gender 'x' is not 男/女/M/F or empty",
        "line 7: customer_id is empty",
        "line 8: 12 fields, the header has 11",
    ]
    assert set(customers_in(hq_db)) == {"C1"}


def test_reimport_updates_and_never_duplicates(hq_db: str, tmp_path: Path, capsys) -> None:
    lines = [
        CUSTOMER_HEADER,
        "C1,张三,13812345678,女,,S001,G002,普通,0,新品控,",
        "C2,李四,13812345679,女,,S001,G002,普通,0,,",
    ]
    path = write_csv(tmp_path / "members.csv", lines)
    assert run(hq_db, "import-customers", str(path)) == 0
    before = status(hq_db, capsys)["counts"]
    assert run(hq_db, "import-customers", str(path)) == 0
    assert capsys.readouterr().out.startswith("imported 0, updated 0, unchanged 2, refused 0,")
    assert status(hq_db, capsys)["counts"] == before  # no new rows, no new change rows
    # A later line with the same id wins; a changed line is an update.
    lines.append("C1,张三,13812345678,女,,S001,G002,头部,500,职场通勤,")
    write_csv(path, lines)
    assert run(hq_db, "import-customers", str(path)) == 0
    assert capsys.readouterr().out.startswith("imported 0, updated 1, unchanged 1, refused 0,")
    c1 = customers_in(hq_db)["C1"]
    assert c1["tier"] == "head" and c1["points"] == 500
    assert c1["tags"] == ["新品控", "职场通勤"]  # CRM tags are added, a guide's kept
    assert status(hq_db, capsys)["counts"]["customers"] == 2


def test_import_moving_a_customer_goes_through_the_move(hq_db: str, tmp_path: Path, capsys) -> None:
    path = write_csv(
        tmp_path / "m.csv", [CUSTOMER_HEADER, "C1,张三,13812345678,女,,S001,G002,普通,0,,"]
    )
    assert run(hq_db, "import-customers", str(path)) == 0
    write_csv(path, [CUSTOMER_HEADER, "C1,张三,13812345678,女,,S002,G003,普通,0,,"])
    assert run(hq_db, "import-customers", str(path)) == 0
    with HQStorage(hq_db) as hq:
        assert [o["guide_id"] for o in hq.owners("C1")] == ["G002", "G003"]
        assert hq.counts("S002")["tasks"] == 1  # the handover task


def test_import_purchases(hq_db: str, tmp_path: Path, capsys) -> None:
    write_csv(
        tmp_path / "members.csv",
        [CUSTOMER_HEADER, "C1,张三,13812345678,女,,S001,G002,普通,0,,"],
    )
    assert run(hq_db, "import-customers", str(tmp_path / "members.csv")) == 0
    path = write_csv(
        tmp_path / "orders.csv",
        [
            PURCHASE_HEADER,
            "O1,C1,S001,G002,2026-10-01 18:00,1299.00,DR001-BK*1|KN002-WH*2",
            "O2,C1,S002,,2026-10-02T02:00:00Z,¥99.5,SKU9",
            "O3,C9,S001,G002,2026-10-01,10.00,SKU1*1",
            "O4,C1,S001,G002,2026-10-01,12.345,SKU1*1",
            "O5,C1,S001,G002,someday,12.00,SKU1*1",
            "O6,C1,S001,G002,2026-10-01,12.00,SKU1*0",
        ],
    )
    capsys.readouterr()
    assert run(hq_db, "import-purchases", str(path)) == 1
    out = capsys.readouterr()
    assert out.out.startswith("imported 2, updated 0, unchanged 0, refused 4,")
    assert out.err.strip().splitlines() == [
        "line 4: customer 'C9' is unknown (import customers first)",
        "line 5: amount '12.345' is not a yuan amount with at most 2 decimals",
        "line 6: paid_at 'someday' is not a date or time (YYYY-MM-DD HH:MM)",
        "line 7: item 'SKU1*0': quantity must be 1–9999",
    ]
    with HQStorage(hq_db) as hq, hq.write() as tx:
        orders = tx.load("purchase", ["O1", "O2"])
    assert (
        orders["O1"]["amount_cents"] == 129900 and orders["O1"]["paid_at"] == "2026-10-01T10:00:00Z"
    )
    assert orders["O1"]["items"] == [
        {"sku": "DR001-BK", "qty": 1, "price_cents": None},
        {"sku": "KN002-WH", "qty": 2, "price_cents": None},
    ]
    assert orders["O2"]["amount_cents"] == 9950 and orders["O2"]["guide_id"] is None
    # Re-import: nothing new.
    assert run(hq_db, "import-purchases", str(path)) == 1
    assert capsys.readouterr().out.startswith("imported 0, updated 0, unchanged 2, refused 4,")
    assert status(hq_db, capsys)["counts"]["purchases"] == 2


def test_import_file_problems_are_one_line_failures(hq_db: str, tmp_path: Path, capsys) -> None:
    assert run(hq_db, "import-customers", str(tmp_path / "missing.csv")) == 1
    assert "cannot read" in capsys.readouterr().err
    wrong = write_csv(tmp_path / "wrong.csv", ["id,name", "C1,张三"])
    assert run(hq_db, "import-customers", str(wrong)) == 1
    err = capsys.readouterr().err
    assert "missing columns: customer_id" in err and len(err.strip().splitlines()) == 1
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x81\x30\xff\xfe" * 10)
    assert run(hq_db, "import-customers", str(binary)) == 1
    assert "neither UTF-8 nor GB18030" in capsys.readouterr().err


# -- other commands ----------------------------------------------------------------------


def test_enroll_code_is_alone_on_stdout(hq_db: str, capsys) -> None:
    capsys.readouterr()
    assert run(hq_db, "enroll-code", "--store", "S001", "--hours", "2") == 0
    out = capsys.readouterr().out
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\n", out)
    with HQStorage(hq_db) as hq:
        assert hq.enroll(out.strip(), "t") is not None  # only its hash was stored
        with hq.read() as conn:
            stored = [r[0] for r in conn.exec_driver_sql("SELECT code_hash FROM enroll_codes")]
    assert out.strip() not in stored and len(stored[0]) == 64
    assert run(hq_db, "enroll-code", "--store", "S404") == 1
    assert "S404" in capsys.readouterr().err


def test_status_json(hq_db: str, capsys) -> None:
    everything = status(hq_db, capsys)
    assert everything["schema_version"] >= 1
    counts = everything["counts"]
    assert {"customers", "purchases", "followups", "terminals"} <= set(counts)
    assert counts["stores"] == 2 and counts["guides"] == 3
    one = status(hq_db, capsys, store="S002")
    assert one["store"] == "S002" and one["counts"]["guides"] == 1 and one["head"]
    assert run(hq_db, "status", "--store", "S404") == 1


def test_moves_terminals_and_compaction(hq_db: str, tmp_path: Path, capsys) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            CUSTOMER_HEADER,
            "C1,张三,13812345678,女,,S001,G002,普通,0,,",
            "C2,李四,13812345679,女,,S001,G002,普通,0,,",
        ],
    )
    assert run(hq_db, "import-customers", str(path)) == 0
    assert run(hq_db, "move-customer", "C1", "--guide", "G003") == 0
    assert run(hq_db, "move-customer", "C404", "--guide", "G003") == 1
    assert run(hq_db, "depart-guide", "G002", "--to", "G001") == 0
    assert run(hq_db, "depart-guide", "G002", "--to", "G404") == 1
    found = customers_in(hq_db)
    assert found["C1"]["guide_id"] == "G003" and found["C2"]["guide_id"] == "G001"

    with HQStorage(hq_db) as hq:
        terminal_id = hq.enroll(hq.create_enroll_code("S001"), "counter").terminal_id
    capsys.readouterr()
    assert run(hq_db, "list-terminals", "--json") == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == terminal_id and row["active"] and "token_hash" not in row
    assert run(hq_db, "revoke-terminal", terminal_id) == 0
    assert run(hq_db, "revoke-terminal", "T-nope") == 1
    capsys.readouterr()
    assert run(hq_db, "list-terminals", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["revoked_at"]

    assert run(hq_db, "compact", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] > 0 and report["horizon"]


def test_known_failures_exit_1_with_one_line(sqlite_url: str, hq_db: str, capsys) -> None:
    capsys.readouterr()
    assert run(hq_db, "add-guide", "G9", "某某", "--store", "S404") == 1
    assert run(hq_db, "add-guide", "G9", "某某", "--store", "S001", "--pin", "12") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "S404" in err[0] and "PIN" in err[1]
    fresh = sqlite_url.replace("hq.sqlite3", "fresh.sqlite3")
    assert cli.main(["status", "--db", fresh]) == 1
    assert "guidedesk-hq init" in capsys.readouterr().err
    assert cli.main(["status", "--db", "mysql://nope"]) == 1


def test_demo_data_and_prepare_demo(sqlite_url: str, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GUIDEDESK_HQ_DB", sqlite_url)  # --db may come from the environment
    assert cli.main(["init"]) == 0
    assert cli.main(["demo-data", "--customers", "120", "--seed", "3"]) == 0
    assert "120 customers" in capsys.readouterr().out
    assert cli.main(["demo-data", "--customers", "120"]) == 0
    assert "already loaded" in capsys.readouterr().out
    counts = status(sqlite_url, capsys)["counts"]
    assert counts["customers"] == 120 and counts["purchases"] > 0 and counts["guides"] >= 8
    assert 30 < counts["followups"] < 400  # about half the members, one to four each

    other = sqlite_url.replace("hq.sqlite3", "prepared.sqlite3")
    cli.prepare_demo(other, customers=50)
    cli.prepare_demo(other, customers=50)  # idempotent
    with HQStorage(other) as hq:
        assert hq.counts()["customers"] == 50
        assert hq.stores_and_guides()[1]["G001"]["pin_verifier"].startswith("$argon2")
