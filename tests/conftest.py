"""Shared test configuration: offscreen Qt, a private data folder, an in-memory keyring.

Nothing here touches the real home folder or a real keyring (STYLE.md, pattern 16).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from sync.credentials import MemoryKeyring

FIXED_NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "guidedesk-home"
    monkeypatch.setenv("GUIDEDESK_HOME", str(home))
    monkeypatch.setenv("GUIDEDESK_HQ_DB", f"sqlite:///{tmp_path / 'hq-default.sqlite3'}")
    return home


@pytest.fixture(scope="session", autouse=True)
def _session_keyring():
    """For module- and session-scoped fixtures that open a terminal store (its cache key
    lives in a keyring); each test then gets its own, below."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _memory_keyring():
    """Set explicitly: keyring's own selection never picks MemoryKeyring (it is not viable
    there), so a test that wants another backend, or keyring's default, runs a child
    process (tests/e2e/test_enroll_keyring.py)."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def clock():
    """A settable clock (pass it in; never patch time)."""

    class Clock:
        def __init__(self) -> None:
            self.now = FIXED_NOW

        def __call__(self) -> datetime:
            return self.now

    return Clock()


def _uses_postgres(item: pytest.Item) -> bool:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return "pg_url" in getattr(item, "fixturenames", ()) or "postgresql" in params.values()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups for the two workers (README: ``-n 2 --dist loadgroup``): a file's tests stay
    together (its module fixtures are built once), and every PostgreSQL test runs on one
    worker, one after another. They share one cluster, and HQ's pull horizon is the
    cluster's oldest open writing transaction (sync/hq/changelog.py): a test holding one
    open on purpose would hold back the pulls of a test on the other worker."""
    for item in items:
        group = "postgresql" if _uses_postgres(item) else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
