"""Search keys for the instant customer search: phone tail, name, pinyin and initials.

The store keeps one string per customer, ``' ' + ' '.join(tokens) + ' '``, indexed by
SQLite FTS5 (``unicode61 remove_diacritics 0``, prefix indexes). A query term matches a
customer when some token *starts with* it: FTS ``"term"*``, or ``instr(search_keys,
' ' || term) > 0`` when a term is too common for the index to pay off. Both paths only
agree if every token is exactly one unicode61 token that its case folding leaves alone,
so keys and queries go through the same folding here: NFKC, lower case, Latin
diacritics dropped, and nothing but letters, digits and private-use characters kept.

Phones are indexed *reversed*: a guide types the last four digits, and a tail search on
a reversed number is a prefix search the index can answer.

pypinyin costs ~0.3 s to import, so it is imported lazily on the first name that needs
it; readings are cached per character, and only runs holding a character with several
readings go through pypinyin's (slower) phrase-aware reading.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Surnames (姓) read as surnames. pypinyin reads many of these characters with their
# everyday reading (曾 ceng, 单 dan, 解 jie, 仇 chou…); two-character keys are the
# compound surnames (复姓) that ``split_surname`` detects. Syllables are space-separated
# so initials come out right (欧阳 → oy).
SURNAMES: dict[str, str] = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao",
    "查": "zha", "覃": "qin", "盖": "ge", "乐": "yue", "缪": "miao", "翟": "zhai",
    "华": "hua", "纪": "ji", "任": "ren", "沈": "shen", "石": "shi", "秘": "bi",
    "宁": "ning", "燕": "yan", "种": "chong", "折": "she", "员": "yun", "薄": "bo",
    "繁": "po", "句": "gou", "黑": "he", "过": "guo", "卜": "bu", "柏": "bai",
    "召": "shao", "都": "du", "阚": "kan", "谌": "chen", "尉": "wei", "隗": "wei",
    "冼": "xian", "能": "nai", "藏": "zang", "重": "chong", "颉": "xie", "长": "chang",
    "欧阳": "ou yang", "司马": "si ma", "上官": "shang guan", "诸葛": "zhu ge",
    "东方": "dong fang", "皇甫": "huang fu", "尉迟": "yu chi", "公孙": "gong sun",
    "慕容": "mu rong", "长孙": "zhang sun", "宇文": "yu wen", "司徒": "si tu",
    "夏侯": "xia hou", "轩辕": "xuan yuan", "令狐": "ling hu", "端木": "duan mu",
    "南宫": "nan gong", "万俟": "mo qi", "独孤": "du gu", "西门": "xi men",
    "呼延": "hu yan", "申屠": "shen tu", "澹台": "tan tai", "公冶": "gong ye",
    "太史": "tai shi", "闻人": "wen ren", "赫连": "he lian", "钟离": "zhong li",
    "宗政": "zong zheng", "濮阳": "pu yang", "淳于": "chun yu",
    "公羊": "gong yang", "拓跋": "tuo ba", "百里": "bai li", "东郭": "dong guo",
    "左丘": "zuo qiu", "第五": "di wu", "乐正": "yue zheng", "司空": "si kong",
    "亓官": "qi guan", "巫马": "wu ma", "公良": "gong liang", "梁丘": "liang qiu",
}  # fmt: skip
COMPOUND_SURNAMES = frozenset(s for s in SURNAMES if len(s) == 2)

# What splits a written name into parts: whitespace and the middle dots of transliterated
# names (迪丽热巴·迪力木拉提). Applied after NFKC, which turns '．' into '.'.
_NAME_SEPARATORS = re.compile(r"[\s·•・‧∙⋅ㆍ.]+")
_NON_DIGITS = re.compile(r"[^0-9]+")
_PINYIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzü")


def _is_han(ch: str) -> bool:
    """A CJK ideograph, including extensions A–H beyond the BMP (𠮷)."""
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF or 0x20000 <= cp <= 0x3FFFF


@lru_cache(maxsize=1 << 16)
def _fold_char(ch: str) -> str:
    """One (NFKC) character as it appears in a token: lower case, Latin diacritics
    dropped (é → e), '' for anything unicode61 treats as a separator."""
    if ch.isascii():
        return ch.lower() if ch.isalnum() else ""
    kept = (
        c
        for c in unicodedata.normalize("NFD", ch.lower())
        if unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Co"
    )
    return unicodedata.normalize("NFC", "".join(kept))


def _fold(text: str) -> str:
    """``text`` (already NFKC) as token characters only; see the module docstring."""
    return "".join(map(_fold_char, text))


@lru_cache(maxsize=1 << 16)
def _char_reading(ch: str) -> tuple[str, bool]:
    """pypinyin's default reading of one character ('' when it has none) and whether it
    has more than one toneless reading, i.e. whether context can change it."""
    from pypinyin import Style, pinyin

    found = pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore", v_to_u=True)
    readings = list(dict.fromkeys(_clean_syllable(r) for r in found[0])) if found else []
    return (readings[0] if readings else ""), len(readings) > 1


def _clean_syllable(syllable: str) -> str:
    """pypinyin output as plain letters ('ü' kept; 'ê' of 欸 → 'e')."""
    return "".join(c for c in syllable.replace("ê", "e") if c in _PINYIN_LETTERS)


@lru_cache(maxsize=1 << 16)
def _han_run_syllables(run: str) -> tuple[str, ...]:
    """Readings of a run of Chinese characters that all have one.

    Most name characters have one toneless reading, so joining per-character readings is
    both right and fast; a run with a polyphonic character (长江, 乐乐, 朝阳) needs
    pypinyin's phrase-aware reading, which is ~20 times slower but cached per run.
    """
    readings = [_char_reading(c) for c in run]
    if len(run) > 1 and any(poly for _, poly in readings):
        from pypinyin import Style, lazy_pinyin

        phrase = lazy_pinyin(run, style=Style.NORMAL, errors="ignore", v_to_u=True)
        return tuple(s for s in map(_clean_syllable, phrase) if s)
    return tuple(r for r, _ in readings)


@lru_cache(maxsize=1 << 16)
def _syllables(folded: str) -> tuple[str, ...]:
    """Pinyin syllables of folded text: Chinese runs read by pypinyin, runs of Latin
    letters and digits kept whole, characters without a reading (𠮷) skipped."""
    out: list[str] = []
    han = ""
    latin = ""
    for ch in folded:
        if ch.isascii():
            if han:
                out += _han_run_syllables(han)
                han = ""
            latin += ch
            continue
        if latin:
            out.append(latin)
            latin = ""
        if _is_han(ch) and _char_reading(ch)[0]:
            han += ch
        elif han:
            out += _han_run_syllables(han)
            han = ""
    if han:
        out += _han_run_syllables(han)
    if latin:
        out.append(latin)
    return tuple(out)


def _full_syllables(parts: list[str]) -> tuple[str, ...]:
    """Syllables of a whole name: the surname read as a surname, the given name by
    pypinyin; a name without a surname part by part (parts are separate words)."""
    surname, given = _split_parts(parts)
    if not surname:
        return tuple(s for part in parts for s in _syllables(part))
    reading = SURNAMES.get(surname)
    return (*(reading.split() if reading else _syllables(surname)), *_syllables(given))


def _pinyin_tokens(syllables: tuple[str, ...]) -> list[str]:
    """Full pinyin and initials; 'ü' is typed 'v' on a keyboard, but people type 'u'
    too (吕 → lv and lu), so both spellings are indexed."""
    if not syllables:
        return []
    full = "".join(syllables)
    tokens = [full.replace("ü", "v"), "".join(s[0] for s in syllables)]
    if "ü" in full:
        tokens.append(full.replace("ü", "u"))
    return tokens


def _name_parts(name: str) -> list[str]:
    """Folded, non-empty parts of a name split on whitespace and middle dots."""
    parts = _NAME_SEPARATORS.split(unicodedata.normalize("NFKC", name))
    return [p for p in map(_fold, parts) if p]


def _split_parts(parts: list[str]) -> tuple[str, str]:
    if len(parts) != 1 or not _is_han(parts[0][0]):
        return "", "".join(parts)
    name = parts[0]
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[0], name[1:]


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name) of a Chinese name, compound surnames (欧阳娜娜) included.

    Only a name written as one run starting with a Chinese character has a surname
    here; a transliterated name with a middle dot (迪丽热巴·迪力木拉提) or a Latin name
    gives ('', name) because its first part is not a family name. A two-character
    name starting with a compound surname (司马) reads as surname + one-character name.
    Both halves come back folded (NFKC, lower case, separators removed).
    """
    return _split_parts(_name_parts(name))


