"""Appointments (预约): booked on a terminal, then updated (done, cancelled, rated)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync import protocol
from sync.hq.errors import Rejected
from sync.hq.mutations.payload import _MAX_TEXT, _customer_for, _field, _record_id, _timestamp
from sync.hq.terminals import TerminalRecord
from sync.hq.tx import Tx

_APPOINTMENT_STATUSES = ("booked", "done", "cancelled", "no_show")


def _appointment_fields(p: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    values = {
        "starts_at": _timestamp(p, "starts_at", required=required),
        "ends_at": _timestamp(p, "ends_at", required=False),
        "purpose": _field(p, "purpose", required=False, max_len=_MAX_TEXT),
        "status": _field(p, "status", required=False, max_len=32),
        "rating": _field(p, "rating", required=False, kind=int),
    }
    if values["status"] is not None and values["status"] not in _APPOINTMENT_STATUSES:
        raise Rejected(f"未知的预约状态 / unknown appointment status {values['status']!r}")
    if values["rating"] is not None and not 1 <= values["rating"] <= 5:
        raise Rejected("评分应为 1–5 / rating must be 1 to 5")
    return values


def _appointment_create(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    p = m.payload
    appointment_id = _record_id(m)
    customer = _customer_for(tx, guide, p.get("customer_id"), m)
    values = _appointment_fields(p, required=True)
    record = {
        "id": appointment_id,
        "customer_id": customer["id"],
        "guide_id": guide["id"],
        **values,
        "purpose": values["purpose"] or "",
        "status": values["status"] or "booked",
    }
    tx.insert_if_new("appointment", record, scope=customer["store_id"])


def _appointment_update(
    tx: Tx, terminal: TerminalRecord, guide: Mapping[str, Any], m: protocol.Mutation, now: str
) -> None:
    current = tx.get("appointment", m.entity_id, lock=True)
    if current is None:
        raise Rejected(f"预约不存在 / appointment {m.entity_id} is unknown to HQ")
    customer = _customer_for(tx, guide, current["customer_id"], m)
    values = {
        k: v for k, v in _appointment_fields(m.payload, required=False).items() if v is not None
    }
    updated = {**current, **values}
    if updated != current:
        tx.put("appointment", [updated], scopes=customer["store_id"])
