"""The terminal's cache at rest: encrypted (SQLCipher, a random key in the keyring), its
folder private, a plain cache from before migrated once, and refusals that say why.

The files are read as bytes, as someone who copies the data folder would read them.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.store import customers, db, keys, outbox
from app.store.customers import CustomerQuery, search_customers
from app.store.replica import TerminalReplica
from sync import credentials
from tests.store.helpers import customer_change

NOW = "2026-11-22T10:30:00Z"
NAME, PHONE = "欧阳娜娜", "13912348765"
SECRETS = {
    "name": NAME.encode("utf-8"),
    "phone": PHONE.encode("ascii"),
    "reversed phone": PHONE[::-1].encode("ascii"),  # the tail search key
    "phone tail": PHONE[-4:].encode("ascii") + b" ",
}
REPO = Path(__file__).resolve().parents[2]


def fill(conn, clock, *, followups: int = 1) -> None:
    TerminalReplica(conn, clock=clock).apply_page(
        [customer_change("C1", NAME, PHONE), customer_change("C2", "李娜", "13800001111")],
        "1",
        more=False,
    )
    for n in range(followups):
        customers.log_followup(
            conn,
            customer_id="C1",
            guide_id="G001",
            channel="call",
            note=f"{NAME} {PHONE} #{n}",
            now=NOW,
        )


def files_of(db_file: Path) -> list[Path]:
    return sorted(p for p in db_file.parent.glob(db_file.name + "*") if p.is_file())


def holding(db_file: Path) -> list[str]:
    return [
        f"{what} in {path.name}"
        for path in files_of(db_file)
        for what, needle in SECRETS.items()
        if needle in path.read_bytes()
    ]


def folder_id(db_file: Path) -> str:
    return (db_file.parent / keys.FOLDER_ID_FILE).read_text().strip()


def test_the_files_hold_no_phone_or_name_wal_included(tmp_path: Path, clock) -> None:
    db_file = tmp_path / "home" / db.DB_FILENAME
    db_file.parent.mkdir()
    conn = db.connect(db_file)
    try:
        fill(conn, clock, followups=20)
        # The data is there (the check below can fail) …
        hits = search_customers(conn, CustomerQuery(text=PHONE[-4:]), today=clock().date())
        assert [r[0] for r in hits.rows] == ["C1"]
        assert conn.execute("SELECT phone FROM customers WHERE id = 'C1'").fetchone()[0] == PHONE
        # … and written while this connection is open: the WAL holds the recent pages.
        names = {p.name for p in files_of(db_file)}
        assert {db_file.name, db_file.name + "-wal"} <= names
        assert Path(f"{db_file}-wal").stat().st_size > 0
        assert not holding(db_file), holding(db_file)
        assert db_file.read_bytes()[:16] != keys.PLAIN_HEADER
    finally:
        conn.close()
    assert not holding(db_file), holding(db_file)
    # The key is in the keyring (32 random bytes), in no file of the folder.
    key = credentials.load_cache_key(folder_id(db_file))
    assert key is not None and len(key) == 32
    for path in db_file.parent.iterdir():
        data = path.read_bytes()
        assert key not in data and key.hex().encode() not in data, path.name


def test_a_plain_driver_connection_without_the_key_reads_nothing(tmp_path: Path, clock) -> None:
    from app.store.sqlite import driver

    db_file = tmp_path / db.DB_FILENAME
    conn = db.connect(db_file)
    fill(conn, clock)
    conn.close()
    raw = driver.connect(db_file)
    with pytest.raises(driver.DatabaseError, match="not a database"):
        raw.execute("SELECT count(*) FROM customers").fetchone()
    raw.close()


def test_the_data_folder_is_private(tmp_path: Path, clock, monkeypatch) -> None:
    home = tmp_path / "data"
    monkeypatch.setenv(db.HOME_ENV, str(home))
    folder = db.data_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    conn = db.connect(db.db_path())
    fill(conn, clock)
    written = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert {db.DB_FILENAME, db.DB_FILENAME + "-wal", db.DB_FILENAME + "-shm"} <= set(written)
    assert keys.FOLDER_ID_FILE in written
    assert set(written.values()) == {0o600}, written
    conn.close()
    # Modes someone loosened are fixed at the next start.
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    conn = db.connect(db.db_path(db.data_dir()))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    conn.close()


def make_plain_cache(db_file: Path, clock, monkeypatch, followups: int) -> list[str]:
    """A cache as GuideDesk wrote it before encryption: plain SQLite, outbox pending."""
    with monkeypatch.context() as plain:
        plain.setattr(db, "cache_key_of", lambda path: None)
        conn = db.connect(db_file)
        fill(conn, clock, followups=followups)
        pending = [e.mutation_id for e in outbox.pending(conn)]
        # Left as a crash would leave it: the last writes still in the WAL.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        customers.log_followup(
            conn, customer_id="C2", guide_id="G001", channel="sms", note="晚到", now=NOW
        )
        pending = [e.mutation_id for e in outbox.pending(conn)]
        assert Path(f"{db_file}-wal").stat().st_size > 0
        assert holding(db_file)  # plain: the phone is readable in the bytes
        snapshot = {p.name: p.read_bytes() for p in files_of(db_file)}
        conn.close()
    # Put back the files as the crash left them (the close checkpointed and removed the WAL).
    for name, data in snapshot.items():
        (db_file.parent / name).write_bytes(data)
    assert Path(f"{db_file}-wal").exists()
    return pending


def test_a_plain_cache_is_encrypted_in_place_with_its_outbox(
    tmp_path: Path, clock, monkeypatch
) -> None:
    db_file = tmp_path / db.DB_FILENAME
    pending = make_plain_cache(db_file, clock, monkeypatch, followups=5)
    assert len(pending) == 6

    conn = db.connect(db_file)
    try:
        assert [e.mutation_id for e in outbox.pending(conn)] == pending
        notes = {r[0] for r in conn.execute("SELECT note FROM followups")}
        assert "晚到" in notes  # the write that was only in the plain WAL
        hits = search_customers(conn, CustomerQuery(text="oyn"), today=clock().date())
        assert [r[0] for r in hits.rows] == ["C1"]  # the FTS index came along
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        fill_more = customers.log_followup(
            conn, customer_id="C1", guide_id="G001", channel="call", note="新", now=NOW
        )
        assert fill_more.followups
    finally:
        conn.close()
    assert db_file.read_bytes()[:16] != keys.PLAIN_HEADER
    assert not holding(db_file), holding(db_file)
    assert {p.name for p in files_of(db_file)} <= {db_file.name}  # no plain WAL, no copy
    # Once: the next open just opens it.
    conn = db.connect(db_file)
    assert len(outbox.pending(conn)) == 7
    conn.close()


def test_a_missing_key_is_a_plain_refusal_and_the_file_is_untouched(tmp_path: Path, clock) -> None:
    db_file = tmp_path / db.DB_FILENAME
    conn = db.connect(db_file)
    fill(conn, clock)
    conn.close()
    before = db_file.read_bytes()
    (db_file.parent / keys.IN_MEMORY_FILE).unlink()  # as with an OS keyring
    credentials.forget_cache_key(folder_id(db_file))  # as on another machine
    with pytest.raises(keys.KeyMissing) as raised:
        db.connect(db_file)
    assert isinstance(raised.value, db.StoreError)
    assert "密钥" in str(raised.value) and "key is not in this keyring" in str(raised.value)
    assert db_file.read_bytes() == before
    assert credentials.load_cache_key(folder_id(db_file)) is None  # no new key was made


def test_another_folders_file_is_refused_as_undecryptable(tmp_path: Path, clock) -> None:
    mine = tmp_path / "mine" / db.DB_FILENAME
    theirs = tmp_path / "theirs" / db.DB_FILENAME
    for path in (mine, theirs):
        path.parent.mkdir()
        conn = db.connect(path)
        fill(conn, clock)
        conn.close()
    mine.write_bytes(theirs.read_bytes())
    with pytest.raises(keys.WrongKey) as raised:
        db.connect(mine)
    assert isinstance(raised.value, db.StoreError)
    assert "cannot be decrypted" in str(raised.value)
    assert raised.value.__cause__.sqlite_errorname == "SQLITE_NOTADB"


def test_no_persistent_keyring_refuses_to_open(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())  # the conftest fixture puts the previous one back
    with pytest.raises(keys.NoKeyring) as raised:
        db.connect(tmp_path / db.DB_FILENAME)
    assert "keyring" in str(raised.value)
    assert not (tmp_path / db.DB_FILENAME).exists()


def test_the_raw_key_form_runs_no_kdf(tmp_path: Path) -> None:
    """``x'…'``: the 256 random bits are the key; a passphrase would run PBKDF2 (256,000
    iterations of HMAC-SHA512) at every open of every connection."""
    import time

    from app.store.sqlite import driver

    key = bytes(range(32))
    assert keys.key_pragma(key) == f"PRAGMA key = \"x'{key.hex()}'\""
    db.connect(tmp_path / db.DB_FILENAME).close()

    def fastest(open_once) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            open_once()
            times.append(time.perf_counter() - started)
        return min(times)

    def passphrase_open() -> None:
        conn = driver.connect(tmp_path / "passphrase.sqlite3")
        conn.execute("PRAGMA key = 'a passphrase'")  # SQLCipher's default KDF
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.close()

    made = driver.connect(tmp_path / "passphrase.sqlite3")
    made.execute("PRAGMA key = 'a passphrase'")
    made.execute("CREATE TABLE t (x)")
    made.commit()
    made.close()
    raw = fastest(lambda: db.connect(tmp_path / db.DB_FILENAME).close())
    derived = fastest(passphrase_open)
    assert raw < derived / 2, (raw, derived)


def cli(home: Path, keyring_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GUIDEDESK_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(keyring_dir),
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_demo_folder_with_an_in_memory_key_is_refused_by_another_process(
    tmp_path: Path, clock
) -> None:
    """What `guidedesk demo` leaves without an OS keyring: its key was in its own memory
    (the tests' MemoryKeyring here); `guidedesk sync --once` says so, no traceback."""
    home = tmp_path / "demo-home"
    home.mkdir()
    conn = db.connect(home / db.DB_FILENAME)
    fill(conn, clock)
    conn.close()
    assert (home / keys.IN_MEMORY_FILE).exists()
    for args in (("sync", "--once"), ("status",)):
        done = cli(home, tmp_path / "keyring", *args)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "guidedesk demo" in done.stderr and "memory" in done.stderr, done.stderr


def test_the_demo_starts_a_new_cache_when_its_in_memory_key_is_gone(tmp_path: Path, clock) -> None:
    """`guidedesk demo` without an OS keyring: the next run (a new process, a new in-memory
    keyring) cannot decrypt the last cache, removes it and opens a new one."""
    from app import terminal

    db_file = tmp_path / db.DB_FILENAME
    conn = db.connect(db_file)
    fill(conn, clock)
    conn.close()
    keyring.set_keyring(credentials.MemoryKeyring())  # the next demo process
    with pytest.raises(keys.KeyMissing):
        db.connect(db_file)
    assert terminal.discard_unreadable_demo_cache(db_file)
    assert not db_file.exists()
    conn = db.connect(db_file)
    assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    conn.close()
    assert not terminal.discard_unreadable_demo_cache(db_file)  # it opens: nothing removed


def test_a_wiped_folder_refuses_a_plain_copy_too(tmp_path: Path, clock, monkeypatch) -> None:
    """After a revoke's wipe, even a plain cache from before encryption put back is never
    migrated and opened."""
    db_file = tmp_path / db.DB_FILENAME
    make_plain_cache(db_file, clock, monkeypatch, followups=1)
    plain = {p.name: p.read_bytes() for p in files_of(db_file)}
    keys.wipe(db_file, terminal_id="T1", when=NOW)
    assert not db_file.exists()
    for name, data in plain.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(keys.TerminalWiped):
        db.connect(db_file)
    assert db_file.read_bytes() == plain[db_file.name]  # left as it was, not encrypted


def test_the_store_speaks_only_to_its_driver() -> None:
    """A module of the store that imported the stdlib sqlite3 would catch none of the
    driver's errors (``except sqlite3.Error``) and build rows the driver refuses."""
    import ast

    offenders = []
    for path in sorted((REPO / "app" / "store").rglob("*.py")):
        # Module-level imports (one under ``if TYPE_CHECKING:`` names types only).
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if "sqlite3" in names:
                offenders.append(str(path.relative_to(REPO)))
    assert not offenders, offenders
