"""Terminal credentials, enrolment codes and guide PINs, as HQ keeps them.

HQ never stores a secret it hands out: a terminal token and a one-time enrolment code are
kept as their SHA-256 (both are long random strings, so a plain hash is enough and lets a
request find its terminal with one indexed lookup); a guide's PIN is kept only as an
argon2 verifier, which is also what terminals receive for offline sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

if TYPE_CHECKING:
    from sync.hq.storage import HQStorage, TerminalRecord

# Enrolment codes are read aloud and typed by IT: no 0/O, 1/I/L look-alikes.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_GROUPS = 3
_CODE_GROUP_LEN = 4  # 12 characters from 31: ~59 bits, and a code lives at most days
_PIN = re.compile(r"^\d{4,8}$")


class AuthFailure(Exception):
    """A request HQ will not serve for who sent it; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def new_token() -> str:
    """A terminal's bearer token: 256 random bits, shown once, at enrolment."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_enroll_code() -> str:
    """A one-time enrolment code such as ``K7QM-2XPD-RW9A``."""
    chars = [secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_GROUPS * _CODE_GROUP_LEN)]
    return "-".join(
        "".join(chars[i : i + _CODE_GROUP_LEN]) for i in range(0, len(chars), _CODE_GROUP_LEN)
    )


def code_hash(code: str) -> str:
    """Hash of a code as typed: case, spaces and dashes do not matter."""
    normal = re.sub(r"[\s\-]", "", code).upper()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def check_pin(pin: str) -> str:
    if not _PIN.match(pin):
        raise ValueError("PIN must be 4 to 8 digits")
    return pin


def pin_verifier(pin: str) -> str:
    """The argon2 verifier of a PIN (tens of milliseconds on purpose)."""
    return PasswordHasher().hash(check_pin(pin))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        return None
    return token


def authenticate(storage: HQStorage, authorization: str | None) -> TerminalRecord:
    """The terminal a request comes from, or AuthFailure (401 unknown, 403 revoked)."""
    token = bearer_token(authorization)
    terminal = storage.terminal_for_token(token) if token else None
    # The lookup is by hash; compare again in constant time so a partial match of an
    # index probe can never be observed through timing.
    if terminal is None or not hmac.compare_digest(terminal.token_hash, token_hash(token or "")):
        raise AuthFailure(
            "unauthorized",
            "终端凭证无效，请重新登记 (unknown or missing terminal token)",
            401,
        )
    if terminal.revoked_at:
        raise AuthFailure(
            "revoked",
            "本终端已被总部停用 (this terminal was revoked by HQ)",
            403,
        )
    return terminal
