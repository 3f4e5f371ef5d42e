"""CSV imports from the brand's CRM: members (会员) and orders (订单).

Files come from Excel as often as from scripts, so a file may be UTF-8 (with or without
the BOM Excel adds) or GB18030 (what Excel in China saves as "CSV"). Every line is checked
on its own: a bad line is reported with its line number and reason and the good lines are
imported anyway. Re-importing a file updates what changed and never duplicates; when an id
appears twice, the later line wins. Times without a zone are China time (UTC+8).

Customers: ``customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at``
Purchases: ``order_id,customer_id,store,guide,paid_at,amount,items``
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.domain.customers import Tier
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
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID = re.compile(r"^[^\s:]{1,64}$")
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
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DATETIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_ITEM = re.compile(r"^([^*\s]{1,64})(?:\*(\d{1,4}))?$")


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


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[LineError] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"imported {self.imported}, updated {self.updated}, refused {len(self.refused)}"
            f" (unchanged {self.unchanged})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [{"line": e.line, "reason": e.reason} for e in self.refused],
        }


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (BOM or not) if it decodes strictly, else GB18030."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name} is neither UTF-8 nor GB18030 text (save it from Excel as CSV)"
        ) from exc


def _rows(
    text: str, columns: tuple[str, ...]
) -> tuple[list[tuple[int, dict[str, str]]], list[LineError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
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
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[LineError] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(LineError(reader.line_num, f"unreadable CSV ({exc})"))
            continue
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(names):
            errors.append(
                LineError(reader.line_num, f"{len(values)} fields, the header has {len(names)}")
            )
            continue
        rows.append(
            (
                reader.line_num,
                {c: values[i].strip() if i < len(values) else "" for c, i in index.items()},
            )
        )
    return rows, errors


def _parse(
    rows: list[tuple[int, dict[str, str]]],
    errors: list[LineError],
    parse: Callable[[dict[str, str]], dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Parse each row; later lines with the same id replace earlier ones."""
    records: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        try:
            record = parse(row)
        except BadLine as exc:
            errors.append(LineError(line, str(exc)))
            continue
        records.pop(record["id"], None)  # keep file order of the winning line
        records[record["id"]] = record
    return records


# -- value parsers -----------------------------------------------------------------------


def _identifier(value: str, what: str) -> str:
    if not value:
        raise BadLine(f"{what} is empty")
    if not _ID.match(value):
        raise BadLine(f"{what} '{value}' must be 1–64 characters without spaces or ':'")
    return value


def _phone(value: str) -> str:
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if digits and not _MOBILE.match(digits):
        raise BadLine(f"phone '{value}' is not a mobile number")
    return digits


def _date(value: str, what: str) -> str | None:
    if not value:
        return None
    match = _DATE.match(value)
    try:
        if not match:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3])).isoformat()
    except ValueError:
        raise BadLine(f"{what} '{value}' is not a date (YYYY-MM-DD)") from None


def _time(value: str, what: str, *, required: bool = False) -> str | None:
    """An ISO UTC time; a date alone is midnight, a time without a zone is China time."""
    if not value:
        if required:
            raise BadLine(f"{what} is empty")
        return None
    try:
        day = _DATE.match(value)
        if day:
            moment = datetime(int(day[1]), int(day[2]), int(day[3]), tzinfo=CHINA_TIME)
        else:
            m = _DATETIME.match(value)
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
        raise BadLine(f"{what} '{value}' is not a date or time (YYYY-MM-DD HH:MM)") from None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _store(value: str, stores: Mapping[str, Any]) -> str:
    if not value:
        raise BadLine("store is empty")
    if value not in stores:
        raise BadLine(f"store '{value}' is unknown (add it with add-store)")
    return value


# -- customers ---------------------------------------------------------------------------


