"""PIN rules and the lockout after wrong PINs — one rule, used by every sign-in path.

A PIN (登录密码) is at least ``MIN_PIN_LENGTH`` digits: HQ refuses shorter ones, and a
guide whose PIN is shorter (set before the rule) must choose a new one at the next
sign-in. A PIN of one digit repeated or a straight run ("123456", "987654") is refused
too: they are the first guesses of anyone at the counter.

Lockout: ``MAX_FAILURES`` wrong PINs in a row lock *that guide* (not the terminal) for a
time that grows with every lock since the last good sign-in (1 min, 5 min, 15 min, then
an hour each time). An attacker at the counter then gets about 5 guesses in the first
minute and 20 more per hour after that: the 10**6 space of six digits stays out of reach.
No Qt, no SQL: the store keeps the counts, the UI says what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from itertools import pairwise

MIN_PIN_LENGTH = 6
MAX_PIN_LENGTH = 12
MAX_FAILURES = 5
# How long the n-th lock (n = 1, 2, …) lasts; past the end of the list, the last one.
LOCK_STEPS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)


class PinProblem(Enum):
    """Why a new PIN is refused (the UI words each one)."""

    NOT_DIGITS = "not_digits"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ALL_SAME = "all_same"
    STRAIGHT_RUN = "straight_run"
    MISMATCH = "mismatch"
    UNCHANGED = "unchanged"


def _straight_run(pin: str) -> bool:
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    return steps in ({1}, {-1})


def pin_problem(
    pin: str, repeated: str | None = None, *, old: str | None = None
) -> PinProblem | None:
    """What is wrong with ``pin`` as a new PIN, or None when it is fine.

    ``repeated`` is the second entry of the new PIN (the dialog asks twice); ``old`` the
    PIN it replaces (a "new" PIN equal to the old one changes nothing).
    """
    # ASCII digits only: str.isdigit() accepts "²" and "٣", which no keypad types.
    if not pin or any(c not in "0123456789" for c in pin):
        return PinProblem.NOT_DIGITS
    if len(pin) < MIN_PIN_LENGTH:
        return PinProblem.TOO_SHORT
    if len(pin) > MAX_PIN_LENGTH:
        return PinProblem.TOO_LONG
    if len(set(pin)) == 1:
        return PinProblem.ALL_SAME
    if _straight_run(pin):
        return PinProblem.STRAIGHT_RUN
    if old is not None and pin == old:
        return PinProblem.UNCHANGED
    if repeated is not None and repeated != pin:
        return PinProblem.MISMATCH
    return None


def must_change(pin: str) -> bool:
    """A PIN that signed in but no longer meets the rule (shorter than six digits, say):
    its guide has to choose a new one now."""
    return pin_problem(pin) is not None


@dataclass(frozen=True, slots=True)
class Lockout:
    """Wrong PINs of one guide on this terminal since their last good sign-in."""

    failures: int = 0  # wrong PINs since the last lock (or good sign-in)
    locks: int = 0  # locks since the last good sign-in: the next one lasts longer
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def seconds_left(self, now: datetime) -> int:
        """Whole seconds until the guide may try again (rounded up), 0 when not locked."""
        if not self.is_locked(now):
            return 0
        assert self.locked_until is not None
        left = (self.locked_until - now).total_seconds()
        return max(1, int(left) + (left % 1 > 0))

    def tries_left(self) -> int:
        return max(0, MAX_FAILURES - self.failures)


def lock_duration(lock_number: int) -> timedelta:
    """How long the ``lock_number``-th lock (1-based) since a good sign-in lasts."""
    return LOCK_STEPS[min(max(lock_number, 1), len(LOCK_STEPS)) - 1]


def after_wrong_pin(state: Lockout, now: datetime) -> Lockout:
    """The lockout after one more wrong PIN at ``now``.

    The ``MAX_FAILURES``-th wrong PIN in a row starts a lock; the count starts again
    after it, so the next lock comes after as many wrong PINs, and lasts longer.
    """
    failures = state.failures + 1
    if failures < MAX_FAILURES:
        return Lockout(failures, state.locks, state.locked_until)
    locks = state.locks + 1
    return Lockout(0, locks, now + lock_duration(locks))
