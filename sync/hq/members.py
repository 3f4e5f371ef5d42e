"""Reading members (会员) as HQ holds them: who else has a phone, one member's card.

Queries the CLI and the importers need that HQStorage does not offer; they only read,
through ``HQStorage.read()`` and the table objects of :mod:`sync.hq.storage`, except the
audit row a revealed phone leaves (:func:`record_reveal`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from app.domain.customers import mask_phone
from sync.hq.storage import (
    ENTITY_SPECS,
    HQStorage,
    appointments,
    audit_log,
    customer_owners,
    customers,
    followups,
    guides,
    purchases,
    shares,
    stores,
)

# customers.phone has no index: a few IN lists are cheap, beyond that one pass over the
# table beats hundreds of full scans.
_IN_CHUNK = 500
_IN_CHUNKS_MAX = 8


def phone_holders(storage: HQStorage, phones: Iterable[str]) -> dict[str, set[str]]:
    """For each of these phones, the ids of the members HQ has with it."""
    wanted = sorted({p for p in phones if p})
    found: dict[str, set[str]] = {}
    if not wanted:
        return found
    with storage.read() as conn:
        if len(wanted) <= _IN_CHUNK * _IN_CHUNKS_MAX:
            results = (
                conn.execute(
                    sa.select(customers.c.phone, customers.c.id).where(
                        customers.c.phone.in_(wanted[i : i + _IN_CHUNK])
                    )
                )
                for i in range(0, len(wanted), _IN_CHUNK)
            )
            rows: Iterable[Any] = (row for result in results for row in result)
        else:
            wanted_set = set(wanted)
            rows = (
                row
                for row in conn.execute(
                    sa.select(customers.c.phone, customers.c.id).where(customers.c.phone != "")
                )
                if row[0] in wanted_set
            )
        for phone, customer_id in rows:
            found.setdefault(phone, set()).add(customer_id)
    return found


def customer_card(
    storage: HQStorage, customer_id: str, *, reveal: bool = False
) -> dict[str, Any] | None:
    """One member as HQ holds it, for ``guidedesk-hq show-customer`` (None: unknown id).

    The phone is masked (138****5678) unless ``reveal``; the caller records a reveal.
    """
    with storage.read() as conn:
        row = (
            conn.execute(sa.select(customers).where(customers.c.id == customer_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        record = ENTITY_SPECS["customer"].to_record(row)  # tags and sizes decoded
        store_names = dict(conn.execute(sa.select(stores.c.id, stores.c.name)).all())
        guide_rows = {
            g.id: g for g in conn.execute(sa.select(guides.c.id, guides.c.name, guides.c.active))
        }

        def count(table: sa.Table) -> int:
            return conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.customer_id == customer_id)
            ).scalar_one()

        counts = {
            "purchases": count(purchases),
            "followups": count(followups),
            "shares": count(shares),
            "appointments": count(appointments),
        }
        owners = conn.execute(
            sa.select(customer_owners)
            .where(customer_owners.c.customer_id == customer_id)
            .order_by(customer_owners.c.id)
        ).mappings()
        history = [
            {
                "guide_id": o["guide_id"],
                "guide": guide_rows[o["guide_id"]].name if o["guide_id"] in guide_rows else None,
                "store_id": o["store_id"],
                "store": store_names.get(o["store_id"]),
                "since": o["since"],
                "until": o["until"],
            }
            for o in owners
        ]
    guide = guide_rows.get(record["guide_id"]) if record["guide_id"] else None
    return {
        "id": record["id"],
        "name": record["name"],
        "phone": record["phone"] if reveal else mask_phone(record["phone"] or ""),
        "phone_revealed": reveal,
        "gender": record["gender"],
        "birthday": record["birthday"],
        "store": {"id": record["store_id"], "name": store_names.get(record["store_id"])},
        "guide": (
            {"id": guide.id, "name": guide.name, "active": bool(guide.active)}
            if guide is not None
            else None
        ),
        "tier": record["tier"],
        "points": record["points"],
        "tags": record["tags"],
        "sizes": record["sizes"],
        "joined_at": record["joined_at"],
        "updated_at": row["updated_at"],
        "counts": counts,
        "owners": history,
    }


def record_reveal(storage: HQStorage, customer_id: str, who: str) -> None:
    """Leave an audit row for a phone shown in full at HQ, as terminals do for guides."""
    now = storage.now()
    with storage.write() as tx:
        tx.conn.execute(
            audit_log.insert().values(
                id=f"hq-{uuid.uuid4()}",
                action="reveal_phone",
                guide_id=None,
                terminal_id=None,
                customer_id=customer_id,
                detail=f"guidedesk-hq show-customer --reveal by {who}",
                at=now,
                received_at=now,
            )
        )
