"""The HQ server's HTTP side: the endpoints of ``sync.protocol`` over :class:`HQStorage`.

Handlers are plain ``def`` functions (FastAPI runs them in its thread pool; the database
calls block). Every error is an ``ErrorBody``; bad input is a 4xx with a plain message,
never a 500. The pull answer is spliced from the change log's stored JSON text: no model
per row on the way out (a first sync is hundreds of thousands of rows).

Token before body: :class:`TokenFirst` checks the bearer token of every ``/v1/`` request
but enrolment before anything reads the body, so a request with a bad token is answered
401 and its body is never read by the app (uvicorn drops it), however big; it also
rate-limits enrolment per client address and overall (``sync/hq/ratelimit.py``), and
:func:`create_app`'s sign-in rate-limits PIN checks per terminal and per guide.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync import protocol
from sync.hq import auth, ratelimit
from sync.hq.sessions import GuideSession
from sync.hq.storage import (
    HQStorage,
    InvalidCursor,
    NotFound,
    ResetRequired,
    StorageError,
    TerminalRecord,
    iso,
    utc_now,
)

log = logging.getLogger(__name__)

DB_ENV = "GUIDEDESK_HQ_DB"
_JSON = "application/json"


class HQError(Exception):
    """An answer other than success, in the protocol's ``ErrorBody`` shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra or {}  # ErrorBody's optional fields (remaining_tries, …)
        self.headers = headers


