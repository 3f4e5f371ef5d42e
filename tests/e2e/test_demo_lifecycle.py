"""`guidedesk demo` as processes: the display check, its HQ stopping (and reaped) however
the demo ends, a restart that reuses the enrolment and asks for the PIN, sync and status
on the demo's folder. Real processes, a real demo HQ, real signals.

The machine has no OS keyring here on purpose (``PYTHON_KEYRING_BACKEND`` = keyring's
fail backend): the demo keeps its secrets in its folder's demo keyring, as it does on a
machine without one.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest

from app.__main__ import display_problem
from sync import credentials

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = "300"
PR_SET_CHILD_SUBREAPER = 36
LINUX = sys.platform.startswith("linux")
pytestmark = pytest.mark.skipif(not LINUX, reason="signals, /proc and prctl: Linux")

# Keeps the demo running after its first sync without a window (the product's own
# --keep-running); the crash case raises inside the demo, after its HQ started.
CRASH = (
    "import sys, app.terminal as t\n"
    "def boom(*a, **k):\n"
    "    raise RuntimeError('a bug in the app')\n"
    "t.engine_factory = boom\n"
    "from app.__main__ import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


# The demo with its window (Qt offscreen): once the window is up, say what it shows and
# quit (through the demo's own signal path: the HQ is stopped by the demo).
WHAT_THE_WINDOW_SHOWS = (
    "import os, signal, sys\n"
    "import app.__main__ as m\n"
    "opened = m._open_ui\n"
    "def open_and_look(args, guide_id=None):\n"
    "    from PySide6.QtCore import QTimer\n"
    "    from PySide6.QtWidgets import QApplication, QWidget\n"
    "    def look():\n"
    "        shown = sorted(w.objectName() for w in QApplication.allWidgets()\n"
    "                       if w.objectName() in ('signIn', 'mainWindow') and w.isVisible())\n"
    "        print('WINDOW SHOWS', ' '.join(shown), flush=True)\n"
    "        os.kill(os.getpid(), signal.SIGTERM)\n"
    "    QTimer.singleShot(0, look)\n"
    "    return opened(args, guide_id=guide_id)\n"
    "m._open_ui = open_and_look\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


# The demo with its window: says "WINDOW UP" once Qt's event loop runs with the window.
WINDOW_UP = (
    "import sys\n"
    "import app.__main__ as m\n"
    "opened = m._open_ui\n"
    "def open_and_say(args, guide_id=None):\n"
    "    from PySide6.QtCore import QTimer\n"
    "    QTimer.singleShot(0, lambda: print('WINDOW UP', flush=True))\n"
    "    return opened(args, guide_id=guide_id)\n"
    "m._open_ui = open_and_say\n"
    "sys.exit(m.main(sys.argv[1:]))\n"
)


def demo_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "GUIDEDESK_HOME")
    }
    return {
        **env,
        "GUIDEDESK_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # no OS keyring
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def run(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def hq_cli(home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sync.hq.cli", *args, "--db", hq_db(home)],
        text=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def hq_db(home: Path) -> str:
    return f"sqlite:///{(home / 'demo-hq' / 'hq.sqlite3').resolve()}"


def terminals_at_hq(home: Path) -> int:
    return json.loads(hq_cli(home, "status", "--json"))["counts"]["terminals"]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo folder after its first start (brand built, terminal enrolled, synced)."""
    home = tmp_path_factory.mktemp("demo-template") / "home"
    done = run("demo", "--no-ui", "--customers", CUSTOMERS, env=demo_env(home))
    assert done.returncode == 0, done.stderr
    assert "demo terminal enrolled" in done.stdout
    assert "the demo signs in guide G002" in done.stdout  # the first start: no PIN asked
    assert (home / credentials.DEMO_FOLDER_MARKER).is_file()
    assert (home / credentials.DEMO_KEYRING_FILE).is_file()
    return home


