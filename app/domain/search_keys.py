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

A surname is indexed by each reading a guide may know (surname_readings.json: 曾 zeng,
单 shan, 隗 wei and kui, 单于 chan yu) and by its characters' everyday reading (曾 ceng,
盖 gai, 尉迟 wei chi). A lone letter is searched through marks of the first letters of
the usual tokens only (``LETTER_MARK``), so the other readings add nothing to the
one-letter lists: they are found from the second letter on. Keys written before this
(terminal store version < 10) are recomputed by the store's migration 10.

pypinyin costs ~0.3 s to import, so it is imported lazily on the first name that needs
it; readings are cached per character, and only runs holding a character with several
readings go through pypinyin's (slower) phrase-aware reading.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources


def _load_surname_readings() -> dict[str, tuple[tuple[str, ...], ...]]:
    data = json.loads(
        resources.files(__package__).joinpath("surname_readings.json").read_text(encoding="utf-8")
    )
    return {
        surname: tuple(tuple(reading.split()) for reading in readings)
        for surname, readings in data["surnames"].items()
    }


# Surnames (姓) read as surnames (surname_readings.json): single ones whose reading as a
# surname pypinyin does not give (曾 zeng, not ceng; 隗 wei and kui), and the compound
# surnames (复姓) that ``split_surname`` detects. The first reading is the usual one: it
# sorts the name and gives the name's main tokens; the others, and the everyday reading
# of each character (曾 ceng, 盖 gai, 尉迟 wei chi), are indexed as well, because a
# guide types whichever reading they know.
SURNAME_READINGS = _load_surname_readings()
SURNAMES: dict[str, str] = {s: " ".join(readings[0]) for s, readings in SURNAME_READINGS.items()}
COMPOUND_SURNAMES = frozenset(s for s in SURNAMES if len(s) == 2)

# A one-letter query ('d') would grow with every other reading indexed (单丽 read dan
# li answers 'd'), and one letter is what a guide types first. So a lone letter is
# searched as LETTER_MARK + letter, a token each customer has for the first letter of
# each of its main tokens (the reading as a surname, the given name, the characters'
# own tokens): the one-letter results stay what they were, and from two letters on
# every reading is found ('da' finds 单丽). A private-use character: unicode61 keeps it
# inside the token, and no name or query holds one.
LETTER_MARK = "\ue000"

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


def _other_readings(parts: list[str]) -> list[tuple[str, ...]]:
    """Readings of a whole name besides ``_full_syllables``: the surname's other readings
    as a surname and its everyday reading (each character's own, as pypinyin reads it
    alone), before the rest of the name read as today. A compound surname's first
    character is also tried as a single surname (单于飞 may be 单 + 于飞). Only surnames
    of ``SURNAME_READINGS`` have any: 张 is zhang whichever way it is read."""
    surname, _ = _split_parts(parts)
    if not surname:
        return []
    name = parts[0]
    readings: list[tuple[str, ...]] = []
    for head in dict.fromkeys((surname, surname[0])):
        if head not in SURNAME_READINGS:
            continue
        rest = _syllables(name[len(head) :])
        everyday = tuple(r for r in (_char_reading(c)[0] for c in head) if r)
        for reading in (*SURNAME_READINGS[head], everyday):
            readings.append((*reading, *rest))
    return readings


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
    # The first letters of these tokens answer a one-letter query (see LETTER_MARK);
    # the other readings come after them and answer from two letters on.
    marks = [LETTER_MARK + t[0] for t in tokens if "a" <= t[0] <= "z"]
    for reading in _other_readings(parts):
        tokens += _pinyin_tokens(reading)
    return tuple(dict.fromkeys([*tokens, *marks]))


def customer_search_keys(name: str, phone: str) -> str:
    """The ``search_keys`` column of a customer: its tokens space-separated, with a
    leading and trailing space so ``instr(keys, ' ' || term)`` is a token-prefix test.

    Tokens, in order and without duplicates: each name part, the whole name without
    separators, the given name, full pinyin and initials of the whole name (surname
    readings from ``SURNAMES``), the endings of each part of a multi-part name with
    their pinyin, full pinyin and initials of the given name ('ü' as 'v' and as 'u'),
    full pinyin and initials of the name's other readings (``_other_readings``), one
    ``LETTER_MARK`` token per first letter of the tokens before those, then the phone's
    digits reversed (tail search). Only the reversed phone is kept: guides search by
    the last digits, never the first.
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
    phone, and a lone Latin letter is searched as LETTER_MARK + letter (the first
    letters of a customer's main tokens only). Empty or punctuation-only text gives no
    terms.
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
    searched = (_searched_term(t, k) for t, k in zip(terms, kinds, strict=True))
    return list(dict.fromkeys(searched))


def _searched_term(term: str, kind: str) -> str:
    if kind == "0":
        return term[::-1]
    if kind == "a" and len(term) == 1:
        return LETTER_MARK + term
    return term
