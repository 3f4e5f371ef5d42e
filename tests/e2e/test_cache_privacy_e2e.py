"""Through a real HQ process: a plain cache from before encryption keeps and pushes its
outbox once encrypted, and HQ audits phone reveals and copies only for customers the guide
may see (the HTTP push of a colleague's customer is refused)."""

from __future__ import annotations

import json

from app.store import customers, db, keys, outbox
from app.store.db import transaction

from .conftest import HQ


def test_a_plain_cache_is_encrypted_and_its_pending_edits_still_reach_hq(
    hq: HQ, make_terminal, monkeypatch
) -> None:
    with monkeypatch.context() as before_encryption:
        before_encryption.setattr(db, "cache_key_of", lambda path: None)
        old = make_terminal("till")
        old.enroll(hq, "S001")
        assert old.sync().ok
        for n in range(3):
            old.follow_up("C0007", "G002", f"加密前写的跟进 {n}")
        assert old.status().pending == 3
        old.close()
    assert old.db_file.read_bytes()[:16] == keys.PLAIN_HEADER
    before = hq.status("S001")["counts"]["followups"]

    till = make_terminal("till")  # the same folder, opened by the encrypting app
    assert till.db_file.read_bytes()[:16] != keys.PLAIN_HEADER
    assert "加密前写的跟进".encode() not in till.db_file.read_bytes()
    assert till.status().pending == 3
    report = till.sync()
    assert report.ok and report.pushed == 3, report
    assert hq.status("S001")["counts"]["followups"] == before + 3
    assert till.followup_notes("C0007") == [f"加密前写的跟进 {n}" for n in range(3)]


def test_hq_audits_a_reveal_or_copy_only_of_a_customer_the_guide_may_see(
    hq: HQ, make_terminal
) -> None:
    till = make_terminal("till")
    till.enroll(hq, "S001")
    assert till.sync().ok
    now = "2026-11-22T10:00:00Z"
    customers.copy_phone(till.conn, customer_id="C0007", guide_id="G002", now=now)
    customers.reveal_phone(till.conn, customer_id="C0008", guide_id="G002", now=now)
    # A forged push: G002 asks for the number of C0031, G003's customer in another store.
    with transaction(till.conn):
        outbox.append(
            till.conn,
            guide_id="G002",
            entity="audit",
            entity_id="C0031",
            op="reveal_phone",
            payload={"id": "audit-forged", "customer_id": "C0031", "at": now},
            created_at=now,
        )
    report = till.sync()
    assert report.pushed == 2 and report.rejected == 1, report
    [refused] = outbox.rejected(till.conn)
    assert refused.entity_id == "C0031" and "not assigned" in refused.reject_reason
    entries = json.loads(hq.run("audit", "--json"))
    phones = sorted(
        (e["action"], e["customer_id"], e["guide_id"])
        for e in entries
        if e["action"] in ("reveal_phone", "copy_phone")
    )
    assert phones == [("copy_phone", "C0007", "G002"), ("reveal_phone", "C0008", "G002")]
