"""The terminal credential in the OS keyring (never in a file).

Which backend holds it is keyring's own choice (the OS keyring: Secret Service, macOS
Keychain, Windows Credential Locker), or the one IT names (``PYTHON_KEYRING_BACKEND``, a
keyringrc.cfg), or, inside one process only, one set with ``keyring.set_keyring`` (the
tests' :class:`MemoryKeyring`; a demo folder's :class:`DemoFolderKeyring`, demo only).
:func:`check_keyring` says before an enrolment whether the token will still be there for
the next process.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import keyring
import keyring.backend
import keyring.core
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringError, PasswordDeleteError
from keyring.util import platform_

SERVICE = "GuideDesk terminal"
PROBE_USER = "guidedesk-keyring-check"

# keyring's own rule of thumb: "a priority of one or greater is recommended"; below it are
# fallbacks such as keyrings.alt's plaintext file, which keyring picks only when nothing
# better exists. Tokens never go to a file by accident: such a backend is used only when
# IT names it.
RECOMMENDED_PRIORITY = 1


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


# The cache key: 32 random bytes that encrypt the terminal's local database (SQLCipher),
# one per data folder, kept beside the token and never written to a file. app/store/keys.py
# creates it on the first open and destroys it when the terminal is wiped.
CACHE_KEY_BYTES = 32


def _cache_key_user(folder_id: str) -> str:
    return f"cache-key:{folder_id}"


def load_cache_key(folder_id: str) -> bytes | None:
    try:
        stored = keyring.get_password(SERVICE, _cache_key_user(folder_id))
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(f"无法读取系统钥匙串 (cannot read the keyring): {exc}") from exc
    if stored is None:
        return None
    try:
        key = bytes.fromhex(stored)
    except ValueError:
        key = b""
    if len(key) != CACHE_KEY_BYTES:
        raise CredentialError(
            "系统钥匙串中的本地数据密钥已损坏 (the cache key in the keyring is not a key)"
        )
    return key


def create_cache_key(folder_id: str) -> bytes:
    """A new random key, saved and read back (a keyring that loses it would make the cache
    unreadable at the next start)."""
    key = secrets.token_bytes(CACHE_KEY_BYTES)
    try:
        keyring.set_password(SERVICE, _cache_key_user(folder_id), key.hex())
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(
            f"无法把本地数据密钥存入系统钥匙串 (cannot keep the cache key in the keyring): {exc}"
        ) from exc
    if load_cache_key(folder_id) != key:
        raise CredentialError(
            "系统钥匙串读不回本地数据密钥 (the keyring does not give back the cache key)"
        )
    return key


def forget_cache_key(folder_id: str) -> None:
    """Destroy the cache key: the encrypted file is then noise, whoever copies it."""
    try:
        keyring.delete_password(SERVICE, _cache_key_user(folder_id))
    except PasswordDeleteError:
        pass
    except (KeyringError, RuntimeError) as exc:
        raise CredentialError(
            f"无法从系统钥匙串删除本地数据密钥 (cannot delete the cache key): {exc}"
        ) from exc


def in_memory_keyring() -> bool:
    """The keyring in use is this process's :class:`MemoryKeyring` (the tests)."""
    return isinstance(keyring.get_keyring(), MemoryKeyring)


def demo_keyring_in_use() -> bool:
    """The keyring in use is a demo folder's :class:`DemoFolderKeyring`."""
    return isinstance(keyring.get_keyring(), DemoFolderKeyring)


