"""The frozen build, made once per test session by ``python packaging/build.py``."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

# A real HQ process (from source) for the frozen terminal to enrol with and sync against.
from tests.e2e.conftest import hq, hq_template  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built program. One build per session (≈ 30 s on the CI machine); PyInstaller's
    work folder stays inside this session's build folder."""
    folder = tmp_path_factory.mktemp("frozen")
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "packaging" / "build.py"),
            "--dist",
            str(folder / "dist"),
            "--work",
            str(folder / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    program = (
        folder
        / "dist"
        / "guidedesk"
        / ("guidedesk.exe" if sys.platform == "win32" else "guidedesk")
    )
    assert program.is_file()
    print(f"frozen build: {time.monotonic() - started:.0f} s")
    return program
