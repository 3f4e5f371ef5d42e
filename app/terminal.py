"""Terminal services the composition root wires together: enrolment, the sync engine
factory, and the status report for IT. No Qt here; the UI receives what it needs.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.store import db
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
    return {"terminal_id": answer.terminal_id, "store_id": answer.store_id}


def engine_factory(
    db_file: Path, *, clock: Callable[[], datetime] = utc_now, **engine_options: Any
) -> Callable[[], client.SyncEngine]:
    """A function that builds a sync engine with its own connection, in the calling thread."""

    def make() -> client.SyncEngine:
        from sync import client

        conn = db.connect(db_file)
        replica = TerminalReplica(conn, clock=clock)
        terminal_id = replica.get_state("terminal_id")
        server = replica.get_state("server")
        token = credentials.load_token(terminal_id) if terminal_id else None
        if not (terminal_id and server and token):
            conn.close()
            raise client.AuthError(
                "本终端尚未登记：请运行 guidedesk enroll (terminal not enrolled)"
            )
        return client.SyncEngine(
            replica,
            base_url=server,
            token=token,
            clock=clock,
            on_revoked=lambda: credentials.forget_token(terminal_id),
            **engine_options,
        )

    return make


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
        "pending": status.pending,
        "rejected": status.rejected,
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
