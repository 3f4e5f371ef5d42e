"""Terminal services the composition root wires together: enrolment, the sync engine
factory, and the status report for IT. No Qt here; the UI receives what it needs.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.store import db, keys
from app.store.replica import TerminalReplica, sync_status
from sync import credentials

if TYPE_CHECKING:
    from sync import client

# sync.client (httpx, the protocol's models) is imported where an engine or a request is
# made, not at start: the window comes up without it and the first sync loads it on its
# own thread.


def utc_now() -> datetime:
    return datetime.now(UTC)


def enroll_terminal(db_file: Path, server: str, code: str, name: str = "") -> dict[str, str]:
    """Enrol this terminal with HQ: the token goes to the keyring, the rest to sync_state.

    The one-time code is spent only when the keyring will keep the token (checked first,
    with a probe entry) and the local database opens; the token is read back after saving.
    """
    from sync import client

    credentials.check_keyring()
    conn = db.connect(db_file)
    try:
        replica = TerminalReplica(conn, clock=utc_now)
        answer = client.enroll(server, code, name or socket.gethostname())
        credentials.save_token(answer.terminal_id, answer.token)
        if credentials.load_token(answer.terminal_id) != answer.token:
            raise credentials.CredentialError(
                "终端凭证存入系统钥匙串后读不回来，请向总部申请新的登记码"
                f" (the keyring did not give back the token of terminal {answer.terminal_id};"
                " ask HQ for a new one-time code)"
            )
        previous = replica.get_state("terminal_id")
        if previous and previous != answer.terminal_id:
            credentials.forget_token(previous)
        replica.set_state(
            terminal_id=answer.terminal_id,
            server=server.rstrip("/"),
            store_id=answer.store_id,
            store_name=answer.store_name,
        )
    finally:
        conn.close()
    keys.clear_wiped(db_file.parent)  # enrolled anew: no longer the wiped terminal
    return {"terminal_id": answer.terminal_id, "store_id": answer.store_id}


# How often a sync starts with hello: the brand's idle lock, HQ-locked guides, and when
# the terminal token is due for rotation (HQ answers should_rotate well before expiry).
HELLO_EVERY_S = 600


def engine_factory(
    db_file: Path, *, clock: Callable[[], datetime] = utc_now, **engine_options: Any
) -> Callable[[], client.SyncEngine]:
    """A function that builds a sync engine with its own connection, in the calling thread.

    A rotated token goes to the keyring before the engine uses it (``on_new_token``).
    """

    def make() -> client.SyncEngine:
        from sync import client

        conn = db.connect(db_file)
        replica = TerminalReplica(conn, clock=clock)
        terminal_id = replica.get_state("terminal_id")
        server = replica.get_state("server")
        token = credentials.load_token(terminal_id) if terminal_id else None
        if not (terminal_id and server and token):
            conn.close()
            when = wiped_at(db_file)
            if when is not None:
                raise client.RevokedError(
                    f"本终端已被总部停用，本机数据已于 {when} 清除；如需再用，请 IT 重新登记"
                    f" (this terminal was revoked by HQ and its data wiped on {when};"
                    " IT can enrol it again)"
                )
            raise client.AuthError(
                "本终端尚未登记：请运行 guidedesk enroll (terminal not enrolled)"
            )
        options: dict[str, Any] = {
            "hello_every_s": HELLO_EVERY_S,
            "on_new_token": lambda new: credentials.save_token(terminal_id, new),
            **engine_options,
        }

        def on_revoked() -> None:
            conn.close()  # the engine's own connection: nothing of it may outlive the wipe
            wipe_revoked(db_file, terminal_id, when=clock())

        return client.SyncEngine(
            replica,
            base_url=server,
            token=token,
            clock=clock,
            on_revoked=on_revoked,
            **options,
        )

    return make


def wipe_revoked(db_file: Path, terminal_id: str, *, when: datetime) -> None:
    """HQ revoked this terminal: destroy the cache key first (a copy of the file is noise
    from then on), then the database with its WAL and SHM, then the token; a small marker
    (when, which terminal, no personal data) says it was wiped, and the store refuses any
    old file put back into the folder (app/store/keys.py)."""
    keys.wipe(
        db_file,
        terminal_id=terminal_id,
        when=when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    credentials.forget_token(terminal_id)


class NotADemoFolder(credentials.CredentialError):
    """`guidedesk demo` was pointed at a real terminal's data folder."""


