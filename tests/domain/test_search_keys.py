"""Search keys: surname readings, token shape, query terms, and the prefix contract."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.search_keys import (
    SURNAMES,
    customer_search_keys,
    name_pinyin_parts,
    name_sort_key,
    query_terms,
    split_surname,
)


def found(keys: str, text: str) -> bool:
    """The store's rule: every query term is a prefix of some token."""
    terms = query_terms(text)
    return bool(terms) and all(f" {term}" in keys for term in terms)


SURNAME_READINGS = [
    ("曾", "zeng"), ("单", "shan"), ("解", "xie"), ("仇", "qiu"), ("区", "ou"), ("朴", "piao"),
    ("查", "zha"), ("覃", "qin"), ("盖", "ge"), ("乐", "yue"), ("缪", "miao"), ("翟", "zhai"),
    ("华", "hua"), ("纪", "ji"), ("任", "ren"), ("沈", "shen"), ("石", "shi"), ("秘", "bi"),
    ("宁", "ning"), ("燕", "yan"), ("种", "chong"), ("折", "she"), ("员", "yun"), ("薄", "bo"),
    ("繁", "po"), ("句", "gou"), ("黑", "he"), ("过", "guo"), ("王", "wang"), ("张", "zhang"),
    ("欧阳", "ouyang"), ("司马", "sima"), ("上官", "shangguan"), ("诸葛", "zhuge"),
    ("东方", "dongfang"), ("皇甫", "huangfu"), ("尉迟", "yuchi"), ("公孙", "gongsun"),
    ("慕容", "murong"), ("长孙", "zhangsun"), ("宇文", "yuwen"), ("司徒", "situ"),
    ("夏侯", "xiahou"), ("轩辕", "xuanyuan"), ("令狐", "linghu"), ("端木", "duanmu"),
    ("南宫", "nangong"), ("万俟", "moqi"), ("独孤", "dugu"), ("西门", "ximen"),
    ("呼延", "huyan"), ("申屠", "shentu"),
]  # fmt: skip


@pytest.mark.parametrize(("surname", "reading"), SURNAME_READINGS)
def test_surnames_read_as_surnames(surname: str, reading: str) -> None:
    name = surname + "丽"
    initials = "".join(syllable[0] for syllable in SURNAMES.get(surname, reading).split())
    keys = customer_search_keys(name, "")
    assert split_surname(name) == (surname, "丽")
    assert name_pinyin_parts(name) == (reading + "li", initials + "l")
    assert f" {reading}li " in keys and f" {initials}l " in keys
    assert found(keys, reading) and found(keys, name) and found(keys, "丽")


def test_two_characters_starting_like_a_compound_surname_are_surname_and_name() -> None:
    assert split_surname("司马") == ("司", "马")
    assert split_surname("欧阳娜娜") == ("欧阳", "娜娜")
    assert split_surname("王") == ("王", "")


@pytest.mark.parametrize(("name", "typed"), [("吕丽", "lvli"), ("吕丽", "luli"), ("女娲", "nuwa")])
def test_u_umlaut_is_found_typed_as_v_or_u(name: str, typed: str) -> None:
    assert found(customer_search_keys(name, ""), typed)


def test_given_names_use_phrase_readings() -> None:
    assert name_pinyin_parts("张长江") == ("zhangchangjiang", "zcj")
    assert name_pinyin_parts("乐乐") == ("yuele", "yl")  # surname 乐 yue, given name 乐 le
    assert name_pinyin_parts("欧阳朝阳") == ("ouyangzhaoyang", "oyzy")


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("王1234", ["王", "4321"]),
        ("张 1234", ["张", "4321"]),
        ("１２３４", ["4321"]),
        ("ＺＳ", ["zs"]),
        ("王　ｌｉ", ["王", "li"]),
        ("zhang san", ["zhangsan"]),
        ("Zhang San", ["zhangsan"]),
        ("xi'an", ["xian"]),
        ("138-1234 5678", ["87654321831"]),
        ("张 三", ["张", "三"]),
        ("Anna李", ["anna", "李"]),
        ("zhang1234", ["zhang", "4321"]),
        ("迪丽热巴·迪力木拉提", ["迪丽热巴", "迪力木拉提"]),
        ("", []),
        ("   ", []),
        ("·.,!?'-", []),
        ("王 王", ["王"]),
    ],
)
def test_query_terms(text: str, terms: list[str]) -> None:
    assert query_terms(text) == terms


@pytest.mark.parametrize(
    ("name", "phone", "text", "expected"),
    [
        ("张三", "13812345678", "5678", True),
        ("张三", "13812345678", "678", True),
        ("张三", "13812345678", "1381", False),  # only the tail is searchable
        ("张三", "13812345678", "zhangsan", True),
        ("张三", "13812345678", "zhang san", True),
        ("张三", "13812345678", "zs", True),
        ("张三", "13812345678", "san", True),
        ("张三", "13812345678", "张 5678", True),
        ("张三", "13812345678", "张 1234", False),
        ("曾小凡", "", "zeng", True),
        ("曾小凡", "", "ceng", False),
        ("曾小凡", "", "zxf", True),
        ("曾小凡", "", "xiaofan", True),
        ("曾小凡", "", "小凡", True),
        ("单丽", "", "dan", False),
        ("欧阳娜娜", "", "oynn", True),
        ("欧阳娜娜", "", "娜娜", True),
        ("迪丽热巴·迪力木拉提", "", "热巴", True),
        ("迪丽热巴·迪力木拉提", "", "reba", True),
        ("迪丽热巴·迪力木拉提", "", "迪力木拉提", True),
        ("迪丽热巴·迪力木拉提", "", "迪丽热巴迪力", True),
        ("吕𠮷", "", "𠮷", True),
        ("吕𠮷", "", "lv", True),
        ("Anna 李", "", "anna", True),
        ("Anna 李", "", "李", True),
        ("Anna 李", "", "ANNA", True),
        ("José Müller", "", "jose", True),
        ("Ｌｉｓａ", "+86 138 0000 1111", "lisa 1111", True),
    ],
)
def test_what_a_guide_types_finds_the_customer(
    name: str, phone: str, text: str, expected: bool
) -> None:
    assert found(customer_search_keys(name, phone), text) is expected


