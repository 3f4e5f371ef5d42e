"""The layer rules of PRODUCT.md, checked on every run (STYLE.md, pattern 18).

ui → store → domain; ui → sync.client; sync.* → sync.protocol; the store knows only the
wire records of sync.protocol (the contract it replicates), not the engine or HQ; HQ never
imports the terminal's store or UI; no Qt below the UI; no SQL in widgets.
"""

from __future__ import annotations

import ast
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
ALLOWED = {("app/store", "sync.protocol")}
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
