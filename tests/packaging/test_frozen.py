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


def frozen_modules(program: Path) -> set[str]:
    """The Python modules inside the build (PyInstaller's archive in the program)."""
    from PyInstaller.archive.readers import CArchiveReader

    return set(CArchiveReader(str(program)).open_embedded_archive("PYZ.pyz").toc)


def test_the_build_carries_no_hq_server_and_no_unused_qt(frozen: Path) -> None:
    modules = frozen_modules(frozen)
    assert {"app.__main__", "sync.client", "sqlcipher3", "argon2", "keyring"} <= modules
    server = {m for m in modules if m.split(".")[0] in NO_SERVER_PACKAGES}
    assert not server
    assert not {m for m in modules if m == "sync.hq" or m.startswith("sync.hq.")}
    internal = frozen.parent / "_internal"
    for package in NO_SERVER_PACKAGES:
        assert not list(internal.glob(f"{package}*")), package
    for unused in ("WebEngine", "Quick", "Qml", "Multimedia", "3D", "Pdf"):
        assert not list(internal.rglob(f"*Qt6{unused}*")), unused
    assert list(internal.rglob("*qoffscreen*")) and list(internal.rglob("*qsvg*"))


def test_frozen_demo_says_it_has_no_hq(frozen: Path, tmp_path: Path) -> None:
    """`guidedesk demo` embeds an HQ the terminal's build does not carry: a clear refusal."""
    done = run(frozen, "demo", "--no-ui", env=frozen_env(tmp_path))
    assert done.returncode == 2
    assert "carries no HQ server" in done.stderr and "source install" in done.stderr, done.stderr
    assert "pip install" not in done.stderr  # no pip where the build runs


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
