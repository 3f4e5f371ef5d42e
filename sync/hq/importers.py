"""CSV imports from the brand's CRM: members (会员) and orders (订单).

Files come from Excel as often as from scripts, and a file is often stitched together by
hand, so nothing in one line may spoil another, and a traceback is a bug.

The encoding is decided once, for the whole FILE, and never changed because of one line:

1. a UTF-8 BOM (what Excel's "CSV UTF-8" writes): UTF-8;
2. the whole file is valid UTF-8: UTF-8;
3. otherwise each line with non-ASCII bytes votes: valid UTF-8, or not. UTF-8 wins if at
   least as many such lines are valid UTF-8 as not (a Chinese GBK line is valid UTF-8 by
   accident about once in 200 short lines, and never in a full member line), else the file
   is GB18030 (what Excel in China saves as plain "CSV"; GB18030 contains GBK and GB2312).

A line that does not decode in the file's encoding is refused with its line number; the
other lines are imported. In a GB18030 file a line that reads as Chinese text in UTF-8 is
refused too: UTF-8 text often decodes as GB18030 without an error, as mojibake (张三 ->
寮犱笁), and importing it would overwrite good names. UTF-16 files ("Unicode text") and a
header line that does not decode are refused as a whole.

Values are checked strictly, every line on its own:

- numbers are ASCII digits 0-9 only (no full-width １２, no superscript ², no 1e30, no
  -5), thousands commas allowed when well placed (1,200); points 0-999,999,999; an amount
  is yuan with at most two decimals, 0-10,000,000, an optional ¥ in front; a quantity 1-9999;
- dates are real calendar dates, years 1900-2100, a birthday not after the import day;
  times without a zone are China time (UTC+8);
- text has no control characters (NUL, tab, newline...), no bidi overrides, no BOM (two
  files joined with cat) and no U+FFFD (a character already lost by an earlier
  conversion); names are at most 100 characters, tags 40 (and 30 tags), ids 64 without
  spaces or ':'; the header line repeated mid-file is refused like any bad line.

Exit status of the CLI (``guidedesk-hq import-…``): 0 when no line was refused (warnings
allowed), 1 when some were (the good lines are in all the same) or the file as a whole
cannot be read (nothing imported).

Re-importing a file updates what changed and never duplicates; when an id appears twice,
the later line wins (the earlier one gets a warning). A member's phone already held by
another member, in the file or at HQ, is imported with a warning naming both ids.

Customers: ``customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at``
Purchases: ``order_id,customer_id,store,guide,paid_at,amount,items``
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from app.domain.customers import Tier, mask_phone
from sync.hq import members
from sync.hq.storage import HQStorage, ImportCounts

CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "phone",
    "gender",
    "birthday",
    "store",
    "guide",
    "tier",
    "points",
    "tags",
    "joined_at",
)
PURCHASE_COLUMNS = ("order_id", "customer_id", "store", "guide", "paid_at", "amount", "items")

CHINA_TIME = timezone(timedelta(hours=8))
MAX_POINTS = 999_999_999
MAX_AMOUNT_CENTS = 1_000_000_000  # ¥10,000,000.00 for one order
MAX_QTY = 9999
MAX_NAME = 100
MAX_TAG = 40
MAX_TAGS = 30
YEARS = (1900, 2100)

# re.ASCII everywhere: without it \d is any Unicode digit, and int() reads '２' or '٢'.
_A = re.ASCII
_MOBILE = re.compile(r"1[3-9][0-9]{9}", _A)
_ID = re.compile(r"[^\s:]{1,64}")
_WHOLE = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+", _A)
_AMOUNT = re.compile(r"[¥￥]?\s*([0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]{1,2}))?")
_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})", _A)
_DATETIME = re.compile(
    r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"
    r"(?:\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?",
    _A,
)
_ITEM = re.compile(r"([^*\s]{1,64})(?:\*([0-9]{1,4}))?")
# C0 and C1 controls (NUL, tab, newline, DEL...), line/paragraph separators, bidi
# overrides and isolates (they reorder what the counter shows), a BOM inside the text (two
# files joined with cat), U+FFFD and non-characters.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffd\ufffe\uffff]"
)
_LINE_BREAK = re.compile(rb"(\r\n|\r|\n)")  # what csv with newline="" counts as a line
_GENDERS = {"": "", "男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
_TIERS = {
    "": Tier.REGULAR,
    "头部": Tier.HEAD,
    "腰部": Tier.WAIST,
    "普通": Tier.REGULAR,
    "head": Tier.HEAD,
    "waist": Tier.WAIST,
    "regular": Tier.REGULAR,
}

UTF8, UTF8_BOM, GB18030 = "UTF-8", "UTF-8 with BOM", "GB18030"


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, wrong encoding, wrong columns)."""