_DEMO_MARKER_TEXT = (
    "This data folder was made by `guidedesk demo`: demo data only, never a real terminal.\n"
    "Without an OS keyring its terminal token and cache key are kept in demo-keyring.json\n"
    "(plain text, demo only). The demo HQ's database is demo-hq/hq.sqlite3.\n"
    "Delete this folder to start the demo anew.\n"
)


def claim_demo_folder(home: Path) -> None:
    """Mark ``home`` as the demo's (before any secret is kept for it): a new or empty
    folder, or one an earlier demo made (it has demo-hq/). A real terminal's folder is
    refused: the demo never mixes its data and keyring with a terminal's."""
    if credentials.is_demo_folder(home):
        return
    if (home / db.DB_FILENAME).exists() and not (home / "demo-hq").is_dir():
        raise NotADemoFolder(
            f"这个数据文件夹属于一台真实终端，演示程序不使用它；请用 --home 指定另一个文件夹"
            f" ({home} holds a real terminal's data: the demo does not touch it; give the demo"
            f" a folder of its own with --home DIR or GUIDEDESK_HOME)"
        )
    keys.private_folder(home)
    marker = home / credentials.DEMO_FOLDER_MARKER
    marker.write_text(_DEMO_MARKER_TEXT, encoding="utf-8")
    keys.private_files([marker])


def forget_demo_terminal(db_file: Path) -> None:
    """The demo's HQ was built anew: the terminal's old enrolment and cache belong to an
    HQ that no longer exists (demo folders only)."""
    if not credentials.is_demo_folder(db_file.parent):
        raise NotADemoFolder(f"not a demo folder: {db_file.parent}")
    if not db_file.exists():
        return
    try:
        conn = db.connect(db_file)
    except keys.KeyMissing:
        terminal_id = None
    else:
        try:
            terminal_id = TerminalReplica(conn, clock=utc_now).get_state("terminal_id")
        finally:
            conn.close()
    if terminal_id:
        credentials.forget_token(terminal_id)
    for path in keys.database_files(db_file):
        path.unlink(missing_ok=True)


def demo_sign_in(db_file: Path, *, newly_enrolled: bool) -> str | None:
    """Whom the demo signs in without a PIN: the store's first guide right after the
    demo enrolled the terminal (the first start); on every later start nobody, the
    sign-in screen asks for the PIN like on a real terminal."""
    return first_guide(db_file) if newly_enrolled else None


def discard_unreadable_demo_cache(db_file: Path) -> bool:
    """A demo cache whose key is gone (kept in an earlier demo's memory, or a keyring
    that was cleared) cannot be decrypted any more, and is demo data HQ sends again. True
    when such a cache was removed. (Never for a wiped terminal, never a real terminal's.)"""
    if not (credentials.in_memory_keyring() or credentials.is_demo_folder(db_file.parent)):
        return False
    try:
        db.connect(db_file).close()
    except keys.TerminalWiped:
        raise
    except keys.KeyMissing:
        for path in keys.database_files(db_file):
            path.unlink(missing_ok=True)
        return True
    return False


def wiped_at(db_file: Path) -> str | None:
    """When HQ's revoke wiped this terminal's data folder, or None."""
    return keys.wiped_at(db_file.parent)


