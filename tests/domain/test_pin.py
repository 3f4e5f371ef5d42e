"""The PIN rule and the lockout: table tests of app.domain.pin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.pin import (
    MAX_FAILURES,
    Lockout,
    PinProblem,
    after_wrong_pin,
    lock_duration,
    must_change,
    pin_problem,
)

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("", PinProblem.NOT_DIGITS),
        ("12a456", PinProblem.NOT_DIGITS),
        ("²34567", PinProblem.NOT_DIGITS),  # a digit to str.isdigit(), not on a keypad
        ("٣٤٥٦٧٨", PinProblem.NOT_DIGITS),
        ("12345", PinProblem.TOO_SHORT),
        ("1234", PinProblem.TOO_SHORT),
        ("1" * 13 + "2", PinProblem.TOO_LONG),
        ("000000", PinProblem.ALL_SAME),
        ("77777777", PinProblem.ALL_SAME),
        ("123456", PinProblem.STRAIGHT_RUN),
        ("987654", PinProblem.STRAIGHT_RUN),
        ("3456789", PinProblem.STRAIGHT_RUN),
        ("135790", None),
        ("120000", None),
        ("1234567890", None),  # wraps past 9: not a straight run of steps
        ("482916", None),
    ],
)
def test_pin_rule(pin: str, problem: PinProblem | None) -> None:
    assert pin_problem(pin) is problem


def test_new_pin_must_be_typed_twice_alike_and_differ_from_the_old() -> None:
    assert pin_problem("482916", "482917") is PinProblem.MISMATCH
    assert pin_problem("482916", "482916") is None
    assert pin_problem("482916", "482916", old="482916") is PinProblem.UNCHANGED
    # The rule comes before the comparison: a short PIN is "too short", typed twice or not.
    assert pin_problem("1234", "1234") is PinProblem.TOO_SHORT


def test_short_or_weak_pins_must_change() -> None:
    assert must_change("1234") and must_change("00000000")
    assert not must_change("482916")


def test_five_wrong_pins_lock_for_a_growing_time() -> None:
    state = Lockout()
    for n in range(1, MAX_FAILURES):
        state = after_wrong_pin(state, NOW)
        assert state.failures == n and not state.is_locked(NOW)
        assert state.tries_left() == MAX_FAILURES - n
    state = after_wrong_pin(state, NOW)
    assert state.is_locked(NOW) and state.locked_until == NOW + timedelta(minutes=1)
    assert state.seconds_left(NOW) == 60
    assert state.seconds_left(NOW + timedelta(seconds=59.5)) == 1
    assert not state.is_locked(NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=2)
    for _ in range(MAX_FAILURES):
        state = after_wrong_pin(state, later)
    assert state.locks == 2 and state.locked_until == later + timedelta(minutes=5)
    assert [lock_duration(n) for n in (1, 2, 3, 4, 5, 99)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=1),
        timedelta(hours=1),
    ]
