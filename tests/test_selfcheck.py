"""`guidedesk --self-check [--server URL]`, run as IT runs it: a child process, a real data
folder, a file keyring IT named, a real HQ process (tests/e2e/conftest.py) or a dead port."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app import selfcheck
from app.domain.clock import CLOCK_SKEW
from tests.e2e.conftest import HQ, guidedesk, hq, hq_template, subprocess_env  # noqa: F401


def _lines(stdout: str) -> dict[str, str]:
    """{check name: 'ok' or 'problem'} from the printed lines."""
    found = {}
    for line in stdout.splitlines():
        status, rest = line.split(None, 1)
        found[rest.split(":", 1)[0]] = status
    return found


def _env(tmp_path: Path, home: Path) -> dict[str, str]:
    return {**subprocess_env(home, tmp_path / "keyring"), "QT_QPA_PLATFORM": "offscreen"}


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_good_folder_is_all_ok(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = guidedesk("--self-check", env=_env(tmp_path, home))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _lines(done.stdout) == {
        "data folder": "ok",
        "keyring": "ok",
        "local store": "ok",
        "translations and icons": "ok",
        "clock": "ok",
    }
    assert "no store yet — enrol first" in done.stdout
    assert "PlaintextKeyring" in done.stdout  # which backend


def test_a_folder_others_can_read_is_a_problem(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    done = guidedesk("--self-check", env=_env(tmp_path, home))
    assert done.returncode == 1, done.stdout
    assert _lines(done.stdout)["data folder"] == "problem"
    assert f"chmod 700 {home}" in done.stdout


def test_no_keyring_is_a_problem(tmp_path: Path) -> None:
    env = {
        **_env(tmp_path, tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    done = guidedesk("--self-check", env=env)
    assert done.returncode == 1, done.stdout
    assert _lines(done.stdout)["keyring"] == "problem"
    assert "PYTHON_KEYRING_BACKEND" in done.stdout  # what IT can do


def test_an_enrolled_terminal_with_its_hq(tmp_path: Path, hq: HQ) -> None:  # noqa: F811
    """Enrolled through the command line, synced once: the store opens and decrypts, HQ
    answers, the clock agrees with HQ's."""
    home = tmp_path / "home"
    env = _env(tmp_path, home)
    enrolled = guidedesk("enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=env)
    assert enrolled.returncode == 0, enrolled.stderr
    assert guidedesk("sync", "--once", "--quiet", env=env).returncode == 0
    done = guidedesk("--self-check", "--server", hq.url, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = _lines(done.stdout)
    assert lines["HQ"] == "ok" and lines["local store"] == "ok" and lines["clock"] == "ok"
    assert "opens and decrypts" in done.stdout
    assert "of HQ's clock" in done.stdout


def test_a_dead_port_is_a_problem(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_dead_port()}"
    done = guidedesk("--self-check", "--server", url, env=_env(tmp_path, tmp_path / "home"))
    assert done.returncode == 1, done.stdout
    assert _lines(done.stdout)["HQ"] == "problem"
    assert "does not answer" in done.stdout


def test_a_store_whose_key_is_gone_is_a_problem(tmp_path: Path, hq: HQ) -> None:  # noqa: F811
    home = tmp_path / "home"
    env = _env(tmp_path, home)
    assert (
        guidedesk(
            "enroll", "--server", hq.url, "--code", hq.enroll_code("S001"), env=env
        ).returncode
        == 0
    )
    # another keyring (a copied folder, a cleared keyring): the cache key is not there
    done = guidedesk("--self-check", env={**env, "XDG_DATA_HOME": str(tmp_path / "other")})
    assert done.returncode == 1, done.stdout
    assert _lines(done.stdout)["local store"] == "problem"


def test_the_clock_against_hq() -> None:
    now = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    assert selfcheck.check_clock(now, now + CLOCK_SKEW).ok
    assert not selfcheck.check_clock(now, now + CLOCK_SKEW + timedelta(seconds=1)).ok
    assert not selfcheck.check_clock(now - timedelta(days=365 * 5), None).ok  # 2021
    assert selfcheck.check_clock(now, None).ok


def test_the_data_folder_check_in_process(tmp_path: Path) -> None:
    folder = tmp_path / "terminal"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)
    assert selfcheck.check_data_folder(folder).ok
    (folder / "folder-id").write_text("x")
    os.chmod(folder / "folder-id", 0o644)
    loose = selfcheck.check_data_folder(folder)
    assert not loose.ok and "folder-id (0644)" in loose.text
    assert selfcheck.check_data_folder(tmp_path / "not-yet").ok  # enrolment makes it


def test_report_exit_status(capsys) -> None:  # type: ignore[no-untyped-def]
    assert selfcheck.report([selfcheck.Check("a", True, "fine")]) == 0
    assert (
        selfcheck.report([selfcheck.Check("a", True, "x"), selfcheck.Check("b", False, "y")]) == 1
    )
    assert capsys.readouterr().out.splitlines() == [
        "ok       a: fine",
        "ok       a: x",
        "problem  b: y",
    ]


def test_a_keyring_in_memory_is_a_problem() -> None:
    """tests/conftest.py gives each test an in-memory keyring: gone when the process ends."""
    check = selfcheck.check_keyring()
    assert not check.ok and "in memory" in check.text
