"""Moving customers between guides (在职转接) and a departing guide's customers (离职继承).

A move changes the owner inside one write transaction (:meth:`HandoverTx.move`, part of
:class:`~sync.hq.tx.Tx`) and gives the new owner a handover task to introduce themself
(:meth:`HandoverTx.handover_task`); :class:`Handover` holds the two operations HQStorage
offers (the CLI's ``move-customer`` and ``depart-guide``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from app.domain.tasks import TaskKind
from sync.hq import tasks
from sync.hq.errors import NotFound, StorageError
from sync.hq.schema import ENTITY_SPECS, customer_owners, customers

if TYPE_CHECKING:
    pass


@dataclass(frozen=True, slots=True)
class MoveResult:
    customer_id: str
    from_guide: str | None
    to_guide: str | None
    from_store: str
    to_store: str
    moved: bool  # False when the customer already belonged to that guide
    task_id: str | None = None


class Handover:
    """HQStorage's moves (mixed into :class:`~sync.hq.storage.HQStorage`)."""

    def move_customer(self, customer_id: str, to_guide_id: str) -> MoveResult:
        """Give a customer to another guide, with their whole history, in one transaction."""
        with self.write() as tx:
            guide = tx.active_guide(to_guide_id)
            result = tx.move(customer_id, guide["store_id"], guide["id"])
            if result.moved:
                task_id = tx.handover_task(guide, [customer_id], result.from_guide)
                return dataclasses.replace(result, task_id=task_id)
            return result

    def depart_guide(self, guide_id: str, to_guide_id: str) -> list[MoveResult]:
        """A guide leaves: every customer goes to ``to_guide_id``; the guide is deactivated."""
        if guide_id == to_guide_id:
            raise StorageError("a departing guide cannot inherit their own customers")
        with self.write() as tx:
            leaving = tx.get("guide", guide_id)
            if leaving is None:
                raise NotFound(f"guide {guide_id} does not exist")
            heir = tx.active_guide(to_guide_id)
            ids = [
                r[0]
                for r in tx.conn.execute(
                    sa.select(customers.c.id)
                    .where(customers.c.guide_id == guide_id)
                    .order_by(customers.c.id)
                )
            ]
            results = [tx.move(c, heir["store_id"], heir["id"]) for c in ids]
            if ids:
                tx.handover_task(heir, ids, guide_id)
            if leaving["active"]:
                # left_at: what they typed before leaving is still accepted (sync/hq/authz.py).
                tx.put(
                    "guide",
                    [{**leaving, "active": False}],
                    scopes=leaving["store_id"],
                    extra={"left_at": tx.now},
                )
            return results


class HandoverTx:
    """A write transaction's moves (mixed into :class:`~sync.hq.tx.Tx`)."""

    def move(self, customer_id: str, to_store: str, to_guide: str | None) -> MoveResult:
        """Change a customer's owner inside this transaction (see HQStorage.move_customer).

        Another store: the old store's terminals get tombstones for the whole history and
        then for the customer (reason "moved"), the new store's get the customer and the
        whole history, so A → B → A comes back complete. Same store: one upsert.

        Task targets follow the customer (``sync/hq/tasks.py``): within the store, open
        ones go to the new guide; to another store, open ones of the old store's tasks are
        removed before the history is re-sent, and the same campaign's task in the new
        store gets a target if its rule selects the customer there. Completions stay with
        their author.
        """
        customer = self.get("customer", customer_id, lock=True)
        if customer is None:
            raise NotFound(f"customer {customer_id} does not exist")
        from_store, from_guide = customer["store_id"], customer["guide_id"]
        result = MoveResult(customer_id, from_guide, to_guide, from_store, to_store, moved=False)
        if (from_store, from_guide) == (to_store, to_guide):
            return result
        self.conn.execute(
            customer_owners.update()
            .where(customer_owners.c.customer_id == customer_id, customer_owners.c.until.is_(None))
            .values(until=self.now)
        )
        self.conn.execute(
            customer_owners.insert().values(
                customer_id=customer_id, guide_id=to_guide, store_id=to_store, since=self.now
            )
        )
        moved = {**customer, "store_id": to_store, "guide_id": to_guide}
        across = from_store != to_store
        left = tasks.leave_store(self, customer_id, from_store) if across else []
        history = self.history(customer_id) if across else []
        for entity, record in history:
            self.emit_delete(entity, ENTITY_SPECS[entity].change_id(record), scope=from_store)
        if from_store != to_store:
            self.emit_delete("customer", customer_id, scope=from_store, reason="moved")
        self.put("customer", [moved], scopes=to_store, extra={"updated_at": self.now})
        # The history itself does not change: it is sent again, to its new store.
        for entity, record in history:
            self.emit_upsert(entity, record, scope=to_store)
        if across:
            tasks.arrive_in_store(self, moved, left, to_store)
        else:
            tasks.follow_within_store(self, customer_id, to_store, to_guide)
        return MoveResult(customer_id, from_guide, to_guide, from_store, to_store, moved=True)

    def handover_task(
        self, guide: Mapping[str, Any], customer_ids: Sequence[str], from_guide: str | None
    ) -> str:
        """The new owner's task to introduce themself (handover), one target per customer."""
        today = self.now[:10]
        due = (date.fromisoformat(today) + timedelta(days=7)).isoformat()
        task_id = f"handover-{uuid.uuid4().hex[:12]}"
        previous = f"（原导购 {from_guide}）" if from_guide else ""
        task = {
            "id": task_id,
            "campaign_id": None,
            "store_id": guide["store_id"],
            "guide_id": guide["id"],
            "kind": TaskKind.HANDOVER_INTRO.value,
            "title": "认识一下您的新顾客 / Introduce yourself",
            "description": (
                f"{len(customer_ids)} 位顾客已转交给您{previous}，请在一周内主动联系并做自我介绍。"
                f" / {len(customer_ids)} customer(s) were handed over to you:"
                " introduce yourself within a week."
            ),
            "content_ids": [],
            "target_rule": {"handover_from": from_guide, "customers": len(customer_ids)},
            "starts_on": today,
            "due_on": due,
            "status": "open",
        }
        self.put("task", [task], scopes=guide["store_id"])
        targets = [
            {
                "task_id": task_id,
                "customer_id": customer_id,
                "guide_id": guide["id"],
                "status": "open",
                "completed_at": None,
                "evidence": "",
                "review_comment": "",
            }
            for customer_id in customer_ids
        ]
        self.put("task_target", targets, scopes=guide["store_id"])
        return task_id
