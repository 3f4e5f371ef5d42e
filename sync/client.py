"""The sync engine: push the outbox, pull HQ's changes, apply them. No Qt.

One ``sync_once()`` is: push every pending mutation in batches (HQ answers each one
applied / duplicate / rejected; only then does it leave the outbox), then pull pages after
the cursor and hand each page to the replica, which applies it together with the new
cursor in one transaction. Push comes first so that a customer HQ moved away is dropped
only after what the guide typed for them is on HQ.

Failures: network errors, timeouts, 5xx and garbage answers are retried with exponential
backoff and jitter, then reported in plain words; the outbox is never touched by a
failure. 401/403/426 are not retried: they need a person (re-enrol, revoked, update).

A failed push does not stop the pull. One mutation HQ cannot take (a 500 on it, a request
refused) would otherwise keep every change of the store from this terminal for ever. The
pull still runs and the report says the push failed (``ok=False``, ``push_error``); the
mutations stay in the outbox for the next try. Pulling first is safe for what the guide
typed: a customer HQ moved away leaves the local book, never the outbox
(app/store/replica.py). Only failures that mean the pull cannot work either end the sync
after the push: HQ unreachable or timing out, the credential refused or revoked, this
client too old (``_PULL_CANNOT_WORK``).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from sync import protocol
from sync.outcome import (
    AuthError,
    GuideRefused,
    OfflineError,
    RequestRejected,
    ResetRequired,
    RevokedError,
    ServerError,
    SyncError,
    SyncProgress,
    SyncReport,
    UpgradeRequired,
)

log = logging.getLogger(__name__)

_Page = tuple[list[dict[str, Any]], str | None, bool, int]  # changes, cursor, more, remaining

# Push failures after which a pull is pointless: the same HQ, the same credential and the
# same protocol version would fail it the same way (and only cost the guide a wait).
_PULL_CANNOT_WORK: tuple[type[SyncError], ...] = (
    OfflineError,
    AuthError,
    RevokedError,
    UpgradeRequired,
)


class Replica(Protocol):
    """What the engine needs from the local store (implemented by app.store.replica)."""

    def pending_mutations(self, limit: int) -> list[dict[str, Any]]: ...
    def pending_count(self) -> int: ...
    def acknowledge(self, results: list[dict[str, Any]]) -> None: ...
    def note_push_attempt(self, mutation_ids: list[str]) -> None: ...
    def cursor(self) -> str | None: ...
    def apply_page(self, changes: list[dict[str, Any]], cursor: str | None, more: bool) -> None: ...
    def is_ready(self) -> bool: ...
    def reset(self) -> None: ...
    def wipe(self) -> None: ...
    def entity_versions(self, entity: str) -> list[tuple[str, int]]: ...
    def set_state(self, **values: str | None) -> None: ...
    def get_state(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits up to base * 2**n, capped."""

    attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 15.0

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        return min(self.cap_s, self.base_s * (2**attempt)) * (0.5 + rng() / 2)


@dataclass(slots=True)
class Timings:
    """Where a sync's time went (for benchmarks and the log): per endpoint, seconds."""

    http_s: dict[str, float] = field(default_factory=dict)  # request out, answer in
    server_s: dict[str, float] = field(default_factory=dict)  # HQ's own Server-Timing
    decode_s: dict[str, float] = field(default_factory=dict)
    bytes_in: dict[str, int] = field(default_factory=dict)
    apply_s: float = 0.0
    wait_s: float = 0.0  # the puller waiting for a page (what pulling ahead did not hide)

    def add(
        self, path: str, http_s: float, decode_s: float, size: int, server_s: float = 0.0
    ) -> None:
        self.http_s[path] = self.http_s.get(path, 0.0) + http_s
        self.server_s[path] = self.server_s.get(path, 0.0) + server_s
        self.decode_s[path] = self.decode_s.get(path, 0.0) + decode_s
        self.bytes_in[path] = self.bytes_in.get(path, 0) + size