def _error(
    status: int,
    code: str,
    message: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    content = {"error": code, "message": message}
    content.update({k: v for k, v in (extra or {}).items() if v is not None})
    return JSONResponse(status_code=status, content=content, headers=headers)


def _refused(failure: auth.AuthFailure) -> HQError:
    extra = {"remaining_tries": failure.remaining_tries}
    return HQError(failure.status, failure.code, failure.message, extra=extra)


def _rate_limited(wait: float) -> HQError:
    seconds = ratelimit.retry_after(wait)
    return HQError(
        429,
        "rate_limited",
        f"尝试太频繁，请 {seconds} 秒后再试 / too many tries: retry in {seconds} s",
        extra={"retry_after": seconds},
        headers={"Retry-After": str(seconds)},
    )


def check_protocol(version: Any) -> None:
    """426 for a terminal too old for this HQ, 400 for one newer than it."""
    if not isinstance(version, int) or isinstance(version, bool):
        return  # the model validation reports it
    if version < protocol.MIN_PROTOCOL_VERSION:
        raise HQError(
            426,
            "upgrade_required",
            f"此版本的 GuideDesk 过旧，请更新 GuideDesk 后再同步 / this terminal speaks protocol"
            f" {version}; HQ needs at least {protocol.MIN_PROTOCOL_VERSION}: please update"
            " GuideDesk",
        )
    if version > protocol.PROTOCOL_VERSION:
        raise HQError(
            400,
            "bad_request",
            f"总部服务器版本较旧，不支持协议 {version} / this HQ speaks protocol up to"
            f" {protocol.PROTOCOL_VERSION}; ask IT to update the HQ server",
        )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before anything parses them.

    The body is read here (Content-Length is checked first, a chunked body is counted)
    and replayed to the app, so an oversized request never reaches JSON decoding. Every
    body of this API is JSON whatever its Content-Type says (terminals send none), so the
    header is set to JSON for the parser: garbage then fails as malformed JSON.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = _error(
            413,
            "too_large",
            f"请求超过 {self.max_bytes // (1024 * 1024)} MB / request body over"
            f" {self.max_bytes} bytes: send smaller batches",
        )
        await response(scope, receive, send)


# Endpoints under /v1/ that take no terminal token (everything else there needs one).
PUBLIC_PATHS = frozenset({"/v1/enroll"})


class TokenFirst:
    """Check the terminal token of a POST to a ``/v1/`` endpoint before its body is read.

    A bad, expired or revoked token is answered at once and ``receive`` is never called
    (uvicorn discards the unread body); a good one is handed to the endpoint in
    ``request.state.terminal``, so it is looked up once. Enrolment takes no token: it is
    rate-limited here instead, per client address and overall, also before its body.
    Other paths and methods go on untouched (an unknown path is a 404, a GET a 405).
    """

    def __init__(
        self,
        app: ASGIApp,
        store: HQStorage,
        clock: Callable[[], datetime],
        limiters: ratelimit.Limiters,
        api: FastAPI,
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.limiters = limiters
        # Built when the first request arrives, after every route is registered.
        self.gated = frozenset(
            getattr(route, "path", "")
            for route in api.routes
            if getattr(route, "path", "").startswith("/v1/")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path not in self.gated or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if path in PUBLIC_PATHS:
            client = (scope.get("client") or ("?", 0))[0]
            wait = ratelimit.first_wait(
                (self.limiters.enroll_per_client, client),
                (self.limiters.enroll_overall, "*"),
            )
            if wait > 0:
                refusal = _rate_limited(wait)
                response = _error(
                    refusal.status, refusal.code, refusal.message, refusal.extra, refusal.headers
                )
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
        try:
            terminal = await anyio.to_thread.run_sync(
                auth.authenticate, self.store, header, self.clock()
            )
        except auth.AuthFailure as failure:
            await _error(failure.status, failure.code, failure.message)(scope, receive, send)
            return
        state = {**scope.get("state", {}), "terminal": terminal}
        await self.app({**scope, "state": state}, receive, send)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "请求格式不对 / invalid request: " + "; ".join(parts)


def create_app(
    db_url: str,
    *,
    clock: Callable[[], datetime] = utc_now,
    storage: HQStorage | None = None,
    limits: ratelimit.Limits | None = None,
) -> FastAPI:
    """The HQ ASGI app over the database at ``db_url`` (migrated on creation).

    ``limits``: the rate limits of this process (:class:`~sync.hq.ratelimit.Limits`),
    kept in memory on ``clock``."""
    store = storage or HQStorage(db_url, clock=clock)
    store.migrate()
    limiters = ratelimit.Limiters(limits or ratelimit.Limits(), lambda: clock().timestamp())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Handlers block on the database: run no more at once than there are pooled
        # connections (anyio's default is 40 threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = store.pool_size
        yield
        if storage is None:
            store.close()

    app = FastAPI(
        title="GuideDesk HQ",
        version=f"protocol {protocol.PROTOCOL_VERSION}",
        description="Reference HQ server: terminals enrol, push mutations, pull changes.",
        lifespan=lifespan,
    )
    app.state.storage = store
    app.state.limiters = limiters
    app.add_middleware(BodyLimit, max_bytes=protocol.MAX_BODY_BYTES)
    # Added last, so it runs first: the token is checked before BodyLimit reads a byte.
    app.add_middleware(TokenFirst, store=store, clock=clock, limiters=limiters, api=app)
    _install_error_handlers(app)
    bearer = HTTPBearer(auto_error=False, description="the terminal token from /v1/enroll")
    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": protocol.ErrorBody}
        for code in (400, 401, 403, 409, 413, 422, 423, 426, 429)
    }

    def authenticated_terminal(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> TerminalRecord:
        """The terminal a request comes from: 401 unknown, missing or expired token, 403
        revoked. :class:`TokenFirst` has checked it before the body was read; the lookup
        here is for an app mounted without it. The protocol version is checked in the
        handler, after this (an old terminal with a bad token hears 401 first).
        """
        checked = getattr(request.state, "terminal", None)
        if isinstance(checked, TerminalRecord):
            return checked
        header = f"Bearer {credentials.credentials}" if credentials else None
        try:
            return auth.authenticate(store, header)
        except auth.AuthFailure as failure:
            raise _refused(failure) from None

    def guide_session(
        request: Request,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> GuideSession:
        """The guide session of the ``X-GuideDesk-Session`` header: 401 session_invalid
        (none, unknown, another terminal's, ended), 403 guide_disabled, 423 guide_locked."""
        try:
            return store.guide_session(terminal, request.headers.get(protocol.SESSION_HEADER))
        except auth.AuthFailure as failure:
            raise _refused(failure) from None

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        with store.read() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"ok": True, "protocol": protocol.PROTOCOL_VERSION, "server_time": iso(clock())}

    @app.post("/v1/enroll", response_model=protocol.EnrollResponse, responses=errors)
    def enroll(body: protocol.EnrollRequest) -> Response:
        check_protocol(body.protocol)
        enrolment = store.enroll(body.code, body.terminal_name)
        if enrolment is None:
            raise HQError(
                400,
                "invalid_code",
                "登记码无效、已用过或已过期，请向总部索取新的登记码"
                " / enrolment code unknown, already used or expired",
            )
        return _json_response(
            {
                "terminal_id": enrolment.terminal_id,
                "token": enrolment.token,
                "store_id": enrolment.store_id,
                "store_name": enrolment.store_name,
                "server_time": iso(clock()),
            }
        )

    @app.post("/v1/hello", response_model=protocol.HelloResponse, responses=errors)
    def hello(
        body: protocol.HelloRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        store.touch_terminal(terminal)
        now = clock()
        rotate_after, should_rotate = terminal.rotation(now)
        return _json_response(
            {
                "terminal_id": terminal.id,
                "store_id": terminal.store_id,
                "server_time": iso(now),
                "protocol": protocol.PROTOCOL_VERSION,
                # The token this request used: a rotated-out one lives to its grace's end.
                "token_expires_at": (
                    terminal.previous_valid_until
                    if terminal.by_previous
                    else terminal.token_expires_at
                ),
                "rotate_after": rotate_after,
                "should_rotate": should_rotate,
                "idle_lock_seconds": store.idle_lock_seconds(),
                "locked_guides": store.locked_guides(terminal.store_id),
            }
        )

    @app.post("/v1/rotate-token", response_model=protocol.RotateTokenResponse, responses=errors)
    def rotate_token(
        body: protocol.RotateTokenRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        try:
            token, expires_at = store.rotate_token(terminal)
        except StorageError as exc:
            raise HQError(409, "bad_request", f"请重试 / {exc}") from None
        return _json_response({"token": token, "expires_at": expires_at})

    @app.post("/v1/sign-in", response_model=protocol.SignInResponse, responses=errors)
    def sign_in(
        body: protocol.SignInRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        wait = ratelimit.first_wait(
            (limiters.sign_in_per_terminal, terminal.id),
            (limiters.sign_in_per_guide, body.guide_id),
        )
        if wait > 0:
            raise _rate_limited(wait)
        try:
            signed = store.sign_in(terminal, body.guide_id, body.pin)
        except auth.AuthFailure as failure:
            raise _refused(failure) from None
        return _json_response(
            {
                "session": signed.session,
                "expires_at": signed.expires_at,
                "guide_id": signed.guide_id,
                "must_change_pin": signed.must_change_pin,
                "idle_lock_seconds": signed.idle_lock_seconds,
            }
        )

    @app.post("/v1/sign-out", response_model=protocol.OkResponse, responses=errors)
    def sign_out(
        body: protocol.SignOutRequest,
        session: GuideSession = Depends(guide_session),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        store.sign_out(session)
        return _json_response({"ok": True})

    @app.post("/v1/change-pin", response_model=protocol.OkResponse, responses=errors)
    def change_pin(
        body: protocol.ChangePinRequest,
        session: GuideSession = Depends(guide_session),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        try:
            store.change_pin(session, body.new_pin)
        except auth.AuthFailure as failure:
            raise _refused(failure) from None
        return _json_response({"ok": True})

    @app.post("/v1/unlock-guide", response_model=protocol.OkResponse, responses=errors)
    def unlock_guide(
        body: protocol.UnlockGuideRequest,
        session: GuideSession = Depends(guide_session),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        try:
            store.unlock_guide(body.guide_id, by=session)
        except auth.AuthFailure as failure:
            raise _refused(failure) from None
        except NotFound:
            raise HQError(404, "not_found", f"没有这位导购 / no guide {body.guide_id}") from None
        return _json_response({"ok": True})

    @app.post("/v1/push", response_model=protocol.PushResponse, responses=errors)
    def push(
        body: protocol.PushRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        results = store.push(terminal, body.mutations)
        store.touch_terminal(terminal)
        return _json_response({"results": results})

    @app.post("/v1/pull", response_model=protocol.PullResponse, responses=errors)
    def pull(
        body: protocol.PullRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        started = time.perf_counter()
        try:
            page = store.pull(terminal.store_id, body.cursor, body.limit)
        except InvalidCursor as exc:
            raise HQError(400, "bad_request", f"同步游标无效 / {exc}") from None
        except ResetRequired as exc:
            raise HQError(409, "reset_required", str(exc)) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        store.touch_terminal(terminal, pulled=True, cursor=body.cursor)
        # Server-Timing: how much of a page's round trip was HQ's query (benchmarks, logs).
        return Response(
            page.body, media_type=_JSON, headers={"Server-Timing": f"db;dur={elapsed_ms:.2f}"}
        )

    @app.post("/v1/checksum", response_model=protocol.ChecksumResponse, responses=errors)
    def checksum(
        body: protocol.ChecksumRequest,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        check_protocol(body.protocol)
        unknown = [e for e in body.entities if e not in protocol.ENTITIES]
        if unknown:
            raise HQError(400, "bad_request", f"未知的数据类型 / unknown entities: {unknown}")
        entities = list(dict.fromkeys(body.entities)) or list(protocol.ENTITIES)
        cursor, sums = store.checksums(terminal.store_id, entities)
        return _json_response(
            {"cursor": cursor, "checksums": {e: s.model_dump() for e, s in sums.items()}}
        )

    picture_answers: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "the picture's bytes; ETag is the hash",
            "content": {m: {} for m in ("image/png", "image/jpeg", "image/webp")},
        },
        404: {"model": protocol.ErrorBody},
        **errors,
    }

    @app.get("/v1/pictures/{sha}", response_class=Response, responses=picture_answers)
    def picture(
        sha: str,
        terminal: TerminalRecord = Depends(authenticated_terminal),  # noqa: B008
    ) -> Response:
        """A content picture by the sha256 hex of its bytes (``content.images``): the bytes
        with their type and the hash as ETag; the terminal checks the hash itself."""
        from sync.hq.pictures import SHA256_HEX

        if SHA256_HEX.fullmatch(sha) is None:
            raise HQError(422, "bad_request", "图片编号无效 / not a sha256 hex hash")
        found = store.picture(sha)
        if found is None:
            raise HQError(404, "not_found", f"没有这张图片 / no picture {sha}")
        mime, data = found
        return Response(
            data,
            media_type=mime,
            headers={"ETag": f'"{sha}"', "Cache-Control": "private, max-age=31536000, immutable"},
        )

    return app


def _json_response(content: dict[str, Any]) -> Response:
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, media_type=_JSON)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HQError)
    async def hq_error(_request: Request, exc: HQError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.extra, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "bad_request", "请求不是有效的 JSON / malformed JSON body")
        if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
            return _error(
                400, "bad_request", "请求内容为空 / empty body: a JSON object is expected"
            )
        body = exc.body
        if isinstance(body, dict):
            # An old terminal's body may not match today's models: say "update", not "invalid".
            try:
                check_protocol(body.get("protocol"))
            except HQError as version_error:
                return _error(version_error.status, version_error.code, version_error.message)
        return _error(422, "bad_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large"}
        code = codes.get(
            exc.status_code, "bad_request" if exc.status_code < 500 else "server_error"
        )
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        response = _error(exc.status_code, code, message)
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(StorageError)
    async def storage_error(_request: Request, exc: StorageError) -> JSONResponse:
        return _error(400, "bad_request", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return _error(500, "server_error", "总部服务器内部错误 / internal error, see the HQ log")

    @app.exception_handler(sa.exc.OperationalError)
    async def database_busy(_request: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc)
        return _error(
            503, "server_error", "总部数据库繁忙，请稍后重试 / HQ database busy, retry shortly"
        )


def create_app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` with several workers: the URL comes from the env."""
    db_url = os.environ.get(DB_ENV)
    if not db_url:
        raise RuntimeError(f"{DB_ENV} is not set")
    return create_app(db_url)