class BadLine(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LineWarning:
    """A line that was imported but deserves a look (a shared phone, a repeated id)."""

    line: int
    reason: str
    customer_id: str
    other_id: str

    def __str__(self) -> str:
        return f"line {self.line}: warning: {self.reason}"


@dataclass
class ImportReport:
    encoding: str = UTF8
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[LineError] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"imported {self.imported}, updated {self.updated}, unchanged {self.unchanged},"
            f" refused {len(self.refused)}, warnings {len(self.warnings)} (read as {self.encoding})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding,
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [{"line": e.line, "reason": e.reason} for e in self.refused],
            "warnings": [
                {
                    "line": w.line,
                    "reason": w.reason,
                    "customer_id": w.customer_id,
                    "other_id": w.other_id,
                }
                for w in self.warnings
            ],
        }


# -- decoding ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecodedFile:
    """A file's text in its one encoding, and the lines that did not decode in it."""

    text: str
    encoding: str
    bad_lines: Mapping[int, str] = field(default_factory=dict)  # line number -> reason


def _looks_like_chinese(text: str) -> bool:
    """True if every non-ASCII character is one GBK has and one is a Han character.

    How a UTF-8 line reads when it is really UTF-8; a GBK line that happens to be valid
    UTF-8 reads as Cyrillic, Syriac, Latin-1 signs and the like (0 of 1,670 such names
    passed this test; 99.97% of real names do).
    """
    han = False
    for ch in text:
        if ch < "\x80":
            continue
        try:
            ch.encode("gbk")
        except UnicodeEncodeError:
            return False
        han = han or "\u3400" <= ch <= "\u9fff" or ch >= "\U00020000"
    return han


