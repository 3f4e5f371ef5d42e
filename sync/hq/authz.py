"""Who may push what: HQ's rule table for mutations from terminals (pure, no I/O).

A terminal's token proves which store's terminal is speaking; the mutation names the
guide who acted and, when the guide signed in at HQ, carries the session HQ issued then
(``Mutation.session``, sync/hq/sessions.py), which proves who typed the PIN. HQ enforces
what the terminal's UI promises:

====================================  ==============================================
the acting guide …                    outcome
====================================  ==============================================
is unknown, or of another store       rejected: not a guide of this store
has left (inactive)                   accepted only for edits made before they left
names a session that does not check   rejected: the session is unknown, of another
out (:func:`check_session`)           terminal or guide, or the edit was made outside
                                      it (issued_at - skew … end + skew; the end is
                                      its expiry or an earlier sign-out, lock or PIN
                                      change)
sent no session (signed in offline)   judged by the rest of this table; recorded as
                                      signed_in 'offline' (with a session: 'hq')
is locked (too many wrong PINs)       accepted only for edits made before the lock
is not a manager, op is manager-only  rejected: only the store manager (店长) may
owns the customer now                 accepted
sends a store colleague's mutation    accepted when the guide is of the customer's
(``Mutation.store_colleague``:        store now (:func:`check_colleague`), whoever
followup/counter, 接待记录)            owns them; rejected for a guide of another
                                      store. HQ stores it as the colleague's record
                                      and never changes the customer's owner
manages the customer's store now      accepted
owned the customer before (or         accepted when the edit was made before the
managed the store that held them)     customer moved (its ``created_at``), else
                                      rejected with the date of the move
anyone else                           rejected: not this guide's customer
====================================  ==============================================

"Made before" is judged by the mutation's ``created_at`` with an allowance of
:data:`CLOCK_SKEW` for a terminal clock that is slightly off: an edit typed offline
minutes before HQ moved the customer still lands, attributed to its author, and the old
terminal is told why anything typed after the move is refused. A ``created_at`` later
than HQ's clock by more than :data:`FUTURE_LIMIT` is refused outright (a wrong clock
would otherwise pin a record to the top of every list). An edit made offline names its
guide without proof: HQ still applies every rule above to it, and the ``mutations``
table says it was signed in offline, so HQ knows which edits a PIN check at HQ vouches
for (``signed_in = 'hq'``, ``session_id``) and which the terminal's own check did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.domain.clock import CLOCK_SKEW as CLOCK_SKEW
from sync import records

FUTURE_LIMIT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOW = Decision(True)


def _deny(zh: str, en: str) -> Decision:
    return Decision(False, f"{zh} / {en}")


def _moment(value: Any) -> datetime | None:
    return records.parse_timestamp(value) if isinstance(value, str) else None


def check_made_at(made_at: datetime | None, now: datetime) -> Decision:
    if made_at is None:
        return _deny("时间格式不对", "created_at is not an ISO-8601 time")
    if made_at > now + FUTURE_LIMIT:
        return _deny(
            "终端时间不对（在未来）", "created_at is in the future: check the terminal's clock"
        )
    return ALLOW


def check_guide(
    guide: Mapping[str, Any] | None,
    *,
    guide_id: str,
    terminal_store: str,
    declared: records.Mutation,
    made_at: datetime,
) -> Decision:
    """The rules about the acting guide alone (before any customer is looked at)."""
    if guide is None or guide["store_id"] != terminal_store:
        return _deny(
            f"导购 {guide_id} 不属于本门店", f"guide {guide_id} is not a guide of this store"
        )
    if not guide["active"]:
        left = _moment(guide.get("left_at"))
        if left is None or made_at > left + CLOCK_SKEW:
            return _deny(
                f"导购 {guide_id} 已离职",
                f"guide {guide_id} has left: edits made since are refused",
            )
    if declared.manager_only and not guide["is_manager"]:
        return _deny("只有店长可以这样做", "only the store manager may do this")
    return ALLOW


def check_session(
    session: Mapping[str, Any] | None,
    *,
    guide_id: str,
    terminal_id: str,
    made_at: datetime,
) -> Decision:
    """A mutation's session (``None``: the session it named is unknown to HQ) proves its
    guide acted when it was issued to this terminal for this guide and the edit was made
    while it lasted."""
    if session is None:
        return _deny("登录已失效或无效", "the guide session is unknown to HQ: sign in again")
    if session["terminal_id"] != terminal_id:
        return _deny("登录不属于本终端", "the guide session was issued to another terminal")
    if session["guide_id"] != guide_id:
        return _deny(f"登录不属于导购 {guide_id}", f"the guide session is not guide {guide_id}'s")
    issued = _moment(session["issued_at"])
    ends = [m for m in (_moment(session["expires_at"]), _moment(session.get("revoked_at"))) if m]
    if issued is None or not ends:
        return _deny("登录已失效或无效", "the guide session is unreadable")
    if made_at < issued - CLOCK_SKEW or made_at > min(ends) + CLOCK_SKEW:
        return _deny(
            "修改时间不在登录期间内",
            "the edit was made outside its guide session (signed out, expired, or locked)",
        )
    return ALLOW


def check_lock(locked_at: str | None, *, guide_id: str, made_at: datetime) -> Decision:
    """A guide locked after too many wrong PINs: edits made since the lock are refused."""
    locked = _moment(locked_at)
    if locked is not None and made_at > locked + CLOCK_SKEW:
        return _deny(
            f"导购 {guide_id} 已被锁定（多次输错密码），之后的修改不被接受",
            f"guide {guide_id} is locked after too many wrong PINs: edits made since are refused",
        )
    return ALLOW


def check_customer(
    guide: Mapping[str, Any],
    customer: Mapping[str, Any],
    owners: Sequence[Mapping[str, Any]],
    *,
    made_at: datetime,
) -> Decision:
    """May ``guide`` write about ``customer`` with an edit made at ``made_at``?

    ``owners`` is the customer's ownership history: rows of (guide_id, store_id, since,
    until), ``until`` None for the current one. Only the end of a period is judged (the
    issue's rule: made before the move); a period's start is not, since HQ's import time
    is not when a guide began serving a customer.
    """
    if customer["guide_id"] == guide["id"]:
        return ALLOW
    if guide["is_manager"] and customer["store_id"] == guide["store_id"]:
        return ALLOW
    moved_at = None
    for period in owners:
        mine = period["guide_id"] == guide["id"] or (
            guide["is_manager"] and period["store_id"] == guide["store_id"]
        )
        if not mine or period.get("until") is None:
            continue
        until = _moment(period["until"])
        if until is None:
            continue
        if made_at <= until + CLOCK_SKEW:
            return ALLOW
        moved_at = max(moved_at or until, until)
    if moved_at is not None:
        day = moved_at.date().isoformat()
        return _deny(
            f"顾客已于 {day} 转给其他导购，之后的修改不被接受",
            f"customer {customer['id']} moved to another guide on {day}:"
            " edits made after the move are refused",
        )
    return _deny(
        "顾客不属于该导购",
        f"customer {customer['id']} is not assigned to guide {guide['id']}",
    )


def check_colleague(guide: Mapping[str, Any], customer: Mapping[str, Any]) -> Decision:
    """May ``guide`` record a store colleague's mutation (a counter visit, 接待记录) about
    ``customer``? Only a guide of the store that holds the customer now; the owner stays
    who they are."""
    if customer["store_id"] == guide["store_id"]:
        return ALLOW
    return _deny(
        "顾客不属于本门店，不能记接待",
        f"customer {customer['id']} is not a customer of guide {guide['id']}'s store",
    )
