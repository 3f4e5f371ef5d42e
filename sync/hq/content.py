"""Content HQ publishes (issue 11): the content file, publishing and retiring, the report.

A content file is JSON: one object or a list of them, e.g.::

    {"id": "CT-2026-WINTER-01", "kind": "copy", "title": "冬季新品到店",
     "body": "{称呼}您好，我是{门店}的{导购}，冬季新品到店了，周末来试穿吧。",
     "pictures": ["winter.png"], "tags": ["新品", "冬季"], "campaign": "WINTER26",
     "valid_from": "2026-12-01", "valid_until": "2026-12-31", "category_631": "brand"}

``pictures`` are paths relative to the file; ``product`` adds ``sku`` and ``price`` (yuan,
at most two decimals), ``outfit`` adds ``skus`` and ``caption``. The whole file is checked
first — every problem is reported with its piece, field and reason — and published in one
transaction, so nothing is stored when anything is wrong. Publishing an id again updates
that piece (and brings a retired one back).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from app.domain.content import Category631, ContentKind, ContentStatus
from sync import records
from sync.hq.errors import NotFound, StorageError
from sync.hq.pictures import PictureError, inspect_picture, store_picture
from sync.hq.schema import BRAND_SCOPE, ENTITY_SPECS, content, purchases, shares

if TYPE_CHECKING:
    from sync.hq.tx import Tx

PUBLISHED_KINDS = (
    ContentKind.COPY.value,
    ContentKind.PRODUCT.value,
    ContentKind.OUTFIT.value,
    ContentKind.POSTER.value,
)
PLACEHOLDERS = ("称呼", "导购", "门店")  # filled per customer on the terminal
_FILE_KEYS = (
    "id",
    "kind",
    "title",
    "body",
    "pictures",
    "tags",
    "campaign",
    "valid_from",
    "valid_until",
    "category_631",
    "sku",
    "price",
    "skus",
    "caption",
)
FILE_HELP = (
    "The file is JSON: one object or a list. Fields: id, kind (copy, product, outfit,\n"
    "poster), title, body ({称呼} {导购} {门店} are filled per customer on the terminal),\n"
    "pictures (PNG/JPEG/WebP paths relative to the file, at most 5 MB each), tags,\n"
    "campaign, valid_from / valid_until (YYYY-MM-DD), category_631 (brand, service,\n"
    "selling); product: sku, price (yuan); outfit: skus, caption. Every problem is listed\n"
    "with its field and nothing is stored when one is wrong; the same id again updates it."
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_BRACES = re.compile(r"\{([^{}]*)\}")
REPORT_COLUMNS = (
    "content_id",
    "title",
    "kind",
    "campaign",
    "status",
    "shares",
    "customers",
    "guides",
    "over_cap",  # shares sent to a customer at the contact cap (with a reason, or HQ found)
    "opted_out",  # shares that reached HQ after the customer had opted out of marketing
    "purchases",
    "purchase_cents",
)


class ContentFileError(StorageError):
    """A content file HQ refuses: every problem, each as 'piece field: reason'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("content file refused, nothing stored:\n  " + "\n  ".join(problems))


@dataclass
class ContentPiece:
    record: dict[str, Any]
    pictures: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class PublishResult:
    created: list[str]
    updated: list[str]
    pictures: int  # distinct pictures in the file

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "pictures": self.pictures}


def _texts(value: Any, name: str, problem: list[str]) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problem.append(f"{name}: must be a list of non-empty texts")
        return []
    return [v.strip() for v in value]