def _utf8(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode(raw: bytes, name: str = "the file") -> DecodedFile:
    """The text of a CSV file, by the module's rule (one encoding for the whole file)."""
    header = raw.split(b"\n", 1)[0]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in header:
        raise ImportFileError(
            f"{name} is UTF-16 text (Excel's 'Unicode text'): save it as 'CSV UTF-8' or 'CSV'"
        )
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    try:
        return DecodedFile(body.decode("utf-8"), UTF8_BOM if bom else UTF8)
    except UnicodeDecodeError:
        pass
    parts = _LINE_BREAK.split(body)  # line, break, line, break, ..., line
    lines = parts[0::2]
    utf8 = [None if line.isascii() else _utf8(line) for line in lines]
    voters = [
        text is not None for line, text in zip(lines, utf8, strict=True) if not line.isascii()
    ]
    encoding = UTF8_BOM if bom else UTF8 if 2 * sum(voters) >= len(voters) else GB18030
    codec = "gb18030" if encoding == GB18030 else "utf-8"
    bad: dict[int, str] = {}
    texts: list[str] = []
    for number, (line, as_utf8) in enumerate(zip(lines, utf8, strict=True), 1):
        if line.isascii():
            texts.append(line.decode("ascii"))
        elif encoding == GB18030 and as_utf8 is not None and _looks_like_chinese(as_utf8):
            first_field = as_utf8.split(",", 1)[0]
            bad[number] = (
                f"the line is UTF-8 text in a GB18030 file (it starts '{_excerpt(first_field)}';"
                " pasted from another export?)"
            )
            texts.append(as_utf8)
        else:
            try:
                texts.append(line.decode(codec))
            except UnicodeDecodeError:
                hint = " (pasted from a GBK/GB18030 export?)" if codec == "utf-8" else ""
                bad[number] = f"the line is not {encoding} text like the rest of the file{hint}"
                texts.append(line.decode(codec, "replace"))
    if 1 in bad:
        if len(bad) == len(voters):  # not one line decodes: not text at all
            raise ImportFileError(
                f"{name} is neither UTF-8 nor GB18030 text (save it from Excel as CSV)"
            )
        raise ImportFileError(f"line 1, the header: {bad[1]}")
    breaks = parts[1::2]
    text = "".join(t + b.decode("ascii") for t, b in zip(texts, [*breaks, b""], strict=True))
    return DecodedFile(text, encoding, bad)


def _excerpt(text: str, width: int = 40) -> str:
    text = _FORBIDDEN.sub("?", text.strip())
    return text if len(text) <= width else text[: width - 1] + "…"


def read_file(path: Path) -> DecodedFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode(raw, path.name)


def read_text(path: Path) -> str:
    """The file's text by the module's rule (lines that do not decode are replaced)."""
    return read_file(path).text


# -- lines -------------------------------------------------------------------------------


@dataclass
class Parsed:
    """What the lines of a file became: records by id (file order), where each came from,
    the lines refused and the warnings."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)


def _as_decoded(source: DecodedFile | str) -> DecodedFile:
    return source if isinstance(source, DecodedFile) else DecodedFile(source, UTF8)


def _rows(
    source: DecodedFile, columns: tuple[str, ...], parsed: Parsed
) -> list[tuple[int, int, dict[str, str]]]:
    """Each CSV record with the numbers of the lines it starts and ends on; unreadable
    ones go to ``parsed.errors``."""
    reader = csv.reader(io.StringIO(source.text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: {exc}") from None
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise ImportFileError(
            f"missing columns: {', '.join(missing)} (expected {','.join(columns)})"
        )
    index = {c: names.index(c) for c in columns}
    rows: list[tuple[int, int, dict[str, str]]] = []
    bad_lines = source.bad_lines
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.errors.append(LineError(start, f"unreadable CSV ({exc})"))
            continue
        if bad_lines:
            bad = next((n for n in range(start, reader.line_num + 1) if n in bad_lines), None)
            if bad is not None:
                parsed.errors.append(LineError(bad, bad_lines[bad]))
                continue
        if not any(v.strip() for v in values):
            continue
        if len(values) == len(names) and values[0].strip().lstrip("\ufeff").lower() == names[0]:
            repeated = [v.strip().lstrip("\ufeff").lower() for v in values] == names
        else:
            repeated = False
        if repeated:
            parsed.errors.append(LineError(start, "the header again (two files joined into one?)"))
            continue
        if len(values) > len(names):
            parsed.errors.append(
                LineError(start, f"{len(values)} fields, the header has {len(names)}")
            )
            continue
        row = {c: values[i].strip() if i < len(values) else "" for c, i in index.items()}
        rows.append((start, reader.line_num, row))
    return rows


def _parse(
    rows: list[tuple[int, int, dict[str, str]]],
    parsed: Parsed,
    parse: Callable[[dict[str, str]], dict[str, Any]],
    what: str,
) -> None:
    """Parse each row; a later line with the same id replaces an earlier one."""
    for line, end, row in rows:
        try:
            record = parse(row)
        except BadLine as exc:
            reason = str(exc)
            if end > line:  # what an unclosed quote looks like
                reason += f" (this record runs from line {line} to {end}: a quote not closed?)"
            parsed.errors.append(LineError(line, reason))
            continue
        record_id = record["id"]
        earlier = parsed.lines.get(record_id)
        if earlier is not None:
            parsed.warnings.append(
                LineWarning(
                    earlier,
                    f"{what} {record_id} appears again on line {line}, which wins",
                    record_id,
                    record_id,
                )
            )
            del parsed.records[record_id]  # keep file order of the winning line
        parsed.records[record_id] = record
        parsed.lines[record_id] = line


# -- value parsers -----------------------------------------------------------------------


def _plain(value: str, what: str, *, max_len: int) -> str:
    """Text for one line of the counter's screen."""
    bad = _FORBIDDEN.search(value)
    if bad:
        ch = bad.group()
        if ch == "\ufffd":
            kind = "U+FFFD, a character already lost by an earlier conversion"
        elif ch == "\ufeff":
            kind = "a byte order mark (U+FEFF: two files joined into one?)"
        else:
            kind = f"a control character (U+{ord(ch):04X})"
        raise BadLine(f"{what} contains {kind}")
    if len(value) > max_len:
        raise BadLine(f"{what} is longer than {max_len} characters")
    return value


def _identifier(value: str, what: str) -> str:
    if not value:
        raise BadLine(f"{what} is empty")
    _plain(value, what, max_len=64)
    if not _ID.fullmatch(value):
        raise BadLine(f"{what} '{value}' must be 1–64 characters without spaces or ':'")
    return value


def _not_ascii_digits(value: str, what: str, expected: str) -> BadLine:
    if value.lstrip("¥￥ ").startswith("-"):
        return BadLine(f"{what} '{_excerpt(value)}' is negative")
    if any(ch.isdigit() and not ch.isascii() for ch in value):
        return BadLine(
            f"{what} '{_excerpt(value)}' has a digit that is not 0-9 (full-width or"
            " superscript): type it again with ASCII digits"
        )
    return BadLine(f"{what} '{_excerpt(value)}' is not {expected}")


def _whole(value: str, what: str, *, low: int, high: int) -> int:
    if not _WHOLE.fullmatch(value):
        raise _not_ascii_digits(value, what, "a whole number (digits 0-9)")
    digits = value.replace(",", "")
    if len(digits) > len(str(high)) or not low <= int(digits) <= high:
        raise BadLine(f"{what} '{_excerpt(value)}' is out of range ({low:,}–{high:,})")
    return int(digits)


def _phone(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if digits and not _MOBILE.fullmatch(digits):
        raise BadLine(f"phone '{_excerpt(value)}' is not a mobile number")
    return digits


def _year_ok(year: int, what: str, value: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise BadLine(f"{what} '{value}' is out of range (years {YEARS[0]}–{YEARS[1]})")


def _date(value: str, what: str, *, latest: date | None = None) -> str | None:
    if not value:
        return None
    match = _DATE.fullmatch(value)
    try:
        if not match:
            raise ValueError
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadLine(f"{what} '{_excerpt(value)}' is not a date (YYYY-MM-DD)") from None
    _year_ok(day.year, what, value)
    if latest is not None and day > latest:
        raise BadLine(f"{what} '{value}' is in the future")
    return day.isoformat()


def _time(value: str, what: str, *, required: bool = False) -> str | None:
    """An ISO UTC time; a date alone is midnight, a time without a zone is China time."""
    if not value:
        if required:
            raise BadLine(f"{what} is empty")
        return None
    try:
        day = _DATE.fullmatch(value)
        if day:
            moment = datetime(int(day[1]), int(day[2]), int(day[3]), tzinfo=CHINA_TIME)
        else:
            m = _DATETIME.fullmatch(value)
            if not m:
                raise ValueError
            zone = CHINA_TIME
            if m[7] == "Z":
                zone = UTC
            elif m[7]:
                sign = 1 if m[7][0] == "+" else -1
                hours, minutes = int(m[7][1:3]), int(m[7][-2:])
                zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
            moment = datetime(
                int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=zone
            )
    except ValueError:
        raise BadLine(
            f"{what} '{_excerpt(value)}' is not a date or time (YYYY-MM-DD HH:MM)"
        ) from None
    _year_ok(moment.year, what, value)  # also keeps astimezone() clear of year 1 and 9999
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _store(value: str, stores: Mapping[str, Any]) -> str:
    if not value:
        raise BadLine("store is empty")
    if value not in stores:
        raise BadLine(f"store '{_excerpt(value)}' is unknown (add it with add-store)")
    return value


# -- customers ---------------------------------------------------------------------------


def parse_customers(
    source: DecodedFile | str,
    stores: Mapping[str, Any],
    guides: Mapping[str, Mapping[str, Any]],
    *,
    today: date | None = None,
) -> Parsed:
    """Customer wire records from a CSV file's text, the lines refused and the warnings.

    ``today`` (China date of the import) bounds birthdays; None leaves them unbounded.
    """
    source = _as_decoded(source)
    parsed = Parsed()
    rows = _rows(source, CUSTOMER_COLUMNS, parsed)

    def parse(row: dict[str, str]) -> dict[str, Any]:
        customer_id = _identifier(row["customer_id"], "customer_id")
        name = _plain(row["name"], "name", max_len=MAX_NAME)
        if not name:
            raise BadLine("name is empty")
        gender = _GENDERS.get(row["gender"].lower())
        if gender is None:
            raise BadLine(f"gender '{_excerpt(row['gender'])}' is not 男/女/M/F or empty")
        store_id = _store(row["store"], stores)
        guide_id = row["guide"] or None
        if guide_id is not None:
            guide = guides.get(guide_id)
            if guide is None:
                raise BadLine(f"guide '{_excerpt(guide_id)}' is unknown (add it with add-guide)")
            if guide["store_id"] != store_id:
                raise BadLine(
                    f"guide {guide_id} works in store {guide['store_id']}, not {store_id}"
                )
            if not guide["active"]:
                raise BadLine(f"guide {guide_id} has left (inactive)")
        tier = _TIERS.get(row["tier"].lower())
        if tier is None:
            raise BadLine(
                f"tier '{_excerpt(row['tier'])}' is not 头部/腰部/普通 (head/waist/regular)"
            )
        points = _whole(row["points"], "points", low=0, high=MAX_POINTS) if row["points"] else 0
        tags = list(dict.fromkeys(t.strip() for t in row["tags"].split("|") if t.strip()))
        for tag in tags:
            _plain(tag, "a tag", max_len=MAX_TAG)
        if len(tags) > MAX_TAGS:
            raise BadLine(f"{len(tags)} tags, at most {MAX_TAGS}")
        return {
            "id": customer_id,
            "store_id": store_id,
            "guide_id": guide_id,
            "name": name,
            "phone": _phone(row["phone"]),
            "gender": gender,
            "birthday": _date(row["birthday"], "birthday", latest=today),
            "tier": tier.value,
            "points": points,
            "tags": tags,
            "sizes": {},
            "preferences": "",
            "note": "",
            "joined_at": _time(row["joined_at"], "joined_at"),
        }

    _parse(rows, parsed, parse, "customer")
    return parsed


def phone_warnings(
    parsed: Parsed, holders: Callable[[set[str]], dict[str, set[str]]]
) -> list[LineWarning]:
    """Members whose phone another member holds once this file is in: an earlier line of
    the file, or a member HQ has that the file does not change. ``holders`` answers which
    HQ members hold each of these phones."""
    by_phone: dict[str, list[str]] = {}
    for record_id, record in parsed.records.items():
        if record["phone"]:
            by_phone.setdefault(record["phone"], []).append(record_id)
    at_hq = holders(set(by_phone)) if by_phone else {}
    warnings = []
    for phone, ids in by_phone.items():
        shown = mask_phone(phone)
        # HQ members the file does not re-import keep their phone.
        for other in sorted(at_hq.get(phone, set()) - set(parsed.records)):
            for record_id in ids:
                warnings.append(
                    LineWarning(
                        parsed.lines[record_id],
                        f"phone {shown} of {record_id} is also held by {other} at HQ",
                        record_id,
                        other,
                    )
                )
        first = ids[0]
        for record_id in ids[1:]:
            warnings.append(
                LineWarning(
                    parsed.lines[record_id],
                    f"phone {shown} of {record_id} is also held by {first}"
                    f" (line {parsed.lines[first]})",
                    record_id,
                    first,
                )
            )
    return warnings


def import_customers(storage: HQStorage, path: Path) -> ImportReport:
    source = read_file(path)
    stores, guides = storage.stores_and_guides()
    today = datetime.fromisoformat(storage.now()).astimezone(CHINA_TIME).date()
    parsed = parse_customers(source, stores, guides, today=today)
    parsed.warnings += phone_warnings(parsed, lambda phones: members.phone_holders(storage, phones))
    records = list(parsed.records.values())
    counts = storage.import_customers(records) if records else ImportCounts()
    return _report(source, counts, parsed)


# -- purchases ---------------------------------------------------------------------------


def _amount_cents(value: str) -> int:
    match = _AMOUNT.fullmatch(value)
    if not match:
        raise _not_ascii_digits(value, "amount", "a yuan amount with at most 2 decimals")
    whole = match[1].replace(",", "")
    cents = (match[2] or "").ljust(2, "0")
    if len(whole) > 12 or int(whole + cents) > MAX_AMOUNT_CENTS:
        raise BadLine(f"amount '{_excerpt(value)}' is more than ¥{MAX_AMOUNT_CENTS // 100:,}")
    return int(whole + cents)


def parse_purchases(
    source: DecodedFile | str,
    stores: Mapping[str, Any],
    guides: Mapping[str, Any],
    products: Mapping[str, int],
    known_customers: Callable[[set[str]], set[str]],
) -> Parsed:
    """Purchase wire records from a CSV file's text, the lines refused and the warnings.

    ``products`` maps SKU → list price (an unknown SKU is kept: the terminal shows its
    code); ``known_customers`` answers which of the ids HQ knows.
    """
    source = _as_decoded(source)
    parsed = Parsed()
    rows = _rows(source, PURCHASE_COLUMNS, parsed)
    # Only well-formed ids reach the query (PostgreSQL refuses a NUL even in a parameter).
    asked = {row["customer_id"] for _, _, row in rows}
    known = known_customers({i for i in asked if _ID.fullmatch(i) and not _FORBIDDEN.search(i)})

    def parse(row: dict[str, str]) -> dict[str, Any]:
        order_id = _identifier(row["order_id"], "order_id")
        customer_id = _identifier(row["customer_id"], "customer_id")
        if customer_id not in known:
            raise BadLine(f"customer '{customer_id}' is unknown (import customers first)")
        store_id = _store(row["store"], stores)
        guide_id = row["guide"] or None
        if guide_id is not None and guide_id not in guides:
            raise BadLine(f"guide '{_excerpt(guide_id)}' is unknown")
        items = []
        for part in (p.strip() for p in row["items"].split("|")):
            if not part:
                continue
            match = _ITEM.fullmatch(part)
            if not match or _FORBIDDEN.search(part):
                raise BadLine(f"item '{_excerpt(part)}' is not SKU*quantity")
            qty = int(match[2] or 1)
            if not 1 <= qty <= MAX_QTY:
                raise BadLine(f"item '{part}': quantity must be 1–{MAX_QTY}")
            sku = match[1]
            items.append({"sku": sku, "qty": qty, "price_cents": products.get(sku)})
        return {
            "id": order_id,
            "customer_id": customer_id,
            "store_id": store_id,
            "guide_id": guide_id,
            "paid_at": _time(row["paid_at"], "paid_at", required=True),
            "amount_cents": _amount_cents(row["amount"]),
            "items": items,
        }

    _parse(rows, parsed, parse, "order")
    return parsed


def import_purchases(storage: HQStorage, path: Path) -> ImportReport:
    source = read_file(path)
    stores, guides = storage.stores_and_guides()
    parsed = parse_purchases(
        source, stores, guides, storage.product_prices(), storage.known_customers
    )
    records = list(parsed.records.values())
    counts = storage.import_purchases(records) if records else ImportCounts()
    return _report(source, counts, parsed)


def _report(source: DecodedFile, counts: ImportCounts, parsed: Parsed) -> ImportReport:
    return ImportReport(
        encoding=source.encoding,
        imported=counts.imported,
        updated=counts.updated,
        unchanged=counts.unchanged,
        refused=sorted(parsed.errors, key=lambda e: e.line),
        warnings=sorted(parsed.warnings, key=lambda w: w.line),
    )