@lru_cache(maxsize=1 << 16)
def _name_tokens(name: str) -> tuple[str, ...]:
    parts = _name_parts(name)
    if not parts:
        return ()
    surname, given = _split_parts(parts)
    tokens = [*parts, "".join(parts)]
    if surname and given:
        tokens.append(given)
    tokens += _pinyin_tokens(_full_syllables(parts))
    if len(parts) > 1:
        # A transliterated name goes by its parts and by their endings (迪丽热巴 is
        # called 热巴), each by its characters and by its pinyin.
        for part in parts:
            for start in range(len(part) - 1):
                tokens.append(part[start:])
                tokens += _pinyin_tokens(_syllables(part[start:]))
    if surname and given:
        tokens += _pinyin_tokens(_syllables(given))
    return tuple(dict.fromkeys(tokens))


def customer_search_keys(name: str, phone: str) -> str:
    """The ``search_keys`` column of a customer: its tokens space-separated, with a
    leading and trailing space so ``instr(keys, ' ' || term)`` is a token-prefix test.

    Tokens, in order and without duplicates: each name part, the whole name without
    separators, the given name, full pinyin and initials of the whole name (surname
    readings from ``SURNAMES``), the endings of each part of a multi-part name with
    their pinyin, full pinyin and initials of the given name ('ü' as 'v' and as 'u'),
    then the phone's digits reversed (tail search). Only the reversed phone is kept:
    guides search by the last digits, never the first.
    """
    tokens = list(_name_tokens(name))
    digits = _NON_DIGITS.sub("", unicodedata.normalize("NFKC", phone))
    if digits and digits[::-1] not in tokens:
        tokens.append(digits[::-1])
    return f" {' '.join(tokens)} " if tokens else " "


