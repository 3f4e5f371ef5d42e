"""The demo's embedded HQ: a real `guidedesk-hq serve` process on loopback.

Only the composition root (app/__main__.py) uses this. The terminal talks to it over
HTTP exactly as it would to a brand's HQ; the HQ database lives in the data folder.

The HQ process never outlives the process that started it, however that one ends:
``stop()`` (a normal end, an exception, Ctrl+C, SIGTERM handled by the caller) stops and
reaps it; if the parent dies without that (kill -9, a crash in native code), the child
notices by itself and exits: it runs ``python -m app.embedded_hq serve …`` (this module's
``main``), which watches its stdin, a pipe whose only writer is the parent (EOF = the
parent is gone), and on Linux also asks the kernel for SIGTERM when the parent dies
(prctl PR_SET_PDEATHSIG). Whoever then reaps it is the OS's init (or a subreaper). On
Windows a Job object would be the OS's way; it is not done: the pipe watchdog is what
stops the HQ there.
"""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx


class EmbeddedHQError(Exception):
    pass


def _hq_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sync.hq.cli", *args]


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "GUIDEDESK_HQ_DB": db_url}


# The parent's pid, for the child's check that it is still there (PR_SET_PDEATHSIG fires
# only for a parent that dies after the prctl call).
PARENT_ENV = "GUIDEDESK_HQ_PARENT"
PR_SET_PDEATHSIG = 1
# After SIGTERM, how long the child gives uvicorn to shut down before it exits anyway.
SHUTDOWN_GRACE_S = 5.0


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
            [
                sys.executable,
                "-m",
                "app.embedded_hq",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env={**_env(self.db_url), PARENT_ENV: str(os.getpid())},
            # The watchdog pipe: only this process holds its write end (close_fds).
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        (self.folder / "hq.pid").write_text(f"{self.process.pid}\n", encoding="ascii")
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

    def already_running(self) -> int | None:
        """The pid of an HQ another demo started on this folder and that still runs, or
        None (a pid file left by a demo that was killed names no live HQ)."""
        try:
            pid = int((self.folder / "hq.pid").read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            if sys.platform.startswith("linux"):
                return None  # no such process
            try:
                os.kill(pid, 0)  # elsewhere: a live process of that pid (maybe reused)
            except OSError:
                return None
            return pid
        return pid if b"app.embedded_hq" in cmdline and b"serve" in cmdline else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def kill(self) -> None:
        """SIGKILL, as a power cut or OOM killer would (tests)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
        self._reap()

    def stop(self) -> None:
        """Stop the HQ and reap it (no zombie), whatever state it is in."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reap()

    def _reap(self) -> None:
        if self.process is None:
            return
        self.process.wait()
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process = None
        (self.folder / "hq.pid").unlink(missing_ok=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the child's side ----------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the HQ child: exit when the parent is gone (see the module docstring)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the pipe below still does it
    parent = os.environ.get(PARENT_ENV)
    if parent and parent.isdigit() and os.getppid() != int(parent):
        os._exit(1)  # the parent died before the prctl: nobody to serve

    def watch() -> None:
        # The raw descriptor, not sys.stdin: a daemon thread blocked inside a buffered
        # reader would hold its lock while the interpreter shuts down (a fatal error).
        fd = sys.stdin.fileno()
        try:
            while os.read(fd, 4096):
                pass
        except OSError:
            pass
        _shut_down()

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _shut_down() -> None:
    """The parent is gone: SIGTERM to ourselves (uvicorn shuts down as for Ctrl+C), and
    exit regardless a little later."""
    killer = threading.Timer(SHUTDOWN_GRACE_S, os._exit, args=(1,))
    killer.daemon = True
    killer.start()
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m app.embedded_hq serve …``: `guidedesk-hq` that dies with its parent.

    Only the child process runs this: it then becomes HQ by running ``sync.hq.cli`` as
    its main module (the terminal's own process never imports HQ's code)."""
    _die_with_parent()
    sys.argv = ["guidedesk-hq", *(argv if argv is not None else sys.argv[1:])]
    runpy.run_module("sync.hq.cli", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
