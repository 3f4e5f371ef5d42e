"""The rate limiter on a fake clock: bursts, refill, Retry-After, bounded memory."""

from __future__ import annotations

import pytest

from sync.hq.ratelimit import RateLimiter, first_wait, retry_after


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_then_a_wait_until_one_try_is_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, 60.0, clock=clock)
    assert [limiter.hit("10.0.0.1") for _ in range(10)] == [0.0] * 10
    assert limiter.hit("10.0.0.1") == pytest.approx(6.0)  # one try every 6 s
    assert limiter.hit("10.0.0.2") == 0.0  # keys are apart
    clock.now += 5.9
    assert limiter.hit("10.0.0.1") == pytest.approx(0.1)
    clock.now += 0.1
    assert limiter.hit("10.0.0.1") == 0.0
    assert limiter.wait("10.0.0.1") == pytest.approx(6.0)
    clock.now += 3600
    assert [limiter.hit("10.0.0.1") for _ in range(11)].count(0.0) == 10  # no more than the burst


def test_refused_tries_do_not_push_the_wait_further() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 10.0, clock=clock)
    limiter.hit("k"), limiter.hit("k")
    waits = [limiter.hit("k") for _ in range(50)]
    assert max(waits) == pytest.approx(5.0) and min(waits) == pytest.approx(5.0)
    clock.now += 5.0
    assert limiter.hit("k") == 0.0


def test_first_wait_stops_at_the_first_refusal() -> None:
    clock = FakeClock()
    per_client = RateLimiter(1, 60.0, clock=clock)
    overall = RateLimiter(3, 60.0, clock=clock)
    assert first_wait((per_client, "a"), (overall, "*")) == 0.0
    for _ in range(5):  # "a" hammers: refused by its own limit, the overall one untouched
        assert first_wait((per_client, "a"), (overall, "*")) > 0
    assert first_wait((per_client, "b"), (overall, "*")) == 0.0
    assert first_wait((per_client, "c"), (overall, "*")) == 0.0
    assert first_wait((per_client, "d"), (overall, "*")) == pytest.approx(20.0)


def test_memory_stays_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, 60.0, clock=clock, max_keys=100)
    for n in range(1000):
        limiter.hit(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter) <= 100
    # The newest keys are kept: a client still being limited is not forgotten by a flood.
    for _ in range(4):
        limiter.hit("10.0.3.231")
    assert limiter.hit("10.0.3.231") > 0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after(0.01) == 1 and retry_after(6.0) == 6 and retry_after(6.2) == 7
    with pytest.raises(ValueError):
        RateLimiter(0, 60.0)
