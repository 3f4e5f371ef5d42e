"""Rate limits for the guessable parts of HQ: enrolment codes and PIN checks.

A token bucket per key (a client address, a terminal, a guide, or one key for everyone):
``limit`` tries at once, refilled at ``limit`` per ``per_seconds``. :meth:`RateLimiter.hit`
takes one try and answers how many seconds to wait (0 when the try may go ahead), which
is what the 429's ``Retry-After`` says. Pure and in memory: time comes from the clock
passed in (a fake one in tests), nothing is shared between HQ's worker processes, so
with N workers a client gets up to N times the limit (N is small: PostgreSQL deployments
run a few workers; the per-guide lockout, counted in the database, is the hard bound on
PIN guessing). Memory is bounded: buckets that have refilled are dropped, and past
``max_keys`` the oldest buckets go first.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass


class RateLimiter:
    """``limit`` tries per ``per_seconds`` for each key, with bursts up to ``limit``."""

    def __init__(
        self,
        limit: int,
        per_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        if limit < 1 or per_seconds <= 0:
            raise ValueError("a rate limit allows at least one try in a positive time")
        self.limit = limit
        self.per_seconds = per_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._rate = limit / per_seconds  # tries regained per second
        # key -> (tokens left, when last updated); ordered by last update (oldest first).
        self._buckets: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()  # handlers run in FastAPI's thread pool

    def _level(self, key: Hashable, now: float) -> float:
        tokens, then = self._buckets.get(key, (float(self.limit), now))
        return min(float(self.limit), tokens + max(0.0, now - then) * self._rate)

    def hit(self, key: Hashable) -> float:
        """Take one try for ``key``: 0.0 when allowed, else the seconds until one is."""
        with self._lock:
            now = self.clock()
            tokens = self._level(key, now)
            if tokens >= 1.0:
                self._store(key, tokens - 1.0, now)
                return 0.0
            self._store(key, tokens, now)
            return (1.0 - tokens) / self._rate

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` may try again, without taking a try."""
        with self._lock:
            tokens = self._level(key, self.clock())
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._rate

    def __len__(self) -> int:
        return len(self._buckets)

    def _store(self, key: Hashable, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        full = [k for k, (t, then) in self._buckets.items() if self._level(k, now) >= self.limit]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(seconds))


@dataclass(frozen=True, slots=True)
class Limits:
    """HQ's limits, per worker process: (tries, per seconds)."""

    enroll_per_client: tuple[int, float] = (10, 60.0)
    enroll_overall: tuple[int, float] = (60, 60.0)
    sign_in_per_terminal: tuple[int, float] = (30, 60.0)
    sign_in_per_guide: tuple[int, float] = (10, 60.0)


class Limiters:
    """The limiters one HQ app holds, built from :class:`Limits` over one clock."""

    def __init__(self, limits: Limits, clock: Callable[[], float]) -> None:
        def make(rule: tuple[int, float]) -> RateLimiter:
            return RateLimiter(rule[0], rule[1], clock=clock)

        self.enroll_per_client = make(limits.enroll_per_client)
        self.enroll_overall = make(limits.enroll_overall)
        self.sign_in_per_terminal = make(limits.sign_in_per_terminal)
        self.sign_in_per_guide = make(limits.sign_in_per_guide)


def first_wait(*tries: tuple[RateLimiter, Hashable]) -> float:
    """Take a try from each (limiter, key) in turn; the first refusal's wait, else 0.0.

    Stops at the first refusal, so a refused client does not use up the tries of the
    limits after it (one client hammering cannot drain the overall limit for others
    past its own)."""
    for limiter, key in tries:
        wait = limiter.hit(key)
        if wait > 0:
            return wait
    return 0.0