def _parse_piece(raw: Any, where: str, base: Path) -> tuple[ContentPiece | None, list[str]]:
    problems: list[str] = []

    def bad(name: str, reason: str) -> None:
        problems.append(f"{where} {name}: {reason}")

    if not isinstance(raw, dict):
        return None, [f"{where}: must be a JSON object"]
    for key in raw:
        if key not in _FILE_KEYS:
            bad(str(key), f"unknown field (known: {', '.join(_FILE_KEYS)})")
    cid = raw.get("id")
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        bad("id", "is required: 1-100 letters, digits, '.', '_' or '-'")
    kind = raw.get("kind")
    if kind not in PUBLISHED_KINDS:
        bad("kind", f"must be one of {', '.join(PUBLISHED_KINDS)}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        bad("title", "is required (text)")
    body = raw.get("body", "")
    if not isinstance(body, str):
        bad("body", "must be text")
        body = ""
    for name in _BRACES.findall(body):
        if name not in PLACEHOLDERS:
            bad("body", f"unknown placeholder {{{name}}} (known: {{称呼}} {{导购}} {{门店}})")
    category = raw.get("category_631", Category631.BRAND.value)
    if category not in {c.value for c in Category631}:
        bad("category_631", "must be one of brand, service, selling")
    tag_problems: list[str] = []
    tags = _texts(raw.get("tags", []), "tags", tag_problems)
    campaign = raw.get("campaign")
    if campaign is not None and (not isinstance(campaign, str) or not campaign.strip()):
        bad("campaign", "must be a non-empty text or left out")
    days: dict[str, date] = {}
    for name in ("valid_from", "valid_until"):
        value = raw.get(name)
        if value is None:
            continue
        try:
            if not isinstance(value, str) or not _DATE.fullmatch(value):
                raise ValueError
            days[name] = date.fromisoformat(value)
        except ValueError:
            bad(name, "must be a date YYYY-MM-DD")
    if len(days) == 2 and days["valid_from"] > days["valid_until"]:
        bad("valid_until", "is before valid_from")
    sku = raw.get("sku")
    price_cents = None
    skus = _texts(raw.get("skus", []), "skus", tag_problems)
    caption = raw.get("caption", "")
    if not isinstance(caption, str):
        bad("caption", "must be text")
        caption = ""
    problems.extend(f"{where} {p}" for p in tag_problems)
    if kind == ContentKind.PRODUCT.value:
        if not isinstance(sku, str) or not sku.strip():
            bad("sku", "is required for a product (text)")
        price = raw.get("price")
        try:
            if isinstance(price, bool) or not isinstance(price, int | float | str):
                raise InvalidOperation
            amount = Decimal(str(price))
            if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
                raise InvalidOperation
            price_cents = int(amount * 100)
        except InvalidOperation:
            bad("price", "is required for a product: yuan ≥ 0, at most two decimals")
    else:
        for name in ("sku", "price"):
            if raw.get(name) is not None:
                bad(name, "only a product has it")
        sku = None
    if kind == ContentKind.OUTFIT.value:
        if not skus:
            bad("skus", "is required for an outfit (a list of SKUs)")
        if not caption.strip():
            bad("caption", "is required for an outfit (text)")
    pictures: list[bytes] = []
    names = raw.get("pictures", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        bad("pictures", "must be a list of file paths relative to the content file")
        names = []
    for n, name in enumerate(names):
        path = base / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            bad(f"pictures[{n}]", f"{name}: cannot read it ({exc.strerror or exc})")
            continue
        try:
            inspect_picture(data)
        except PictureError as exc:
            bad(f"pictures[{n}]", f"{name}: {exc}")
            continue
        pictures.append(data)
    if problems:
        return None, problems
    record = {
        "id": cid,
        "kind": kind,
        "title": title.strip(),
        "body": body,
        "images": [],  # filled with the hashes when published
        "skus": skus,
        "category_631": category,
        "published_at": None,
        "expires_at": None,
        "tags": tags,
        "campaign": campaign.strip() if isinstance(campaign, str) else None,
        "valid_from": raw.get("valid_from"),
        "valid_until": raw.get("valid_until"),
        "sku": sku.strip() if isinstance(sku, str) else None,
        "price_cents": price_cents,
        "caption": caption,
        "status": ContentStatus.ACTIVE.value,
    }
    record["images"] = [hashlib.sha256(p).hexdigest() for p in pictures]
    try:
        record = records.check_record(records.BY_ENTITY["content"], record)
    except records.ContractError as exc:
        return None, [f"{where}: {exc}"]
    return ContentPiece(record, pictures), []


def parse_content_file(raw: Any, base: Path) -> list[ContentPiece]:
    """Every piece of a content file, checked; :class:`ContentFileError` lists all
    problems. ``base`` is the file's folder (pictures are relative to it)."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ContentFileError(["file: holds no content piece"])
    pieces: list[ContentPiece] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, item in enumerate(items):
        cid = item.get("id") if isinstance(item, dict) else None
        where = f"{cid}" if isinstance(cid, str) and cid else f"piece {n + 1}"
        if isinstance(cid, str) and cid in seen:
            problems.append(f"{where} id: appears twice in the file")
        if isinstance(cid, str):
            seen.add(cid)
        piece, found = _parse_piece(item, where, base)
        problems.extend(found)
        if piece is not None:
            pieces.append(piece)
    if problems:
        raise ContentFileError(problems)
    return pieces


def publish(tx: Tx, pieces: list[ContentPiece], *, now: str) -> PublishResult:
    ids = [p.record["id"] for p in pieces]
    existing = {r.id for r in tx.conn.execute(sa.select(content.c.id).where(content.c.id.in_(ids)))}
    hashes: set[str] = set()
    for piece in pieces:
        for data in piece.pictures:
            hashes.add(store_picture(tx, data, now=now).sha256)
        piece.record["published_at"] = now
    tx.put("content", [p.record for p in pieces], scopes=BRAND_SCOPE)
    return PublishResult(
        created=[i for i in ids if i not in existing],
        updated=[i for i in ids if i in existing],
        pictures=len(hashes),
    )


def retire(tx: Tx, content_id: str) -> bool:
    """Take a piece out of circulation; False when it was retired already."""
    row = tx.conn.execute(sa.select(content).where(content.c.id == content_id)).mappings().first()
    if row is None:
        raise NotFound(f"content {content_id} does not exist")
    record = ENTITY_SPECS["content"].to_record(row)
    if record["status"] == ContentStatus.RETIRED.value:
        return False
    record["status"] = ContentStatus.RETIRED.value
    tx.put("content", [record], scopes=BRAND_SCOPE)
    return True


def report_rows(
    conn: sa.Connection, *, campaign: str | None, window_days: int
) -> list[dict[str, Any]]:
    """Per content piece: shares, distinct customers, guides who shared, and the purchases
    those customers made within ``window_days`` after one of the piece's shares (each
    purchase counted once per piece, however many shares it follows)."""
    share_stats = (
        sa.select(
            shares.c.content_id.label("cid"),
            sa.func.count().label("shares"),
            sa.func.count(sa.distinct(shares.c.customer_id)).label("customers"),
            sa.func.count(sa.distinct(shares.c.guide_id)).label("guides"),
            sa.func.sum(
                sa.case(
                    (sa.or_(shares.c.over_cap.is_(True), shares.c.override_reason != ""), 1),
                    else_=0,
                )
            ).label("over_cap"),
            sa.func.sum(sa.case((shares.c.opted_out.is_(True), 1), else_=0)).label("opted_out"),
        )
        .where(shares.c.content_id.is_not(None))
        .group_by(shares.c.content_id)
        .subquery()
    )
    # A purchase follows a share when paid at or after it and within the window. Times are
    # ISO-8601 UTC text; the window's end is computed per share in SQL via julianday (SQLite)
    # or timestamp arithmetic (PostgreSQL).
    dialect = conn.dialect.name
    if dialect == "postgresql":
        paid = sa.cast(purchases.c.paid_at, sa.DateTime)
        shared = sa.cast(shares.c.shared_at, sa.DateTime)
        within = paid <= shared + sa.func.make_interval(0, 0, 0, window_days)
    else:
        paid = sa.func.julianday(purchases.c.paid_at)
        shared = sa.func.julianday(shares.c.shared_at)
        within = paid <= shared + window_days
    followed = (
        sa.select(
            shares.c.content_id.label("cid"),
            purchases.c.id.label("pid"),
            purchases.c.amount_cents.label("amount"),
        )
        .join(purchases, purchases.c.customer_id == shares.c.customer_id)
        .where(shares.c.content_id.is_not(None), paid >= shared, within)
        .distinct()
        .subquery()
    )
    bought = (
        sa.select(
            followed.c.cid,
            sa.func.count().label("purchases"),
            sa.func.coalesce(sa.func.sum(followed.c.amount), 0).label("purchase_cents"),
        )
        .group_by(followed.c.cid)
        .subquery()
    )
    query = (
        sa.select(
            content.c.id.label("content_id"),
            content.c.title,
            content.c.kind,
            content.c.campaign,
            content.c.status,
            sa.func.coalesce(share_stats.c.shares, 0).label("shares"),
            sa.func.coalesce(share_stats.c.customers, 0).label("customers"),
            sa.func.coalesce(share_stats.c.guides, 0).label("guides"),
            sa.func.coalesce(share_stats.c.over_cap, 0).label("over_cap"),
            sa.func.coalesce(share_stats.c.opted_out, 0).label("opted_out"),
            sa.func.coalesce(bought.c.purchases, 0).label("purchases"),
            sa.func.coalesce(bought.c.purchase_cents, 0).label("purchase_cents"),
        )
        .outerjoin(share_stats, share_stats.c.cid == content.c.id)
        .outerjoin(bought, bought.c.cid == content.c.id)
        .order_by(content.c.id)
    )
    if campaign:
        query = query.where(content.c.campaign == campaign)
    return [dict(r) for r in conn.execute(query).mappings()]


class Content:
    """HQStorage's content (mixed into :class:`sync.hq.storage.HQStorage`)."""

    def publish_content(self, pieces: list[ContentPiece]) -> PublishResult:
        with self.write() as tx:  # type: ignore[attr-defined]
            return publish(tx, pieces, now=self.now())  # type: ignore[attr-defined]

    def retire_content(self, content_id: str) -> bool:
        with self.write() as tx:  # type: ignore[attr-defined]
            return retire(tx, content_id)

    def content_report(
        self, *, campaign: str | None = None, window_days: int = 14
    ) -> list[dict[str, Any]]:
        if not 1 <= window_days <= 365:
            raise StorageError("--window-days must be 1 to 365")
        with self.read() as conn:  # type: ignore[attr-defined]
            if campaign:
                known = conn.execute(
                    sa.select(content.c.id).where(content.c.campaign == campaign).limit(1)
                ).first()
                if known is None:
                    raise NotFound(f"no content of campaign {campaign}")
            return report_rows(conn, campaign=campaign, window_days=window_days)


__all__ = [
    "REPORT_COLUMNS",
    "ContentFileError",
    "ContentPiece",
    "PublishResult",
    "parse_content_file",
]
