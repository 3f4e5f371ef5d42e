"""HQ's change log: cursors, pulls, the head cursor, checksums and compaction.

The change log
--------------
Every write of master or guide data goes through :class:`Tx`, which updates the base
table and appends ``changes`` rows in the same transaction. Terminals pull that log,
scoped to their store plus the brand-wide scope ``'*'`` (products, content).

A change row has ``seq`` (a sequence number) and ``txid`` (the transaction that wrote it).
Ordering by ``seq`` alone is not safe on PostgreSQL: transaction A may take seq 10,
transaction B seq 11, and B commit first. A reader that handed out 11 and moved its cursor
past it would never see 10. So pulls order by ``(txid, seq)`` and only hand out rows whose
``txid`` is below the oldest transaction still running (``pg_snapshot_xmin``): every
transaction below that line has finished, and every transaction that starts later gets a
larger id, so nothing can ever appear behind the cursor. On SQLite writers are serialized,
so a counter bumped once inside each write transaction gives the same guarantee and no
limit is needed. The cursor is the opaque string ``"txid.seq"`` of the last row handed out.

Compaction removes rows superseded by a later row of the same entity, and tombstones, but
only below the smallest cursor of the active terminals; a terminal whose cursor is below
that horizon is told to resync from scratch (``reset_required``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync import protocol
from sync.hq.db import _encode_str, _json, iso
from sync.hq.errors import InvalidCursor, ResetRequired
from sync.hq.schema import BRAND_SCOPE, _meta_get, _meta_set, changes, terminals

ACTIVE_TERMINAL_DAYS = 30


# -- cursors -----------------------------------------------------------------------------

Position = tuple[int, int]  # (txid, seq)
_START: Position = (-1, -1)


def format_cursor(position: Position | None, epoch: int = 0) -> str | None:
    """``"txid.seq"``, or ``"txid.seq.epoch"`` once the log has been compacted.

    The epoch counts compactions. A cursor handed out before the latest compaction may
    have missed tombstones it removed, but only below its horizon; a cursor handed out
    since (a terminal that started its full pull after the compaction) is whole even when
    it is below the horizon. Without the epoch HQ could not tell them apart.
    """
    if position is None or position == _START:
        return None
    return f"{position[0]}.{position[1]}" + (f".{epoch}" if epoch else "")


def parse_cursor(cursor: str | None) -> tuple[Position, int]:
    """(position, epoch) of a cursor; the start of the log for None."""
    if cursor is None:
        return _START, 0
    parts = cursor.split(".")
    # ASCII digits only ("²" is a digit to str.isdigit and int() refuses it), and within
    # a 64-bit integer, which both databases compare against.
    numbers = [int(p) for p in parts if p.isascii() and p.isdigit() and len(p) <= 19]
    if len(parts) not in (2, 3) or len(numbers) != len(parts) or max(numbers) >= 2**63:
        raise InvalidCursor("cursor was not made by this HQ")
    return (numbers[0], numbers[1]), numbers[2] if len(numbers) == 3 else 0


@dataclass(frozen=True, slots=True)
class PullPage:
    """One page of the change log, with the response body already spliced together."""

    body: bytes
    count: int
    cursor: str | None
    more: bool
    remaining: int


@dataclass(frozen=True, slots=True)
class CompactionReport:
    horizon: str | None
    removed: int


class ChangeLog:
    """Reading and compacting the log (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def pull(self, store_id: str, cursor: str | None, limit: int) -> PullPage:
        """The next page of the store's change log after ``cursor`` (see module doc)."""
        after, epoch = parse_cursor(cursor)
        limit = max(1, min(limit, protocol.MAX_PULL_LIMIT))
        sql = self._pull_sql
        params: dict[str, Any] = {
            "scope": store_id,
            "txid": after[0],
            "seq": after[1],
            "limit": limit + 1,
        }
        with self.lookup() if sql.postgres else self.read() as conn:
            if sql.postgres:
                # One statement, one snapshot: the horizon, the visibility limit and the
                # rows agree with each other (and a pull is one round trip).
                rows = conn.execute(sql.page, params).all()
                horizon = next((r[6] for r in rows if r[0] is None), None)
                runs = [sorted((r[:6] for r in rows if r[0] is not None), key=_position)]
            else:
                # A read transaction is a snapshot on SQLite. Two index ranges per scope
                # instead of one "(txid, seq) > (t, s)", which SQLite seeks on txid only:
                # a page deep inside one big transaction (an import) would rescan it.
                horizon = _meta_get(conn, "horizon")
                runs = []
                for scope in (store_id, BRAND_SCOPE):
                    rows = conn.execute(sql.same_tx, {**params, "scope": scope}).all()
                    if len(rows) <= limit:
                        rows += conn.execute(sql.later_tx, {**params, "scope": scope}).all()
                    runs.append(rows)
            below, current_epoch = parse_cursor(horizon or None)
            if cursor is not None and (
                epoch > current_epoch or (epoch < current_epoch and after < below)
            ):
                raise ResetRequired(
                    "本终端太久没有同步，需要重新下载全部数据 (cursor older than the log: full resync)"
                )
            page = list(islice(heapq.merge(*runs, key=_position), limit + 1))
            more = len(page) > limit
            page = page[:limit]
            # ``remaining``: rows after this page, for the first sync's progress bar.
            remaining = 0
            if more and cursor is None:
                total = conn.execute(sql.count_scope, {"scope": store_id}).scalar() or 0
                remaining = max(0, total - len(page))
            elif more:
                remaining = _estimate_remaining(conn, page)
        # Stamped with the current epoch: this terminal is now up to date with it.
        new_cursor = format_cursor(_position(page[-1]) if page else after, current_epoch)
        return PullPage(
            body=_page_body(page, new_cursor, more, remaining),
            count=len(page),
            cursor=new_cursor,
            more=more,
            remaining=remaining,
        )

    def head_cursor(self, store_id: str) -> str | None:
        with self.read() as conn:
            return self._head(conn, store_id)

    def _head(self, conn: Connection, store_id: str) -> str | None:
        sql = self._pull_sql
        heads = [
            tuple(row)
            for scope in (store_id, BRAND_SCOPE)
            if (row := conn.execute(sql.head, {"scope": scope}).first()) is not None
        ]
        below, epoch = parse_cursor(_meta_get(conn, "horizon") or None)
        if below != _START:
            heads.append(below)
        return format_cursor(max(heads), epoch) if heads else None

    def checksums(
        self, store_id: str, entities: Iterable[str]
    ) -> tuple[str | None, dict[str, protocol.EntityChecksum]]:
        """Per entity, the digest of (id, version) of the latest upsert of each id the
        store's terminal sees; plus the head cursor those digests correspond to."""
        sql = self._pull_sql
        result: dict[str, protocol.EntityChecksum] = {}
        with self.read() as conn:
            params: dict[str, Any] = {"scope": store_id}
            for entity in entities:
                latest: dict[str, tuple[str, int]] = {}
                for entity_id, op, seq in conn.execute(sql.versions, {**params, "entity": entity}):
                    latest[entity_id] = (op, seq)
                pairs = [(i, seq) for i, (op, seq) in latest.items() if op == "upsert"]
                result[entity] = protocol.checksum_of(pairs)
            head = self._head(conn, store_id)
        return head, result

    # -- compaction ----------------------------------------------------------------------

    def compact(self, *, older_than_days: int = ACTIVE_TERMINAL_DAYS) -> CompactionReport:
        """Drop superseded change rows and tombstones below every active terminal's cursor.

        A terminal is active when it is not revoked and was seen within ``older_than_days``;
        a terminal idle for longer is not waited for and resyncs from scratch if it returns.
        """
        cutoff = iso(self.clock() - timedelta(days=older_than_days))
        with self.write() as tx:
            conn = tx.conn
            visible = None
            if self.dialect == "postgresql":
                visible = conn.execute(self._pull_sql.visible).scalar_one()
            head_sql = sa.select(changes.c.txid, changes.c.seq)
            if visible is not None:
                head_sql = head_sql.where(changes.c.txid < visible)
            head = conn.execute(
                head_sql.order_by(changes.c.txid.desc(), changes.c.seq.desc()).limit(1)
            ).first()
            if head is None:
                return CompactionReport(_meta_get(conn, "horizon"), 0)
            active = [
                parse_cursor(c)[0]
                for (c,) in conn.execute(
                    sa.select(terminals.c.cursor).where(
                        terminals.c.revoked_at.is_(None),
                        terminals.c.last_seen_at >= cutoff,
                        terminals.c.cursor.is_not(None),
                    )
                )
            ]
            horizon = min([tuple(head), *active])
            old = _meta_get(conn, "horizon") or None
            old_position, epoch = parse_cursor(old)
            if old_position >= horizon:
                return CompactionReport(old, 0)
            removed = conn.execute(
                sa.text(
                    "DELETE FROM changes WHERE (txid < :t OR (txid = :t AND seq < :s))"
                    " AND (op = 'delete' OR EXISTS (SELECT 1 FROM changes later"
                    " WHERE later.scope = changes.scope AND later.entity = changes.entity"
                    " AND later.entity_id = changes.entity_id"
                    " AND (later.txid > changes.txid"
                    " OR (later.txid = changes.txid AND later.seq > changes.seq))))"
                ),
                {"t": horizon[0], "s": horizon[1]},
            ).rowcount
            if not removed:
                return CompactionReport(old, 0)  # nothing gone: no terminal needs a reset
            new_horizon = format_cursor(horizon, epoch + 1) or ""
            _meta_set(conn, "horizon", new_horizon)
            _meta_set(conn, "compacted_at", self.now())
            return CompactionReport(new_horizon, removed)


def _position(row: Sequence[Any]) -> Position:
    return (row[0], row[1])


def _page_body(page: list[Any], cursor: str | None, more: bool, remaining: int) -> bytes:
    # The stored data is already the wire record's JSON: splice it, never re-encode it.
    parts = [
        f'{{"entity":"{entity}","op":"{op}","id":{_encode_str(entity_id)},"version":{seq},"data":{data}}}'
        for _txid, seq, entity, entity_id, op, data in page
    ]
    return (
        '{"changes":['
        + ",".join(parts)
        + '],"cursor":'
        + _json(cursor)
        + ',"more":'
        + ("true" if more else "false")
        + ',"remaining":'
        + str(remaining)
        + "}"
    ).encode("utf-8")


def _estimate_remaining(conn: Connection, page: list[Any]) -> int:
    """Rows left after a full page, from the page's density in the global seq space
    (counting them exactly would cost a scan per page; the progress bar needs a guess)."""
    first_seq, last_seq = min(r[1] for r in page), max(r[1] for r in page)
    head = conn.execute(sa.select(sa.func.max(changes.c.seq))).scalar() or last_seq
    density = len(page) / max(1, last_seq - first_seq + 1)
    return max(1, int((head - last_seq) * density))


class _PullStatements:
    """The pull's statements, prepared once (the only SQL that differs per dialect)."""

    def __init__(self, *, postgres: bool) -> None:
        self.postgres = postgres
        # Transactions below the oldest one still running have all finished.
        self.visible = sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        columns = "txid, seq, entity, entity_id, op, data"
        limit = ""
        if postgres:
            # A scalar subquery: evaluated once per statement, in the statement's snapshot.
            limit = " AND txid < (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"
            scoped = (
                f"SELECT * FROM (SELECT {columns}, NULL AS horizon FROM changes"
                f" WHERE scope = {{scope}} AND (txid, seq) > (:txid, :seq){limit}"
                " ORDER BY txid, seq LIMIT :limit) AS {name}"
            )
            # PostgreSQL seeks a row comparison on (scope, txid, seq) directly. The first
            # row carries the compaction horizon, read in the same snapshot as the page.
            self.page = sa.text(
                "SELECT NULL::bigint, NULL::bigint, NULL, NULL, NULL, NULL,"
                " (SELECT value FROM hq_meta WHERE key = 'horizon')"
                f" UNION ALL {scoped.format(scope=':scope', name='store_rows')}"
                f" UNION ALL {scoped.format(scope=repr('*'), name='brand_rows')}"
            )
        select = f"SELECT {columns} FROM changes"
        self.same_tx = sa.text(
            f"{select} WHERE scope = :scope AND txid = :txid AND seq > :seq{limit}"
            " ORDER BY txid, seq LIMIT :limit"
        )
        self.later_tx = sa.text(
            f"{select} WHERE scope = :scope AND txid > :txid{limit} ORDER BY txid, seq LIMIT :limit"
        )
        self.count_scope = sa.text(
            f"SELECT count(*) FROM changes WHERE scope IN (:scope, '*'){limit}"
        )
        self.head = sa.text(
            f"SELECT txid, seq FROM changes WHERE scope = :scope{limit}"
            " ORDER BY txid DESC, seq DESC LIMIT 1"
        )
        self.versions = sa.text(
            "SELECT entity_id, op, seq FROM changes"
            f" WHERE scope IN (:scope, '*') AND entity = :entity{limit} ORDER BY txid, seq"
        )
