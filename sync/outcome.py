"""What a sync comes to, in terms a guide can read: errors, progress, the report.

No I/O and no imports beyond the standard library, so the UI can show sync outcomes
without loading the HTTP client at start (sync/client.py raises and returns these and
re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass


class SyncError(Exception):
    """A known sync failure, with a message a guide can read."""

    offline = False
    retryable = False


class OfflineError(SyncError):
    offline = True
    retryable = True


class ServerError(SyncError):
    retryable = True


class AuthError(SyncError):
    pass


class RevokedError(SyncError):
    pass


class UpgradeRequired(SyncError):
    pass


class ResetRequired(SyncError):
    pass


class RequestRejected(SyncError):
    pass


class GuideRefused(SyncError):
    """HQ refused a guide's sign-in or PIN change: ``code`` is HQ's error (``wrong_pin``,
    ``guide_locked``, ``guide_disabled``, ``weak_pin``, ``session_invalid``,
    ``rate_limited``). Never retried, never a reason to sign in offline instead."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        remaining_tries: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.remaining_tries = remaining_tries
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SyncProgress:
    phase: str  # 'push' or 'pull'
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class SyncReport:
    ok: bool
    pushed: int = 0
    rejected: int = 0
    pulled: int = 0
    offline: bool = False
    revoked: bool = False
    error: str | None = None
    ready: bool = False
    # Set when the push failed (the mutations stay in the outbox); the pull may still
    # have brought HQ's changes (``pulled``): see sync/client.py.
    push_error: str | None = None
    # What the pull changed here, so each view refreshes only for what concerns it: the
    # kinds of record (entity names), the customers whose rows or history changed, and
    # ``everything`` after a reset or a first sync (too much to say row by row).
    entities: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()
    everything: bool = False