@pytest.fixture
def demo_home(demo_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "demo"
    shutil.copytree(demo_template, home)
    return home


@pytest.fixture
def subreaper() -> Iterator[None]:
    """Orphans of this test's children come to this process, as they would to init: a
    demo HQ that outlived the demo is then seen (and reaped) here, not by the OS."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    hq_url: str
    hq_pid: int
    output: list[str]
    home: Path


def start_demo(home: Path, *args: str, until: str, env: dict[str, str]) -> RunningDemo:
    """Start the demo and read its output until a line containing ``until``."""
    process = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    watchdog = threading.Timer(120, process.kill)  # a hung child fails the test
    watchdog.start()
    lines: list[str] = []
    url = pid = None
    try:
        for line in process.stdout:
            lines.append(line)
            if found := re.search(r"demo HQ at (http://127\.0\.0\.1:\d+) \(pid (\d+)\)", line):
                url, pid = found[1], int(found[2])
            if until in line:
                break
    finally:
        watchdog.cancel()
    assert url and pid, "".join(lines)
    return RunningDemo(process, url, pid, lines, home)


def answers(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def state_of(pid: int) -> str | None:
    """The process's state letter from /proc (Z = zombie), None when there is no such pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def reap_orphan(pid: int, timeout: float = 15.0) -> int:
    """Wait for the orphaned HQ (this subreaper's child now) to end by itself, and reap it;
    its wait status. A HQ still there after ``timeout`` is killed so the test fails
    instead of hanging (then it did not end by itself: asserted by the caller)."""
    guard = threading.Timer(timeout, os.kill, args=(pid, signal.SIGKILL))
    guard.start()
    try:
        reaped, status = os.waitpid(pid, 0)
    finally:
        guard.cancel()
    assert reaped == pid
    return status


def assert_orphan_ended_by_itself(demo: RunningDemo) -> None:
    """After kill -9 of the demo: its HQ noticed and exited on its own, was reaped by its
    new parent (init; here this subreaper), and nothing listens on its port."""
    status = reap_orphan(demo.hq_pid)
    assert not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL), (
        "the HQ outlived the demo until the test killed it"
    )
    assert state_of(demo.hq_pid) is None
    assert not answers(demo.hq_url)
    assert_clean_hq_log(demo)


def assert_hq_stopped_and_reaped_by_the_demo(demo: RunningDemo) -> None:
    """The demo stopped its HQ and waited for it before it ended: the HQ never became an
    orphan (it would be this subreaper's child then), is no zombie, its port is closed."""
    assert not answers(demo.hq_url)
    assert state_of(demo.hq_pid) is None, f"HQ {demo.hq_pid}: {state_of(demo.hq_pid)}"
    with pytest.raises(ChildProcessError):
        os.waitpid(demo.hq_pid, os.WNOHANG)
    assert_clean_hq_log(demo)


def assert_clean_hq_log(demo: RunningDemo) -> None:
    log = (demo.home / "demo-hq" / "hq-server.log").read_text(encoding="utf-8", errors="replace")
    assert "Fatal Python error" not in log and "Traceback" not in log, log[-2000:]


def rest(demo: RunningDemo) -> str:
    out, _ = demo.process.communicate(timeout=30)
    return "".join(demo.output) + (out or "")


# -- the display check ---------------------------------------------------------------------


def test_without_a_display_the_demo_says_so_at_once_and_starts_nothing(tmp_path: Path) -> None:
    home = tmp_path / "no-display"
    started = time.monotonic()
    done = run("demo", "--customers", CUSTOMERS, env=demo_env(home), timeout=30)
    took = time.monotonic() - started
    assert done.returncode == 3
    assert "no display" in done.stderr and "DISPLAY" in done.stderr
    for fix in ("desktop session", "xvfb-run guidedesk demo", "guidedesk demo --no-ui"):
        assert fix in done.stderr
    assert "demo HQ at" not in done.stdout + done.stderr
    assert not home.exists()  # no folder, no HQ database, no HQ process
    assert took < 15  # the import of the app, not a first sync


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "wayland"}, True),
        ({"DISPLAY": ":0"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "minimal"}, False),
    ],
)
def test_display_problem_rules(env: dict[str, str], expected: bool) -> None:
    assert (display_problem(env, "linux") is not None) is expected
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


