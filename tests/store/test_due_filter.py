"""The book's "Follow-up due" filter (SQL) and app/domain/followups.followup_due agree: the
same customers, for stores east and west of UTC, contacts either side of local midnight."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.followups import followup_due
from app.store.customers import CustomerQuery, log_followup, search_customers

TODAY = date(2026, 11, 22)

# (next follow-up, last contact in UTC)
CASES = [
    (None, None),
    ("2026-11-23", None),  # still to come
    ("2026-11-22", None),  # due today
    ("2026-11-19", None),  # overdue 3 days
    ("2026-11-19", "2026-11-15T03:00:00Z"),  # contacted before it: still due
    ("2026-11-19", "2026-11-19T03:00:00Z"),  # contacted on the day: done
    ("2026-11-19", "2026-11-20T09:00:00Z"),  # contacted after: done
    # Around the store's midnight: 16:30 UTC on the 18th is the 19th in Shanghai, the 18th
    # in New York; 15:30 UTC is the 18th in Shanghai too.
    ("2026-11-19", "2026-11-18T16:30:00Z"),
    ("2026-11-19", "2026-11-18T15:30:00Z"),
    ("2026-11-19", "2026-11-19T04:30:00Z"),  # 23:30 on the 18th in New York
    ("2026-11-19", "2026-11-19T05:30:00Z"),  # 00:30 on the 19th in New York
]


def _fill(conn, timezone: str) -> None:
    conn.execute("INSERT INTO stores (id, name, timezone) VALUES ('S001', '店', ?)", (timezone,))
    conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('store_id', 'S001')")
    for n, (next_on, contact) in enumerate(CASES):
        conn.execute(
            "INSERT INTO customers (id, store_id, guide_id, name, next_followup_on,"
            " last_contact_at, recency) VALUES (?, 'S001', 'G001', ?, ?, ?, ?)",
            (f"C{n}", f"顾客{n}", next_on, contact, contact or "2026-01-01"),
        )
    conn.commit()


@pytest.mark.parametrize("timezone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_the_filter_finds_what_the_rule_calls_due(conn, timezone: str) -> None:
    _fill(conn, timezone)
    page = search_customers(conn, CustomerQuery(due=True), today=TODAY)
    found = {row[0] for row in page.rows}
    expected = {
        f"C{n}"
        for n, (next_on, contact) in enumerate(CASES)
        if followup_due(next_on, TODAY, last_contact_at=contact, timezone=timezone)
    }
    assert found == expected and page.total == len(expected)
    assert {"C2", "C3", "C4"} <= expected and not {"C0", "C1", "C6"} & expected
    # 03:00 UTC on the 19th is the 19th in Shanghai (done) but 22:00 on the 18th in New
    # York (still due); 16:30 UTC on the 18th is the 19th only in Shanghai.
    assert ("C5" in expected) == (timezone == "America/New_York")
    assert ("C7" in expected) == (timezone != "Asia/Shanghai")


def test_a_follow_up_logged_on_the_day_clears_it_even_without_a_new_date(conn) -> None:
    _fill(conn, "Asia/Shanghai")
    assert "C3" in {r[0] for r in search_customers(conn, CustomerQuery(due=True), today=TODAY).rows}
    log_followup(
        conn,
        customer_id="C3",
        guide_id="G001",
        channel="call",
        note="打过电话了",
        now="2026-11-22T02:00:00Z",
    )
    rows = search_customers(conn, CustomerQuery(due=True), today=TODAY).rows
    assert "C3" not in {r[0] for r in rows}


def test_a_colleagues_counter_visit_does_not_settle_the_owners_follow_up(conn) -> None:
    from app.store.counter import log_counter_visit

    _fill(conn, "Asia/Shanghai")
    log_followup(  # the owner's own plan: call again on the 19th
        conn,
        customer_id="C3",
        guide_id="G001",
        channel="call",
        note="约了 19 号再联系",
        now="2026-11-15T03:00:00Z",
        next_followup_on="2026-11-19",
    )
    log_counter_visit(
        conn,
        customer_id="C3",
        guide_id="G002",
        note="同事接待",
        now="2026-11-22T02:00:00Z",
        today=TODAY,
    )
    rows = search_customers(conn, CustomerQuery(due=True), today=TODAY).rows
    assert "C3" in {r[0] for r in rows}
    row = conn.execute(
        "SELECT next_followup_on, last_contact_at FROM customers WHERE id = 'C3'"
    ).fetchone()
    assert tuple(row) == ("2026-11-19", "2026-11-15T03:00:00Z")
