"""``guidedesk-hq`` commands through ``main([...])``: exit codes, output, CSV imports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
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
        ["add-guide", "G001", "王芳", "--store", "S001", "--manager", "--pin", "246810"],
        ["add-guide", "G002", "李娜", "--store", "S001", "--pin", "246810"],
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


# -- hostile files, end to end -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]
# Twenty names whose UTF-8 bytes also decode as GB18030 without an error (as mojibake):
# the file the testers sent, where one pasted GBK line made the old importer re-read the
# whole file as GB18030 and overwrite all twenty names.
TRAP_NAMES = "田婷 王彤 高敏 王楠 李慧 田悦 杨楠 张洁 余月 员妍 公孙蕾萱 杨莉 李君 陈梅 周雪 李红 杨琪 王春 钱月 李燕"


def hq_cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``guidedesk-hq`` as its own process, warnings as errors."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-m", "sync.hq.cli", *args, "--db", db],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def trap_line(n: int, name: str, points: int = 10) -> str:
    return f"C{n},{name},138000000{n:02d},F,,S001,G002,regular,{points},,2024-03-01"


def test_a_pasted_gbk_line_never_turns_names_into_mojibake_end_to_end(
    hq_db: str, tmp_path: Path
) -> None:
    names = TRAP_NAMES.split()
    first = write_csv(
        tmp_path / "members.csv",
        [CUSTOMER_HEADER, *(trap_line(n, s) for n, s in enumerate(names, 1))],
    )
    done = hq_cli(hq_db, "import-customers", str(first))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("imported 20, updated 0, unchanged 0, refused 0, warnings 0")

    lines = [CUSTOMER_HEADER, *(trap_line(n, s, points=99) for n, s in enumerate(names, 1))]
    raw = ("\r\n".join(lines[:11]) + "\r\n").encode()
    raw += trap_line(21, "欧阳娜娜").encode("gbk") + b"\r\n"  # line 12, pasted from GBK
    raw += ("\r\n".join(lines[11:]) + "\r\n").encode()
    raw.decode("gb18030")  # the trap: the whole file decodes as GB18030 without an error
    second = tmp_path / "members-fixed.csv"
    second.write_bytes(raw)
    done = hq_cli(hq_db, "import-customers", str(second), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["encoding"] == "UTF-8"
    assert (report["imported"], report["updated"], report["unchanged"]) == (0, 20, 0)
    assert report["refused"] == [
        {
            "line": 12,
            "reason": "the line is not UTF-8 text like the rest of the file"
            " (pasted from a GBK/GB18030 export?)",
        }
    ]
    assert done.stderr.splitlines() == [f"line 12: {report['refused'][0]['reason']}"]
    with HQStorage(hq_db) as hq:
        stored = {n: hq.customer(f"C{n}") for n in range(1, 22)}
    assert [stored[n]["name"] for n in range(1, 21)] == names
    assert all(stored[n]["points"] == 99 for n in range(1, 21)) and stored[21] is None

    done = hq_cli(hq_db, "show-customer", "C11", "--json")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["name"] == "公孙蕾萱" and card["phone"] == "138****0011"
    done = hq_cli(hq_db, "show-customer", "C21")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "guidedesk-hq: customer C21 does not exist\n"


def test_badly_typed_lines_exit_1_with_every_line_named(hq_db: str, tmp_path: Path, capsys) -> None:
    path = write_csv(
        tmp_path / "members.csv",
        [
            CUSTOMER_HEADER,
            "C1,张三,13812345678,女,,S001,G002,普通,²,,",
            "C2,李四,13812345679,女,,S001,G002,普通,12345678901234567890,,",
            "C3,王五,13812345670,女,,S001,G002,普通,1e30,,",
            "C4,赵六,13812345671,女,,S001,G002,普通,-5,,",
            "C5,钱七,13812345672,女,2024-02-30,S001,G002,普通,0,,",
            "C6,孙\x00八,13812345673,女,,S001,G002,普通,0,,",
            "C7,周九,13812345674,女,,S001,G002,普通,１２,,",
            'C8,吴十,13812345675,女,1990-01-01,S001,G002,普通,"1,200",,2024-03-01 10:00',
        ],
    )
    capsys.readouterr()
    assert run(hq_db, "import-customers", str(path), "--json") == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert [r["line"] for r in report["refused"]] == [2, 3, 4, 5, 6, 7, 8]
    assert out.err.splitlines() == [
        "line 2: points '²' has a digit that is not 0-9 (full-width or superscript):"
        " type it again with ASCII digits",
        "line 3: points '12345678901234567890' is out of range (0–999,999,999)",
        "line 4: points '1e30' is not a whole number (digits 0-9)",
        "line 5: points '-5' is negative",
        "line 6: birthday '2024-02-30' is not a date (YYYY-MM-DD)",
        "line 7: name contains a control character (U+0000)",
        "line 8: points '１２' has a digit that is not 0-9 (full-width or superscript):"
        " type it again with ASCII digits",
    ]
    assert report["imported"] == 1 and set(customers_in(hq_db)) == set()  # C8 only
    with HQStorage(hq_db) as hq:
        assert hq.customer("C8")["points"] == 1200


def test_duplicate_phones_are_warnings_and_exit_0(hq_db: str, tmp_path: Path, capsys) -> None:
    write_csv(tmp_path / "a.csv", [CUSTOMER_HEADER, "C1,张三,13812345678,女,,S001,G002,普通,0,,"])
    assert run(hq_db, "import-customers", str(tmp_path / "a.csv")) == 0
    path = write_csv(
        tmp_path / "b.csv",
        [
            CUSTOMER_HEADER,
            "C2,张三,138 1234 5678,女,,S001,G002,普通,0,,",
            "C3,李四,13912345678,女,,S002,G003,普通,0,,",
            "C4,李四,13912345678,女,,S001,,普通,0,,",
        ],
    )
    capsys.readouterr()
    assert run(hq_db, "import-customers", str(path)) == 0
    out = capsys.readouterr()
    assert out.out == (
        "imported 3, updated 0, unchanged 0, refused 0, warnings 2 (read as UTF-8)\n"
    )
    assert out.err.splitlines() == [
        "line 2: warning: phone 138****5678 of C2 is also held by C1 at HQ",
        "line 4: warning: phone 139****5678 of C4 is also held by C3 (line 3)",
    ]
    assert run(hq_db, "import-customers", str(path), "--json") == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert [(w["line"], w["customer_id"], w["other_id"]) for w in warnings] == [
        (2, "C2", "C1"),
        (4, "C4", "C3"),
    ]


# -- show-customer -----------------------------------------------------------------------


@pytest.fixture
def member_c1(hq_db: str, tmp_path: Path) -> str:
    """C1 with a purchase and a move behind it: G002 (S001), then G003 (S002)."""
    write_csv(
        tmp_path / "m.csv",
        [
            CUSTOMER_HEADER,
            "C1,张三,13812345678,女,1990-03-05,S001,G002,头部,1200,新品控|职场通勤,2024-03-01",
        ],
    )
    write_csv(
        tmp_path / "o.csv", [PURCHASE_HEADER, "O1,C1,S001,G002,2026-10-01 18:00,1299.00,DR001*1"]
    )
    assert run(hq_db, "import-customers", str(tmp_path / "m.csv")) == 0
    assert run(hq_db, "import-purchases", str(tmp_path / "o.csv")) == 0
    assert run(hq_db, "move-customer", "C1", "--guide", "G003") == 0
    return hq_db


def test_show_customer_masks_the_phone(member_c1: str, capsys) -> None:
    capsys.readouterr()
    assert run(member_c1, "show-customer", "C1") == 0
    out = capsys.readouterr().out
    assert "13812345678" not in out
    lines = out.splitlines()
    assert lines[:2] == ["customer   C1  张三", "phone      138****5678"]
    assert "store      S002  杭州湖滨店" in lines and "guide      G003  陈静" in lines
    assert "tags       新品控 | 职场通勤" in lines and "points     1,200" in lines
    assert "counts     1 purchases, 0 followups, 0 shares, 0 appointments" in lines
    owners = lines[lines.index("owners") + 1 :]
    assert len(owners) == 2 and "G002 李娜  S001 上海南京西路店" in owners[0]
    assert owners[1].split()[2] == "now"
    with HQStorage(member_c1) as hq, hq.read() as conn:
        reveals = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_log WHERE action = 'reveal_phone'"
        ).scalar()
    assert reveals == 0  # masked: nothing to audit (the move to G003 is the only entry)


def test_show_customer_reveal_is_audited_and_json(member_c1: str, capsys) -> None:
    capsys.readouterr()
    assert run(member_c1, "show-customer", "C1", "--reveal", "--json") == 0
    card = json.loads(capsys.readouterr().out)
    assert card["phone"] == "13812345678" and card["phone_revealed"] is True
    assert card["store"] == {"id": "S002", "name": "杭州湖滨店"}
    assert card["guide"] == {"id": "G003", "name": "陈静", "active": True}
    assert (card["tier"], card["points"], card["tags"]) == ("head", 1200, ["新品控", "职场通勤"])
    assert card["birthday"] == "1990-03-05" and card["joined_at"] == "2024-02-29T16:00:00Z"
    assert card["sizes"] == {}
    assert card["counts"] == {"purchases": 1, "followups": 0, "shares": 0, "appointments": 0}
    assert [(o["guide_id"], o["store_id"], o["until"] is None) for o in card["owners"]] == [
        ("G002", "S001", False),
        ("G003", "S002", True),
    ]
    with HQStorage(member_c1) as hq, hq.read() as conn:
        audit = conn.exec_driver_sql(
            "SELECT action, customer_id, detail FROM audit_log WHERE action != 'move'"
        ).all()
    assert [(a, c) for a, c, _ in audit] == [("reveal_phone", "C1")]
    assert "show-customer --reveal" in audit[0][2]
    assert run(member_c1, "show-customer", "C1", "--json") == 0
    assert json.loads(capsys.readouterr().out)["phone"] == "138****5678"


def test_show_customer_unknown_id_is_one_line(hq_db: str, capsys) -> None:
    capsys.readouterr()
    assert run(hq_db, "show-customer", "C404", "--json") == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err == "guidedesk-hq: customer C404 does not exist\n"


def test_import_help_documents_the_formats_in_plain_text(capsys) -> None:
    for command, column in (("import-customers", "joined_at"), ("import-purchases", "items")):
        with pytest.raises(SystemExit) as exit_:
            cli.main([command, "--help"])
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        assert column in text and "GB18030" in text and "Exit status" in text
        assert "``" not in text and ":meth:" not in text


def test_the_demo_brand_comes_with_campaigns_running_today(tmp_path) -> None:
    """The demo's Tasks page has work on it: every demo campaign publishes and targets
    someone (the rules are real rules over the generated brand)."""
    from sync.hq.cli import load_demo
    from sync.hq.storage import HQStorage

    with HQStorage(f"sqlite:///{tmp_path / 'hq.sqlite3'}") as storage:
        storage.migrate()
        counts = load_demo(storage, customers=400)
        assert counts is not None and counts["campaigns"] == 4
        rows = storage.task_report()
    by_campaign: dict[str, int] = {}
    for row in rows:
        by_campaign[row["campaign_id"]] = by_campaign.get(row["campaign_id"], 0) + row["targets"]
    assert set(by_campaign) == {"DEMO-BDAY", "DEMO-WINBACK", "DEMO-NEW", "DEMO-SHARE"}
    assert all(n > 0 for n in by_campaign.values()), by_campaign


def test_a_store_s_time_zone_is_set_kept_and_checked(sqlite_url: str, capsys) -> None:
    from sync.hq.storage import HQStorage

    assert cli.main(["init", "--db", sqlite_url]) == 0
    assert cli.main(["add-store", "S9", "乌鲁木齐店", "--db", sqlite_url]) == 0
    assert (
        cli.main(
            ["add-store", "S8", "乌鲁木齐二店", "--timezone", "Asia/Urumqi", "--db", sqlite_url]
        )
        == 0
    )
    # Renaming without --timezone keeps the zone; an unknown zone is refused in a line.
    assert cli.main(["add-store", "S8", "乌鲁木齐旗舰店", "--db", sqlite_url]) == 0
    assert cli.main(["add-store", "S7", "x", "--timezone", "Mars/Base", "--db", sqlite_url]) == 1
    assert "unknown time zone" in capsys.readouterr().err
    with HQStorage(sqlite_url) as storage:
        found, _ = storage.stores_and_guides()
    assert found["S9"]["timezone"] == "Asia/Shanghai"
    assert (found["S8"]["name"], found["S8"]["timezone"]) == ("乌鲁木齐旗舰店", "Asia/Urumqi")
    assert "S7" not in found
