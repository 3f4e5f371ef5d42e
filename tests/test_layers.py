"""The layer rules of PRODUCT.md, checked on every run (STYLE.md, pattern 18).

ui → store → domain; ui → sync.outcome (the engine comes from the composition root);
sync.* → sync.protocol; the store knows only the wire records of sync.records (the
contract it replicates), not the engine or HQ; HQ never imports the terminal's store or
UI; no Qt below the UI; no SQL in widgets.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth of the file; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = list(path.relative_to(ROOT).parts[:-1])  # for module.py and __init__.py alike
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            # `from app import embedded_hq` imports the module app.embedded_hq
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


# Imports allowed although a forbidden prefix covers them: (folder, module).
# The store opens its encrypted file with the key kept beside the terminal token
# (sync/credentials.py: one place that speaks to the keyring).
ALLOWED = {("app/store", "sync.records"), ("app/store", "sync.credentials")}
RULES = [
    # (folder, forbidden import prefixes)
    (
        "app/domain",
        ("PySide6", "shiboken6", "sqlite3", "sqlite_utils", "httpx", "app.store", "app.ui", "sync"),
    ),
    ("app/store", ("PySide6", "shiboken6", "httpx", "app.ui", "sync")),
    ("sync", ("PySide6", "shiboken6", "app.store", "app.ui", "app.terminal", "app.embedded_hq")),
    ("app/ui", ("sqlite3", "sqlite_utils", "httpx", "sync.hq", "app.embedded_hq")),
]


@pytest.mark.parametrize(("folder", "forbidden"), RULES, ids=[r[0] for r in RULES])
def test_layer_imports(folder: str, forbidden: tuple[str, ...]) -> None:
    files = modules(folder)
    assert files, f"{folder} has no modules"
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imports_of(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
        and not any(
            folder == where and (name == allowed or name.startswith(allowed + "."))
            for where, allowed in ALLOWED
        )
    ]
    assert not crossings, "\n".join(crossings)


COMPOSITION_ROOT = "app/__main__.py"
QT = ("PySide6", "shiboken6", "app.ui")
# The modules directly in app/: (file, forbidden import prefixes). Only the composition
# root starts the demo HQ or touches HQ's code; the terminal services and the embedded
# HQ's process handle run without Qt (the command line, scripts, tests).
TOP_LEVEL_RULES = [
    ("app/__init__.py", (*QT, "app.embedded_hq", "sync.hq", "app.store", "app.terminal")),
    ("app/terminal.py", (*QT, "app.embedded_hq", "sync.hq")),
    ("app/embedded_hq.py", (*QT, "sync.hq", "app.store", "app.terminal")),
    # `guidedesk --self-check` asks HQ over HTTP; Qt only inside its resources check
    ("app/selfcheck.py", ("app.ui", "app.embedded_hq", "sync.hq", "app.terminal")),
]


def crossings_in(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_every_module_directly_in_app_has_its_rule() -> None:
    """A new app/*.py file gets a rule of its own (or is the composition root)."""
    top = {str(p.relative_to(ROOT)) for p in sorted((ROOT / "app").glob("*.py"))}
    assert top == {COMPOSITION_ROOT} | {file for file, _ in TOP_LEVEL_RULES}


@pytest.mark.parametrize(
    ("file", "forbidden"), TOP_LEVEL_RULES, ids=[r[0] for r in TOP_LEVEL_RULES]
)
def test_top_level_app_modules(file: str, forbidden: tuple[str, ...]) -> None:
    path = ROOT / file
    assert path.is_file(), file
    crossings = crossings_in([path], forbidden)
    assert not crossings, "\n".join(crossings)


def test_only_the_composition_root_starts_the_demo_hq_or_imports_hq_code() -> None:
    files = [
        p for p in sorted((ROOT / "app").rglob("*.py")) if p != ROOT / COMPOSITION_ROOT
    ] + modules("sync")
    crossings = [
        c
        for c in crossings_in(files, ("app.embedded_hq", "sync.hq"))
        # HQ's own modules import each other, and HQ's code may not import app.embedded_hq
        # (the "sync" rule above says so); here: nothing of the terminal reaches into HQ.
        if not c.startswith("sync/hq/") or "app.embedded_hq" in c
    ]
    assert not crossings, "\n".join(crossings)
    # The root does use both: were it to stop, this test would guard nothing.
    assert {"app.embedded_hq"} <= imports_of(ROOT / COMPOSITION_ROOT)


def test_no_sql_in_widgets() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in modules("app/ui")
        if any(
            word in path.read_text(encoding="utf-8")
            for word in (".execute(", "SELECT ", "INSERT INTO", "UPDATE customers")
        )
    ]
    assert not offenders, offenders


def test_the_window_comes_up_without_the_http_client() -> None:
    """What `guidedesk` imports before its first window: no httpx, no pydantic models.

    They cost ~0.3 s of the 1 s first-window budget (issue #2); the first sync loads them
    on its own thread (app/terminal.py builds the engine there).
    """
    probe = (
        "import sys, app.__main__, app.terminal, app.ui.app, app.ui.main_window;"
        "print(' '.join(sorted(m for m in ('httpx', 'pydantic', 'sync.client', 'sync.protocol')"
        " if m in sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.split()
    assert loaded == [], f"loaded at start: {loaded}"


# The HQ server's packages (the `hq` extra of pyproject.toml): a terminal install has none of
# them, so nothing the terminal runs may import them (tests/test_roles.py runs the terminal
# with them blocked).
HQ_SERVER_PACKAGES = ("sqlalchemy", "fastapi", "uvicorn", "starlette", "psycopg", "psycopg2")
TERMINAL_SYNC_MODULES = ("client", "protocol", "records", "credentials", "outcome", "__init__")


def test_the_terminal_never_imports_the_hq_servers_packages() -> None:
    files = modules("app") + [ROOT / "sync" / f"{name}.py" for name in TERMINAL_SYNC_MODULES]
    assert all(path.is_file() for path in files)
    crossings = crossings_in(files, HQ_SERVER_PACKAGES)
    assert not crossings, "\n".join(crossings)
