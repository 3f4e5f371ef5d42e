"""The GuideDesk sync protocol: the messages terminals and HQ exchange, version 1.

Every request body carries ``protocol``; HQ answers a version it no longer speaks with
HTTP 426 and ``{"error": "upgrade_required"}`` so an old terminal says "please update"
instead of crashing. Errors always have the shape of :class:`ErrorBody`.

Endpoints (all POST, JSON, ``Authorization: Bearer <terminal token>`` except enroll):

``/v1/enroll``    EnrollRequest   -> EnrollResponse
``/v1/hello``     HelloRequest    -> HelloResponse      (who am I, server time)
``/v1/push``      PushRequest     -> PushResponse       (idempotent by mutation id)
``/v1/pull``      PullRequest     -> PullResponse       (paged cursor over the change log)
``/v1/checksum``  ChecksumRequest -> ChecksumResponse   (per-entity digests for drift)
``/v1/sign-in``   SignInRequest   -> SignInResponse     (a guide's PIN checked at HQ)
``/v1/sign-out``  SignOutRequest  -> OkResponse         (ends the session of the header)
``/v1/change-pin`` ChangePinRequest -> OkResponse       (session header required)
``/v1/unlock-guide`` UnlockGuideRequest -> OkResponse   (a manager's session header)
``/v1/rotate-token`` RotateTokenRequest -> RotateTokenResponse

Guide sessions (who signed in, provably): when HQ is reachable a terminal signs a guide
in with ``/v1/sign-in``; HQ checks the PIN, counts failures per guide (locked after
:data:`PIN_LOCK_AFTER` wrong PINs in a row until a manager or HQ unlocks) and answers a
session of :data:`SESSION_HOURS`. Endpoints that act for a guide take the session in the
``X-GuideDesk-Session`` header (:data:`SESSION_HEADER`). Every mutation the guide makes
while signed in carries it in ``Mutation.session``; HQ checks it was issued to this
terminal for the mutation's ``guide_id`` and that ``created_at`` lies inside it, and
records the actor as proven. ``session = None`` means "signed in offline" (against the
local verifier): HQ applies its rule table and records it so. A session that does not
check out rejects that mutation only, with a reason.

Terminal tokens expire (:data:`TOKEN_DAYS` by default). ``HelloResponse.rotate_after``
/ ``should_rotate`` tell a terminal when to call ``/v1/rotate-token``; the new token
works at once and the old one keeps working until the new one is first used or for
:data:`ROTATION_GRACE_HOURS`, so a crash before the keyring write strands nothing. An
expired token is refused with 401 ``token_expired`` (re-enrol).

Errors: a terminal must dispatch on ``ErrorBody.error``, not on the HTTP status alone:
401 is ``unauthorized`` / ``token_expired`` (the terminal's token) but also
``wrong_pin`` (``remaining_tries`` set) and ``session_invalid`` (the guide's session:
sign in again). 423 ``guide_locked``, 403 ``guide_disabled``, 422 ``weak_pin``, 429
``rate_limited`` (``Retry-After`` header and ``retry_after`` seconds).

Pull cursor: an opaque string. HQ's change log orders changes by (txid, seq); a change is
only handed out once every transaction that could still commit below it has finished,
so the cursor never skips a change committed out of order (see sync/hq/changelog.py).

Entities on the wire (``Change.entity``): store, guide, product, customer, purchase,
followup, content, task, task_target, share, appointment, conflict. ``Change.op`` is
``upsert`` (``data`` is the whole record) or ``delete`` (a tombstone; for a customer,
``data.reason`` says ``moved`` when HQ moved them out of this terminal's scope).

Mutations (``Mutation.entity`` / ``op``), made on a terminal:
- ``followup`` / ``create``: payload = the follow-up record (id, customer_id, channel,
  note, next_followup_on, created_at, task_id)
- ``customer`` / ``update``: payload = ``{"fields": {name: {"old": v0, "new": v1}}}`` for
  the editable fields (tags, sizes, preferences, note); HQ merges field by field and
  records a ``conflict`` when a field changed underneath.
- ``share`` / ``create``, ``appointment`` / ``create``|``update``,
  ``task_target`` / ``complete``, ``audit`` / ``reveal_phone``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from app.domain import pin as _pin_rules
from sync import records as _records

# The records are part of the protocol: re-exported here.
from sync.records import ENTITIES as ENTITIES
from sync.records import RECORDS as RECORDS

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1

MAX_PUSH_BATCH = 500
MAX_PULL_LIMIT = 5000
MAX_BODY_BYTES = 8 * 1024 * 1024

# Guide sign-in and terminal tokens (HQ's defaults; HQ may be configured otherwise).
SESSION_HEADER = "X-GuideDesk-Session"
SESSION_HOURS = 12
PIN_LOCK_AFTER = _pin_rules.MAX_FAILURES  # wrong PINs in a row lock that guide only
# HQ refuses shorter new PINs; an existing shorter one must change (app/domain/pin.py).
MIN_PIN_LENGTH = _pin_rules.MIN_PIN_LENGTH
MAX_PIN_LENGTH = _pin_rules.MAX_PIN_LENGTH
TOKEN_DAYS = 90
ROTATION_GRACE_HOURS = 24
IDLE_LOCK_SECONDS = 300  # the brand's default; HelloResponse says the brand's value

# entity -> the ops a terminal may push (declared in sync/records.py).
MUTATION_KINDS: dict[str, tuple[str, ...]] = {}
for _entity, _op in _records.MUTATIONS:
    MUTATION_KINDS.setdefault(_entity, ())
    MUTATION_KINDS[_entity] += (_op,)

# A client-made mutation id (a UUID on our terminals): it is echoed back in the answer,
# so it must be plain ASCII. Anything else in a mutation is checked one by one at HQ and
# rejects that mutation only (sync/hq/mutations), never the whole push.
MUTATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"
# "txid.seq" or "txid.seq.epoch" with ASCII digits ("²" is a digit to str.isdigit()).
CURSOR_PATTERN = r"^[0-9]{1,19}\.[0-9]{1,19}(\.[0-9]{1,19})?$"

ErrorCode = Literal[
    "bad_request",
    "unauthorized",
    "revoked",
    "forbidden",
    "not_found",
    "upgrade_required",
    "reset_required",
    "too_large",
    "invalid_code",
    "server_error",
    "token_expired",
    "wrong_pin",
    "guide_locked",
    "guide_disabled",
    "weak_pin",
    "session_invalid",
    "rate_limited",
]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Request(_Message):
    protocol: int = Field(ge=0, le=10_000)


class ErrorBody(_Message):
    error: ErrorCode
    message: str
    # wrong_pin: wrong PINs left before the guide is locked.
    remaining_tries: int | None = None
    # rate_limited: seconds to wait (also the Retry-After header).
    retry_after: int | None = None


class EnrollRequest(_Request):
    code: str = Field(min_length=4, max_length=64)
    terminal_name: str = Field(default="", max_length=100)


class EnrollResponse(_Message):
    terminal_id: str
    token: str
    store_id: str
    store_name: str
    server_time: str


class HelloRequest(_Request):
    pass


class HelloResponse(_Message):
    terminal_id: str
    store_id: str
    server_time: str
    protocol: int
    # This token's expiry, and from when the terminal should rotate it (once a third of
    # its life is gone; at once for a token with no expiry, from before rotation, or when
    # the request used a rotated-out token still in its grace); should_rotate says
    # whether that time has come, for a terminal that trusts no clock of its own.
    token_expires_at: str | None = None
    rotate_after: str | None = None
    should_rotate: bool = False
    # The brand's idle lock, in seconds (guidedesk-hq set-idle-lock).
    idle_lock_seconds: int = IDLE_LOCK_SECONDS
    # Guides of this store HQ has locked (too many wrong PINs): no offline sign-in either.
    locked_guides: list[str] = Field(default_factory=list)


class SignInRequest(_Request):
    guide_id: str = Field(min_length=1, max_length=64)
    # Digits; anything else is simply a wrong PIN (counted like one).
    pin: str = Field(min_length=1, max_length=64)


class SignInResponse(_Message):
    session: str  # an opaque secret: send it as the X-GuideDesk-Session header
    expires_at: str
    guide_id: str
    # The PIN is shorter than MIN_PIN_LENGTH (set before the rule): ask for a new one
    # now and send it with /v1/change-pin under this session.
    must_change_pin: bool
    idle_lock_seconds: int


class SignOutRequest(_Request):
    pass


class ChangePinRequest(_Request):
    new_pin: str = Field(min_length=1, max_length=64)


class UnlockGuideRequest(_Request):
    guide_id: str = Field(min_length=1, max_length=64)


class OkResponse(_Message):
    ok: bool = True


class RotateTokenRequest(_Request):
    pass


class RotateTokenResponse(_Message):
    token: str
    expires_at: str


class Mutation(_Message):
    id: str = Field(min_length=8, max_length=64, pattern=MUTATION_ID_PATTERN)
    guide_id: str = Field(min_length=1, max_length=64)
    entity: str = Field(max_length=32)
    op: str = Field(max_length=32)
    entity_id: str = Field(min_length=1, max_length=128)
    payload: dict[str, Any]
    created_at: str = Field(max_length=40)
    # The guide session the edit was made under (SignInResponse.session); None: the
    # guide signed in offline, against the terminal's verifier.
    session: str | None = Field(default=None, max_length=128)


class PushRequest(_Request):
    mutations: list[Mutation] = Field(max_length=MAX_PUSH_BATCH)


MutationStatus = Literal["applied", "duplicate", "rejected"]


class MutationResult(_Message):
    id: str
    status: MutationStatus
    reason: str = ""


class PushResponse(_Message):
    results: list[MutationResult]


class PullRequest(_Request):
    cursor: str | None = Field(default=None, max_length=64, pattern=CURSOR_PATTERN)
    limit: int = Field(default=1000, ge=1, le=MAX_PULL_LIMIT)


class Change(_Message):
    entity: str
    op: Literal["upsert", "delete"]
    id: str
    version: int
    data: dict[str, Any] = Field(default_factory=dict)


class PullResponse(_Message):
    changes: list[Change]
    cursor: str | None
    more: bool
    # Rough size of the whole pull from this cursor, for a first-sync progress bar.
    remaining: int = 0


class ChecksumRequest(_Request):
    entities: list[str] = Field(default_factory=list, max_length=len(ENTITIES))


class EntityChecksum(_Message):
    count: int
    digest: str


class ChecksumResponse(_Message):
    cursor: str | None
    checksums: dict[str, EntityChecksum]


def checksum_of(rows: list[tuple[str, int]] | Any) -> EntityChecksum:
    """Order-independent digest of (id, version) pairs, computed alike on both sides.

    A sum of per-row hashes modulo 2**64: cheap, incremental, and independent of the
    order each database returns rows in.
    """
    import hashlib

    total = 0
    count = 0
    for entity_id, version in rows:
        digest = hashlib.blake2b(f"{entity_id}:{version}".encode(), digest_size=8).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 64)
        count += 1
    return EntityChecksum(count=count, digest=f"{total:016x}")


# -- the records as models (derived from sync/records.py) ---------------------------------

_PYTHON_TYPE: dict[_records.Type, Any] = {
    _records.Type.TEXT: str,
    _records.Type.INT: int,
    _records.Type.BOOL: bool,
    _records.Type.DATE: str,
    _records.Type.TIMESTAMP: str,
    _records.Type.TAGS: list[str],
    _records.Type.SIZES: dict[str, str],
    _records.Type.ITEMS: list[dict[str, Any]],
    _records.Type.JSON: dict[str, Any],
}


def _checker(f: _records.Field) -> Any:
    def check(value: Any) -> Any:
        problem = _records.value_problem(f, value)
        if problem is not None:
            raise ValueError(f"{f.name} {problem}")
        return value

    return check


def _record_model(record: _records.Record) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for f in record.fields:
        kind: Any = _PYTHON_TYPE[f.type]
        if f.choices:
            kind = Literal[f.choices]  # type: ignore[valid-type]
        if f.nullable:
            kind = kind | None
        annotated = Annotated[kind, AfterValidator(_checker(f))]
        default = ... if f.required else (None if f.default_value() is None else f.default)
        fields[f.name] = (annotated, Field(default=default))
    name = "".join(part.title() for part in record.entity.split("_")) + "Record"
    model = create_model(name, __config__=ConfigDict(extra="forbid", strict=True), **fields)
    model.__doc__ = f"The wire record of a {record.entity} (declared in sync/records.py)."
    return model


# One model per synced record: the shape of ``Change.data`` for an upsert of it.
RECORD_MODELS: dict[str, type[BaseModel]] = {
    r.entity: _record_model(r) for r in _records.DECLARATIONS
}
