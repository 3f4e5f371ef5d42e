"""Moving customers between guides (在职转接) and a departing guide's customers (离职继承).

A move changes the owner inside one write transaction (:meth:`HandoverTx.move_many`, part
of :class:`~sync.hq.tx.Tx`): the ownership history, the customer record, their task
targets, their whole history re-sent when they change store, a ``handover`` record with
the brief the new owner reads (app/domain/handover.py), and an audit entry per customer
(sync/hq/audit.py). Each heir then gets one handover task to introduce themself
(:meth:`HandoverTx.handover_task`), with a suggested first message.

:class:`Handover` holds what HQStorage offers: :meth:`~Handover.move_customers` (the CLI's
``move-customers``), :meth:`~Handover.depart` (``depart``: all of a guide's customers to
one or several heirs, dealt out by tier, and the guide deactivated at once), and the
older one-customer :meth:`~Handover.move_customer`.

Everything is done in bulk (chunked IN lists, one statement per chunk, never a query per
customer): a departure of 6,000 customers with 60,000 follow-ups takes about a second at
HQ (tests/bench/handover.py).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from app.domain.appointments import AppointmentStatus
from app.domain.customers import Channel, Tier
from app.domain.handover import HandoverReason, handover_brief, introduction_message
from app.domain.tasks import TaskKind, TaskStatus, TaskTargetStatus
from sync.hq import audit, tasks
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import (
    CUSTOMER_HISTORY,
    ENTITY_SPECS,
    appointments,
    customer_owners,
    customers,
    followups,
    guides,
    purchases,
    stores,
    task_targets,
)
from sync.hq.schema import tasks as tasks_table

if TYPE_CHECKING:
    from sync.hq.tx import Tx

_CHUNK = 500
_TO_DO = (TaskTargetStatus.OPEN.value, TaskTargetStatus.REJECTED.value)
# The order tiers are dealt out in (the most valued first).
_TIER_ORDER = {t.value: n for n, t in enumerate((Tier.HEAD, Tier.WAIST, Tier.REGULAR))}


@dataclass(frozen=True, slots=True)
class MoveResult:
    customer_id: str
    from_guide: str | None
    to_guide: str | None
    from_store: str
    to_store: str
    moved: bool  # False when the customer already belonged to that guide
    task_id: str | None = None
    tier: str = Tier.REGULAR.value


@dataclass(frozen=True, slots=True)
class HandoverReport:
    """What a move or a departure did, for the CLI (counts, tasks) and scripts (--json)."""

    from_guide: str | None
    reason: str
    results: tuple[MoveResult, ...]
    tasks: Mapping[str, str] = field(default_factory=dict)  # heir -> handover task id
    deactivated: bool = False  # depart: the guide was active until now

    @property
    def moved(self) -> list[MoveResult]:
        return [r for r in self.results if r.moved]

    def per_heir(self) -> dict[str, dict[str, int]]:
        """Heir -> tier -> customers they received (and 'total')."""
        counts: dict[str, dict[str, int]] = {}
        for r in self.moved:
            heir = counts.setdefault(r.to_guide or "-", {"total": 0})
            heir["total"] += 1
            heir[r.tier] = heir.get(r.tier, 0) + 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "from_guide": self.from_guide,
            "reason": self.reason,
            "moved": len(self.moved),
            "unchanged": len(self.results) - len(self.moved),
            "deactivated": self.deactivated,
            "heirs": {
                heir: {**counts, "task_id": self.tasks.get(heir)}
                for heir, counts in self.per_heir().items()
            },
            "customers": [
                {
                    "customer_id": r.customer_id,
                    "from_guide": r.from_guide,
                    "to_guide": r.to_guide,
                    "from_store": r.from_store,
                    "to_store": r.to_store,
                    "tier": r.tier,
                    "moved": r.moved,
                }
                for r in self.results
            ],
        }


def deal_out(
    customers_: Sequence[tuple[str, str]], heirs: Sequence[str], *, by_tier: bool
) -> dict[str, str]:
    """Customer id -> heir for (customer id, tier) pairs: round-robin in id order, or, by
    tier, each tier in turn (head, waist, regular) dealt round-robin, the rotation going
    on across tiers — every heir gets a fair share of each tier and the totals differ by
    at most one."""
    if not heirs:
        raise StorageError("a departure needs at least one heir (--to)")
    if by_tier:
        ordered = sorted(customers_, key=lambda c: (_TIER_ORDER.get(c[1], len(_TIER_ORDER)), c[0]))
    else:
        ordered = sorted(customers_)
    return {cid: heirs[n % len(heirs)] for n, (cid, _tier) in enumerate(ordered)}


class Handover:
    """HQStorage's moves (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def move_customer(
        self,
        customer_id: str,
        to_guide_id: str,
        *,
        reason: str = HandoverReason.TRANSFER.value,
        actor: str | None = None,
    ) -> MoveResult:
        """Give one customer (whoever has them) to another guide, with their whole history."""
        with self.write() as tx:
            guide = tx.active_guide(to_guide_id)
            [result] = tx.move_many({customer_id: guide}, reason=reason, actor=actor)
            if result.moved:
                task_id = tx.handover_task(guide, [customer_id], result.from_guide)
                return dataclasses.replace(result, task_id=task_id)
            return result

    def move_customers(
        self,
        from_guide: str,
        to_guide: str,
        customer_ids: Sequence[str] | None = None,
        *,
        reason: str = HandoverReason.TRANSFER.value,
        actor: str | None = None,
    ) -> HandoverReport:
        """Give ``from_guide``'s customers (all, or the ``customer_ids`` given, each of
        which must be theirs) to ``to_guide`` in one transaction; one handover task."""
        _check_reason(reason)
        if from_guide == to_guide:
            raise StorageError("the customers already belong to that guide (--from = --to)")
        with self.write() as tx:
            if tx.get("guide", from_guide) is None:
                raise NotFound(f"guide {from_guide} does not exist")
            heir = tx.active_guide(to_guide)
            owned = _customers_of(tx, from_guide)
            if customer_ids is None:
                ids = sorted(owned)
            else:
                ids = list(dict.fromkeys(customer_ids))
                _check_owned(tx, ids, owned, from_guide)
            results = tx.move_many(dict.fromkeys(ids, heir), reason=reason, actor=actor)
            moved = [r.customer_id for r in results if r.moved]
            task = tx.handover_task(heir, moved, from_guide) if moved else None
            return HandoverReport(
                from_guide, reason, tuple(results), {to_guide: task} if task else {}
            )

    def depart(
        self,
        guide_id: str,
        heirs: Sequence[str],
        *,
        split_by_tier: bool = False,
        actor: str | None = None,
    ) -> HandoverReport:
        """A guide leaves (离职): every customer goes to the heirs (dealt out as
        :func:`deal_out` says), each heir gets a handover task, and the guide is
        deactivated at once (``active`` false, ``left_at`` now): HQ refuses their
        sign-in and their edits made from now on, and the guide record reaches every
        terminal of their store at its next sync (the sign-in list drops them)."""
        heirs = list(dict.fromkeys(heirs))
        if guide_id in heirs:
            raise StorageError("a departing guide cannot inherit their own customers")
        reason = HandoverReason.DEPARTURE.value
        with self.write() as tx:
            leaving = tx.get("guide", guide_id)
            if leaving is None:
                raise NotFound(f"guide {guide_id} does not exist")
            heir_records = {h: tx.active_guide(h) for h in heirs}
            owned = _customers_of(tx, guide_id)
            if owned and not heirs:
                raise StorageError("a departure needs at least one heir (--to)")
            plan = deal_out(sorted(owned.items()), heirs, by_tier=split_by_tier) if owned else {}
            results = tx.move_many(
                {cid: heir_records[h] for cid, h in plan.items()}, reason=reason, actor=actor
            )
            by_heir: dict[str, list[str]] = defaultdict(list)
            for r in results:
                if r.moved and r.to_guide:
                    by_heir[r.to_guide].append(r.customer_id)
            task_ids = {
                h: tx.handover_task(heir_records[h], by_heir[h], guide_id)
                for h in heirs
                if by_heir.get(h)
            }
            deactivated = bool(leaving["active"])
            if deactivated:
                # left_at: what they typed before leaving is still accepted (sync/hq/authz.py).
                tx.put(
                    "guide",
                    [{**leaving, "active": False}],
                    scopes=leaving["store_id"],
                    extra={"left_at": tx.now},
                )
            if not (deactivated or by_heir):
                return HandoverReport(guide_id, reason, tuple(results), task_ids, deactivated)
            audit.record(
                tx,
                action="depart",
                actor=actor,
                guide_id=guide_id,
                reason=reason,
                details={
                    "heirs": {h: len(by_heir.get(h, ())) for h in heirs},
                    "split_by_tier": split_by_tier,
                    "customers": len(results),
                    "tasks": task_ids,
                    "deactivated": deactivated,
                },
            )
            return HandoverReport(guide_id, reason, tuple(results), task_ids, deactivated)

    def depart_guide(self, guide_id: str, to_guide_id: str) -> list[MoveResult]:
        """:meth:`depart` to one heir (the older call)."""
        return list(self.depart(guide_id, [to_guide_id]).results)


