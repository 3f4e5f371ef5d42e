"""Consent and contact fatigue (营销触达): who may be sent marketing, and how often.

One rule for both sides: the terminal counts what it knows offline, HQ counts again from
its own tables when the shares arrive (sync/hq/mutations/shares.py).

* **Outreach** is every share of content (转发), by any guide, and every *marketing*
  follow-up: one logged for a task of a marketing kind (:data:`MARKETING_TASK_KINDS`,
  a campaign's content or a win-back push). A birthday greeting, a new customer's
  welcome call, an in-store visit or a colleague's counter note is service, not outreach.
* **The cap** is the store's ``contact_cap`` outreaches per customer in any
  ``contact_cap_days`` days, across every guide (``None``: no cap). A customer at the cap
  is left out of a share unless the guide gives a reason (:data:`MAX_REASON_CHARS`); the
  reason travels with the share and the manager sees it.
* **Opt-out** (``customer.marketing_opt_out``): never offered for a share at all, whatever
  the cap, and never made a target of a marketing task (:func:`may_target`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.domain.tasks import TaskKind

MARKETING_TASK_KINDS = frozenset({TaskKind.CONTENT_SHARE.value, TaskKind.WIN_BACK.value})
MAX_REASON_CHARS = 200  # share.override_reason (sync/records.py)
DEFAULT_CAP_DAYS = 30


class Eligibility(StrEnum):
    """Whether a customer may be sent marketing now."""

    OK = "ok"
    OVER_CAP = "over_cap"  # at or over the cap: only with a reason
    OPTED_OUT = "opted_out"  # never


@dataclass(frozen=True, slots=True)
class Cap:
    """The store's contact cap: at most ``limit`` outreaches in ``days`` days (None: none)."""

    limit: int | None
    days: int = DEFAULT_CAP_DAYS

    def window_start(self, now: datetime) -> datetime:
        """The first moment that counts toward the cap at ``now``."""
        return now - timedelta(days=self.days)

    def over(self, count: int) -> bool:
        """One more outreach would exceed the cap (``count`` already in the window)."""
        return self.limit is not None and count >= self.limit


def may_target(task_kind: str, *, opted_out: bool) -> bool:
    """A campaign may make this customer a target: a marketing task (a share, a win-back
    push) never targets a customer who opted out; service tasks (a birthday greeting, a
    welcome call) still do."""
    return not (opted_out and task_kind in MARKETING_TASK_KINDS)


def is_marketing_followup(task_kind: str | None) -> bool:
    """A follow-up counts as outreach when it was logged for a marketing task."""
    return task_kind in MARKETING_TASK_KINDS


def eligibility(*, opted_out: bool, count: int, cap: Cap) -> Eligibility:
    if opted_out:
        return Eligibility.OPTED_OUT
    return Eligibility.OVER_CAP if cap.over(count) else Eligibility.OK


def reason_problem(reason: str) -> str | None:
    """Why an override reason will not do, or None (the UI says it in its own words)."""
    text = reason.strip()
    if not text:
        return "empty"
    if len(text) > MAX_REASON_CHARS:
        return "too_long"
    return None
