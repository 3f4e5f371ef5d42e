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
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


# Imports allowed although a forbidden prefix covers them: (folder, module).
ALLOWED = {("app/store", "sync.records")}
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
        and (folder, name) not in ALLOWED
    ]
    assert not crossings, "\n".join(crossings)


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
