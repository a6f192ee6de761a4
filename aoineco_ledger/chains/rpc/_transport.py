"""The HTTP layer under web3: retries, backoff, rate limits, counters.

:class:`ResilientHTTPProvider` is a web3 ``HTTPProvider`` that posts with its own
``requests.Session`` and, for each HTTP exchange:

- counts requests, batches and response bytes in a shared :class:`Counters`;
- turns HTTP 429 (with ``Retry-After``) and a rate-limit JSON-RPC error inside a
  200 (``-32005``, "rate limit", "too many requests") into :class:`RateLimitedError`,
  and waits and retries (exponential backoff with jitter, or the server's
  ``Retry-After`` when it gave one);
- retries connection failures, timeouts and 5xx the same way;
- refuses to wait longer than ``RetryPolicy.max_retry_after``: the error goes up
  so the client can fail over to another URL instead;
- reports a refused batch as :class:`BatchUnsupportedError` (never retried here).

Sleep, clock and randomness are injected, so tests run without waiting.
Every message names the endpoint by its masked URL.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from email.utils import parsedate_to_datetime
from typing import Any, cast

import requests
from web3 import HTTPProvider
from web3.types import RPCEndpoint, RPCResponse

from aoineco_ledger.chains.rpc._errors import BatchUnsupportedError, classify_rpc_error
from aoineco_ledger.chains.rpc._mask import mask_url
from aoineco_ledger.errors import RateLimitedError, RpcError

__all__ = ["Counters", "ResilientHTTPProvider", "RetryPolicy", "RpcCounters"]

_BATCH_REFUSAL_STATUSES = frozenset({400, 404, 405, 413, 415, 422, 501})


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How hard to try one endpoint before giving up on it.

    Attributes:
        attempts: tries per request (1 = no retry).
        base_delay: seconds before the first retry; doubles each time.
        max_delay: the longest backoff between two tries.
        jitter: up to this fraction is added at random to each backoff.
        max_retry_after: a ``Retry-After`` longer than this is not waited for here.
        timeout: seconds for connect and for read, per HTTP request.
    """

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 30.0
    timeout: float = 10.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed try number ``attempt`` (0-based)."""
        delay = min(self.max_delay, self.base_delay * 2**attempt)
        return float(delay * (1 + self.jitter * rng.random()))


@dataclass(frozen=True, slots=True, kw_only=True)
class RpcCounters:
    """A snapshot of what a client did, for metrics and benchmarks.

    Attributes:
        calls: JSON-RPC calls made (each batch member counts once).
        batches: JSON-RPC batches sent over HTTP.
        http_requests: HTTP requests sent (a batch is one).
        response_bytes: bytes of HTTP response bodies received.
        errors: failed tries (transport errors, rate limits, error responses).
        retries: tries repeated after a wait.
        rate_limited: tries the endpoint refused as rate limited.
        failovers: times a call moved on to the next URL.
    """

    calls: int = 0
    batches: int = 0
    http_requests: int = 0
    response_bytes: int = 0
    errors: int = 0
    retries: int = 0
    rate_limited: int = 0
    failovers: int = 0


class Counters:
    """Thread-safe mutable counters behind :class:`RpcCounters` snapshots."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = {field.name: 0 for field in fields(RpcCounters)}

    def add(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to counter ``name``."""
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> RpcCounters:
        """The counters as they are now."""
        with self._lock:
            return RpcCounters(**self._values)


def _retry_after_seconds(value: str | None, now: Callable[[], float]) -> float | None:
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now())
    except (TypeError, ValueError):
        return None


class _TransientError(RpcError):
    """A failure worth retrying on the same endpoint (5xx, timeout, refused connection)."""


class ResilientHTTPProvider(HTTPProvider):
    """A web3 HTTP provider that retries, honours rate limits and counts what it does."""

    def __init__(
        self,
        url: str,
        *,
        policy: RetryPolicy | None = None,
        counters: Counters | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(url, exception_retry_configuration=None)
        self.masked_url = mask_url(url)
        self.policy = policy or RetryPolicy()
        self.counters = counters or Counters()
        self._session = session or requests.Session()
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()

    def __str__(self) -> str:
        return f"RPC connection {self.masked_url}"

    def __repr__(self) -> str:
        return f"<ResilientHTTPProvider {self.masked_url}>"

    # -- one HTTP exchange ------------------------------------------------

    def _post(self, body: bytes) -> requests.Response:
        timeout = self.policy.timeout
        try:
            response = self._session.post(
                str(self.endpoint_uri),
                data=body,
                headers=self.get_request_headers(),
                timeout=(timeout, timeout),
            )
        except requests.Timeout:
            raise _TransientError(
                f"{self.masked_url} did not answer within {timeout:g}s", url=self.masked_url
            ) from None
        except requests.RequestException as exc:
            raise _TransientError(
                f"cannot reach {self.masked_url}: {type(exc).__name__} "
                "(connection refused, reset or name not resolved)",
                url=self.masked_url,
            ) from None
        self.counters.add("http_requests")
        self.counters.add("response_bytes", len(response.content))
        return response

    def _check_status(self, response: requests.Response, *, batch: bool) -> None:
        status = response.status_code
        if status == 429:
            wait = _retry_after_seconds(response.headers.get("Retry-After"), self._wall_clock)
            raise RateLimitedError(
                f"{self.masked_url} is rate limiting (HTTP 429"
                + (f", Retry-After {wait:g}s)" if wait is not None else ")"),
                url=self.masked_url,
                code=429,
                retry_after=wait,
            )
        if status >= 500:
            raise _TransientError(
                f"{self.masked_url} answered HTTP {status}", url=self.masked_url, code=status
            )
        if batch and status in _BATCH_REFUSAL_STATUSES:
            raise BatchUnsupportedError(
                f"{self.masked_url} refused a batch (HTTP {status})",
                url=self.masked_url,
                code=status,
            )
        if status != 200:
            raise RpcError(
                f"{self.masked_url} answered HTTP {status}", url=self.masked_url, code=status
            )

    def _decode(self, response: requests.Response) -> Any:
        try:
            return self.decode_rpc_response(response.content)
        except (ValueError, UnicodeDecodeError):
            raise _TransientError(
                f"{self.masked_url} answered something that is not JSON-RPC "
                f"({len(response.content)} bytes)",
                url=self.masked_url,
            ) from None

    def _raise_if_rate_limited(self, item: Any) -> None:
        error = item.get("error") if isinstance(item, dict) else None
        if not isinstance(error, dict):
            return
        code, message = error.get("code"), str(error.get("message", ""))
        if classify_rpc_error(code if isinstance(code, int) else None, message) == "rate-limit":
            raise RateLimitedError(
                f"{self.masked_url} is rate limiting (JSON-RPC {code}: {message[:200]})",
                url=self.masked_url,
                code=code if isinstance(code, int) else None,
            )

    # -- retry loop ---------------------------------------------------------

    def _with_retries(self, attempt_once: Callable[[], Any]) -> Any:
        policy = self.policy
        for attempt in range(policy.attempts):
            try:
                return attempt_once()
            except RateLimitedError as exc:
                self.counters.add("errors")
                self.counters.add("rate_limited")
                wait = exc.retry_after
                if wait is not None and wait > policy.max_retry_after:
                    raise
                delay = wait if wait is not None else policy.backoff(attempt, self._rng)
                if attempt == policy.attempts - 1:
                    raise
            except _TransientError:
                self.counters.add("errors")
                if attempt == policy.attempts - 1:
                    raise
                delay = policy.backoff(attempt, self._rng)
            except BatchUnsupportedError:
                raise  # not a failure: the endpoint takes the calls one by one instead
            except RpcError:
                self.counters.add("errors")  # a refusal (HTTP 404, 401...): failed, not retried
                raise
            self.counters.add("retries")
            self._sleep(delay)
        raise AssertionError("unreachable: attempts must be at least 1")  # pragma: no cover

    # -- web3 provider interface -------------------------------------------

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Send one JSON-RPC request, retrying as the policy says.

        Raises:
            RateLimitedError: still rate limited after every try, or asked to wait too long.
            RpcError: the endpoint cannot be reached or does not speak JSON-RPC.
        """
        body = self.encode_rpc_request(method, params)

        def once() -> RPCResponse:
            response = self._post(body)
            self._check_status(response, batch=False)
            decoded = self._decode(response)
            self._raise_if_rate_limited(decoded)
            return cast(RPCResponse, decoded)

        return cast(RPCResponse, self._with_retries(once))

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        """Send a JSON-RPC batch; a refused batch raises :class:`BatchUnsupportedError`.

        Raises:
            BatchUnsupportedError: the endpoint does not take batches.
            RateLimitedError: still rate limited after every try.
            RpcError: the endpoint cannot be reached or answers garbage.
        """
        body = self.encode_batch_rpc_request(batch_requests)

        def once() -> list[RPCResponse]:
            response = self._post(body)
            self.counters.add("batches")
            self._check_status(response, batch=True)
            decoded = self._decode(response)
            if not isinstance(decoded, list):
                self._raise_if_rate_limited(decoded)
                raise BatchUnsupportedError(
                    f"{self.masked_url} refused a batch: {str(decoded.get('error'))[:200]}",
                    url=self.masked_url,
                )
            for item in decoded:
                self._raise_if_rate_limited(item)
            if len(decoded) != len(batch_requests):
                raise BatchUnsupportedError(
                    f"{self.masked_url} answered {len(decoded)} of {len(batch_requests)} "
                    "batch members",
                    url=self.masked_url,
                )
            return sorted(decoded, key=lambda item: item.get("id", 0))

        return cast(list[RPCResponse], self._with_retries(once))
