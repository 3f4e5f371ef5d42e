"""The frozen terminal (PyInstaller one-folder build, packaging/) as IT runs it: its version,
its self-check offscreen, and an enrolment and one sync against a real HQ process.

The frozen child gets a keyring the way IT would name one: ``PYTHON_KEYRING_BACKEND`` set to
keyrings.alt's file backend, which the build carries (a frozen program ignores PYTHONPATH,
so only a backend inside the build can be named). Its file lives in this test's folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from app import __version__
from tests.e2e.conftest import HQ

NO_SERVER_PACKAGES = ("fastapi", "uvicorn", "sqlalchemy", "starlette")


def frozen_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no PYTHONPATH (the build must carry everything), a data folder
    and a file keyring of its own, Qt offscreen."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "QT_", "XDG_", "GUIDEDESK_", "DBUS_"))
    }
    env.update(
        GUIDEDESK_HOME=str(tmp_path / "terminal"),
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "keyring"),
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path / "os-home"),
    )
    return env


def run(program: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(program), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_build_carries_no_hq_server(frozen: Path) -> None:
    internal = frozen.parent / "_internal"
    names = {p.name.lower() for p in internal.iterdir()}
    for package in NO_SERVER_PACKAGES:
        assert not any(n == package or n.startswith(f"{package}-") for n in names), package
    assert not list(internal.rglob("libQt6WebEngine*"))
    assert not list(internal.rglob("libQt6Quick*"))


def test_frozen_version(frozen: Path, tmp_path: Path) -> None:
    done = run(frozen, "--version", env=frozen_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


def test_frozen_self_check_and_sync_with_hq(frozen: Path, hq: HQ, tmp_path: Path) -> None:
    env = frozen_env(tmp_path)
    checked = run(frozen, "--self-check", "--server", hq.url, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert any("translations and icons" in line and line.startswith("ok") for line in lines)
    assert any("keyring" in line and line.startswith("ok") for line in lines)

    code = hq.enroll_code("S001")
    enrolled = run(frozen, "enroll", "--server", hq.url, "--code", code, env=env)
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert "enrolled" in enrolled.stdout

    synced = run(frozen, "sync", "--once", env=env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "sync ok" in synced.stdout
    pulled = int(synced.stdout.rsplit("pulled ", 1)[1].split(",")[0])
    assert pulled > 0  # the store's 30 customers (and more) came down

    # After enrolling, the self-check opens (decrypts) the store with the key in the keyring.
    again = run(frozen, "--self-check", "--server", hq.url, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    store_line = next(line for line in again.stdout.splitlines() if "local store" in line)
    assert store_line.startswith("ok"), store_line
