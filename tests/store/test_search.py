"""Customer search: phone tail, Chinese name, pinyin, initials, filters, both query plans."""

from __future__ import annotations

from datetime import date

import pytest

from app.store import customers
from app.store.customers import CustomerQuery, search_customers
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from tests.store.helpers import customer_change

TODAY = date(2026, 11, 22)  # a Sunday


@pytest.fixture
def book(replica: TerminalReplica) -> TerminalReplica:
    people = [
        ("C1", "张三", "13812345678", {"tags": ["新品控"], "birthday": "1990-11-20"}),
        ("C2", "曾小凡", "13900001234", {"birthday": "1988-11-30"}),
        ("C3", "欧阳娜娜", "18611112222", {"tier": "head", "points": 9000}),
        ("C4", "单丽", "15000003333", {}),
        ("C5", "迪丽热巴·迪力木拉提", "13700004444", {}),
        ("C6", "吕𠮷", "13600005555", {}),
        ("C7", "张伟", "13512341234", {"guide": "G002"}),
    ]
    replica.apply_page(
        [
            customer_change(cid, name, phone, version=i + 1, **extra)
            for i, (cid, name, phone, extra) in enumerate(people)
        ],
        "7.7",
        more=False,
    )
    return replica


def ids(conn: sqlite3.Connection, **query) -> list[str]:
    page = search_customers(conn, CustomerQuery(**query), today=TODAY)
    return sorted(row[0] for row in page.rows)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5678", ["C1"]),
        ("1234", ["C2", "C7"]),
        ("张", ["C1", "C7"]),
        ("张三", ["C1"]),
        ("zhangsan", ["C1"]),
        ("zs", ["C1"]),
        ("zeng", ["C2"]),
        ("zxf", ["C2"]),
        ("ouyang", ["C3"]),
        ("oynn", ["C3"]),
        ("shanli", ["C4"]),
        ("热巴", ["C5"]),
        ("迪力木拉提", ["C5"]),
        ("lv", ["C6"]),
        ("lu", ["C6"]),
        ("𠮷", ["C6"]),
        ("张 1234", ["C7"]),
        ("nobody", []),
        ("", ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]),
    ],
)
def test_search_terms(
    book: TerminalReplica, conn: sqlite3.Connection, text: str, expected: list[str]
) -> None:
    assert ids(conn, text=text) == expected


def test_filters(book: TerminalReplica, conn: sqlite3.Connection) -> None:
    assert ids(conn, tier="head") == ["C3"]
    assert ids(conn, tag="新品控") == ["C1"]
    assert ids(conn, guide_id="G002") == ["C7"]
    assert ids(conn, birthday="week") == ["C1"]  # 16–22 Nov 2026
    assert ids(conn, birthday="month") == ["C1", "C2"]
    assert ids(conn, text="张", guide_id="G001") == ["C1"]
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note="", now="2026-11-20T09:00:00Z"
    )
    assert "C1" not in ids(conn, not_contacted_days=30)
    assert "C2" in ids(conn, not_contacted_days=30)


def test_sort_by_points_and_name(book: TerminalReplica, conn: sqlite3.Connection) -> None:
    page = search_customers(conn, CustomerQuery(sort="points", descending=True), today=TODAY)
    assert page.rows[0][0] == "C3"
    by_name = search_customers(conn, CustomerQuery(sort="name", descending=False), today=TODAY)
    assert by_name.rows[0][1] == "迪丽热巴·迪力木拉提"  # d…


