"""`guidedesk --self-check [--server URL]`: what IT needs to know about this terminal.

One line per check, "ok" or "problem" and what to do. No Qt at import time: the one check
that needs Qt (translations and icons load) imports it when it runs, offscreen. Nothing
here touches HQ's code; HQ is asked over HTTP like the sync engine does.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from app.domain.clock import CLOCK_SKEW

EARLIEST_SANE_YEAR = 2024


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    text: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'problem':<8} {self.name}: {self.text}"


def check_data_folder(folder: Path) -> Check:
    """Writable and private (0700, its files 0600 on POSIX; app/store/keys.py)."""
    from app.store import keys

    name = "data folder"
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK):
            return Check(
                name,
                False,
                f"{folder} does not exist and {parent} is not writable: give this user a"
                " writable folder (GUIDEDESK_HOME or --home)",
            )
        return Check(name, True, f"{folder} does not exist yet; enrolment creates it (0700)")
    if not folder.is_dir():
        return Check(name, False, f"{folder} is not a folder: remove it or choose another --home")
    probe = folder / ".self-check"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return Check(name, False, f"{folder} is not writable ({exc}): give this user write access")
    if os.name == "posix":
        mode = stat.S_IMODE(folder.stat().st_mode)
        if mode != keys.FOLDER_MODE:
            return Check(
                name,
                False,
                f"{folder} has mode {mode:04o}, others can read it: chmod 700 {folder}",
            )
        files = [*keys.database_files(keys_db_file(folder)), *keys.folder_files(folder)]
        loose = [
            f"{p.name} ({stat.S_IMODE(p.stat().st_mode):04o})"
            for p in files
            if p.exists() and stat.S_IMODE(p.stat().st_mode) != keys.FILE_MODE
        ]
        if loose:
            return Check(
                name, False, f"files readable by others: {', '.join(loose)}: chmod 600 them"
            )
    return Check(name, True, f"{folder} is writable and private")


def keys_db_file(folder: Path) -> Path:
    from app.store import db

    return folder / db.DB_FILENAME


def check_store(folder: Path) -> Check:
    """The local store opens and decrypts with its key from the keyring."""
    from app.store import db, keys

    name = "local store"
    db_file = keys_db_file(folder)
    if not keys.has_content(db_file):
        return Check(name, True, "no store yet — enrol first (guidedesk enroll)")
    try:
        conn = db.connect(db_file, migrate=False)
    except db.StoreError as exc:
        return Check(name, False, str(exc).replace("\n", " "))
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    finally:
        conn.close()
    return Check(name, True, f"{db_file} opens and decrypts ({tables} schema objects)")


def check_resources() -> Check:
    """Translations load into a QTranslator and every icon renders (offscreen Qt)."""
    name = "translations and icons"
    try:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from importlib import resources

        from PySide6.QtCore import QTranslator
        from PySide6.QtGui import QGuiApplication, QIcon

        from resources.paths import STYLE_SHEET, icon_path, read_text, translation_path

        app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
        translator = QTranslator()
        qm = translation_path("zh_CN")
        if not translator.load(str(qm)) or translator.isEmpty():
            return Check(name, False, f"the Chinese translation {qm} does not load: reinstall")
        icons = sorted(
            entry.name.removesuffix(".svg")
            for entry in resources.files("resources").joinpath("icons").iterdir()
            if entry.name.endswith(".svg")
        )
        broken = [i for i in icons if QIcon(str(icon_path(i))).pixmap(32, 32).isNull()]
        if not icons or broken:
            return Check(
                name,
                False,
                f"icons do not render: {', '.join(broken) or 'none found'} (Qt's SVG"
                " image plugin missing?): reinstall",
            )
        read_text(STYLE_SHEET)
        del app  # kept alive until here
    except Exception as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}: reinstall")
    return Check(name, True, f"the Chinese translation and {len(icons)} icons load")


def check_keyring() -> Check:
    """The keyring stores and reads back an entry and keeps it for the next process."""
    from sync import credentials

    name = "keyring"
    if credentials.in_memory_keyring():
        return Check(name, False, "in memory only, lost when the program ends")
    try:
        credentials.check_keyring()
    except credentials.CredentialError as exc:
        return Check(name, False, str(exc).replace("\n", " "))
    demo = (
        " (the demo folder's own file: demo data only)" if credentials.demo_keyring_in_use() else ""
    )
    return Check(
        name,
        True,
        f"{credentials.keyring_description()} stores and reads back an entry{demo}",
    )


def check_clock(now: datetime, hq_time: datetime | None, *, why_not: str = "no --server") -> Check:
    name = "clock"
    if now.year < EARLIEST_SANE_YEAR:
        return Check(name, False, f"this machine says {now:%Y-%m-%d %H:%M} UTC: set the date")
    if hq_time is None:
        return Check(name, True, f"{now:%Y-%m-%d %H:%M} UTC (not compared with HQ: {why_not})")
    off = abs(now - hq_time)
    if off > CLOCK_SKEW:
        return Check(
            name,
            False,
            f"{int(off.total_seconds())} s off HQ's clock (allowed {int(CLOCK_SKEW.total_seconds())}"
            " s): turn on time synchronisation (NTP / Windows Time)",
        )
    return Check(name, True, f"within {int(off.total_seconds())} s of HQ's clock")


def ask_hq(server: str) -> tuple[Check, datetime | None]:
    """HQ answers at ``server``/healthz; its time (the body's server_time, else Date)."""
    import httpx

    name = "HQ"
    url = server.rstrip("/") + "/healthz"
    try:
        response = httpx.get(url, timeout=10.0)
    except httpx.HTTPError as exc:
        return (
            Check(name, False, f"{url} does not answer ({exc}): check the address, network, proxy"),
            None,
        )
    if response.status_code != 200:
        return Check(name, False, f"{url} answered {response.status_code}: ask HQ's IT"), None
    hq_time: datetime | None = None
    try:
        hq_time = datetime.fromisoformat(response.json()["server_time"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        date = response.headers.get("date")
        hq_time = parsedate_to_datetime(date) if date else None
    return Check(name, True, f"{url} answers"), hq_time


def run_checks(
    folder: Path, server: str | None = None, *, now: Callable[[], datetime] | None = None
) -> list[Check]:
    from sync import credentials

    credentials.use_demo_keyring_if_needed(folder)
    checks = [check_data_folder(folder), check_keyring(), check_store(folder), check_resources()]
    hq_time = None
    hq_check = None
    if server:
        hq_check, hq_time = ask_hq(server)
    clock = now or (lambda: datetime.now(UTC))
    why_not = "HQ did not say its time" if server else "no --server"
    checks.append(check_clock(clock(), hq_time, why_not=why_not))
    if hq_check is not None:
        checks.append(hq_check)
    return checks


def report(checks: Iterable[Check]) -> int:
    """Print one line per check; 0 when all are ok, else 1."""
    checks = list(checks)
    for check in checks:
        print(check.line(), flush=True)
    return 0 if all(c.ok for c in checks) else 1
