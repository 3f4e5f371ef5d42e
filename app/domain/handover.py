"""The handover (交接): why a customer changed hands, and the brief the new owner gets.

HQ computes the brief at the moment of the move, from what it holds about the customer
(:func:`handover_brief`), and sends it with the ``handover`` record (sync/records.py) to
the new owner's terminal, which shows "inherited from 王芳 on 2026-12-02" and the brief
on the profile. Pure functions over plain values: HQ and the tests call them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class HandoverReason(StrEnum):
    """Why HQ moved a customer."""

    DEPARTURE = "departure"  # 离职继承: the former owner left
    TRANSFER = "transfer"  # 在职转接: moved between working guides


# How much of a text the brief quotes: enough to pick up the thread, not a copy of the book.
EXCERPT_CHARS = 120
MAX_OPEN_ITEMS = 5


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text`` on one line, with an ellipsis when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None


def handover_brief(
    customer: Mapping[str, Any],
    *,
    followups: Iterable[Mapping[str, Any]],
    open_targets: Sequence[Mapping[str, Any]] = (),
    appointments: Sequence[Mapping[str, Any]] = (),
    last_purchase_at: str | None = None,
    today: date,
) -> dict[str, Any]:
    """What the new owner needs to pick up the relationship, as a small JSON object.

    ``followups`` are the customer's follow-ups (any order); ``open_targets`` their open
    task targets, each with the task's ``title`` and ``due_on``; ``appointments`` the
    booked ones from today on. Keys: ``last_contact`` (date, channel, excerpt of the
    last follow-up, or None), ``days_since_contact`` (None when never contacted),
    ``open_tasks``, ``appointments`` (at most :data:`MAX_OPEN_ITEMS` each, soonest
    first), ``tags``, ``sizes``, ``preferences``, ``note`` (what the former owner
    noted, excerpted), ``last_purchase_on``.
    """
    last = max(followups, key=lambda f: f.get("created_at") or "", default=None)
    last_contact = None
    days = None
    if last is not None:
        day = _day(last.get("created_at"))
        last_contact = {
            "on": day.isoformat() if day else None,
            "channel": last.get("channel") or "",
            "text": excerpt(last.get("note")),
        }
        days = (today - day).days if day else None
    tasks = sorted(open_targets, key=lambda t: (t.get("due_on") or "9999", t.get("title") or ""))
    booked = sorted(appointments, key=lambda a: a.get("starts_at") or "")
    purchase_day = _day(last_purchase_at)
    return {
        "last_contact": last_contact,
        "days_since_contact": days,
        "open_tasks": [
            {"title": excerpt(t.get("title"), 60), "due_on": t.get("due_on")}
            for t in tasks[:MAX_OPEN_ITEMS]
        ],
        "appointments": [
            {"starts_at": a.get("starts_at"), "purpose": excerpt(a.get("purpose"), 60)}
            for a in booked[:MAX_OPEN_ITEMS]
        ],
        "tags": list(customer.get("tags") or []),
        "sizes": dict(customer.get("sizes") or {}),
        "preferences": excerpt(customer.get("preferences"), 200),
        "note": excerpt(customer.get("note"), 200),
        "last_purchase_on": purchase_day.isoformat() if purchase_day else None,
    }


def introduction_message(*, salutation: str, store: str, guide: str) -> str:
    """The suggested first message of the new owner (the handover_intro task's text)."""
    return (
        f"{salutation}您好，我是{store}的{guide}，之后由我为您服务。"
        "之前的购买记录和您的喜好我都了解了，有需要随时找我。"
    )


INTRO_TEMPLATE = introduction_message(salutation="{称呼}", store="{门店}", guide="{导购}")
