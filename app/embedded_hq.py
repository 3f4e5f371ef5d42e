"""The demo's embedded HQ: a real `guidedesk-hq serve` process on loopback.

Only the composition root (app/__main__.py) uses this. The terminal talks to it over
HTTP exactly as it would to a brand's HQ; the HQ database lives in the data folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


class EmbeddedHQError(Exception):
    pass


def _hq_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sync.hq.cli", *args]


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "GUIDEDESK_HQ_DB": db_url}


class EmbeddedHQ:
    """Prepare (once), start, use and stop the demo HQ."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.db_url = f"sqlite:///{(folder / 'hq.sqlite3').resolve()}"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def prepare(self, customers: int) -> bool:
        """Create the demo brand unless it is there already. True when it was created."""
        marker = self.folder / "demo-ready"
        if marker.exists():
            return False
        for args in (("init",), ("demo-data", "--customers", str(customers))):
            done = subprocess.run(_hq_command(*args), env=_env(self.db_url), check=False)
            if done.returncode != 0:
                raise EmbeddedHQError(f"guidedesk-hq {' '.join(args)} failed ({done.returncode})")
        marker.write_text(str(customers), encoding="utf-8")
        return True

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one `guidedesk-hq` admin command against this HQ's database."""
        return subprocess.run(
            _hq_command(*args), env=_env(self.db_url), capture_output=True, text=True, check=False
        )

    def enroll_code(self, store: str) -> str:
        done = self.cli("enroll-code", "--store", store)
        if done.returncode != 0:
            raise EmbeddedHQError(f"enroll-code failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def start(self, port: int | None = None, timeout_s: float = 30.0, workers: int = 1) -> str:
        port = port or _free_port()
        log = open(self.folder / "hq-server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            _hq_command(
                "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)
            ),
            env=_env(self.db_url),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedHQError(f"demo HQ exited early; see {self.folder / 'hq-server.log'}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling a child process's start-up, not on a UI thread
        self.stop()
        raise EmbeddedHQError("demo HQ did not start in time")

    def kill(self) -> None:
        """SIGKILL, as a power cut or OOM killer would (tests)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
