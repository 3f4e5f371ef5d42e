"""The cache key and the data folder's privacy: which key opens the terminal's database,
who may read its files, and what is left after a wipe. No Qt, no SQL.

The terminal's database is encrypted with SQLCipher under a random 256-bit key, one per
data folder, kept in the OS keyring beside the terminal token (sync/credentials.py) and
never in a file. The folder holds a random *folder id* (``folder-id``, not a secret: it
only names the keyring entry ``cache-key:<folder id>``). A copied folder or a stolen disk
gives the encrypted bytes without the key; a wipe destroys the key first, then the files.

The folder is private to its user: 0700 for the folder, 0600 for every file we write
(the database, its -wal and -shm, the id, the markers), set on creation and fixed again
on every open. Windows has no such modes (os.chmod only sets read-only there): the
profile folder's ACL is what protects it.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import sync.credentials as credentials
from app.store.errors import StoreCorrupt, StoreError

FOLDER_ID_FILE = "folder-id"
# The folder was wiped (revoked by HQ): when and which terminal, no personal data.
WIPED_FILE = "wiped.json"
# The key of this folder was made in an in-memory keyring (the demo without an OS
# keyring): another process can never open the database.
IN_MEMORY_FILE = "key-in-memory"
# SQLite's own files beside the database; the second is our migration's encrypted copy.
SIDE_FILES = ("-wal", "-shm", "-journal")
ENCRYPTING_SUFFIX = ".encrypting"
PLAIN_HEADER = b"SQLite format 3\x00"

FOLDER_MODE = 0o700
FILE_MODE = 0o600


class CacheKeyError(StoreError):
    """The encrypted database cannot be opened: no keyring, no key, the wrong key."""


class NoKeyring(CacheKeyError):
    """No keyring that keeps the cache key for the next start: the store refuses to open."""


class KeyMissing(CacheKeyError):
    """The file is encrypted and its key is not in the keyring (another terminal's copy, a
    demo's in-memory key, a wiped terminal)."""


class WrongKey(CacheKeyError, StoreCorrupt):
    """The key in the keyring does not decrypt the file (a copy of another folder's file,
    or a damaged file: SQLCipher cannot tell them apart)."""


class TerminalWiped(KeyMissing):
    """HQ revoked this terminal and its data was wiped: old data is never opened again."""


# -- permissions ---------------------------------------------------------------------------


def private_folder(folder: Path) -> Path:
    """Create ``folder`` as 0700 (parents as the OS makes them), or fix its mode."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _chmod(folder, FOLDER_MODE)
    return folder


def private_files(paths: Iterable[Path]) -> None:
    """0600 for each of ``paths`` that exists."""
    for path in paths:
        _chmod(path, FILE_MODE)


def database_files(db_file: Path) -> list[Path]:
    """The database and every file SQLite or our migration keeps beside it."""
    return [
        db_file,
        *(Path(f"{db_file}{suffix}") for suffix in SIDE_FILES),
        Path(f"{db_file}{ENCRYPTING_SUFFIX}"),
        *(Path(f"{db_file}{ENCRYPTING_SUFFIX}{suffix}") for suffix in SIDE_FILES),
    ]


def folder_files(folder: Path) -> list[Path]:
    """The small files of ours beside the database (id and markers)."""
    return [folder / name for name in (FOLDER_ID_FILE, WIPED_FILE, IN_MEMORY_FILE)]


def create_private_file(path: Path) -> None:
    """An empty file of mode 0600 (SQLite gives its -wal and -shm the database's mode)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    if os.name != "posix":
        return
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except FileNotFoundError:
        pass


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _chmod(path, FILE_MODE)


# -- the key -------------------------------------------------------------------------------


def is_plain(db_file: Path) -> bool:
    """The file is an unencrypted SQLite database (a cache from before encryption)."""
    try:
        with open(db_file, "rb") as f:
            return f.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except OSError:  # missing, or a folder where the file should be
        return False


def has_content(db_file: Path) -> bool:
    try:
        return db_file.is_file() and db_file.stat().st_size > 0
    except OSError:
        return False


def folder_id(folder: Path) -> str:
    """The folder's id (created on first use). Not a secret: it names the keyring entry."""
    path = folder / FOLDER_ID_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise NoKeyring(f"无法读取数据文件夹的编号 (cannot read {path}): {exc}") from exc
    if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        _chmod(path, FILE_MODE)
        return value
    value = os.urandom(16).hex()
    _write_private(path, value + "\n")
    return value


def wiped_at(folder: Path) -> str | None:
    """When this folder was wiped (HQ revoked the terminal), or None."""
    try:
        marker = json.loads((folder / WIPED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(marker.get("wiped_at") or "unknown") if isinstance(marker, dict) else "unknown"


def refusal(db_file: Path) -> KeyMissing:
    folder = db_file.parent
    when = wiped_at(folder)
    if when is not None:
        return TerminalWiped(
            f"本终端已被总部停用，本机数据已于 {when} 清除，旧数据不能再打开；请联系 IT 重新登记。"
            f" (this terminal was revoked by HQ and wiped on {when}: its old data cannot be"
            f" opened again; ask IT to enrol it anew) {db_file}"
        )
    if (folder / IN_MEMORY_FILE).exists():
        return KeyMissing(
            "这个数据文件夹由演示程序创建，本机没有系统钥匙串，其密钥只保存在演示进程的内存中，"
            "别的进程无法解密；再次运行 guidedesk demo 会重新建立演示数据。"
            " (this data folder was made by `guidedesk demo` without an OS keyring: its key"
            " lived only in that process's memory, so no other process can decrypt it; run"
            f" `guidedesk demo` again to start a new demo cache) {db_file}"
        )
    return KeyMissing(
        "本地数据已加密，但系统钥匙串中没有它的密钥（可能是从别处复制来的文件，或钥匙串被清空）；"
        "数据无法打开。请联系 IT：删除这个文件夹并重新登记终端，数据会从总部重新同步。"
        " (the local database is encrypted and its key is not in this keyring: a copy from"
        " elsewhere, or the keyring was cleared; ask IT to remove the folder and enrol the"
        f" terminal again, HQ sends the data anew) {db_file}"
    )


def cache_key(db_file: Path) -> bytes:
    """The key of ``db_file``'s folder: created on the first open of a new (or plain) cache,
    never for a file that is already encrypted (that one needs its own key or nothing)."""
    problem = credentials.keyring_problem()
    if problem is not None and (db_file.parent / IN_MEMORY_FILE).exists():
        raise refusal(db_file)  # the demo's folder: say that first
    if problem is not None:
        raise NoKeyring(
            "本地数据已加密，密钥只保存在系统钥匙串中，但本机的钥匙串不能长期保存它，数据不能打开。"
            f" (the local database is encrypted with a key kept only in the OS keyring, and"
            f" this machine has no keyring that keeps it): {problem}\n"
            f"{credentials.keyring_advice()}"
        )
    folder = db_file.parent
    try:
        fid = folder_id(folder)
        key = credentials.load_cache_key(fid)
        if key is not None:
            return key
        if has_content(db_file) and not is_plain(db_file):
            raise refusal(db_file)
        key = credentials.create_cache_key(fid)
    except credentials.CredentialError as exc:
        raise NoKeyring(str(exc)) from exc
    marker = folder / IN_MEMORY_FILE
    if credentials.in_memory_keyring():
        _write_private(marker, "the cache key of this folder is kept in one process's memory\n")
    else:
        marker.unlink(missing_ok=True)
    return key


def key_pragma(key: bytes) -> str:
    """The raw-key form: SQLCipher uses the 256 bits as they are, no PBKDF2 at open."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


# -- the wipe ------------------------------------------------------------------------------


def wipe(db_file: Path, *, terminal_id: str | None, when: str) -> None:
    """Destroy the cache: the key first (the file is noise from then on, even if a copy of
    it survives), then the database with its -wal and -shm, then record the wipe."""
    folder = db_file.parent
    try:
        fid = (folder / FOLDER_ID_FILE).read_text(encoding="ascii").strip()
    except OSError:
        fid = ""
    if fid:
        credentials.forget_cache_key(fid)
    for path in database_files(db_file):
        path.unlink(missing_ok=True)
    (folder / IN_MEMORY_FILE).unlink(missing_ok=True)
    _write_private(
        folder / WIPED_FILE,
        json.dumps({"wiped_at": when, "terminal_id": terminal_id, "reason": "revoked"}) + "\n",
    )
    fsync_folder(folder)


def clear_wiped(folder: Path) -> None:
    """A new enrolment: the folder starts a new life."""
    (folder / WIPED_FILE).unlink(missing_ok=True)


def fsync_folder(folder: Path) -> None:
    """Make a rename or an unlink in ``folder`` durable."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
