"""The terminal credential in the OS keyring (never in a file).

Tests and scripts pick a backend through keyring's own configuration
(``PYTHON_KEYRING_BACKEND``, or ``keyring.set_keyring`` in-process); nothing here knows
which one it is.
"""

from __future__ import annotations

import keyring
import keyring.backend
from keyring.errors import KeyringError, PasswordDeleteError

SERVICE = "GuideDesk terminal"


class CredentialError(Exception):
    """No usable keyring, or it refused: a person (IT) has to act."""


def save_token(terminal_id: str, token: str) -> None:
    try:
        keyring.set_password(SERVICE, terminal_id, token)
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(f"无法把终端凭证存入系统钥匙串：{exc}") from exc


def load_token(terminal_id: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, terminal_id)
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(f"无法读取系统钥匙串：{exc}") from exc


def forget_token(terminal_id: str) -> None:
    try:
        keyring.delete_password(SERVICE, terminal_id)
    except PasswordDeleteError:
        pass
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(f"无法从系统钥匙串删除终端凭证：{exc}") from exc


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Process-lifetime keyring for the demo on a machine without an OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def use_memory_keyring_if_none() -> bool:
    """For the demo only: without a usable OS keyring, keep the token in memory (the demo
    re-enrols on its next start). True when it switched."""
    if keyring.get_keyring().priority > 0:
        return False
    keyring.set_keyring(MemoryKeyring())
    return True
