"""Content pictures cached on the terminal by their sha256, so the library works offline.

A folder in the data dir (0700, files 0600). Bytes are stored only when their sha256 is
the name they were asked for: a corrupt download is refused (and fetched again later),
never shown. Over the size limit, the least recently used pictures go first (a read
touches a file's mtime).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from pathlib import Path

DEFAULT_LIMIT = 200 * 1024 * 1024
_SHA = re.compile(r"^[0-9a-f]{64}$")


class CorruptPicture(ValueError):
    """The bytes do not hash to the picture's name."""


class PictureCache:
    def __init__(self, folder: Path, limit_bytes: int = DEFAULT_LIMIT) -> None:
        self.folder = folder
        self.limit = limit_bytes
        self._lock = threading.Lock()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)

    def _path(self, sha: str) -> Path:
        if not _SHA.match(sha):
            raise ValueError("not a sha256 hex name")
        return self.folder / sha

    def has(self, sha: str) -> bool:
        return _SHA.match(sha) is not None and self._path(sha).is_file()

    def get(self, sha: str) -> bytes | None:
        """The picture's bytes, or None when not cached (or damaged on disk: then dropped)."""
        if not _SHA.match(sha):
            return None
        path = self._path(sha)
        with self._lock:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                return None
            if hashlib.sha256(data).hexdigest() != sha:
                path.unlink(missing_ok=True)
                return None
            os.utime(path)  # most recently used
        return data

    def put(self, sha: str, data: bytes) -> None:
        """Keep ``data`` as picture ``sha``; CorruptPicture if the hash does not match."""
        path = self._path(sha)
        if hashlib.sha256(data).hexdigest() != sha:
            raise CorruptPicture(f"picture {sha[:12]}…: the bytes do not match its hash")
        with self._lock:
            tmp = path.with_suffix(".part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
            self._evict(keep=sha)

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.iterdir() if _SHA.match(p.name))

    def _evict(self, keep: str) -> None:
        files = [p for p in self.folder.iterdir() if _SHA.match(p.name)]
        stats = {p: p.stat() for p in files}
        total = sum(s.st_size for s in stats.values())
        for path in sorted(files, key=lambda p: stats[p].st_mtime_ns):
            if total <= self.limit:
                break
            if path.name == keep:
                continue
            total -= stats[path].st_size
            path.unlink(missing_ok=True)


def fetch_into(cache: PictureCache, sha: str, fetch) -> bytes | None:
    """Fetch picture ``sha`` with ``fetch(sha) -> bytes`` and cache it when its hash is
    right. None when the download was corrupt or failed: nothing is kept, a later call
    tries again."""
    try:
        data = fetch(sha)
    except Exception:  # offline, HQ down, 404: the placeholder stays, tried again later
        return None
    try:
        cache.put(sha, data)
    except CorruptPicture:
        return None
    return data
