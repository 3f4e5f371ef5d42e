"""Dependencies by role (issue 9): a terminal install carries none of the HQ server's packages.

pyproject.toml's plain requirements are the terminal's; the HQ server's packages are the
`hq` extra. The terminal's code runs with those packages absent: a child process blocks
them (a meta-path finder that refuses them) before it imports anything of ours.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
HQ_SERVER = {"fastapi", "uvicorn", "sqlalchemy", "starlette", "psycopg", "psycopg2"}


def _names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name.lower().replace("_", "-") for r in requirements}


def test_the_installed_terminal_requires_no_hq_server_package() -> None:
    requires = metadata.requires("guidedesk") or []
    plain = [r for r in requires if Requirement(r).marker is None]
    assert plain, requires
    assert not _names(plain) & HQ_SERVER, plain
    # ...and the HQ extra has them (the demo and `guidedesk-hq` need them)
    hq = [
        r
        for r in requires
        if Requirement(r).marker is not None and "hq" in str(Requirement(r).marker)
    ]
    assert {"fastapi", "uvicorn", "sqlalchemy"} <= _names(hq), requires


def test_pyproject_says_the_same() -> None:
    """The source of the metadata (an editable install can lag behind an edit)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not _names(project["dependencies"]) & HQ_SERVER, project["dependencies"]
    extras = project["optional-dependencies"]
    assert {"fastapi", "uvicorn", "sqlalchemy"} <= _names(extras["hq"])
    assert any(r.startswith("guidedesk[") and "hq" in r for r in extras["test"])


BLOCK = """
import sys
BLOCKED = {blocked!r}
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is blocked: not part of a terminal install")
        return None
sys.meta_path.insert(0, Refuse())
"""


def _blocked(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    prelude = BLOCK.format(blocked=sorted(HQ_SERVER))
    return subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


def test_the_block_blocks() -> None:
    done = _blocked("import sqlalchemy")
    assert done.returncode != 0 and "blocked" in done.stderr, done.stderr


def test_the_terminal_imports_without_the_hq_packages() -> None:
    modules = [
        "app.__main__",
        "app.terminal",
        "app.selfcheck",
        "app.embedded_hq",
        "app.ui.app",
        "app.ui.main_window",
        "sync.client",
        "sync.protocol",
        "sync.records",
        "sync.credentials",
    ]
    code = "import importlib\nfor m in sys.argv[1:]: importlib.import_module(m)\nprint('imported')"
    done = _blocked(code, *modules)
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stdout


RUN_APP = "import runpy; sys.argv = ['guidedesk', *sys.argv[1:]]; runpy.run_module('app', run_name='__main__')"


def test_version_and_self_check_run_without_the_hq_packages(tmp_path: Path) -> None:
    import os

    env = {
        **os.environ,
        "GUIDEDESK_HOME": str(tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path / "keyring"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    version = _blocked(RUN_APP, "--version", env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"GuideDesk {metadata.version('guidedesk')}"
    check = _blocked(RUN_APP, "--self-check", env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("\nok ") + check.stdout.startswith("ok ") == 5, check.stdout


def test_demo_without_the_hq_packages_says_how_to_install_them(tmp_path: Path) -> None:
    import os

    home = tmp_path / "demo-home"
    env = {**os.environ, "GUIDEDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    done = _blocked(RUN_APP, "demo", "--no-ui", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install 'guidedesk[hq]'" in done.stderr
    assert "sqlalchemy" in done.stderr
    assert not home.exists()  # said before any work
