"""The guide's writes: one transaction for the row and its outbox mutation."""

from __future__ import annotations

import json

import pytest

from app.store import customers, outbox
from app.store.replica import TerminalReplica
from app.store.sqlite import driver as sqlite3
from tests.store.helpers import customer_change

NOW = "2026-11-22T10:30:00Z"


@pytest.fixture
def book(replica: TerminalReplica) -> TerminalReplica:
    replica.apply_page(
        [
            customer_change("C1", "张三", "13812345678"),
            customer_change("C2", "曾小凡", "13900001111"),
        ],
        "1.2",
        more=False,
    )
    return replica


def test_log_followup_writes_row_contact_and_mutation(
    book: TerminalReplica, conn: sqlite3.Connection
) -> None:
    changes = customers.log_followup(
        conn,
        customer_id="C1",
        guide_id="G001",
        channel="wechat",
        note=" 试穿了新款 ",
        now=NOW,
        next_followup_on="2026-11-29",
    )
    assert changes.customers == {"C1"} and changes.outbox
    profile = customers.customer_profile(conn, "C1")
    assert profile is not None
    assert [f.note for f in profile.followups] == ["试穿了新款"]
    assert profile.followups[0].synced is False
    assert profile.last_contact_at == NOW and profile.next_followup_on == "2026-11-29"
    [entry] = outbox.pending(conn)
    assert (entry.entity, entry.op, entry.guide_id) == ("followup", "create", "G001")
    assert entry.payload["note"] == "试穿了新款" and entry.payload["customer_id"] == "C1"


def test_failure_inside_the_write_leaves_neither_row_nor_mutation(
    book: TerminalReplica, conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_append(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(outbox, "append", broken_append)
    with pytest.raises(sqlite3.OperationalError):
        customers.log_followup(
            conn, customer_id="C1", guide_id="G001", channel="call", note="x", now=NOW
        )
    assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    assert (
        conn.execute("SELECT last_contact_at FROM customers WHERE id = 'C1'").fetchone()[0] is None
    )
    assert not conn.in_transaction


def test_mutation_failure_after_insert_rolls_back(
    book: TerminalReplica, conn: sqlite3.Connection
) -> None:
    # A duplicate client UUID makes the outbox insert itself fail, after the follow-up row.
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note="a", now=NOW
    )
    taken = outbox.pending(conn)[0].mutation_id
    real = outbox.new_id
    ids = iter(["f-second", taken])
    try:
        outbox.new_id = lambda: next(ids)  # type: ignore[assignment]
        with pytest.raises(sqlite3.IntegrityError):
            customers.log_followup(
                conn, customer_id="C1", guide_id="G001", channel="call", note="b", now=NOW
            )
    finally:
        outbox.new_id = real  # type: ignore[assignment]
    assert [r[0] for r in conn.execute("SELECT note FROM followups")] == ["a"]
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1


def test_unknown_customer_is_a_clear_error(book: TerminalReplica, conn: sqlite3.Connection) -> None:
    with pytest.raises(customers.CustomerNotFound, match="C404"):
        customers.log_followup(
            conn, customer_id="C404", guide_id="G001", channel="sms", note="", now=NOW
        )
    assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_update_customer_records_old_and_new_per_field(
    book: TerminalReplica, conn: sqlite3.Connection
) -> None:
    customers.update_customer(
        conn,
        customer_id="C1",
        guide_id="G001",
        fields={"tags": ["新品控", "职场通勤", "新品控"], "note": "喜欢蓝色"},
        now=NOW,
    )
    [entry] = outbox.pending(conn)
    assert entry.payload == {
        "fields": {
            "tags": {"old": [], "new": ["新品控", "职场通勤"]},
            "note": {"old": "", "new": "喜欢蓝色"},
        }
    }
    assert json.loads(conn.execute("SELECT tags FROM customers WHERE id='C1'").fetchone()[0]) == [
        "新品控",
        "职场通勤",
    ]
    assert (
        customers.search_customers(
            conn, customers.CustomerQuery(tag="新品控"), today=_today()
        ).rows[0][0]
        == "C1"
    )
    # Saving the same values again is not a change and makes no mutation.
    assert (
        customers.update_customer(
            conn, customer_id="C1", guide_id="G001", fields={"note": "喜欢蓝色"}, now=NOW
        ).outbox
        is False
    )
    with pytest.raises(ValueError):
        customers.update_customer(
            conn, customer_id="C1", guide_id="G001", fields={"points": 1}, now=NOW
        )


def test_reveal_phone_is_audited(book: TerminalReplica, conn: sqlite3.Connection) -> None:
    assert customers.reveal_phone(conn, customer_id="C2", guide_id="G001", now=NOW) == "13900001111"
    assert tuple(conn.execute("SELECT action, customer_id FROM audit_log").fetchone()) == (
        "reveal_phone",
        "C2",
    )
    assert outbox.pending(conn)[0].op == "reveal_phone"


def _today():
    from datetime import date

    return date(2026, 11, 22)


def test_typed_text_is_cleaned_to_what_hq_accepts(
    book: TerminalReplica, conn: sqlite3.Connection
) -> None:
    """A stray control character pasted from a chat would have HQ reject the follow-up
    (found by the convergence machine): the terminal removes it before storing."""
    customers.log_followup(
        conn, customer_id="C1", guide_id="G001", channel="call", note="\x1b回访\x00\n好", now=NOW
    )
    customers.update_customer(
        conn,
        customer_id="C1",
        guide_id="G001",
        fields={"tags": ["\x07VIP", "  "], "note": "怕冷\x0b"},
        now=NOW,
    )
    followup, edit = outbox.pending(conn)
    assert followup.payload["note"] == "回访\n好"
    assert edit.payload["fields"]["tags"]["new"] == ["VIP"]
    assert edit.payload["fields"]["note"]["new"] == "怕冷"


def test_text_hq_would_refuse_is_refused_here_and_nothing_is_written(
    book: TerminalReplica, conn: sqlite3.Connection
) -> None:
    with pytest.raises(ValueError, match="longer than"):
        customers.log_followup(
            conn, customer_id="C1", guide_id="G001", channel="call", note="长" * 5000, now=NOW
        )
    with pytest.raises(ValueError, match="40 characters"):
        customers.update_customer(
            conn, customer_id="C1", guide_id="G001", fields={"tags": ["长" * 41]}, now=NOW
        )
    assert outbox.pending(conn) == []
    assert conn.execute("SELECT count(*) FROM followups").fetchone()[0] == 0
