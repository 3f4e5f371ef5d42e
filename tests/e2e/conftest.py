"""End-to-end fixtures: a real HQ server process over HTTP, real terminal SQLite files."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest

from app import terminal
from app.embedded_hq import EmbeddedHQ
from app.store import customers, db
from app.store.replica import TerminalReplica, sync_status
from sync import client

REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """One store terminal: its own data folder and database, enrolled with the test HQ."""

    def __init__(self, home: Path, name: str) -> None:
        self.home = home
        self.name = name
        home.mkdir(parents=True, exist_ok=True)
        self.db_file = home / db.DB_FILENAME
        self.conn = db.connect(self.db_file)
        self.now = datetime.now(UTC)

    def clock(self) -> datetime:
        return self.now

    def enroll(self, hq: EmbeddedHQ, store: str) -> None:
        self.enroll_with(hq, hq.enroll_code(store))

    def enroll_with(self, hq: EmbeddedHQ, code: str) -> None:
        terminal.enroll_terminal(self.db_file, hq.url, code, self.name)

    def engine(self, **options: Any) -> client.SyncEngine:
        options.setdefault("sleep", lambda s: None)
        return terminal.engine_factory(self.db_file, clock=self.clock, **options)()

    def sync(self, **options: Any) -> client.SyncReport:
        engine = self.engine(**options)
        try:
            return engine.sync_once()
        finally:
            engine.close()

    def follow_up(self, customer_id: str, guide_id: str, note: str) -> str:
        changes = customers.log_followup(
            self.conn,
            customer_id=customer_id,
            guide_id=guide_id,
            channel="wechat",
            note=note,
            now=client.iso(self.clock()),
        )
        return next(iter(changes.followups))

    def followup_notes(self, customer_id: str) -> list[str]:
        return sorted(
            r[0]
            for r in self.conn.execute(
                "SELECT note FROM followups WHERE customer_id = ?", (customer_id,)
            )
        )

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def status(self):
        return sync_status(self.conn)

    def replica(self) -> TerminalReplica:
        return TerminalReplica(self.conn, clock=self.clock)

    def close(self) -> None:
        self.conn.close()


class HQ(EmbeddedHQ):
    def run(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, f"guidedesk-hq {' '.join(args)}: {done.stderr}"
        return done.stdout

    def status(self, store: str | None = None) -> dict:
        return json.loads(self.run("status", "--json", *(("--store", store) if store else ())))

    def restart(self) -> None:
        port = int(self.url.rsplit(":", 1)[1])
        self.start(port=port)


@pytest.fixture(scope="session")
def hq_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small brand built once through the real `guidedesk-hq` admin commands; each test
    gets its own copy of the database file."""
    tmp_path = tmp_path_factory.mktemp("hq-template")
    server = HQ(tmp_path / "hq")
    server.run("init")
    server.run("add-store", "S001", "上海南京西路店")
    server.run("add-store", "S002", "杭州湖滨店")
    server.run("add-guide", "G001", "王芳", "--store", "S001", "--manager", "--pin", "246810")
    server.run("add-guide", "G002", "李娜", "--store", "S001", "--pin", "246810")
    server.run("add-guide", "G003", "陈静", "--store", "S002", "--pin", "246810")
    csv = tmp_path / "customers.csv"
    rows = ["customer_id,name,phone,gender,birthday,store,guide,tier,points,tags,joined_at"]
    for i in range(1, 41):
        store, guide = ("S001", "G002") if i <= 30 else ("S002", "G003")
        rows.append(
            f"C{i:04d},张{'三四五六七八九十'[i % 8]}{i},1381234{i:04d},女,1990-0{1 + i % 9}-1{i % 9},{store},{guide},普通,{i * 10},新品控|职场通勤,2024-03-01"
        )
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    server.run("import-customers", str(csv))
    purchases = tmp_path / "purchases.csv"
    prow = ["order_id,customer_id,store,guide,paid_at,amount,items"]
    for i in range(1, 41):
        store, guide = ("S001", "G002") if i <= 30 else ("S002", "G003")
        prow.append(
            f"O{i:05d},C{i:04d},{store},{guide},2026-10-0{1 + i % 9}T10:00:00Z,{199 + i}.00,SKU{i % 5}*1"
        )
    purchases.write_text("\n".join(prow) + "\n", encoding="utf-8")
    server.run("import-purchases", str(purchases))
    return tmp_path / "hq"


@pytest.fixture
def hq(tmp_path: Path, hq_template: Path) -> Iterator[HQ]:
    server = HQ(tmp_path / "hq")
    for part in hq_template.glob("hq.sqlite3*"):
        shutil.copyfile(part, tmp_path / "hq" / part.name)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_terminal(tmp_path: Path):
    made: list[Terminal] = []

    def make(name: str) -> Terminal:
        t = Terminal(tmp_path / f"terminal-{name}", name)
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


def subprocess_env(home: Path, keyring_dir: Path) -> dict[str, str]:
    """Environment for a `guidedesk` child process: its data folder and a file keyring."""
    return {
        **os.environ,
        "GUIDEDESK_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(keyring_dir),
        "PYTHONPATH": str(REPO),
    }


def share_keyring_with_children(keyring_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process uses the file keyring of ``subprocess_env``'s children, so it can
    open (decrypt) the data folders they made: the cache key is in that keyring."""
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(keyring_dir))
    ring = PlaintextKeyring()
    ring.file_path = str(keyring_dir / "python_keyring" / ring.filename)
    keyring.set_keyring(ring)  # tests/conftest.py puts the previous one back


def guidedesk(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the `guidedesk` command line to its end, as IT's scripts would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


@dataclass(frozen=True)
class Killed:
    """Where a killed `guidedesk` was: the last progress line it printed, its exit status."""

    phase: str
    done: int
    total: int
    returncode: int


def guidedesk_killed_when(
    at: Callable[[str, int, int], bool], *args: str, env: dict[str, str], timeout: float = 120
) -> Killed | None:
    """Start `guidedesk` and kill -9 it as soon as a progress line it prints ("push 35/400",
    "pull 12/470", after that much is acknowledged or applied) satisfies ``at(phase, done,
    total)``. None when it ended first. The test waits on what the child reports, not on a
    clock."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    watchdog = threading.Timer(timeout, process.kill)  # a hung child fails, not hangs, the test
    watchdog.start()
    killed: Killed | None = None
    pending = b""
    try:
        while killed is None:
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break  # it ended before the moment came
            # Progress lines start with \r; a line is whole once the next one begins.
            *lines, pending = (pending + chunk).split(b"\r")
            for line in lines:
                match = re.fullmatch(rb"(\w+) (\d+)/(\d+)", line.strip())
                if match and at(match[1].decode(), int(match[2]), int(match[3])):
                    process.send_signal(signal.SIGKILL)
                    returncode = process.wait()
                    killed = Killed(match[1].decode(), int(match[2]), int(match[3]), returncode)
                    break
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
    return killed


def wait_http(url: str) -> None:
    httpx.get(url + "/healthz", timeout=5).raise_for_status()