def _check_reason(reason: str) -> None:
    if reason not in {r.value for r in HandoverReason}:
        raise StorageError(
            f"unknown reason {reason!r}: {', '.join(r.value for r in HandoverReason)}"
        )


def _customers_of(tx: Tx, guide_id: str) -> dict[str, str]:
    """The guide's customers now: id -> tier."""
    query = sa.select(customers.c.id, customers.c.tier).where(customers.c.guide_id == guide_id)
    return {r[0]: r[1] for r in tx.conn.execute(query)}


def _check_owned(tx: Tx, ids: Sequence[str], owned: Mapping[str, str], guide_id: str) -> None:
    strangers = [c for c in ids if c not in owned]
    if not strangers:
        return
    known = tx.customer_stores(strangers)
    missing = [c for c in strangers if c not in known]
    if missing:
        raise NotFound(f"customer {missing[0]} does not exist")
    owners = dict(
        tx.conn.execute(
            sa.select(customers.c.id, customers.c.guide_id).where(
                customers.c.id.in_(strangers[:_CHUNK])
            )
        ).all()
    )
    first = strangers[0]
    raise StorageError(
        f"customer {first} is not {guide_id}'s (their guide is {owners.get(first) or 'nobody'});"
        " nothing was moved"
    )


class HandoverTx:
    """A write transaction's moves (mixed into :class:`~sync.hq.tx.Tx`)."""

    def move(self: Tx, customer_id: str, to_store: str, to_guide: str | None) -> MoveResult:
        """Move one customer to (store, guide) inside this transaction (see move_many)."""
        guide = {"id": to_guide, "store_id": to_store}
        [result] = self.move_many({customer_id: guide})
        return result

    def move_many(
        self: Tx,
        assignments: Mapping[str, Mapping[str, Any]],
        *,
        reason: str = HandoverReason.TRANSFER.value,
        actor: str | None = None,
    ) -> list[MoveResult]:
        """Give each customer to their guide (customer id -> guide record: ``id``,
        ``store_id``) inside this transaction. Results in the order given.

        Another store: the old store's terminals get tombstones for the whole history
        and then for the customer (reason "moved"), the new store's get the customer and
        the whole history, so A → B → A comes back complete. Same store: the customer is
        upserted. Either way a ``handover`` record with the brief goes to the new store,
        and an audit entry is written.

        Task targets follow the customer (``sync/hq/tasks.py``): within the store, open
        ones go to the new guide; to another store, open ones of the old store's tasks are
        removed before the history is re-sent, and the same campaign's task in the new
        store gets a target if its rule selects the customer there. Completions stay with
        their author.
        """
        ids = list(assignments)
        current = _load_locked(self, ids)
        missing = [c for c in ids if c not in current]
        if missing:
            raise NotFound(f"customer {missing[0]} does not exist")
        results: list[MoveResult] = []
        moved: list[dict[str, Any]] = []
        for cid in ids:
            customer = current[cid]
            to = assignments[cid]
            result = MoveResult(
                cid,
                customer["guide_id"],
                to["id"],
                customer["store_id"],
                to["store_id"],
                moved=(customer["store_id"], customer["guide_id"]) != (to["store_id"], to["id"]),
                tier=customer["tier"],
            )
            results.append(result)
            if result.moved:
                moved.append({**customer, "store_id": to["store_id"], "guide_id": to["id"]})
        if not moved:
            return results
        by_id = {r.customer_id: r for r in results}
        moved_ids = [c["id"] for c in moved]
        _close_ownership(self, moved)
        across = [c for c in moved if by_id[c["id"]].from_store != c["store_id"]]
        across_ids = [c["id"] for c in across]
        left = (
            tasks.leave_store_many(self, {c: by_id[c].from_store for c in across_ids})
            if across
            else {}
        )
        history = _history(self, across_ids) if across else []
        for entity, record in history:
            self.emit_delete(
                entity,
                ENTITY_SPECS[entity].change_id(record),
                scope=by_id[record["customer_id"]].from_store,
            )
        for cid in across_ids:
            self.emit_delete("customer", cid, scope=by_id[cid].from_store, reason="moved")
        self.put(
            "customer",
            moved,
            scopes=[c["store_id"] for c in moved],
            extra={"updated_at": self.now},
        )
        # The history itself does not change: it is sent again, to its new store.
        for entity, record in history:
            self.emit_upsert(entity, record, scope=by_id[record["customer_id"]].to_store)
        tasks.arrive_in_store_many(self, [(c, left[c["id"]]) for c in across if left.get(c["id"])])
        within: dict[str, dict[str, str | None]] = defaultdict(dict)
        for c in moved:
            if by_id[c["id"]].from_store == c["store_id"]:
                within[c["store_id"]][c["id"]] = c["guide_id"]
        for store_id, new_guides in within.items():
            tasks.follow_within_store_many(self, new_guides, store_id)
        _write_handovers(self, moved, by_id, reason)
        audit.record_many(
            self,
            (
                {
                    "action": "move",
                    "actor": actor,
                    "customer_id": cid,
                    "guide_id": by_id[cid].to_guide,
                    "from_guide": by_id[cid].from_guide,
                    "to_guide": by_id[cid].to_guide,
                    "reason": reason,
                    "details": {
                        "from_store": by_id[cid].from_store,
                        "to_store": by_id[cid].to_store,
                    },
                }
                for cid in moved_ids
            ),
        )
        return results

    def handover_task(
        self: Tx, guide: Mapping[str, Any], customer_ids: Sequence[str], from_guide: str | None
    ) -> str:
        """The new owner's task to introduce themself (handover_intro), one target per
        customer, with a suggested first message in its description."""
        today = self.now[:10]
        due = (date.fromisoformat(today) + timedelta(days=7)).isoformat()
        task_id = f"handover-{uuid.uuid4().hex[:12]}"
        former = self.get("guide", from_guide) if from_guide else None
        store = self.conn.execute(
            sa.select(stores.c.name).where(stores.c.id == guide["store_id"])
        ).scalar()
        previous = f"（原导购 {former['name']}）" if former else ""
        message = introduction_message(
            salutation="{称呼}", store=store or guide["store_id"], guide=guide["name"]
        )
        task = {
            "id": task_id,
            "campaign_id": None,
            "store_id": guide["store_id"],
            "guide_id": guide["id"],
            "kind": TaskKind.HANDOVER_INTRO.value,
            "title": "认识一下您的新顾客 / Introduce yourself",
            "description": (
                f"{len(customer_ids)} 位顾客已转交给您{previous}，请在一周内主动联系并做自我介绍。"
                f"\n建议话术：{message}"
                "\n（{称呼}：顾客的称呼，如“张女士”。顾客资料页有交接简报：上次沟通、待办和偏好。）"
                f"\n{len(customer_ids)} customer(s) were handed over to you:"
                " introduce yourself within a week (the profile shows the handover brief)."
            ),
            "content_ids": [],
            "target_rule": {"handover_from": from_guide, "customers": len(customer_ids)},
            "starts_on": today,
            "due_on": due,
            "status": TaskStatus.OPEN.value,
        }
        self.put("task", [task], scopes=guide["store_id"])
        targets = [
            {
                "task_id": task_id,
                "customer_id": customer_id,
                "guide_id": guide["id"],
                "status": TaskTargetStatus.OPEN.value,
                "completed_at": None,
                "evidence": "",
                "review_comment": "",
            }
            for customer_id in customer_ids
        ]
        self.put("task_target", targets, scopes=guide["store_id"])
        return task_id


