"""The session and lock rules of sync/hq/authz.py, at their edges (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.hq.authz import CLOCK_SKEW, check_lock, check_session

ISSUED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def session(**changes: str | None) -> dict[str, str | None]:
    return {
        "guide_id": "G002",
        "terminal_id": "T-1",
        "issued_at": iso(ISSUED),
        "expires_at": iso(ISSUED + timedelta(hours=12)),
        "revoked_at": None,
    } | changes


def allowed(facts, made_at: datetime, guide: str = "G002", terminal: str = "T-1") -> bool:
    return check_session(facts, guide_id=guide, terminal_id=terminal, made_at=made_at).allowed


@pytest.mark.parametrize(
    ("made_at", "expected"),
    [
        (ISSUED - CLOCK_SKEW, True),
        (ISSUED - CLOCK_SKEW - SECOND, False),
        (ISSUED + timedelta(hours=12) + CLOCK_SKEW, True),
        (ISSUED + timedelta(hours=12) + CLOCK_SKEW + SECOND, False),
    ],
)
def test_a_session_covers_its_time_with_the_clock_skew(made_at: datetime, expected: bool) -> None:
    assert allowed(session(), made_at) is expected


def test_an_early_end_counts_instead_of_the_expiry() -> None:
    ended = session(revoked_at=iso(ISSUED + timedelta(hours=1)))
    assert allowed(ended, ISSUED + timedelta(hours=1) + CLOCK_SKEW)
    assert not allowed(ended, ISSUED + timedelta(hours=1) + CLOCK_SKEW + SECOND)


def test_unknown_other_terminal_other_guide_and_unreadable_sessions_prove_nothing() -> None:
    assert not allowed(None, ISSUED)
    assert not allowed(session(), ISSUED, terminal="T-2")
    assert not allowed(session(), ISSUED, guide="G001")
    assert not allowed(session(issued_at="yesterday"), ISSUED)
    reason = check_session(session(), guide_id="G001", terminal_id="T-1", made_at=ISSUED).reason
    assert "G001" in reason


def test_a_lock_refuses_what_was_made_after_it() -> None:
    locked = ISSUED + timedelta(hours=2)
    assert check_lock(None, guide_id="G002", made_at=ISSUED).allowed
    assert check_lock(iso(locked), guide_id="G002", made_at=locked + CLOCK_SKEW).allowed
    late = check_lock(iso(locked), guide_id="G002", made_at=locked + CLOCK_SKEW + SECOND)
    assert not late.allowed and "locked" in late.reason
