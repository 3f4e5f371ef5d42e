"""The CRM importers against hostile files: mixed encodings, badly typed values, shared
phones. Each case runs on SQLite and, when GUIDEDESK_TEST_PG_URL is set, PostgreSQL."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.hq import importers
from sync.hq.importers import GB18030, UTF8, UTF8_BOM, ImportFileError
from sync.hq.storage import HQStorage

CUSTOMER_HEADER = "customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at"
PURCHASE_HEADER = "order_id,customer_id,store,guide,paid_at,amount,items"
NAMES = "张三 李四 王五 赵六 钱七 孙八 周九 吴十 郑一 冯二 陈静 褚卫 蒋沈 韩杨 朱秦 尤许 何吕 施张 孔曹 严华"


def member(n: int, name: str | None = None, **fields: str) -> str:
    """One members CSV line; fields override the defaults by column name."""
    values = {
        "customer_id": f"C{n}",
        "name": name or NAMES.split()[(n - 1) % 20],
        "phone": f"138{n:08d}",
        "gender": "女",
        "birthday": "1990-03-05",
        "store": "S001",
        "guide": "G002",
        "tier": "普通",
        "points": str(n * 10),
        "tags": "新品控",
        "joined_at": "2024-03-01",
    }
    values.update(fields)
    return ",".join(quoted(values[c]) for c in importers.CUSTOMER_COLUMNS)


def quoted(value: str) -> str:
    """A CSV field: quoted when it holds a comma or a line break (unless quoted already)."""
    if ("," in value or "\n" in value) and not value.startswith('"'):
        return f'"{value}"'
    return value


def write(path: Path, lines: list[str | bytes], encoding: str = "utf-8") -> Path:
    """A CSV file; str lines in ``encoding``, bytes lines as they are (a pasted line)."""
    raw = b"".join(
        (line if isinstance(line, bytes) else line.encode(encoding)) + b"\r\n" for line in lines
    )
    path.write_bytes(raw)
    return path


@pytest.fixture
def hq(storage: HQStorage) -> HQStorage:
    storage.add_store("S001", "上海南京西路店", "上海")
    storage.add_store("S002", "杭州湖滨店", "杭州")
    storage.add_guide("G001", "王芳", store_id="S001", is_manager=True)
    storage.add_guide("G002", "李娜", store_id="S001")
    storage.add_guide("G003", "陈静", store_id="S002")
    return storage


def names(hq: HQStorage, ids: range) -> dict[str, str | None]:
    return {f"C{n}": (hq.customer(f"C{n}") or {}).get("name") for n in ids}


# -- encodings ---------------------------------------------------------------------------


def test_a_gbk_line_in_a_utf8_file_is_refused_and_no_name_becomes_mojibake(
    hq: HQStorage, tmp_path: Path
) -> None:
    first = write(tmp_path / "first.csv", [CUSTOMER_HEADER, *(member(n) for n in range(1, 21))])
    assert importers.import_customers(hq, first).imported == 20
    before = names(hq, range(1, 21))
    # The same members again, points changed, and one line pasted from a GBK export.
    lines: list[str | bytes] = [CUSTOMER_HEADER]
    lines += [member(n, points="7") for n in range(1, 21)]
    lines.insert(6, member(21, name="欧阳娜娜").encode("gbk"))  # line 7
    report = importers.import_customers(hq, write(tmp_path / "mixed.csv", lines))
    assert report.encoding == UTF8
    assert [(e.line, e.reason) for e in report.refused] == [
        (
            7,
            "the line is not UTF-8 text like the rest of the file"
            " (pasted from a GBK/GB18030 export?)",
        )
    ]
    assert (report.imported, report.updated, report.unchanged) == (0, 20, 0)
    assert names(hq, range(1, 21)) == before  # not one name re-read as GB18030
    assert hq.customer("C5")["points"] == 7 and hq.customer("C21") is None


def test_a_utf8_line_in_a_gb18030_file_is_refused_not_read_as_mojibake(
    hq: HQStorage, tmp_path: Path
) -> None:
    lines: list[str | bytes] = [CUSTOMER_HEADER, *(member(n) for n in range(1, 6))]
    # The GB18030 bytes of this odd name are the UTF-8 bytes of 张三, but the line as a
    # whole is not UTF-8 (女, 普通, 新品控 are GB18030 here): it is judged as a whole.
    lines.append(member(6, name="寮犱笁").encode("gb18030"))
    lines.append(member(7, name="欧阳娜娜").encode("utf-8"))  # pasted UTF-8: line 8
    report = importers.import_customers(hq, write(tmp_path / "gb.csv", lines, "gb18030"))
    assert report.encoding == GB18030
    assert [e.line for e in report.refused] == [8]
    assert "UTF-8 text in a GB18030 file (it starts 'C7'" in report.refused[0].reason
    assert names(hq, range(1, 8)) == {
        **{f"C{n}": NAMES.split()[n - 1] for n in range(1, 6)},
        "C6": "寮犱笁",
        "C7": None,
    }


def test_a_pure_gb18030_file_from_excel(hq: HQStorage, tmp_path: Path) -> None:
    # 𠮷 needs GB18030's four-byte form; ü and · are in GBK.
    lines = [
        CUSTOMER_HEADER,
        member(1, name="司马𠮷", tags="羊绒爱好者|职场通勤", tier="腰部", gender="男"),
        member(2, name="迪丽热巴·迪力木拉提"),
        member(3, name="吕ü"),
    ]
    report = importers.import_customers(hq, write(tmp_path / "excel.csv", lines, "gb18030"))
    assert report.encoding == GB18030 and report.refused == [] and report.imported == 3
    c1 = hq.customer("C1")
    assert c1["name"] == "司马𠮷" and c1["tags"] == ["羊绒爱好者", "职场通勤"]
    assert (c1["tier"], c1["gender"]) == ("waist", "M")
    assert names(hq, range(2, 4)) == {"C2": "迪丽热巴·迪力木拉提", "C3": "吕ü"}


def test_utf8_with_bom(hq: HQStorage, tmp_path: Path) -> None:
    path = write(tmp_path / "bom.csv", [CUSTOMER_HEADER, member(1), member(2)])
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    report = importers.import_customers(hq, path)
    assert report.encoding == UTF8_BOM and report.refused == [] and report.imported == 2
    assert hq.customer("C1")["name"] == "张三"  # the header's customer_id was found


def test_two_excel_files_joined_with_cat(hq: HQStorage, tmp_path: Path) -> None:
    """The second part's BOM and header land mid-file: the header line is refused, a BOM
    stuck to an id is refused, the members of both parts go in."""
    a = write(tmp_path / "a.csv", [CUSTOMER_HEADER, member(1)]).read_bytes()
    b = write(tmp_path / "b.csv", [CUSTOMER_HEADER, member(2)]).read_bytes()
    c = member(3).encode() + b"\r\n"  # a line typed after a BOM
    path = tmp_path / "joined.csv"
    path.write_bytes(b"".join(codecs.BOM_UTF8 + part for part in (a, b, c)))
    report = importers.import_customers(hq, path)
    assert report.encoding == UTF8_BOM
    assert [(e.line, e.reason) for e in report.refused] == [
        (3, "the header again (two files joined into one?)"),
        (5, "customer_id contains a byte order mark (U+FEFF: two files joined into one?)"),
    ]
    assert report.imported == 2 and names(hq, range(1, 4)) == {
        "C1": "张三",
        "C2": "李四",
        "C3": None,
    }


def test_a_bom_file_with_a_gbk_line_stays_utf8(hq: HQStorage, tmp_path: Path) -> None:
    lines: list[str | bytes] = [
        codecs.BOM_UTF8 + CUSTOMER_HEADER.encode(),
        member(1, name="欧阳").encode("gbk"),
        member(2, name="欧阳").encode("gbk"),
        member(3),
    ]
    report = importers.import_customers(hq, write(tmp_path / "bom.csv", lines))
    assert report.encoding == UTF8_BOM and [e.line for e in report.refused] == [2, 3]
    assert names(hq, range(1, 4)) == {"C1": None, "C2": None, "C3": "王五"}


def test_files_that_are_not_csv_text_are_refused_whole(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="UTF-16"):
        importers.decode((CUSTOMER_HEADER + "\n").encode("utf-16"))
    with pytest.raises(ImportFileError, match="UTF-16"):
        importers.decode((CUSTOMER_HEADER + "\n").encode("utf-16-le"))
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GB18030"):
        importers.decode(b"\x81\x30\xff\xfe" * 10)
    with pytest.raises(ImportFileError, match="line 1, the header"):
        importers.decode(b"customer_id,\xff\xfe\n" + member(1).encode("gbk") + b"\n")
    with pytest.raises(ImportFileError, match="empty"):
        importers.parse_customers(importers.decode(codecs.BOM_UTF8), {}, {})
    with pytest.raises(ImportFileError, match="cannot read"):
        importers.read_file(tmp_path)  # a folder


def test_line_numbers_follow_csv_lines_whatever_the_line_breaks() -> None:
    bad = member(2, name="欧阳").encode("gbk")
    for sep in (b"\n", b"\r\n", b"\r"):
        raw = sep.join([CUSTOMER_HEADER.encode(), member(1).encode(), bad, b"", member(3).encode()])
        decoded = importers.decode(raw)
        assert decoded.encoding == UTF8 and list(decoded.bad_lines) == [3], sep
        parsed = importers.parse_customers(decoded, {"S001": {}}, _GUIDES)
        assert [e.line for e in parsed.errors] == [3] and list(parsed.records) == ["C1", "C3"]
        assert parsed.lines == {"C1": 2, "C3": 5}


def test_an_unclosed_quote_is_named_on_the_record_it_swallows() -> None:
    lines = [CUSTOMER_HEADER, member(1), member(2, name='"李四'), member(3), member(4)]
    parsed = importers.parse_customers("\n".join(lines), {"S001": {}}, _GUIDES)
    assert [str(e) for e in parsed.errors] == [
        "line 3: name contains a control character (U+000A) (this record runs from line 3"
        " to 5: a quote not closed?)"
    ]
    assert list(parsed.records) == ["C1"]


def test_a_bad_line_inside_a_quoted_field_refuses_its_record_only() -> None:
    raw = b"\n".join(
        [
            CUSTOMER_HEADER.encode(),
            member(1, tags='"新品控').encode(),  # the quoted field runs over two lines
            '职场通勤"'.encode("gbk") + b",2024-03-01",
            member(2).encode(),
            member(3, points="x").encode(),
        ]
    )
    decoded = importers.decode(raw)
    parsed = importers.parse_customers(decoded, {"S001": {}}, _GUIDES)
    assert [(e.line, e.reason[:30]) for e in parsed.errors] == [
        (3, "the line is not UTF-8 text lik"),
        (5, "points 'x' is not a whole numb"),
    ]
    assert list(parsed.records) == ["C2"] and parsed.lines["C2"] == 4


_GUIDES = {"G002": {"store_id": "S001", "active": True}}
_BYTE_LINES = st.lists(
    st.one_of(
        st.binary(max_size=40),
        st.text(max_size=30).map(lambda t: t.encode("utf-8")),
        st.text(alphabet="张三李四,\"'|*²１e-.0123456789", max_size=30).map(
            lambda t: t.encode("gb18030")
        ),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTE_LINES)
def test_any_bytes_are_refused_by_line_or_as_a_file_never_a_traceback(
    lines: list[bytes],
) -> None:
    raw = b"\n".join([CUSTOMER_HEADER.encode(), member(1).encode(), *lines])
    try:
        decoded = importers.decode(raw)
        parsed = importers.parse_customers(decoded, {"S001": {}}, _GUIDES)
    except ImportFileError:
        return
    physical = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    assert all(1 < e.line <= physical for e in parsed.errors)
    for record in parsed.records.values():
        assert not importers._FORBIDDEN.search(record["name"])
        assert 0 <= record["points"] <= importers.MAX_POINTS


# -- badly typed values ------------------------------------------------------------------

# (column, value, what the refusal says); each becomes one line between good lines.
HOSTILE_MEMBERS = [
    ("points", "²", "points '²' has a digit that is not 0-9"),
    ("points", "１２", "points '１２' has a digit that is not 0-9"),
    ("points", "12345678901234567890", "points '12345678901234567890' is out of range"),
    ("points", "1e30", "points '1e30' is not a whole number"),
    ("points", "-5", "points '-5' is negative"),
    ("points", "1,2,0", "points '1,2,0' is not a whole number"),
    ("points", "1000000000", "out of range (0–999,999,999)"),
    ("birthday", "1990-02-30", "birthday '1990-02-30' is not a date"),
    ("birthday", "２０２４-01-01", "is not a date"),
    ("birthday", "2030-01-01", "birthday '2030-01-01' is in the future"),
    ("birthday", "1800-01-01", "out of range (years 1900–2100)"),
    ("joined_at", "0001-01-01 00:00", "out of range (years 1900–2100)"),
    ("joined_at", "9999-12-31T23:00-05:00", "out of range (years 1900–2100)"),
    ("joined_at", "2024-13-01", "joined_at '2024-13-01' is not a date or time"),
    ("joined_at", "2024-01-01 24:00", "is not a date or time"),
    ("joined_at", "2024-01-01T10:00+25:00", "is not a date or time"),
    ("name", "张\x00三", "name contains a control character (U+0000)"),
    ("name", "张\t三", "name contains a control character (U+0009)"),
    ("name", "张\n三", "name contains a control character (U+000A)"),  # two CSV lines
    ("name", "张\u202e三", "name contains a control character (U+202E)"),
    ("name", "张\ufffd", "name contains U+FFFD"),
    ("name", "名" * 101, "name is longer than 100 characters"),
    ("tags", "a\x07b", "a tag contains a control character (U+0007)"),
    ("tags", "长" * 41, "a tag is longer than 40 characters"),
    ("tags", "|".join(f"t{i}" for i in range(31)), "31 tags, at most 30"),
    ("customer_id", "C\x00", "customer_id contains a control character"),
    ("customer_id", "C 9", "customer_id 'C 9' must be 1–64 characters"),
    ("phone", "１３８１２３４５６７８", "is not a mobile number"),
    ("phone", "13812345678\x00", "is not a mobile number"),
]


def test_badly_typed_member_lines_are_refused_by_number_and_good_lines_go_in(
    hq: HQStorage, tmp_path: Path
) -> None:
    lines = [CUSTOMER_HEADER, member(1)]
    expected = []
    for n, (column, value, reason) in enumerate(HOSTILE_MEMBERS, start=100):
        expected.append((physical_lines(lines) + 1, reason))
        lines.append(member(n, **{column: value}))
        lines.append(member(n + 1000))  # a good line after each bad one
    report = importers.import_customers(hq, write(tmp_path / "hostile.csv", lines))
    got = [(e.line, e.reason) for e in report.refused]
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (line, reason), (_, wanted) in zip(got, expected, strict=True):
        assert wanted in reason, (line, reason)
    assert report.imported == 1 + len(HOSTILE_MEMBERS)
    for n in range(100, 100 + len(HOSTILE_MEMBERS)):
        assert hq.customer(f"C{n}") is None and hq.customer(f"C{n + 1000}") is not None


def physical_lines(lines: list[str]) -> int:
    return sum(line.count("\n") + 1 for line in lines)


def test_numbers_at_their_bounds_are_accepted(hq: HQStorage, tmp_path: Path) -> None:
    lines = [
        CUSTOMER_HEADER,
        member(1, points="999,999,999"),
        member(2, points="0", birthday="2026-11-22", joined_at="2100-12-31T23:59:59+08:00"),
        member(3, points="", birthday="1900-01-01", joined_at="1900-01-01 08:00"),
    ]
    report = importers.import_customers(hq, write(tmp_path / "edge.csv", lines))
    assert report.refused == [] and report.imported == 3
    assert hq.customer("C1")["points"] == 999_999_999 and hq.customer("C3")["points"] == 0
    assert hq.customer("C2")["birthday"] == "2026-11-22"  # the clock's day: not the future
    assert hq.customer("C3")["joined_at"] == "1900-01-01T00:00:00Z"


HOSTILE_ORDERS = [
    ("amount", "1e30", "amount '1e30' is not a yuan amount with at most 2 decimals"),
    ("amount", "12345678901234567890", "is more than ¥10,000,000"),
    ("amount", "10000000.01", "is more than ¥10,000,000"),
    ("amount", "-5.00", "amount '-5.00' is negative"),
    ("amount", "¥-5", "is negative"),
    ("amount", "１２.00", "has a digit that is not 0-9"),
    ("amount", "NaN", "is not a yuan amount"),
    ("amount", "Infinity", "is not a yuan amount"),
    ("amount", "12.345", "is not a yuan amount with at most 2 decimals"),
    ("amount", "99.", "is not a yuan amount"),
    ("amount", "1_000", "is not a yuan amount"),
    ("items", "SKU1*0", "quantity must be 1–9999"),
    ("items", "SKU1*99999", "is not SKU*quantity"),
    ("items", "SKU1*２", "is not SKU*quantity"),
    ("items", "SKU1*²", "is not SKU*quantity"),
    ("items", "SK\x00U*1", "is not SKU*quantity"),
    ("paid_at", "2026-02-29 10:00", "is not a date or time"),
    ("paid_at", "", "paid_at is empty"),
    ("order_id", "O\x01", "order_id contains a control character"),
    ("customer_id", "C1\x00", "customer_id contains a control character (U+0000)"),
]


def test_badly_typed_order_lines_are_refused_by_number_and_good_lines_go_in(
    hq: HQStorage, tmp_path: Path
) -> None:
    write(tmp_path / "m.csv", [CUSTOMER_HEADER, member(1)])
    importers.import_customers(hq, tmp_path / "m.csv")

    def order(n: int, **fields: str) -> str:
        values = {
            "order_id": f"O{n}",
            "customer_id": "C1",
            "store": "S001",
            "guide": "G002",
            "paid_at": "2026-10-01 18:00",
            "amount": "1,299.00",
            "items": "DR001*2",
        }
        values.update(fields)
        return ",".join(quoted(values[c]) for c in importers.PURCHASE_COLUMNS)

    lines = [PURCHASE_HEADER, order(1)]
    expected = []
    for n, (column, value, reason) in enumerate(HOSTILE_ORDERS, start=100):
        expected.append((physical_lines(lines) + 1, reason))
        lines += [order(n, **{column: value}), order(n + 1000)]
    report = importers.import_purchases(hq, write(tmp_path / "o.csv", lines))
    got = [(e.line, e.reason) for e in report.refused]
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (line, reason), (_, wanted) in zip(got, expected, strict=True):
        assert wanted in reason, (line, reason)
    assert report.imported == 1 + len(HOSTILE_ORDERS)
    with hq.write() as tx:
        o1 = tx.load("purchase", ["O1"])["O1"]
    assert o1["amount_cents"] == 129_900 and o1["items"][0]["qty"] == 2


def test_amounts_in_yuan_become_cents() -> None:
    cases = {"0": 0, "99.5": 9950, "¥99.5": 9950, "￥1,299.00": 129_900, "10000000": 10**9}
    assert {v: importers._amount_cents(v) for v in cases} == cases


# -- repeated ids and shared phones ------------------------------------------------------


def test_a_phone_held_by_another_member_is_a_warning_naming_both(
    hq: HQStorage, tmp_path: Path
) -> None:
    importers.import_customers(
        hq, write(tmp_path / "a.csv", [CUSTOMER_HEADER, member(1), member(2)])
    )
    lines = [
        CUSTOMER_HEADER,
        member(3, phone="13800000001"),  # C1's phone at HQ: line 2
        member(4, phone="13900000000"),  # line 3
        member(5, phone="+86 139-0000-0000"),  # the same as C4's, written otherwise: line 4
        member(2, phone="13700000000"),  # C2 changes its phone ...
        member(6, phone="13800000002"),  # ... so C2's old phone is free: no warning
    ]
    report = importers.import_customers(hq, write(tmp_path / "b.csv", lines))
    assert report.refused == [] and report.imported == 4 and report.updated == 1
    assert [(w.line, w.customer_id, w.other_id, w.reason) for w in report.warnings] == [
        (2, "C3", "C1", "phone 138****0001 of C3 is also held by C1 at HQ"),
        (4, "C5", "C4", "phone 139****0000 of C5 is also held by C4 (line 3)"),
    ]
    assert hq.customer("C5")["phone"] == "13900000000"  # imported all the same


def test_a_repeated_id_warns_on_the_line_that_lost(hq: HQStorage, tmp_path: Path) -> None:
    lines = [CUSTOMER_HEADER, member(1, points="1"), member(2), member(1, points="2")]
    report = importers.import_customers(hq, write(tmp_path / "r.csv", lines))
    assert [(w.line, w.reason) for w in report.warnings] == [
        (2, "customer C1 appears again on line 4, which wins")
    ]
    assert hq.customer("C1")["points"] == 2 and report.imported == 2


def test_report_as_dict_has_the_line_numbers() -> None:
    report = importers.ImportReport(
        encoding=GB18030,
        imported=1,
        refused=[importers.LineError(3, "bad")],
        warnings=[importers.LineWarning(2, "shared", "C3", "C1")],
    )
    data: dict[str, Any] = report.as_dict()
    assert data == {
        "encoding": "GB18030",
        "imported": 1,
        "updated": 0,
        "unchanged": 0,
        "refused": [{"line": 3, "reason": "bad"}],
        "warnings": [{"line": 2, "reason": "shared", "customer_id": "C3", "other_id": "C1"}],
    }