def parse_customers(
    text: str, stores: Mapping[str, Any], guides: Mapping[str, Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[LineError]]:
    """Customer wire records from CSV text, and the lines refused."""
    rows, errors = _rows(text, CUSTOMER_COLUMNS)

    def parse(row: dict[str, str]) -> dict[str, Any]:
        customer_id = _identifier(row["customer_id"], "customer_id")
        name = row["name"]
        if not name:
            raise BadLine("name is empty")
        if len(name) > 100:
            raise BadLine("name is longer than 100 characters")
        gender = _GENDERS.get(row["gender"].lower())
        if gender is None:
            raise BadLine(f"gender '{row['gender']}' is not 男/女/M/F or empty")
        store_id = _store(row["store"], stores)
        guide_id = row["guide"] or None
        if guide_id is not None:
            guide = guides.get(guide_id)
            if guide is None:
                raise BadLine(f"guide '{guide_id}' is unknown (add it with add-guide)")
            if guide["store_id"] != store_id:
                raise BadLine(
                    f"guide {guide_id} works in store {guide['store_id']}, not {store_id}"
                )
            if not guide["active"]:
                raise BadLine(f"guide {guide_id} has left (inactive)")
        tier = _TIERS.get(row["tier"].lower())
        if tier is None:
            raise BadLine(f"tier '{row['tier']}' is not 头部/腰部/普通 (head/waist/regular)")
        points_text = row["points"].replace(",", "")
        if points_text and not points_text.isdigit():
            raise BadLine(f"points '{row['points']}' is not a whole number")
        tags = list(dict.fromkeys(t.strip() for t in row["tags"].split("|") if t.strip()))
        if any(len(t) > 40 for t in tags):
            raise BadLine("a tag is longer than 40 characters")
        return {
            "id": customer_id,
            "store_id": store_id,
            "guide_id": guide_id,
            "name": name,
            "phone": _phone(row["phone"]),
            "gender": gender,
            "birthday": _date(row["birthday"], "birthday"),
            "tier": tier.value,
            "points": int(points_text or 0),
            "tags": tags,
            "sizes": {},
            "preferences": "",
            "note": "",
            "joined_at": _time(row["joined_at"], "joined_at"),
        }

    records = _parse(rows, errors, parse)
    return list(records.values()), errors


def import_customers(storage: HQStorage, path: Path) -> ImportReport:
    stores, guides = storage.stores_and_guides()
    records, errors = parse_customers(read_text(path), stores, guides)
    counts = storage.import_customers(records) if records else ImportCounts()
    return _report(counts, errors)


# -- purchases ---------------------------------------------------------------------------


def _amount_cents(value: str) -> int:
    text = value.replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or amount < 0
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise BadLine(f"amount '{value}' is not a yuan amount with at most 2 decimals")
    return int(amount * 100)


def parse_purchases(
    text: str,
    stores: Mapping[str, Any],
    guides: Mapping[str, Any],
    products: Mapping[str, int],
    known_customers: Callable[[set[str]], set[str]],
) -> tuple[list[dict[str, Any]], list[LineError]]:
    """Purchase wire records from CSV text, and the lines refused.

    ``products`` maps SKU → list price (an unknown SKU is kept: the terminal shows its
    code); ``known_customers`` answers which of the ids HQ knows.
    """
    rows, errors = _rows(text, PURCHASE_COLUMNS)
    known = known_customers({row["customer_id"] for _, row in rows if row["customer_id"]})

    def parse(row: dict[str, str]) -> dict[str, Any]:
        order_id = _identifier(row["order_id"], "order_id")
        customer_id = _identifier(row["customer_id"], "customer_id")
        if customer_id not in known:
            raise BadLine(f"customer '{customer_id}' is unknown (import customers first)")
        store_id = _store(row["store"], stores)
        guide_id = row["guide"] or None
        if guide_id is not None and guide_id not in guides:
            raise BadLine(f"guide '{guide_id}' is unknown")
        items = []
        for part in (p.strip() for p in row["items"].split("|")):
            if not part:
                continue
            match = _ITEM.match(part)
            if not match or (match[2] is not None and int(match[2]) == 0):
                raise BadLine(f"item '{part}' is not SKU*quantity")
            sku = match[1]
            items.append({"sku": sku, "qty": int(match[2] or 1), "price_cents": products.get(sku)})
        return {
            "id": order_id,
            "customer_id": customer_id,
            "store_id": store_id,
            "guide_id": guide_id,
            "paid_at": _time(row["paid_at"], "paid_at", required=True),
            "amount_cents": _amount_cents(row["amount"]),
            "items": items,
        }

    records = _parse(rows, errors, parse)
    return list(records.values()), errors


def import_purchases(storage: HQStorage, path: Path) -> ImportReport:
    stores, guides = storage.stores_and_guides()
    records, errors = parse_purchases(
        read_text(path), stores, guides, storage.product_prices(), storage.known_customers
    )
    counts = storage.import_purchases(records) if records else ImportCounts()
    return _report(counts, errors)


def _report(counts: ImportCounts, errors: list[LineError]) -> ImportReport:
    return ImportReport(
        imported=counts.imported,
        updated=counts.updated,
        unchanged=counts.unchanged,
        refused=sorted(errors, key=lambda e: e.line),
    )