def _server_seconds(header: str) -> float:
    """The sum of ``dur=`` (milliseconds) in a Server-Timing header, in seconds."""
    total = 0.0
    for metric in header.split(","):
        for part in metric.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "dur":
                try:
                    total += float(value) / 1000
                except ValueError:
                    pass
    return total


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one page.

    A page decodes into tens of thousands of small dicts that live until it is applied;
    the collector keeps re-scanning them (and the rest of the heap) meanwhile, which
    doubled the decoding time of a first sync. Pages hold no reference cycles, so
    reference counting frees them; the collector runs again after the page.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(slots=True)
class _PushTally:
    """What one push got through so far (HQ's answers to the batches before a failure)."""

    accepted: int = 0
    refused: int = 0


def _message(push: SyncError | None, pull: SyncError | None) -> str:
    """What a failed sync says: the push's failure, the pull's, or both (once if alike)."""
    if push is None or pull is None:
        return str(push or pull)
    if str(push) == str(pull):
        return str(pull)
    return f"上传失败：{push}；下载失败：{pull}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HQClient:
    """The HTTP side: one POST per protocol call, errors mapped to SyncError types."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 30.0,
        backoff: Backoff = Backoff(),
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._token = token
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        )
        self.backoff = backoff
        self.sleep = sleep
        self.rng = rng
        self.timings = Timings()

    def close(self) -> None:
        self._http.close()

    def set_token(self, token: str) -> None:
        """Use ``token`` from the next request on (after a rotation was saved)."""
        self._token = token
        self._http.headers["Authorization"] = f"Bearer {token}"

    def __enter__(self) -> HQClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self,
        path: str,
        body: dict[str, Any],
        parse: Callable[[dict[str, Any]], Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """POST with retries on network errors, 5xx and answers of the wrong shape; never a
        tight loop. ``parse`` turns the answer into what the caller needs and raises
        ``ServerError`` when its shape is wrong (as a proxy's garbage would be)."""
        body = {"protocol": protocol.PROTOCOL_VERSION, **body}
        attempt = 0
        while True:
            try:
                answer = self._post_once(path, body, headers)
                return parse(answer) if parse is not None else answer
            except SyncError as exc:
                if not exc.retryable or attempt + 1 >= self.backoff.attempts:
                    raise
                delay = self.backoff.delay(attempt, self.rng)
                log.info("sync %s failed (%s); retrying in %.1fs", path, exc, delay)
                self.sleep(delay)
                attempt += 1

    def picture(self, sha: str) -> bytes:
        """GET /v1/pictures/{sha} with the terminal token: the bytes, unchecked (the
        picture cache checks their sha256 before keeping them)."""
        try:
            response = self._http.get(f"/v1/pictures/{sha}")
        except httpx.TransportError as exc:
            raise OfflineError("无法连接总部服务器：离线工作中 (HQ unreachable)") from exc
        if response.status_code == 401:
            raise AuthError("终端凭证无效，请重新登记 (terminal credential not accepted)")
        if response.status_code >= 500:
            raise ServerError(f"总部服务器出错 (HTTP {response.status_code})")
        if not response.is_success:
            raise RequestRejected(f"总部拒绝了请求 (HTTP {response.status_code})")
        return response.content

    def _post_once(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = self._http.post(
                path, content=json.dumps(body, ensure_ascii=False), headers=headers
            )
        except httpx.TimeoutException as exc:
            raise OfflineError("总部服务器响应超时，稍后自动重试 (HQ timed out)") from exc
        except httpx.TransportError as exc:
            raise OfflineError("无法连接总部服务器：离线工作中 (HQ unreachable)") from exc
        received = time.perf_counter()
        try:
            answer = json.loads(response.content)
        except ValueError:
            answer = None
        self.timings.add(
            path,
            received - started,
            time.perf_counter() - received,
            len(response.content),
            _server_seconds(response.headers.get("server-timing", "")),
        )
        if not isinstance(answer, dict):
            if response.status_code >= 500 or response.is_success:
                raise ServerError(f"总部返回了无法识别的应答 (HTTP {response.status_code})")
            raise RequestRejected(f"总部拒绝了请求 (HTTP {response.status_code})")
        if response.is_success:
            return answer
        code = answer.get("error", "")
        message = answer.get("message") or f"HTTP {response.status_code}"
        if response.status_code >= 500:
            raise ServerError(f"总部服务器出错：{message}")
        if code in _GUIDE_REFUSALS:
            # Before the 401 rule: a wrong PIN is a 401 too, but says nothing of the token.
            raise GuideRefused(
                code,
                message,
                remaining_tries=_int_or_none(answer.get("remaining_tries")),
                retry_after=_int_or_none(answer.get("retry_after")),
            )
        if code == "token_expired":
            raise AuthError("终端凭证已过期，请重新登记 (terminal token expired: re-enrol)")
        if code == "revoked":
            raise RevokedError("本终端已被总部停用，本机顾客数据已清除 (terminal revoked)")
        if code == "unauthorized" or response.status_code == 401:
            raise AuthError("终端凭证无效，请重新登记 (terminal credential not accepted)")
        if code == "upgrade_required" or response.status_code == 426:
            raise UpgradeRequired(f"请升级 GuideDesk：{message}")
        if code == "reset_required":
            raise ResetRequired(message)
        raise RequestRejected(f"总部拒绝了请求：{message}")


# HQ's answers about a guide (protocol.ErrorCode), not about the terminal's credential.
_GUIDE_REFUSALS = frozenset(
    {"wrong_pin", "guide_locked", "guide_disabled", "weak_pin", "session_invalid", "rate_limited"}
)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def enroll(
    base_url: str,
    code: str,
    terminal_name: str = "",
    *,
    transport: httpx.BaseTransport | None = None,
) -> protocol.EnrollResponse:
    """Trade a one-time enrolment code for this terminal's credential."""
    with HQClient(base_url, transport=transport, backoff=Backoff(attempts=2)) as hq:
        answer = hq.call("/v1/enroll", {"code": code.strip(), "terminal_name": terminal_name})
    return protocol.EnrollResponse.model_validate(answer)


# -- guide sign-in (the terminal's sign-in and lock screens) --------------------------------

# A guide at the counter waits for this at most before the terminal signs them in against
# its own verifier: one try, no backoff (the answer is needed now, not eventually).
SIGN_IN_TIMEOUT_S = 4.0


def guide_client(
    base_url: str,
    token: str,
    *,
    transport: httpx.BaseTransport | None = None,
    timeout_s: float = SIGN_IN_TIMEOUT_S,
) -> HQClient:
    """An HQ client for a guide's sign-in, PIN change or sign-out: one short try."""
    return HQClient(
        base_url, token=token, transport=transport, timeout_s=timeout_s, backoff=Backoff(attempts=1)
    )


def sign_in(hq: HQClient, guide_id: str, pin: str) -> protocol.SignInResponse:
    """Check a guide's PIN at HQ; HQ's guide session on success.

    Raises ``GuideRefused`` (wrong PIN, locked, disabled, rate limited: HQ's answer wins),
    ``OfflineError`` when HQ cannot be reached in time (then the terminal may sign in
    against its own verifier), other ``SyncError`` types as every call does.
    """
    answer = hq.call("/v1/sign-in", {"guide_id": guide_id, "pin": pin})
    try:
        return protocol.SignInResponse.model_validate(answer)
    except ValueError as exc:
        raise ServerError("总部对登录的应答格式不对") from exc


def change_pin(hq: HQClient, session: str, new_pin: str) -> None:
    """Set a new PIN for the guide of ``session`` (HQ checks the rule again: ``weak_pin``)."""
    hq.call("/v1/change-pin", {"new_pin": new_pin}, headers={protocol.SESSION_HEADER: session})


def sign_out(hq: HQClient, session: str) -> None:
    """End the guide session at HQ (mutations already made under it stay attributed)."""
    hq.call("/v1/sign-out", {}, headers={protocol.SESSION_HEADER: session})


def rotate_token(hq: HQClient) -> protocol.RotateTokenResponse:
    """A new token for this terminal; the old one keeps working until the new one is used."""
    answer = hq.call("/v1/rotate-token", {})
    try:
        return protocol.RotateTokenResponse.model_validate(answer)
    except ValueError as exc:
        raise ServerError("总部对更换凭证的应答格式不对") from exc


# A push body stays well below HQ's limit (protocol.MAX_BODY_BYTES): a batch of
# completions with evidence pictures would otherwise be refused whole, every time.
PUSH_BODY_BUDGET = protocol.MAX_BODY_BYTES // 2


def _within_body_limit(batch: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The longest head of ``batch`` whose JSON fits ``budget`` bytes (at least one)."""
    size = 0
    for n, mutation in enumerate(batch):
        size += len(json.dumps(mutation, ensure_ascii=False).encode()) + 1
        if size > budget and n > 0:
            return batch[:n]
    return batch


class SyncEngine:
    """Push, pull, apply — against one ``Replica`` and one HQ."""

    def __init__(
        self,
        replica: Replica,
        *,
        base_url: str,
        token: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        backoff: Backoff = Backoff(),
        push_batch: int = 200,
        page_size: int = 2000,
        verify_every: int = 20,
        on_revoked: Callable[[], None] | None = None,
        push_body_budget: int = PUSH_BODY_BUDGET,
        hello_every_s: float | None = None,
        on_new_token: Callable[[str], None] | None = None,
    ) -> None:
        self.replica = replica
        # hello (the brand's idle lock, HQ-locked guides, when to rotate the token) at
        # most this often; None: never (an engine without a keyring to save a token in).
        self.hello_every_s = hello_every_s
        # Saves a rotated token (to the keyring) BEFORE it is used; raising keeps the old.
        self.on_new_token = on_new_token
        self.push_body_budget = push_body_budget
        self.hq = HQClient(
            base_url, token=token, transport=transport, backoff=backoff, sleep=sleep, rng=rng
        )
        self.clock = clock
        self.push_batch = min(push_batch, protocol.MAX_PUSH_BATCH)
        self.page_size = min(page_size, protocol.MAX_PULL_LIMIT)
        self.verify_every = verify_every
        self.on_revoked = on_revoked

    def close(self) -> None:
        self.hq.close()
        close_replica = getattr(self.replica, "close", None)
        if close_replica:
            close_replica()

    def sync_once(self, progress: Callable[[SyncProgress], None] | None = None) -> SyncReport:
        def report(**kw: Any) -> SyncReport:
            return SyncReport(ready=self.replica.is_ready(), **self._touched(), **kw)

        self.replica.set_state(last_attempt_at=iso(self.clock()))
        tally = _PushTally()
        pulled = 0
        push_failure: SyncError | None = None
        pulling = False
        try:
            self._maybe_hello()
            try:
                self.push(progress, tally=tally)
            except SyncError as exc:
                if isinstance(exc, _PULL_CANNOT_WORK):
                    raise
                log.warning("push failed (%s); pulling anyway", exc)
                push_failure = exc
            pulling = True
            pulled = self.pull(progress)
            self._maybe_verify()
        except RevokedError as exc:
            self.replica.wipe()
            if self.on_revoked:
                self.on_revoked()
            return SyncReport(ok=False, revoked=True, error=str(exc))
        except SyncError as exc:
            if not pulling:
                push_failure = exc
            error = _message(push_failure, exc if pulling else None)
            self.replica.set_state(last_error=error, offline="1" if exc.offline else "0")
            return report(
                ok=False,
                pushed=tally.accepted,
                rejected=tally.refused,
                pulled=pulled,
                offline=exc.offline,
                error=error,
                push_error=str(push_failure) if push_failure else None,
            )
        if push_failure is not None:
            # HQ's changes are here, the guide's are not on HQ: not a successful sync.
            error = str(push_failure)
            self.replica.set_state(last_error=error, offline="0")
            return report(
                ok=False,
                pushed=tally.accepted,
                rejected=tally.refused,
                pulled=pulled,
                error=error,
                push_error=error,
            )
        self.replica.set_state(last_sync_at=iso(self.clock()), last_error="", offline="0")
        return report(ok=True, pushed=tally.accepted, rejected=tally.refused, pulled=pulled)

    def _maybe_hello(self) -> None:
        """Say hello when it is due: keep what HQ says for the UI (idle lock, locked
        guides) and rotate the token when HQ says it is time.

        A failure of hello itself that leaves push and pull possible (an HQ without it) is
        logged; one that does not (offline, revoked, credential refused) ends the sync as
        the push would have.
        """
        if self.hello_every_s is None:
            return
        now = self.clock()
        last = self.replica.get_state("last_hello_at")
        if last:
            try:
                elapsed = (
                    now - datetime.fromisoformat(last.replace("Z", "+00:00"))
                ).total_seconds()
            except ValueError:
                elapsed = self.hello_every_s
            if 0 <= elapsed < self.hello_every_s:
                return
        try:
            answer = self.hq.call("/v1/hello", {})
            hello = protocol.HelloResponse.model_validate(answer)
        except _PULL_CANNOT_WORK:
            raise
        except (SyncError, ValueError) as exc:
            log.warning("hello failed (%s); syncing without it", exc)
            return
        self.replica.set_state(
            last_hello_at=iso(now),
            idle_lock_seconds=str(hello.idle_lock_seconds),
            locked_guides=json.dumps(sorted(hello.locked_guides)),
            token_expires_at=hello.token_expires_at,
        )
        if hello.should_rotate:
            self.rotate()

    def rotate(self) -> bool:
        """Trade the token for a new one: saved first (``on_new_token``), then used. Any
        failure keeps the old token, which HQ still accepts; the next hello tries again."""
        if self.on_new_token is None:
            return False
        try:
            fresh = rotate_token(self.hq)
        except SyncError as exc:
            if isinstance(exc, RevokedError):
                raise
            log.warning("token rotation failed (%s); keeping the current token", exc)
            return False
        try:
            self.on_new_token(fresh.token)
        except Exception as exc:  # the keyring refused: the new token is never used
            log.warning("could not save the rotated token (%s); keeping the current one", exc)
            return False
        self.hq.set_token(fresh.token)
        self.replica.set_state(token_expires_at=fresh.expires_at)
        log.info("terminal token rotated")
        return True

    def _touched(self) -> dict[str, Any]:
        """What the replica says this sync changed (optional: a replica may not track it,
        and then every view refreshes)."""
        take = getattr(self.replica, "take_touched", None)
        if take is None:
            return {"everything": True}
        entities, customers, everything = take()
        return {"entities": entities, "customers": customers, "everything": everything}

    def push(
        self,
        progress: Callable[[SyncProgress], None] | None = None,
        *,
        tally: _PushTally | None = None,
    ) -> tuple[int, int]:
        """Send the outbox in order until nothing is pending. Returns (accepted, rejected).

        ``tally`` keeps the counts of the batches HQ answered when a later one fails.
        """
        total = self.replica.pending_count()
        tally = tally if tally is not None else _PushTally()
        while True:
            batch = _within_body_limit(
                self.replica.pending_mutations(self.push_batch), self.push_body_budget
            )
            if not batch:
                return tally.accepted, tally.refused
            self.replica.note_push_attempt([m["id"] for m in batch])
            results = self.hq.call(
                "/v1/push",
                {"mutations": batch},
                parse=functools.partial(self._results, batch=batch),
            )
            if not results:
                # No progress: stop here rather than resend the same batch in a loop.
                raise ServerError("总部没有确认上传的记录，稍后自动重试 (HQ acknowledged nothing)")
            self.replica.acknowledge(results)
            tally.refused += sum(r["status"] == "rejected" for r in results)
            tally.accepted += sum(r["status"] != "rejected" for r in results)
            if progress:
                progress(SyncProgress("push", tally.accepted + tally.refused, total))

    @staticmethod
    def _results(answer: dict[str, Any], batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            parsed = protocol.PushResponse.model_validate(answer)
        except ValueError as exc:
            raise ServerError("总部对上传的应答格式不对") from exc
        sent = {m["id"] for m in batch}
        results = [r.model_dump() for r in parsed.results if r.id in sent]
        # A mutation HQ did not answer for stays pending: it is sent again next time.
        return results

    def pull(self, progress: Callable[[SyncProgress], None] | None = None) -> int:
        """Pull and apply pages until HQ has no more.

        While one page is applied, the next is already requested on a helper thread (it
        needs only the cursor HQ sent with this page): HQ's query, the transfer and most
        of the decoding overlap the local apply. Pages are still applied one after the
        other, each with its cursor; a page fetched ahead of one that failed to apply is
        dropped, and the next sync asks again from the cursor that was saved. (HQ then
        believed this terminal one page further than it is; should HQ compact its log
        past that point meanwhile, the saved cursor is below the new horizon and HQ
        answers reset_required: a full resync, never a missed change.)
        """
        pulled = 0
        total = 0
        first_page = True
        cursor = self.replica.cursor()
        ahead = ThreadPoolExecutor(1, thread_name_prefix="pull-ahead")
        next_page: Future[_Page] | None = None
        try:
            while True:
                with _collector_paused():
                    waiting = time.perf_counter()
                    try:
                        page = next_page.result() if next_page else self._fetch_page(cursor)
                    except ResetRequired:
                        log.warning("HQ asked for a full resync (cursor %s too old)", cursor)
                        self.replica.reset()
                        cursor, next_page = None, None
                        total, first_page = 0, True  # the full resync's first page says
                        continue
                    self.hq.timings.wait_s += time.perf_counter() - waiting
                    changes, cursor, more, remaining = page
                    next_page = ahead.submit(self._fetch_page, cursor) if more else None
                    started = time.perf_counter()
                    self.replica.apply_page(changes, cursor, more)
                    self.hq.timings.apply_s += time.perf_counter() - started
                    count = len(changes)
                    del page, changes  # freed before the collector runs again
                pulled += count
                # Forward only: the total is fixed by the first page (HQ counts the whole
                # pull exactly when it starts from nothing, estimates otherwise) and
                # changes only at the end; 0 = not known (HQ gave no estimate). ``done``
                # never passes the total before the last page.
                if not more:
                    total = pulled
                elif total == 0 and first_page:
                    total = pulled + remaining if remaining > 0 else 0
                first_page = False
                if progress:
                    done = min(pulled, total) if total and more else pulled
                    progress(SyncProgress("pull", done, total))
                if not more:
                    return pulled
        finally:
            # After a failure, do not wait for a page fetched ahead (HQ may be timing
            # out): it is dropped either way.
            ahead.shutdown(wait=False, cancel_futures=True)

    def _fetch_page(self, cursor: str | None) -> _Page:
        return self.hq.call(
            "/v1/pull", {"cursor": cursor, "limit": self.page_size}, parse=self._page
        )

    @staticmethod
    def _page(answer: dict[str, Any]) -> _Page:
        # Pages are large: check the shape cheaply instead of building a model per change.
        changes = answer.get("changes")
        cursor = answer.get("cursor")
        if not isinstance(changes, list) or not (cursor is None or isinstance(cursor, str)):
            raise ServerError("总部返回的变更页格式不对")
        for change in changes:
            if not (
                isinstance(change, dict)
                and change.get("op") in ("upsert", "delete")
                and isinstance(change.get("entity"), str)
                and isinstance(change.get("id"), str)
                and isinstance(change.get("version"), int)
                and isinstance(change.get("data", {}), dict)
            ):
                raise ServerError("总部返回的变更记录格式不对")
        return changes, cursor, bool(answer.get("more")), int(answer.get("remaining") or 0)

    def _maybe_verify(self) -> None:
        count = int(self.replica.get_state("syncs_since_verify") or 0) + 1
        if count < self.verify_every:
            self.replica.set_state(syncs_since_verify=str(count))
            return
        self.replica.set_state(syncs_since_verify="0")
        if self.verify():
            return
        log.warning("local data drifted from HQ: full resync")
        self.replica.reset()
        self.pull()

    def verify(self) -> bool:
        """Compare per-entity checksums with HQ. True when equal (or HQ moved on meanwhile)."""
        answer = self.hq.call("/v1/checksum", {"entities": list(protocol.ENTITIES)})
        parsed = protocol.ChecksumResponse.model_validate(answer)
        if parsed.cursor != self.replica.cursor():
            return True  # HQ has newer changes; compare next time rather than guess
        for entity, theirs in parsed.checksums.items():
            if entity not in protocol.ENTITIES:
                continue
            ours = protocol.checksum_of(self.replica.entity_versions(entity))
            if ours != theirs:
                log.warning("checksum mismatch on %s: %s != %s", entity, ours, theirs)
                return False
        return True