def test_common_terms_walk_the_index_and_page(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    many = [
        customer_change(f"W{i:05d}", "王" + "芳丽娜敏静"[i % 5], f"139{i:08d}", version=i + 1)
        for i in range(customers.RARE_LIMIT + 300)
    ]
    replica.apply_page(many, "9.9", more=False)
    first = search_customers(conn, CustomerQuery(text="王"), today=TODAY, limit=200)
    assert not first.exact and first.total > customers.RARE_LIMIT and len(first.rows) == 200
    second = search_customers(conn, CustomerQuery(text="王"), today=TODAY, limit=200, offset=200)
    assert not {r[0] for r in first.rows} & {r[0] for r in second.rows}
    rare = search_customers(conn, CustomerQuery(text="王芳"), today=TODAY, limit=200)
    assert rare.exact and rare.total == (customers.RARE_LIMIT + 300) // 5
    assert all(r[1] == "王芳" for r in rare.rows)


# -- surnames found both ways (issue 10, part 6) ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ceng", ["C2"]),  # 曾 typed with its everyday reading
        ("cengxiaofan", ["C2"]),
        ("cxf", ["C2"]),
        ("dan", ["C4"]),  # 单 shan, typed dan
        ("dl", ["C4", "C5"]),  # 单丽 by dan li; 迪力木拉提 as always
        ("sl", ["C4"]),
        ("c", []),  # one letter finds what it found before: not 曾 by ceng
        ("d", ["C5"]),  # 迪丽热巴, not 单丽 by dan
        ("s", ["C1", "C4"]),  # 张三 (san), 单丽 (shan)
        ("z", ["C1", "C2", "C7"]),
        ("l", ["C4", "C5", "C6"]),
    ],
)
def test_surnames_are_found_both_ways_and_one_letter_does_not_grow(
    book: TerminalReplica, conn: sqlite3.Connection, text: str, expected: list[str]
) -> None:
    assert ids(conn, text=text) == expected


def test_both_readings_through_the_walk_of_common_terms(
    replica: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """Over RARE_LIMIT hits the store tests ``instr`` on the keys: the same answers."""
    many = [
        customer_change(f"G{i:05d}", "盖" + "芳丽娜敏静"[i % 5], f"139{i:08d}", version=i + 1)
        for i in range(customers.RARE_LIMIT + 300)
    ]
    replica.apply_page(many, "9.9", more=False)
    for text in ("g", "ge", "gai", "gaif", "gf"):
        page = search_customers(conn, CustomerQuery(text=text), today=TODAY, limit=200)
        assert len(page.rows) == 200 and all(r[1].startswith("盖") for r in page.rows), text
    assert (
        search_customers(conn, CustomerQuery(text="gaifang"), today=TODAY).total
        == (customers.RARE_LIMIT + 300) // 5
    )


def test_keys_of_an_older_version_are_rebuilt_once(tmp_path, clock) -> None:
    """A store of version 8 holds keys without the other readings and one-letter marks:
    migration 10 computes them again, and the search index follows."""
    from app.store import db, migrations
    from app.store.migrations import m0010_search_keys

    path = tmp_path / "old.sqlite3"
    conn = db.connect(path, migrate=False)
    migrations.migrate(conn, target=8)
    # Written as a version-8 terminal wrote it (today's replica knows later columns).
    conn.execute("INSERT INTO stores (id, name) VALUES ('S1', '静安店')")
    conn.execute(
        "INSERT INTO customers (id, store_id, name, phone, version)"
        " VALUES ('C1', 'S1', '曾小凡', '13900001234', 1)"
    )
    conn.execute("UPDATE customers SET search_keys = ' 曾小凡 小凡 zengxiaofan zxf 4321 '")
    assert migrations.current_version(conn) == 8
    conn.close()

    conn = db.connect(path)
    assert migrations.current_version(conn) == migrations.LATEST
    for text in ("z", "zeng", "ceng", "cxf", "1234", "曾"):
        assert ids(conn, text=text) == ["C1"], text
    assert ids(conn, text="c") == []
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert {"customers_fts_ai", "customers_fts_ad", "customers_fts_au"} <= triggers
    conn.execute("BEGIN")
    m0010_search_keys.migrate(conn)  # nothing left to change: the index is not rebuilt
    conn.execute("COMMIT")
    assert ids(conn, text="ceng") == ["C1"]
    conn.close()