def name_pinyin_parts(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a whole name, as indexed: ('zhangsan', 'zs')."""
    tokens = _pinyin_tokens(_full_syllables(_name_parts(name)))
    return (tokens[0], tokens[1]) if tokens else ("", "")


def name_sort_key(name: str) -> str:
    """Sort key for ordering customers by name: space-separated pinyin syllables, so
    李娜 ('li na') sorts before 林 ('lin') as in a dictionary; 'ü' written 'v'."""
    return " ".join(_full_syllables(_name_parts(name))).replace("ü", "v")


def query_terms(text: str) -> list[str]:
    """What a guide typed, as terms that must each be a prefix of some token.

    The text is folded like the keys (NFKC, so full-width '１２３４' and 'ＺＳ' work;
    lower case; punctuation and apostrophes dropped) and cut into runs of Latin
    letters, of digits and of other letters (Chinese). Separators between two Latin
    runs or two digit runs vanish ("zhang san" → 'zhangsan', "xi'an" → 'xian',
    '138 1234 5678' one number), because people space out pinyin and phone numbers;
    anywhere else they separate terms ('张 三' → 张, 三). A change of kind also starts a
    new term ('王1234' → 王, 4321). Digit terms are reversed to match the reversed
    phone. Empty or punctuation-only text gives no terms.
    """
    terms: list[str] = []
    kinds: list[str] = []
    gap = False
    for ch in unicodedata.normalize("NFKC", text):
        folded = _fold_char(ch)
        if not folded:
            gap = True
            continue
        for c in folded:
            kind = "a" if "a" <= c <= "z" else "0" if "0" <= c <= "9" else "w"
            if kinds and kinds[-1] == kind and (not gap or kind != "w"):
                terms[-1] += c
            else:
                terms.append(c)
                kinds.append(kind)
            gap = False
    reversed_digits = (t[::-1] if k == "0" else t for t, k in zip(terms, kinds, strict=True))
    return list(dict.fromkeys(reversed_digits))