@pytest.mark.parametrize(
    "name",
    ["𠮷", "吕𠮷", "㛃", "迪丽热巴·迪力木拉提", "Anna 李", "Ｌｉｓａ", "José", "·", "", " 王 "],
)
def test_odd_names_give_well_formed_keys(name: str) -> None:
    keys = customer_search_keys(name, "13800001111")
    tokens = keys.split(" ")[1:-1]
    assert keys.startswith(" ") and keys.endswith(" ")
    assert all(tokens) and len(tokens) == len(set(tokens))
    assert tokens[-1] == "11110000831" and "13800001111" not in tokens
    assert all(t == t.lower() and t.isalnum() for t in tokens)
    name_sort_key(name)
    split_surname(name)


def test_characters_without_a_reading_stay_in_name_tokens_only() -> None:
    assert customer_search_keys("𠮷", "") == " 𠮷 "
    assert customer_search_keys("吕𠮷", "").split() == ["吕𠮷", "𠮷", "lv", "l", "lu"]
    assert customer_search_keys("", "") == " "


def test_name_sort_key_orders_like_a_dictionary() -> None:
    names = ["张三", "李娜", "林", "欧阳娜娜", "曾小凡", "吕丽", "阿丽", "单丽", "Anna 李"]
    ordered = sorted(names, key=name_sort_key)
    assert ordered == [
        "阿丽",
        "Anna 李",
        "李娜",
        "林",
        "吕丽",
        "欧阳娜娜",
        "单丽",
        "曾小凡",
        "张三",
    ]
    assert name_sort_key("曾小凡") == "zeng xiao fan"


def test_pypinyin_is_imported_lazily() -> None:
    code = "import sys, app.domain.search_keys; sys.exit('pypinyin' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# -- properties ----------------------------------------------------------------------

SURNAME_POOL = [*SURNAMES, "王", "李", "张", "刘", "陈", "杨", "黄", "吕"]
GIVEN_POOL = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华长乐朝重行和觉会单曾朴查若思"
names = st.builds(
    lambda surname, given_name: surname + given_name,
    st.sampled_from(SURNAME_POOL),
    st.text(alphabet=GIVEN_POOL, min_size=1, max_size=2),
)


@settings(deadline=None, max_examples=200)
@given(name=names, phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_prefix_a_guide_types_is_found(name: str, phone: str) -> None:
    keys = customer_search_keys(name, phone)
    full, initials = name_pinyin_parts(name)
    given_name = split_surname(name)[1]
    for word in (full, initials, name, given_name):
        for end in range(1, len(word) + 1):
            assert found(keys, word[:end]), (name, word[:end], keys)
    for start in range(len(phone)):  # digits typed are the number's tail
        assert found(keys, phone[start:]), (phone[start:], keys)


@settings(deadline=None, max_examples=100)
@given(given_name=st.text(alphabet=GIVEN_POOL, min_size=1, max_size=3))
def test_given_names_read_as_pypinyin_reads_them(given_name: str) -> None:
    from pypinyin import Style, lazy_pinyin

    expected = "".join(lazy_pinyin(given_name, style=Style.NORMAL))
    assert name_pinyin_parts("王" + given_name)[0] == "wang" + expected


NAME_CHARS = st.sampled_from(
    list("王李张欧阳吕女单曾𠮷㛃·• .-'’AnaJoséÀÉÜßçøĲǅＡｂ１２한국かなカナΣσДж0123456789")
)


@settings(deadline=None, max_examples=200)
@given(
    name=st.lists(NAME_CHARS, max_size=12).map("".join),
    phone=st.text("0123456789 -+", max_size=14),
    typed=st.lists(NAME_CHARS, min_size=1, max_size=4).map("".join),
)
def test_sqlite_tokenizes_keys_and_terms_as_we_do(name: str, phone: str, typed: str) -> None:
    """The FTS index and the store's ``instr`` fallback agree only if unicode61 keeps
    every token whole and unchanged, and reads query terms the same way."""
    keys = customer_search_keys(name, phone)
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5 (k, tokenize = 'unicode61 remove_diacritics 0')"
    )
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab (t, 'row')")
    conn.execute("INSERT INTO t (k) VALUES (?)", (keys,))
    assert {row[0] for row in conn.execute("SELECT term FROM v")} == set(keys.split())
    if terms := query_terms(typed):
        match = " AND ".join(f'"{term}"*' for term in terms)
        hits = conn.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match,)).fetchone()[0]
        assert bool(hits) is found(keys, typed)
    conn.close()
