"""Terminal credentials, enrolment codes and guide PINs, as HQ keeps them.

HQ never stores a secret it hands out: a terminal token and a one-time enrolment code are
kept as their SHA-256 (both are long random strings, so a plain hash is enough and lets a
request find its terminal with one indexed lookup); a guide's PIN is kept only as an
argon2 verifier, which is also what terminals receive for offline sign-in (the guide
record's ``pin_verifier``). A guide session's secret is kept as its SHA-256 likewise.

The verifier's parameters (:data:`PIN_HASHER`): argon2id, time_cost 3, memory 64 MiB,
one lane (RFC 9106's second recommended option). Measured on the development machine
(2 cores, shared): a verify takes about 120 ms (parallelism 4: 89 ms; 128 MiB: 274 ms).
That is what every offline guess costs: the 10**6 six-digit PINs take about 33 hours on
one core, against 37 minutes for 4-digit PINs under the old parameters. A verifier made
with other parameters is re-made at the next good sign-in at HQ.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain import pin as pin_rules
from sync.hq.db import iso

if TYPE_CHECKING:
    from sync.hq.storage import HQStorage, TerminalRecord

# Enrolment codes are read aloud and typed by IT: no 0/O, 1/I/L look-alikes.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_GROUPS = 3
_CODE_GROUP_LEN = 4  # 12 characters from 31: ~59 bits, and a code lives at most days

PIN_HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1, type=Type.ID)
_PIN_WORDS = {
    pin_rules.PinProblem.NOT_DIGITS: "a PIN is digits only",
    pin_rules.PinProblem.TOO_SHORT: f"a PIN has at least {pin_rules.MIN_PIN_LENGTH} digits",
    pin_rules.PinProblem.TOO_LONG: f"a PIN has at most {pin_rules.MAX_PIN_LENGTH} digits",
    pin_rules.PinProblem.ALL_SAME: "a PIN of one digit repeated is too easy to guess",
    pin_rules.PinProblem.STRAIGHT_RUN: "a PIN of consecutive digits, up or down, is too easy to guess",
}


class AuthFailure(Exception):
    """A request HQ will not serve for who sent it; ``code`` is the protocol's error code."""

    def __init__(
        self, code: str, message: str, status: int, *, remaining_tries: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.remaining_tries = remaining_tries  # wrong_pin: tries left before the lock


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


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` may not be set as a new PIN (app/domain/pin.py's rule), or None."""
    problem = pin_rules.pin_problem(pin)
    return None if problem is None else _PIN_WORDS.get(problem, problem.value)


def check_pin(pin: str) -> str:
    problem = pin_problem(pin)
    if problem is not None:
        raise ValueError(f"PIN refused: {problem}")
    return pin


def pin_verifier(pin: str) -> str:
    """The argon2 verifier of a new PIN that meets the rule (about 0.1 s on purpose)."""
    return PIN_HASHER.hash(check_pin(pin))


def legacy_pin_verifier(pin: str) -> str:
    """A verifier for a PIN from before the rule (the demo brand's, an import's): the
    guide is asked to change it at their first sign-in at HQ."""
    if not pin or any(c not in "0123456789" for c in pin) or len(pin) > 12:
        raise ValueError("a PIN is 1 to 12 digits")
    return PIN_HASHER.hash(pin)


def verify_pin(verifier: str | None, pin: str) -> bool:
    """Does ``pin`` match ``verifier``? False for a missing or unreadable verifier."""
    if not verifier or not pin or len(pin) > 64:
        return False
    try:
        return PIN_HASHER.verify(verifier, pin)
    except (VerificationError, InvalidHashError):
        return False


def verifier_outdated(verifier: str) -> bool:
    """Made with other parameters than :data:`PIN_HASHER`'s: re-make it."""
    try:
        return PIN_HASHER.check_needs_rehash(verifier)
    except (InvalidHashError, ValueError):
        return True


def new_session() -> str:
    """A guide session's secret (256 random bits); HQ keeps only :func:`token_hash`."""
    return secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        return None
    return token


def authenticate(
    storage: HQStorage, authorization: str | None, now: datetime | None = None
) -> TerminalRecord:
    """The terminal a request comes from, or AuthFailure: 401 unknown token, 403 revoked,
    401 token_expired (past its expiry, or a rotated-out token past its grace).

    The first use of a rotated-in token retires the one it replaced."""
    token = bearer_token(authorization)
    terminal = storage.terminal_for_token(token) if token else None
    presented = token_hash(token or "")
    # The lookup is by hash; compare again in constant time so a partial match of an
    # index probe can never be observed through timing.
    current = terminal is not None and hmac.compare_digest(terminal.token_hash, presented)
    previous = (
        terminal is not None
        and not current
        and terminal.previous_token_hash is not None
        and hmac.compare_digest(terminal.previous_token_hash, presented)
    )
    if terminal is None or not (current or previous):
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
    moment = iso(now or storage.clock())
    if current:
        if terminal.token_expires_at and terminal.token_expires_at <= moment:
            raise _expired()
        if terminal.previous_token_hash is not None:
            storage.forget_previous_token(terminal)
            terminal = replace(terminal, previous_token_hash=None, previous_valid_until=None)
        return terminal
    if not terminal.previous_valid_until or terminal.previous_valid_until <= moment:
        raise _expired()
    return replace(terminal, by_previous=True)


def _expired() -> AuthFailure:
    return AuthFailure(
        "token_expired",
        "终端凭证已过期，请向总部索取登记码重新登记"
        " (this terminal's token expired: enrol it again with a new code)",
        401,
    )
