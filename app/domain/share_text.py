"""How a piece of content reads for one customer: the form of address and the placeholders.

The rule lives here once (no Qt, no SQL): {称呼} is the customer's surname with 女士 or 先生
by gender (the whole name when the gender is unknown), {导购} the guide's name, {门店} the store.
"""

from __future__ import annotations

from app.domain.customers import Gender

# Two-character surnames common enough that 欧阳娜娜 is 欧阳女士, not 欧女士.
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
    ]
)


def surname(name: str) -> str:
    name = name.strip()
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def form_of_address(name: str, gender: Gender | str) -> str:
    """王丽 (F) -> 王女士, 张伟 (M) -> 张先生; unknown gender -> the full name."""
    name = name.strip()
    if not name:
        return ""
    try:
        g = Gender(gender or "")
    except ValueError:
        g = Gender.UNKNOWN
    if g is Gender.FEMALE:
        return surname(name) + "女士"
    if g is Gender.MALE:
        return surname(name) + "先生"
    return name


def fill_placeholders(body: str, *, address: str, guide: str, store: str) -> str:
    """The body with {称呼}, {导购} and {门店} filled; other braces are left as written."""
    for key, value in (("{称呼}", address), ("{导购}", guide), ("{门店}", store)):
        body = body.replace(key, value)
    return body
