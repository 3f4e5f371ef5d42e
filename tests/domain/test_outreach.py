"""The consent and contact-cap rule (app/domain/outreach.py), once for both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.outreach import (
    MARKETING_TASK_KINDS,
    MAX_REASON_CHARS,
    Cap,
    Eligibility,
    eligibility,
    is_marketing_followup,
    may_target,
    reason_problem,
)

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def test_window_is_the_stores_days_ending_now() -> None:
    assert Cap(3).window_start(NOW) == NOW - timedelta(days=30)
    assert Cap(3, days=7).window_start(NOW) == NOW - timedelta(days=7)


def test_at_the_cap_is_over_and_no_cap_never_is() -> None:
    cap = Cap(3)
    assert not cap.over(2)
    assert cap.over(3) and cap.over(9)
    assert not Cap(None).over(1000)
    assert Cap(0).over(0)


def test_marketing_followups_are_content_share_and_win_back_only() -> None:
    assert is_marketing_followup("content_share") and is_marketing_followup("win_back")
    assert not is_marketing_followup("birthday")
    assert not is_marketing_followup(None)


def test_opt_out_wins_over_everything() -> None:
    assert eligibility(opted_out=True, count=0, cap=Cap(None)) is Eligibility.OPTED_OUT
    assert eligibility(opted_out=False, count=3, cap=Cap(3)) is Eligibility.OVER_CAP
    assert eligibility(opted_out=False, count=2, cap=Cap(3)) is Eligibility.OK


def test_override_reason_must_be_given_and_short() -> None:
    assert reason_problem("   ") == "empty"
    assert reason_problem("x" * (MAX_REASON_CHARS + 1)) == "too_long"
    assert reason_problem("顾客主动询问新品") is None


def test_marketing_tasks_never_target_who_opted_out_service_tasks_do() -> None:
    for kind in MARKETING_TASK_KINDS:
        assert not may_target(kind, opted_out=True) and may_target(kind, opted_out=False)
    for kind in ("birthday", "new_customer", "custom"):
        assert may_target(kind, opted_out=True)
