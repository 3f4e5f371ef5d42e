"""Free compositions (自由组合): a guide's own message made of their words, library
pictures and products, kept on this terminal as a draft (草稿) until it is shared.

A composition is the guide's own: local, never synced, never in the outbox. Sharing one
sends a ``ContentPiece(composed=True)`` through ``record_share``, which carries its words,
pictures and products on the share record itself (content_id None). The draft stays after
a share, so the same words can go to the next customer tomorrow; the guide deletes it.

Drafts keep whatever was typed (nothing a guide typed is lost): the contract's limits
(``share.body`` / ``images`` / ``skus``) are checked when the composition is shared, by
:func:`composition_problems`, not when it is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from app.domain.content import Category631
from app.store.changes import Changes
from app.store.content import ContentPiece, list_content
from app.store.db import transaction
from app.store.sqlite import driver as sqlite3
from sync.records import BY_ENTITY, clean_text

_SHARE = BY_ENTITY["share"]
# The contract's limits of what a share of a composition may carry.
BODY_MAX = _SHARE.field("body").max_len
IMAGES_MAX = _SHARE.field("images").max_len
SKUS_MAX = _SHARE.field("skus").max_len
TITLE_MAX = 40  # the card's and the share dialog's title: the first line, cut here

CHANGED = Changes(entities=frozenset({"composition"}))


@dataclass(frozen=True, slots=True)
class Composition:
    id: str
    guide_id: str
    body: str = ""
    images: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    category_631: str | None = None
    created_at: str = ""
    updated_at: str = ""
    title: str = ""  # kept by save_composition: the body's first line

    @property
    def is_empty(self) -> bool:
        return not (self.body.strip() or self.images or self.skus)


def title_of(body: str) -> str:
    """A composition's title: the first line with words on it, cut to ``TITLE_MAX``."""
    for line in body.splitlines():
        line = line.strip()
        if line:
            return line[: TITLE_MAX - 1] + "…" if len(line) > TITLE_MAX else line
    return ""


class Problem(StrEnum):
    """Why a composition cannot be shared yet (the dialog words each one)."""

    NO_WORDS = "no_words"
    BODY_TOO_LONG = "body_too_long"
    TOO_MANY_IMAGES = "too_many_images"
    TOO_MANY_SKUS = "too_many_skus"
    NO_CATEGORY = "no_category"


def composition_problems(comp: Composition) -> list[Problem]:
    """What stands between this composition and a share, in the order the guide meets it."""
    found: list[Problem] = []
    body = clean_text(comp.body, multiline=True)
    if not body:
        found.append(Problem.NO_WORDS)
    if len(body) > BODY_MAX:
        found.append(Problem.BODY_TOO_LONG)
    if len(comp.images) > IMAGES_MAX:
        found.append(Problem.TOO_MANY_IMAGES)
    if len(comp.skus) > SKUS_MAX:
        found.append(Problem.TOO_MANY_SKUS)
    if comp.category_631 not in {c.value for c in Category631}:
        found.append(Problem.NO_CATEGORY)
    return found


def composition_piece(comp: Composition) -> ContentPiece:
    """The composition as content to share (``composed``: it travels as itself)."""
    body = clean_text(comp.body, multiline=True)
    return ContentPiece(
        id=comp.id,
        kind="copy",
        title=title_of(body),
        body=body,
        images=tuple(comp.images),
        category_631=comp.category_631 or "",
        skus=tuple(comp.skus),
        composed=True,
    )


def _row(row: sqlite3.Row) -> Composition:
    return Composition(
        id=row["id"],
        guide_id=row["guide_id"],
        title=row["title"],
        body=row["body"],
        images=tuple(json.loads(row["images"] or "[]")),
        skus=tuple(json.loads(row["skus"] or "[]")),
        category_631=row["category_631"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def save_composition(conn: sqlite3.Connection, comp: Composition, *, now: str) -> Changes:
    """Keep the composition as typed (cleaned of control characters); a new one is
    created, a kept one updated (its ``created_at`` stays). One transaction."""
    body = clean_text(comp.body, multiline=True)
    with transaction(conn):
        conn.execute(
            "INSERT INTO compositions (id, guide_id, title, body, images, skus, category_631,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET title = excluded.title, body = excluded.body,"
            " images = excluded.images, skus = excluded.skus,"
            " category_631 = excluded.category_631, updated_at = excluded.updated_at"
            " WHERE compositions.guide_id = excluded.guide_id",
            (
                comp.id,
                comp.guide_id,
                title_of(body),
                body,
                json.dumps(list(comp.images)),
                json.dumps(list(comp.skus), ensure_ascii=False),
                comp.category_631,
                now,
                now,
            ),
        )
    return CHANGED


def get_composition(conn: sqlite3.Connection, comp_id: str, guide_id: str) -> Composition | None:
    row = conn.execute(
        "SELECT * FROM compositions WHERE id = ? AND guide_id = ?", (comp_id, guide_id)
    ).fetchone()
    return _row(row) if row is not None else None


def list_compositions(conn: sqlite3.Connection, guide_id: str) -> list[Composition]:
    """The guide's drafts, last edited first (another guide's are never listed)."""
    rows = conn.execute(
        "SELECT * FROM compositions WHERE guide_id = ? ORDER BY updated_at DESC, id",
        (guide_id,),
    )
    return [_row(r) for r in rows]


def delete_composition(conn: sqlite3.Connection, comp_id: str, guide_id: str) -> Changes:
    with transaction(conn):
        conn.execute("DELETE FROM compositions WHERE id = ? AND guide_id = ?", (comp_id, guide_id))
    return CHANGED


@dataclass(frozen=True, slots=True)
class ProductChoice:
    sku: str
    name: str
    price_cents: int
    color: str = ""


def search_products(
    conn: sqlite3.Connection, text: str = "", limit: int = 100
) -> list[ProductChoice]:
    """Products to put in a composition, by name or SKU (the first ``limit``, by name)."""
    sql = "SELECT sku, name, price_cents, color FROM products"
    args: list[object] = []
    term = text.strip()
    if term:
        sql += " WHERE name LIKE ? OR sku LIKE ?"
        args += [f"%{term}%", f"%{term}%"]
    sql += " ORDER BY name, sku LIMIT ?"
    args.append(limit)
    return [
        ProductChoice(r["sku"], r["name"], int(r["price_cents"] or 0), r["color"] or "")
        for r in conn.execute(sql, args)
    ]


def products_by_sku(conn: sqlite3.Connection, skus: list[str]) -> list[ProductChoice]:
    """The named products, in the order given (a SKU HQ no longer has is left out)."""
    if not skus:
        return []
    marks = ", ".join("?" for _ in skus)
    rows = conn.execute(
        f"SELECT sku, name, price_cents, color FROM products WHERE sku IN ({marks})", skus
    )
    found = {
        r["sku"]: ProductChoice(r["sku"], r["name"], int(r["price_cents"] or 0), r["color"] or "")
        for r in rows
    }
    return [found[s] for s in skus if s in found]


def library_pictures(conn: sqlite3.Connection, limit: int = 300) -> list[str]:
    """The pictures of the content library in circulation (sha256), newest piece first,
    each once: what a composition may carry."""
    seen: dict[str, None] = {}
    for piece in list_content(conn).pieces:
        for sha in piece.images:
            seen.setdefault(sha)
    return list(seen)[:limit]
