"""Revoke and wipe through a real HQ process: enrol, sync, revoke at HQ, sync again.

The terminal's files are read as bytes (the WAL included), the keyring is looked at, and
an old copy of the database put back into the folder must not open.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keyring
import pytest

from app import terminal
from app.store import db, keys
from sync import credentials

from .conftest import HQ, guidedesk, share_keyring_with_children, subprocess_env

# C0007 of the e2e brand (tests/e2e/conftest.py): 张{…}7, phone 13812340007, guide G002.
PHONE = "13812340007"
NEEDLES = {
    "phone": PHONE.encode(),
    "reversed phone": PHONE[::-1].encode(),
    "name": "张十7".encode(),
    "note": "回访：想要新款大衣".encode(),
}


def found_in(folder: Path) -> list[str]:
    return [
        f"{what} in {path.name}"
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        for what, needle in NEEDLES.items()
        if needle in path.read_bytes()
    ]


def keyring_entries() -> dict:
    ring = keyring.get_keyring()
    assert isinstance(ring, credentials.MemoryKeyring)
    return dict(ring._items)


def test_a_revoked_terminal_wipes_its_cache_and_keyring_and_refuses_old_data(
    hq: HQ, make_terminal, tmp_path: Path
) -> None:
    till = make_terminal("till")
    till.enroll(hq, "S001")
    assert till.sync().ok
    terminal_id = till.replica().get_state("terminal_id")
    till.follow_up("C0007", "G002", "回访：想要新款大衣")
    # The data is on this terminal (readable through its key) and not in its files' bytes.
    assert till.followup_notes("C0007") == ["回访：想要新款大衣"]
    assert till.conn.execute("SELECT phone FROM customers WHERE id = 'C0007'").fetchone()[0] == (
        PHONE
    )
    folder = till.home
    assert Path(f"{till.db_file}-wal").stat().st_size > 0
    assert not found_in(folder), found_in(folder)
    # What a thief copies now: the database and its WAL.
    stolen = tmp_path / "stolen"
    stolen.mkdir()
    for path in keys.database_files(till.db_file):
        if path.exists():
            shutil.copyfile(path, stolen / path.name)
    folder_id = (folder / keys.FOLDER_ID_FILE).read_text().strip()
    entries = keyring_entries()
    assert (credentials.SERVICE, terminal_id) in entries
    assert (credentials.SERVICE, f"cache-key:{folder_id}") in entries

    hq.run("revoke-terminal", terminal_id)
    report = till.sync()

    assert report.revoked and not report.ok
    # The files are gone, the WAL and SHM with them; what is left holds no personal data.
    left = sorted(p.name for p in folder.iterdir())
    assert db.DB_FILENAME not in left
    assert not [n for n in left if n.startswith(db.DB_FILENAME)], left
    assert keys.WIPED_FILE in left
    marker = json.loads((folder / keys.WIPED_FILE).read_text())
    assert marker["terminal_id"] == terminal_id and marker["wiped_at"]
    assert not found_in(folder), found_in(folder)
    # The keyring holds neither the token nor the cache key.
    assert keyring_entries() == {}
    assert credentials.load_token(terminal_id) is None
    assert credentials.load_cache_key(folder_id) is None
    # A connection the app still had open sees nothing either (the replica emptied it).
    assert till.count("customers") == 0 and till.followup_notes("C0007") == []
    till.close()
    assert not [n for n in sorted(p.name for p in folder.iterdir()) if n.startswith("guide")]

    # The old files put back: refused, by every way in, with the wipe named.
    for path in stolen.iterdir():
        shutil.copyfile(path, folder / path.name)
    with pytest.raises(keys.TerminalWiped, match="wiped"):
        db.connect(till.db_file)
    with pytest.raises(db.StoreError):
        terminal.status_report(till.db_file)
    with pytest.raises(db.StoreError):
        terminal.engine_factory(till.db_file)()
    # The stolen copy stays noise: no keyring entry can decrypt it any more.
    assert not found_in(stolen)


def test_revoke_seen_by_sync_once_prints_a_plain_message_and_old_data_stays_closed(
    hq: HQ, tmp_path: Path, monkeypatch
) -> None:
    """The same through the command line IT uses, in its own processes (a file keyring)."""
    keyrings = tmp_path / "keyring"
    home = tmp_path / "till"
    env = subprocess_env(home, keyrings)
    enrolled = guidedesk("enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=env)
    assert enrolled.returncode == 0, enrolled.stderr
    assert guidedesk("sync", "--once", "--quiet", env=env).returncode == 0
    status = json.loads(guidedesk("status", "--json", env=env).stdout)
    assert status["counts"]["customers"] == 30 and status["wiped_at"] is None
    old = (home / db.DB_FILENAME).read_bytes()

    hq.run("revoke-terminal", status["terminal_id"])
    revoked = guidedesk("sync", "--once", "--quiet", env=env)
    assert revoked.returncode == 1
    assert "Traceback" not in revoked.stderr
    assert "revoked by HQ" in revoked.stderr and "wiped" in revoked.stderr, revoked.stderr
    assert not (home / db.DB_FILENAME).exists()
    share_keyring_with_children(keyrings, monkeypatch)
    assert credentials.load_token(status["terminal_id"]) is None
    folder_id = (home / keys.FOLDER_ID_FILE).read_text().strip()
    assert credentials.load_cache_key(folder_id) is None

    again = guidedesk("sync", "--once", env=env)
    assert again.returncode == 1 and "wiped" in again.stderr, again.stderr
    (home / db.DB_FILENAME).write_bytes(old)
    for args in (("status",), ("sync", "--once")):
        refused = guidedesk(*args, env=env)
        assert refused.returncode == 1, refused.stdout
        assert "Traceback" not in refused.stderr and "wiped" in refused.stderr, refused.stderr