class _NotChosenByKeyring:
    """A class attribute that raises when read: keyring deems such a backend not viable."""

    def __get__(self, instance: object, owner: type | None = None) -> float:
        raise RuntimeError("in memory only: used when set explicitly (keyring.set_keyring)")


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Process-lifetime keyring for the demo and the tests, set with ``keyring.set_keyring``.

    keyring registers every backend class it can see and picks the viable one of highest
    priority, in every process that imports this module. A priority that raises makes this
    one not viable, so keyring's own selection never picks it: a token kept here is gone
    when the process ends.
    """

    priority = _NotChosenByKeyring()  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def __str__(self) -> str:
        return f"{type(self).__module__}.{type(self).__name__} (in memory, this process only)"

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


# A data folder made by `guidedesk demo` holds this marker (app/terminal.py writes it when
# the demo claims a new folder); only such a folder may keep its secrets in a file.
DEMO_FOLDER_MARKER = "DEMO-ONLY-FOLDER.txt"
DEMO_KEYRING_FILE = "demo-keyring.json"


class DemoFolderKeyring(keyring.backend.KeyringBackend):
    """DEMO ONLY: the token and cache key of a demo data folder, in a file in that folder.

    `guidedesk demo` on a machine without an OS keyring uses this so that a restart keeps
    its terminal enrolment and its cache (and `guidedesk sync --once` / `status` work on
    the folder). The secrets sit in plain text beside the encrypted cache, so the cache's
    encryption protects nothing here: acceptable for invented demo customers, never for a
    real terminal. Hence it refuses any folder without :data:`DEMO_FOLDER_MARKER`, keyring
    never picks it by itself (like :class:`MemoryKeyring`), and `guidedesk enroll`
    refuses a demo folder. Set explicitly with ``keyring.set_keyring`` (app/__main__.py).
    """

    priority = _NotChosenByKeyring()  # type: ignore[assignment]

    def __init__(self, folder: Path) -> None:
        super().__init__()
        if not (folder / DEMO_FOLDER_MARKER).is_file():
            raise CredentialError(
                f"演示专用的钥匙串只用于演示程序建立的文件夹 (the demo keyring is only for a"
                f" folder made by `guidedesk demo`; {folder} is not one)"
            )
        self.path = folder / DEMO_KEYRING_FILE

    def __str__(self) -> str:
        return f"{type(self).__name__} ({self.path}, demo only, plain text)"

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KeyringError(f"cannot read {self.path}: {exc}") from exc
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return f"{service}\n{username}"

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(self._key(service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[self._key(service, username)] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(self._key(service, username), None) is None:
            raise PasswordDeleteError(username)
        self._save(data)


def is_demo_folder(folder: Path) -> bool:
    return (folder / DEMO_FOLDER_MARKER).is_file()


def use_demo_keyring_if_needed(folder: Path) -> bool:
    """For a demo folder only: its file keyring when there is no OS keyring (or it was used
    already: its entries are there). True when it switched."""
    if not is_demo_folder(folder):
        return False
    if keyring_problem() is None and not (folder / DEMO_KEYRING_FILE).exists():
        return False
    keyring.set_keyring(DemoFolderKeyring(folder))
    return True


def _named_backend() -> bool:
    """IT named a backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg): their decision."""
    try:
        return bool(keyring.core.load_env() or keyring.core.load_config())
    except Exception:  # a name keyring cannot load: keyring itself reports it
        return False


def _what_to_do() -> str:
    config = platform_.config_root() / "keyringrc.cfg"
    return (
        "IT 可以：启动 Secret Service（如 gnome-keyring，需要 D-Bus 会话），"
        "或用环境变量 PYTHON_KEYRING_BACKEND 或 keyringrc.cfg 指定一个持久的 keyring 后端。"
        " (IT can: run a Secret Service such as gnome-keyring in the D-Bus session, or name a"
        " persistent keyring backend with PYTHON_KEYRING_BACKEND or in"
        f" {config}, as [backend] default-keyring = module.Class)"
    )


def keyring_advice() -> str:
    """What IT can do when no keyring keeps the token and the cache key."""
    return _what_to_do()


def keyring_problem() -> str | None:
    """Why the keyring in use would not keep a token for the next process, or None.

    None for an OS keyring keyring chose itself, for a backend IT named, and for the
    :class:`MemoryKeyring` this process set itself (the demo, the tests: they use the token
    in the same process).
    """
    try:
        ring = keyring.get_keyring()
    except Exception as exc:  # a named backend that cannot be loaded
        return f"钥匙串后端无法加载 (keyring backend cannot be loaded): {exc}"
    if isinstance(ring, MemoryKeyring | DemoFolderKeyring):
        return None
    if isinstance(ring, chainer.ChainerBackend):
        chained = ring.backends
        ring = chained[0] if chained else fail.Keyring()
    if isinstance(ring, fail.Keyring | null.Keyring):
        return "本机没有可用的系统钥匙串 (no OS keyring is available on this machine)"
    if _named_backend():
        return None
    try:
        priority = float(ring.priority)
    except Exception as exc:
        return f"钥匙串后端不可用 (keyring backend not usable): {ring}: {exc}"
    if priority < RECOMMENDED_PRIORITY:
        return (
            f"本机没有系统钥匙串，keyring 只找到备用后端 {type(ring).__module__}."
            f"{type(ring).__name__}（凭证会以文件保存，未经 IT 指定不使用）"
            f" (no OS keyring; keyring found only the fallback {ring}, which is not used"
            " unless IT names it)"
        )
    return None


def check_keyring() -> None:
    """Before an enrolment: the keyring in use keeps a token (a probe entry is written, read
    back and removed). Raises CredentialError saying what IT can do."""
    problem = keyring_problem()
    if problem is None:
        probe = secrets.token_urlsafe(16)
        try:
            keyring.set_password(SERVICE, PROBE_USER, probe)
            readback = keyring.get_password(SERVICE, PROBE_USER)
            keyring.delete_password(SERVICE, PROBE_USER)
        except (KeyringError, RuntimeError) as exc:
            problem = f"系统钥匙串拒绝写入 (the keyring refused a test entry): {exc}"
        else:
            if readback != probe:
                problem = (
                    "系统钥匙串读不回刚写入的条目 (the keyring does not read back what it stored)"
                )
    if problem is not None:
        raise CredentialError(
            f"无法保存终端凭证，登记码未使用 (cannot keep the terminal token; the one-time code"
            f" was not used): {problem}\n{_what_to_do()}"
        )


def keyring_description() -> str:
    """The backend in use, for IT (`guidedesk enroll` prints it)."""
    return str(keyring.get_keyring())


def use_memory_keyring_if_none() -> bool:
    """For tests and benchmarks: without a keyring that would keep the token, keep it in
    memory for this process. True when it switched."""
    if keyring_problem() is None:
        return False
    keyring.set_keyring(MemoryKeyring())
    return True
