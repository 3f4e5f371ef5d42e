"""How values read on screen: local dates and times, money in yuan, tag lists."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache


@lru_cache(maxsize=4096)
def _local(iso: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment.astimezone() if moment.tzinfo else moment


def day(iso: str | None) -> str:
    """'2026-11-22' for a stored date or UTC time (in the terminal's local time)."""
    if not iso:
        return ""
    if len(iso) == 10:
        return iso
    moment = _local(iso)
    return moment.strftime("%Y-%m-%d") if moment else iso[:10]


def day_time(iso: str | None) -> str:
    if not iso:
        return ""
    moment = _local(iso)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else iso


def short_time(iso: str | None, today: date) -> str:
    """'18:30' today, '11-21 18:30' this year, else the full date."""
    moment = _local(iso) if iso else None
    if moment is None:
        return iso or ""
    if moment.date() == today:
        return moment.strftime("%H:%M")
    if moment.year == today.year:
        return moment.strftime("%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


def month_day(birthday: str | None) -> str:
    return birthday[5:10] if birthday and len(birthday) >= 10 else ""


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}¥{abs(cents) / 100:,.2f}"


def tags(value: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Tags from a row's JSON text or a list."""
    if not value:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return [value]
    return [str(t) for t in value]


def join_tags(value: str | list[str] | tuple[str, ...] | None) -> str:
    return "、".join(tags(value))
