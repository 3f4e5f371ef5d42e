"""Enrolment against keyring's real default selection: no PYTHON_KEYRING_BACKEND, no
conftest forcing a backend, no Secret Service reachable (a child process with a cleaned
environment and its own home). The token must outlive the process that enrolled, or the
enrolment must fail before HQ spends the one-time code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.errors import KeyringLocked

from sync import credentials
from sync.credentials import MemoryKeyring

from .conftest import HQ, REPO, guidedesk


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """What a freshly installed terminal without a Secret Service has: no keyring named, no
    D-Bus session, a home (and keyring config/data folders) of its own."""
    home = tmp_path / "os-home"
    run = tmp_path / "os-run"
    for folder in (home, run):
        folder.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_RUNTIME_DIR": str(run),  # no D-Bus session bus here
        "GUIDEDESK_HOME": str(tmp_path / "guidedesk-home"),
        "PYTHONPATH": str(REPO),
        **extra,
    }
    assert not {"PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS"} & set(env)
    return env


def python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def terminals(hq: HQ) -> list[dict]:
    return json.loads(hq.run("list-terminals", "--json"))


def test_keyring_never_chooses_the_in_memory_keyring(tmp_path: Path) -> None:
    """Importing the app registers MemoryKeyring with keyring (every subclass is); keyring's
    own selection must still not pick it, here or with any other backend present."""
    probe = (
        "import keyring, keyring.backend, app.__main__, app.terminal;"
        "from sync.credentials import MemoryKeyring;"
        "print(MemoryKeyring in keyring.backend.KeyringBackend._classes,"
        " any(isinstance(k, MemoryKeyring) for k in keyring.backend.get_all_keyring()),"
        " type(keyring.get_keyring()).__name__)"
    )
    registered, viable, chosen = python(probe, bare_env(tmp_path)).split()
    assert registered == "True"  # so the two checks below are about the selection
    assert viable == "False"
    assert chosen != "MemoryKeyring"


def test_enroll_without_a_keyring_fails_before_the_code_is_spent(hq: HQ, tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    code = hq.enroll_code("S001")
    refused = guidedesk("enroll", "--server", hq.url, "--code", code, env=env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "enrolled" not in refused.stdout
    message = refused.stderr
    assert "one-time code was not used" in message
    assert "Secret Service" in message and "gnome-keyring" in message
    assert "PYTHON_KEYRING_BACKEND" in message and "keyringrc.cfg" in message
    assert "Traceback" not in message
    assert terminals(hq) == [], "HQ enrolled a terminal whose token was lost"
    # Nothing of a token went to a file of this home either.
    home = Path(env["HOME"])
    assert not [p for p in home.rglob("*") if p.is_file() and "GuideDesk" in p.read_text()]

    # IT names a persistent backend (here keyrings.alt's file, test-only) and the same code
    # enrols; the token is there for the next processes.
    named = {**env, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    enrolled = guidedesk("enroll", "--server", hq.url, "--code", code, env=named)
    assert enrolled.returncode == 0, enrolled.stderr
    assert "enrolled" in enrolled.stdout and "PlaintextKeyring" in enrolled.stdout
    synced = guidedesk("sync", "--once", "--quiet", env=named)
    assert synced.returncode == 0, synced.stderr
    status = json.loads(guidedesk("status", "--json", env=named).stdout)
    assert status["store"] == "S001" and status["counts"]["customers"] == 30
    assert [t["id"] for t in terminals(hq)] == [status["terminal_id"]]


class LockedKeyring(MemoryKeyring):
    """A Secret Service whose collection stays locked: every write is refused."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("collection is locked")


class ForgetfulKeyring(MemoryKeyring):
    """Keeps the probe entry, silently drops the terminal token."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if username == credentials.PROBE_USER:
            super().set_password(service, username, password)


def carrying_the_cache_key(ring: MemoryKeyring) -> MemoryKeyring:
    """``ring`` holding what the keyring in use holds: the terminal's cache key (its
    database was made under it), so only the token's fate differs."""
    ring._items.update(keyring.get_keyring()._items)
    return ring


def test_a_keyring_that_refuses_writes_fails_the_enrolment_before_hq(hq: HQ, make_terminal) -> None:
    t = make_terminal("locked")
    code = hq.enroll_code("S001")
    keyring.set_keyring(carrying_the_cache_key(LockedKeyring()))
    with pytest.raises(credentials.CredentialError, match="one-time code was not used"):
        t.enroll_with(hq, code)
    assert terminals(hq) == []
    keyring.set_keyring(carrying_the_cache_key(MemoryKeyring()))
    t.enroll_with(hq, code)  # the code is still good
    assert [x["id"] for x in terminals(hq)] == [t.replica().get_state("terminal_id")]


def test_a_token_that_does_not_read_back_is_not_called_enrolled(hq: HQ, make_terminal) -> None:
    t = make_terminal("forgetful")
    keyring.set_keyring(carrying_the_cache_key(ForgetfulKeyring()))
    with pytest.raises(credentials.CredentialError, match="did not give back the token"):
        t.enroll_with(hq, hq.enroll_code("S001"))
    assert t.replica().get_state("terminal_id") is None