class GuideAuthority:
    """A guide's PIN checked at HQ, for the UI's sign-in and lock screens. No Qt.

    The UI runs these on a worker lane and hands in that lane's connection: HQ's address
    and this terminal's id come from the store, the token from the keyring, at each call
    (so a token rotated by the last sync is used at once). A terminal that cannot reach
    HQ this way (no token in the keyring) raises ``OfflineError``, like a network down:
    the guide then signs in against the local verifier.
    """

    def __init__(self, *, transport: Any = None, timeout_s: float | None = None) -> None:
        self.transport = transport
        self.timeout_s = timeout_s

    def _client(self, conn: Any) -> client.HQClient:
        from sync import client

        replica = TerminalReplica(conn, clock=utc_now)
        terminal_id, server = replica.get_state("terminal_id"), replica.get_state("server")
        try:
            token = credentials.load_token(terminal_id) if terminal_id else None
        except credentials.CredentialError as exc:  # the keyring is away: so is HQ, for us
            raise client.OfflineError(str(exc)) from exc
        if not (server and token):
            raise client.OfflineError("本终端没有可用的凭证 (no terminal credential)")
        options: dict[str, Any] = {"transport": self.transport}
        if self.timeout_s is not None:
            options["timeout_s"] = self.timeout_s
        return client.guide_client(server, token, **options)

    def sign_in(self, conn: Any, guide_id: str, pin: str) -> Any:
        """HQ's ``SignInResponse``; raises ``GuideRefused`` / ``OfflineError`` / …"""
        from sync import client

        with self._client(conn) as hq:
            return client.sign_in(hq, guide_id, pin)

    def change_pin(self, conn: Any, session: str, new_pin: str) -> None:
        from sync import client

        with self._client(conn) as hq:
            client.change_pin(hq, session, new_pin)

    def sign_out(self, conn: Any, session: str) -> None:
        from sync import client

        with self._client(conn) as hq:
            client.sign_out(hq, session)


def is_enrolled(db_file: Path) -> bool:
    conn = db.connect(db_file)
    try:
        terminal_id = TerminalReplica(conn, clock=utc_now).get_state("terminal_id")
    finally:
        conn.close()
    return bool(terminal_id) and credentials.load_token(terminal_id) is not None


def status_report(db_file: Path) -> dict[str, Any]:
    """What `guidedesk status --json` prints for IT and scripts."""
    conn = db.connect(db_file)
    try:
        status = sync_status(conn)
        counts = TerminalReplica(conn, clock=utc_now).counts()
    finally:
        conn.close()
    return {
        "terminal_id": status.terminal_id,
        "server": status.server,
        "store": status.store_id,
        "store_name": status.store_name,
        "ready": status.ready,
        "last_sync": status.last_sync_at,
        "last_attempt": status.last_attempt_at,
        "last_error": status.last_error,
        "offline": status.offline,
        "pending": status.pending,  # everything not yet sent = the two below
        "pending_edits": status.pending_edits,  # edits waiting to sync
        "pending_audit_records": status.pending_audit,  # phone shown/copied, recorded for audit
        "rejected": status.rejected,
        "wiped_at": wiped_at(db_file),
        "counts": {
            "customers": counts["customer"],
            "purchases": counts["purchase"],
            "followups": counts["followup"],
            "guides": counts["guide"],
            "products": counts["product"],
            "tasks": counts["task"],
            "content": counts["content"],
            "appointments": counts["appointment"],
            "conflicts": counts["conflict"],
        },
    }


def point_at_server(db_file: Path, server: str) -> None:
    """The demo HQ listens on a new port each start: remember where it is now."""
    conn = db.connect(db_file)
    try:
        TerminalReplica(conn, clock=utc_now).set_state(server=server.rstrip("/"))
    finally:
        conn.close()


def first_guide(db_file: Path) -> str | None:
    """The first (non-manager) guide of the store, whom the demo signs in."""
    from app.store.guides import list_guides

    conn = db.connect(db_file)
    try:
        guides = list_guides(conn)
    finally:
        conn.close()
    plain = [g for g in guides if not g.is_manager] or guides
    return plain[0].id if plain else None