# -- the demo's HQ ends with the demo ------------------------------------------------------


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_hq_stops_when_the_demo_is_interrupted(demo_home: Path, subreaper, how) -> None:
    demo = start_demo(
        demo_home,
        "-m",
        "app",
        "demo",
        "--no-ui",
        "--keep-running",
        until="keeps running until Ctrl+C",
        env=demo_env(demo_home),
    )
    assert answers(demo.hq_url)
    demo.process.send_signal(how)
    rest(demo)
    assert demo.process.returncode in (130, 128 + how)
    assert_hq_stopped_and_reaped_by_the_demo(demo)


def test_hq_stops_when_the_app_crashes(demo_home: Path, subreaper) -> None:
    demo = start_demo(
        demo_home,
        "-c",
        CRASH,
        "demo",
        "--no-ui",
        until="demo HQ at",
        env=demo_env(demo_home),
    )
    output = rest(demo)
    assert demo.process.returncode == 1
    assert "RuntimeError: a bug in the app" in output
    assert_hq_stopped_and_reaped_by_the_demo(demo)


def test_hq_stops_when_the_demo_is_killed(demo_home: Path, subreaper) -> None:
    demo = start_demo(
        demo_home,
        "-m",
        "app",
        "demo",
        "--no-ui",
        "--keep-running",
        until="keeps running until Ctrl+C",
        env=demo_env(demo_home),
    )
    demo.process.send_signal(signal.SIGKILL)
    rest(demo)
    assert demo.process.returncode == -signal.SIGKILL
    assert_orphan_ended_by_itself(demo)
    # The killed demo's pid file names no live HQ: the next start is not held up by it.
    again = run("demo", "--no-ui", env=demo_env(demo_home))
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_hq_stops_when_the_window_app_ends(demo_home: Path, subreaper, how) -> None:
    # The demo with its window (Qt offscreen: drawn without a display).
    demo = start_demo(
        demo_home,
        "-c",
        WINDOW_UP,
        "demo",
        until="WINDOW UP",
        env=demo_env(demo_home, QT_QPA_PLATFORM="offscreen"),
    )
    demo.process.send_signal(how)  # lands in Qt's event loop
    rest(demo)
    if how == signal.SIGKILL:
        assert_orphan_ended_by_itself(demo)
    else:
        assert demo.process.returncode == 128 + how
        assert_hq_stopped_and_reaped_by_the_demo(demo)


# -- restart, sync and status --------------------------------------------------------------


def test_a_restart_reuses_the_enrolment_and_asks_for_the_pin(demo_home: Path) -> None:
    assert terminals_at_hq(demo_home) == 1
    done = run("demo", "--no-ui", env=demo_env(demo_home))
    assert done.returncode == 0, done.stderr
    assert "enrolled before: reused" in done.stdout
    assert "sign-in screen: choose a guide, PIN 246810" in done.stdout
    assert "the demo signs in guide" not in done.stdout
    assert terminals_at_hq(demo_home) == 1  # no new terminal at HQ


def window_shows(home: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WHAT_THE_WINDOW_SHOWS, "demo", "--customers", CUSTOMERS],
        env=demo_env(home, QT_QPA_PLATFORM="offscreen"),
        text=True,
        capture_output=True,
        timeout=180,
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("WINDOW SHOWS")]
    return line.removeprefix("WINDOW SHOWS").strip()


def test_the_window_signs_in_on_the_first_start_and_asks_for_the_pin_after(
    tmp_path: Path, subreaper
) -> None:
    home = tmp_path / "window-demo"
    assert window_shows(home) == "mainWindow"  # the first start: the guide is signed in
    assert window_shows(home) == "signIn"  # a restart: the PIN is asked
    assert terminals_at_hq(home) == 1


