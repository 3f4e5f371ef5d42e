"""``guidedesk-hq`` sign-in commands: set-pin, pin-status, unlock-guide, set-idle-lock,
set-token-days (exit codes, one-line failures, what they store)."""

from __future__ import annotations

import io
import json

import pytest

from sync.hq import audit, auth, cli
from sync.hq.storage import HQStorage

PIN = "246810"


@pytest.fixture
def hq_db(sqlite_url: str) -> str:
    for args in (
        ["init"],
        ["add-store", "S001", "上海南京西路店"],
        ["add-guide", "G001", "王芳", "--store", "S001", "--manager", "--pin", PIN],
        ["add-guide", "G002", "李娜", "--store", "S001", "--pin", PIN],
    ):
        assert cli.main([*args, "--db", sqlite_url]) == 0, args
    return sqlite_url


def run(db: str, *args: str) -> int:
    return cli.main([*args, "--db", db])


def verifier(db: str, guide: str) -> str:
    with HQStorage(db) as hq:
        _, guides = hq.stores_and_guides()
    return guides[guide]["pin_verifier"]


def test_add_guide_and_set_pin_refuse_short_or_trivial_pins(hq_db: str, capsys) -> None:
    capsys.readouterr()
    for pin in ("2580", "12345", "888888", "345678"):
        assert run(hq_db, "add-guide", "G9", "新人", "--store", "S001", "--pin", pin) == 1
        assert run(hq_db, "set-pin", "G002", "--pin", pin) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 8 and all("PIN refused" in line for line in lines)
    assert all(pin not in "".join(lines) for pin in ("2580", "12345", "888888"))
    assert auth.verify_pin(verifier(hq_db, "G002"), PIN)  # unchanged


def test_set_pin_reads_stdin_and_lifts_a_lock(hq_db: str, monkeypatch, capsys) -> None:
    with HQStorage(hq_db) as hq:
        terminal = hq.terminal_for_token(hq.enroll(hq.create_enroll_code("S001")).token)
        for _ in range(5):
            with pytest.raises(auth.AuthFailure):
                hq.sign_in(terminal, "G002", "135790")
    assert run(hq_db, "pin-status", "G002", "--json") == 0
    state = json.loads(capsys.readouterr().out)
    assert state["locked_at"] and state["failures"] == 5
    monkeypatch.setattr("sys.stdin", io.StringIO("582014\n"))
    assert run(hq_db, "set-pin", "G002", "--must-change") == 0
    assert "582014" not in capsys.readouterr().out
    assert auth.verify_pin(verifier(hq_db, "G002"), "582014")
    assert run(hq_db, "pin-status", "G002") == 0
    assert capsys.readouterr().out.strip() == (
        "guide G002: not locked; 0 wrong PIN(s) in a row; must change PIN"
    )
    with HQStorage(hq_db) as hq:
        signed = hq.sign_in(terminal, "G002", "582014")
        assert signed.must_change_pin
        with hq.read() as conn:
            [entry] = audit.entries(conn, guide_id="G002", action="pin_set")
    assert entry.actor and entry.details == {"must_change": True}


def test_unlock_guide(hq_db: str, capsys) -> None:
    with HQStorage(hq_db) as hq:
        terminal = hq.terminal_for_token(hq.enroll(hq.create_enroll_code("S001")).token)
        for _ in range(5):
            with pytest.raises(auth.AuthFailure):
                hq.sign_in(terminal, "G002", "135790")
    capsys.readouterr()
    assert run(hq_db, "unlock-guide", "G002") == 0
    assert capsys.readouterr().out.strip() == "guide G002 unlocked"
    assert run(hq_db, "unlock-guide", "G002") == 0
    assert capsys.readouterr().out.strip() == "guide G002 was not locked"
    assert run(hq_db, "unlock-guide", "G404") == 1
    assert "G404" in capsys.readouterr().err
    with HQStorage(hq_db) as hq:
        assert hq.sign_in(terminal, "G002", PIN).session
        with hq.read() as conn:
            [entry] = audit.entries(conn, guide_id="G002", action="guide_unlocked")
    assert entry.actor


def test_idle_lock_and_token_days_settings(hq_db: str, capsys) -> None:
    assert run(hq_db, "set-idle-lock", "600") == 0
    assert run(hq_db, "set-token-days", "30") == 0
    assert run(hq_db, "set-idle-lock", "5") == 1
    assert run(hq_db, "set-token-days", "0") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    with HQStorage(hq_db) as hq:
        assert hq.idle_lock_seconds() == 600 and hq.token_days() == 30