def refresh_brief(tx: Tx, customer_id: str, author: str) -> bool:
    """A late edit arrived (the former owner typed it offline before the move): the
    customer's latest handover brief is computed again, so the new owner reads it too.
    Only when that handover took the customer from ``author``; True if it was redone."""
    spec = ENTITY_SPECS["handover"]
    row = (
        tx.conn.execute(
            sa.select(spec.table)
            .where(spec.table.c.customer_id == customer_id)
            .order_by(spec.table.c.moved_at.desc(), spec.table.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    customer = tx.get("customer", customer_id)
    if row is None or customer is None or row["from_guide_id"] != author:
        return False
    handover = spec.to_record(row)
    brief = _briefs(tx, [customer])[customer_id]
    if brief == handover["brief"]:
        return False
    tx.put("handover", [{**handover, "brief": brief}], scopes=customer["store_id"])
    return True


# -- the bulk steps ----------------------------------------------------------------------


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[n : n + _CHUNK]) for n in range(0, len(ids), _CHUNK)]


def _load_locked(tx: Tx, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The customers by id, their rows locked on PostgreSQL until the transaction ends."""
    spec = ENTITY_SPECS["customer"]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        query = sa.select(customers).where(customers.c.id.in_(chunk))
        if tx.postgres:
            query = query.with_for_update()
        for row in tx.conn.execute(query).mappings():
            found[row["id"]] = spec.to_record(row)
    return found


def _close_ownership(tx: Tx, moved: Sequence[Mapping[str, Any]]) -> None:
    """End each customer's current ownership period and open the new one."""
    ids = [c["id"] for c in moved]
    for chunk in _chunks(ids):
        tx.conn.execute(
            customer_owners.update()
            .where(customer_owners.c.customer_id.in_(chunk), customer_owners.c.until.is_(None))
            .values(until=tx.now)
        )
    tx.conn.execute(
        customer_owners.insert(),
        [
            {
                "customer_id": c["id"],
                "guide_id": c["guide_id"],
                "store_id": c["store_id"],
                "since": tx.now,
            }
            for c in moved
        ],
    )


def _history(tx: Tx, customer_ids: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every record of these customers' history, as (entity, wire record): entity by
    entity in CUSTOMER_HISTORY order (the terminal's dependents), by customer and key."""
    found: list[tuple[str, dict[str, Any]]] = []
    for entity in CUSTOMER_HISTORY:
        spec = ENTITY_SPECS[entity]
        table = spec.table
        for chunk in _chunks(customer_ids):
            rows = tx.conn.execute(
                sa.select(*[table.c[f] for f in spec.fields])
                .where(table.c.customer_id.in_(chunk))
                .order_by(table.c.customer_id, *[table.c[k] for k in spec.keys])
            ).mappings()
            found += [(entity, spec.to_record(r)) for r in rows]
    return found


def _write_handovers(
    tx: Tx,
    moved: Sequence[Mapping[str, Any]],
    by_id: Mapping[str, MoveResult],
    reason: str,
) -> None:
    """One handover record per moved customer, with its brief, to the new store."""
    briefs = _briefs(tx, moved)
    former = [r.from_guide for r in by_id.values() if r.moved and r.from_guide]
    names = dict(
        tx.conn.execute(
            sa.select(guides.c.id, guides.c.name).where(guides.c.id.in_(sorted(set(former))))
        ).all()
    )
    # Ids sort in the order handovers were made (two moves of one customer in the same
    # second share moved_at): nanoseconds, then the position in this move.
    stamp = f"{time.time_ns():016x}"
    records = [
        {
            "id": f"HO-{stamp}-{n:06d}",
            "customer_id": c["id"],
            "from_guide_id": by_id[c["id"]].from_guide,
            "from_guide_name": names.get(by_id[c["id"]].from_guide, ""),
            "to_guide_id": c["guide_id"],
            "moved_at": tx.now,
            "reason": reason,
            "brief": briefs[c["id"]],
        }
        for n, c in enumerate(moved)
    ]
    tx.put("handover", records, scopes=[c["store_id"] for c in moved])


def _briefs(tx: Tx, moved: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each customer's handover brief (app/domain/handover.py), from a few bulk queries:
    the last follow-up (a window function, not 60,000 rows to Python), open targets of
    open tasks (the handover tasks left out), booked appointments from today on, the
    last purchase."""
    today = tasks.store_days(tx)
    ids = [c["id"] for c in moved]
    last: dict[str, dict[str, Any]] = {}
    targets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    booked: dict[str, list[dict[str, Any]]] = defaultdict(list)
    bought: dict[str, str] = {}
    earliest = min(today.values(), default=date.today()).isoformat()
    for chunk in _chunks(ids):
        ranked = (
            sa.select(
                followups.c.customer_id,
                followups.c.created_at,
                followups.c.channel,
                followups.c.note,
                sa.func.row_number()
                .over(
                    partition_by=followups.c.customer_id,
                    order_by=(followups.c.created_at.desc(), followups.c.id.desc()),
                )
                .label("n"),
            )
            # A colleague's counter visit (接待记录) is not the owner's last contact.
            .where(
                followups.c.customer_id.in_(chunk),
                followups.c.channel != Channel.COUNTER.value,
            )
            .subquery()
        )
        for r in tx.conn.execute(sa.select(ranked).where(ranked.c.n == 1)).mappings():
            last[r["customer_id"]] = dict(r)
        open_targets = (
            sa.select(task_targets.c.customer_id, tasks_table.c.title, tasks_table.c.due_on)
            .join(tasks_table, tasks_table.c.id == task_targets.c.task_id)
            .where(
                task_targets.c.customer_id.in_(chunk),
                task_targets.c.status.in_(_TO_DO),
                tasks_table.c.status == TaskStatus.OPEN.value,
                tasks_table.c.kind != TaskKind.HANDOVER_INTRO.value,
            )
        )
        for r in tx.conn.execute(open_targets).mappings():
            targets[r["customer_id"]].append(dict(r))
        upcoming = sa.select(
            appointments.c.customer_id, appointments.c.starts_at, appointments.c.purpose
        ).where(
            appointments.c.customer_id.in_(chunk),
            appointments.c.status == AppointmentStatus.BOOKED.value,
            appointments.c.starts_at >= earliest,
        )
        for r in tx.conn.execute(upcoming).mappings():
            booked[r["customer_id"]].append(dict(r))
        purchase_times = (
            sa.select(purchases.c.customer_id, sa.func.max(purchases.c.paid_at))
            .where(purchases.c.customer_id.in_(chunk))
            .group_by(purchases.c.customer_id)
        )
        bought.update(dict(tx.conn.execute(purchase_times).all()))
    return {
        c["id"]: handover_brief(
            c,
            followups=[last[c["id"]]] if c["id"] in last else [],
            open_targets=targets.get(c["id"], ()),
            appointments=booked.get(c["id"], ()),
            last_purchase_at=bought.get(c["id"]),
            today=today.get(c["store_id"]) or date.fromisoformat(tx.now[:10]),
        )
        for c in moved
    }