def test_sync_and_status_on_the_demo_folder(demo_home: Path, subreaper) -> None:
    env = demo_env(demo_home)
    # HQ not running: said plainly, with what to do.
    done = run("sync", "--once", env=env)
    assert done.returncode == 1
    assert "start `guidedesk demo`" in done.stderr
    status = json.loads(run("status", "--json", env=env).stdout)
    assert status["demo"]["hq_running"] is False
    assert "start `guidedesk demo`" in status["demo"]["hq"]
    # HQ running: both work on the demo's folder.
    demo = start_demo(
        demo_home,
        "-m",
        "app",
        "demo",
        "--no-ui",
        "--keep-running",
        until="keeps running until Ctrl+C",
        env=env,
    )
    try:
        done = run("sync", "--once", env=env)
        assert done.returncode == 0, done.stderr
        assert "sync ok" in done.stdout
        status = json.loads(run("status", "--json", env=env).stdout)
        assert status["demo"]["hq_running"] is True and status["ready"] is True
        assert status["demo"]["hq_database"] == hq_db(demo_home)
        assert status["server"] == demo.hq_url
        # The demo guide and the manager sign in at the demo HQ with the README's PIN,
        # without a forced change.
        for guide_id in ("G002", "G001"):
            answer = sign_in_at_demo_hq(demo_home, guide_id, "246810")
            assert answer.guide_id == guide_id and answer.must_change_pin is False
        # A second demo on the same folder is refused (one HQ per demo database).
        second = run("demo", "--no-ui", env=env)
        assert second.returncode == 1
        assert f"its HQ is process {demo.hq_pid}" in second.stderr
        assert terminals_at_hq(demo_home) == 1
    finally:
        demo.process.send_signal(signal.SIGINT)
        rest(demo)
    assert_hq_stopped_and_reaped_by_the_demo(demo)


def sign_in_at_demo_hq(home: Path, guide_id: str, pin: str):  # type: ignore[no-untyped-def]
    from app import terminal
    from app.store import db

    previous = keyring.get_keyring()
    keyring.set_keyring(credentials.DemoFolderKeyring(home))
    try:
        conn = db.connect(home / db.DB_FILENAME)
        try:
            return terminal.GuideAuthority().sign_in(conn, guide_id, pin)
        finally:
            conn.close()
    finally:
        keyring.set_keyring(previous)


def test_status_counts_audit_records_apart_from_edits(demo_home: Path) -> None:
    from app.store import customers, db

    previous = keyring.get_keyring()
    keyring.set_keyring(credentials.DemoFolderKeyring(demo_home))
    try:
        conn = db.connect(demo_home / db.DB_FILENAME)
        try:
            (customer_id,) = conn.execute(
                "SELECT id FROM customers WHERE guide_id = 'G002' LIMIT 1"
            ).fetchone()
            when = "2026-11-22T09:00:00Z"
            customers.reveal_phone(conn, customer_id=customer_id, guide_id="G002", now=when)
            customers.copy_phone(conn, customer_id=customer_id, guide_id="G002", now=when)
            customers.log_followup(
                conn,
                customer_id=customer_id,
                guide_id="G002",
                channel="call",
                note="回访",
                now=when,
            )
        finally:
            conn.close()
    finally:
        keyring.set_keyring(previous)
    status = json.loads(run("status", "--json", env=demo_env(demo_home)).stdout)
    assert (status["pending"], status["pending_edits"], status["pending_audit_records"]) == (
        3,
        1,
        2,
    )


def test_enroll_refuses_a_demo_folder(demo_home: Path) -> None:
    done = run("enroll", "--server", "http://127.0.0.1:9", "--code", "X", env=demo_env(demo_home))
    assert done.returncode == 1
    assert "belongs to `guidedesk demo`" in done.stderr


def test_the_demo_keyring_refuses_a_folder_the_demo_did_not_make(tmp_path: Path) -> None:
    with pytest.raises(credentials.CredentialError):
        credentials.DemoFolderKeyring(tmp_path)
    assert not credentials.use_demo_keyring_if_needed(tmp_path)


def test_the_demo_refuses_a_real_terminals_folder(tmp_path: Path) -> None:
    home = tmp_path / "real"
    home.mkdir()
    (home / "guidedesk.sqlite3").write_bytes(b"a real terminal's cache")
    done = run("demo", "--no-ui", env=demo_env(home))
    assert done.returncode == 1
    assert "holds a real terminal's data" in done.stderr
    assert not (home / credentials.DEMO_FOLDER_MARKER).exists()
    assert not (home / "demo-hq").exists()


def test_hq_help_has_no_rest_markup() -> None:
    import argparse

    from sync.hq.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    texts = [parser.format_help(), *(p.format_help() for p in sub.choices.values())]
    assert len(texts) > 20
    for text in texts:
        assert "``" not in text and ":class:" not in text, text
    assert "--db" in texts[0]  # where the database is given
