"""A fault-injecting JSON-RPC proxy on loopback, in front of a real node (anvil).

Remote providers fail in a handful of ways; :class:`FaultProxy` plays each of
them on purpose, between the daemon and an honest anvil, so tests can check
that the daemon backs off, fails over, and books exactly what a fault-free
run books. Faults are plain :class:`Fault` values, set while the proxy runs:

======================  ==========================================================
kind                    what the proxy does
======================  ==========================================================
``http-429``            HTTP 429 with ``Retry-After``
``rate-limit-json``     a ``-32005`` rate-limit error inside an HTTP 200
``http-status``         HTTP 500, 502 or 503 (``status``)
``hang``                no answer for ``hang_seconds`` (past the client's timeout)
``drop``                closes the connection without an answer
``malformed``           HTTP 200 with a body that is not JSON
``behind``              a node ``lag`` blocks behind: older head, ``null`` for
                        blocks and receipts it has not seen, ``[]`` logs for them,
                        "header not found" for state at them
``log-range``           refuses ``eth_getLogs`` ranges over ``max_range`` blocks
``chain-id``            reports another chain id (``chain_id``)
``missing-state``       "missing trie node" for state older than ``keep_blocks``
``empty-call``          ``0x`` for every ``eth_call`` (a node that lost a contract's state)
======================  ==========================================================

A fault fires ``times`` times (None: always), on HTTP requests calling a
method it names (empty: any), and on every ``every``-th such request, or at random
with probability ``chance`` (a load balancer sending some requests, batch or
not, to a bad node).
Request-level faults (the first six) replace the whole answer; the others
change the answer to each JSON-RPC call of a request they fire on.
:class:`ProxyStats` counts what was seen and fired.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import requests

__all__ = ["REQUEST_FAULTS", "Fault", "FaultKind", "FaultProxy", "ProxyStats", "fault_proxy"]

FaultKind = Literal[
    "http-429",
    "rate-limit-json",
    "http-status",
    "hang",
    "drop",
    "malformed",
    "behind",
    "log-range",
    "chain-id",
    "missing-state",
    "empty-call",
]

REQUEST_FAULTS: frozenset[str] = frozenset(
    {"http-429", "rate-limit-json", "http-status", "hang", "drop", "malformed"}
)
"""Faults that replace the answer to a whole HTTP request."""

_STATE_METHODS = frozenset({"eth_getBalance", "eth_call", "eth_getCode", "eth_getStorageAt"})


@dataclass
class Fault:
    """One way to misbehave, and how often.

    Attributes:
        kind: what to do (see the module docstring).
        times: how many more times it fires; None for always.
        methods: JSON-RPC methods it applies to; empty for any.
        every: fire on every ``every``-th matching request only.
        status: the HTTP status of ``http-status``.
        retry_after: the ``Retry-After`` header of ``http-429`` (None: no header).
        hang_seconds: how long ``hang`` keeps the client waiting.
        lag: blocks ``behind`` is behind the real head.
        max_range: the largest ``eth_getLogs`` range ``log-range`` accepts.
        chain_id: the chain id ``chain-id`` reports.
        keep_blocks: ``missing-state`` keeps state for this many blocks below head.
        chance: the probability that a matching request is hit (a load balancer
            picking nodes at random); drawn from a generator seeded with ``seed``.
        seed: the seed of that generator.
    """

    kind: FaultKind
    times: int | None = None
    methods: frozenset[str] = frozenset()
    every: int = 1
    status: int = 503
    retry_after: str | None = "0"
    hang_seconds: float = 5.0
    lag: int = 3
    max_range: int = 3
    chain_id: int = 1
    keep_blocks: int = 2
    chance: float = 1.0
    seed: int = 0
    _seen: int = field(default=0, init=False, repr=False)
    _rng: random.Random | None = field(default=None, init=False, repr=False)

    def wants(self, methods: list[str]) -> bool:
        """Whether this fault fires on a request with these methods (and counts it)."""
        if self.times is not None and self.times <= 0:
            return False
        if self.methods and not any(m in self.methods for m in methods):
            return False
        self._seen += 1
        if self._seen % max(1, self.every):
            return False
        if self.chance < 1.0:
            self._rng = self._rng or random.Random(self.seed)
            if self._rng.random() >= self.chance:
                return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass
class ProxyStats:
    """What the proxy saw and did."""

    http_requests: int = 0
    calls: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    fired: Counter[str] = field(default_factory=Counter)


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _result(request_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _block_param(value: Any, head: int) -> int | None:
    """A block parameter as a number (tags at ``head``); None for a hash or pending."""
    if isinstance(value, dict):
        value = value.get("blockNumber")
    if value in ("latest", "safe", "finalized", None):
        return head
    if isinstance(value, str) and value.startswith("0x") and len(value) <= 18:
        return int(value, 16)
    return None


class FaultProxy:
    """A ThreadingHTTPServer on 127.0.0.1 forwarding to ``upstream``, with faults.

    Args:
        upstream: the honest node's URL.
        secret: a fake API key put in the proxy's URL path (to check masking).
    """

    def __init__(self, upstream: str, *, secret: str = "pr0xyK3y0123456789") -> None:
        self.upstream = upstream
        self.secret = secret
        self.stats = ProxyStats()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._local = threading.local()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's URL, a fake key in its path."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v3/{self.secret}"

    def set(self, *faults: Fault) -> None:
        """Misbehave like this from now on (replacing earlier faults, fresh stats)."""
        with self._lock:
            self._faults = list(faults)
            self.stats = ProxyStats()

    def clear(self) -> None:
        """Behave again (stats are kept)."""
        with self._lock:
            self._faults = []

    def fired(self, kind: str) -> int:
        """How many times faults of ``kind`` fired since the last :meth:`set`."""
        with self._lock:
            return self.stats.fired[kind]

    def start(self) -> FaultProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are released."""
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    # -- HTTP --------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read the stats."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = proxy.answer(body)
                if answer is None:
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, payload = answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    # -- answers -------------------------------------------------------------

    def answer(self, body: bytes) -> tuple[int, dict[str, str], bytes] | None:
        """Status, headers and body for one HTTP request body (None: drop the connection)."""
        request = json.loads(body)
        is_batch = isinstance(request, list)
        members: list[dict[str, Any]] = request if is_batch else [request]
        methods = [str(m.get("method")) for m in members]
        with self._lock:
            self.stats.http_requests += 1
            self.stats.calls += len(members)
            self.stats.methods.update(methods)
            fault = self._pick(methods, request_level=True)
            call_faults = [
                f for f in self._faults if f.kind not in REQUEST_FAULTS and f.wants(methods)
            ]
            for call_fault in call_faults:
                self.stats.fired[call_fault.kind] += 1
        if fault is not None:
            return self._request_fault(fault, members[0].get("id"))
        head = self._head() if call_faults else 0
        answers = [self._one(member, call_faults, head) for member in members]
        return 200, {}, json.dumps(answers if is_batch else answers[0]).encode()

    def _pick(self, methods: list[str], *, request_level: bool) -> Fault | None:
        for fault in self._faults:
            if (fault.kind in REQUEST_FAULTS) == request_level and fault.wants(methods):
                self.stats.fired[fault.kind] += 1
                return fault
        return None

    def _request_fault(
        self, fault: Fault, request_id: Any
    ) -> tuple[int, dict[str, str], bytes] | None:
        if fault.kind == "http-429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return 429, headers, b'{"error": "too many requests"}'
        if fault.kind == "rate-limit-json":
            error = _error(request_id, -32005, "daily request count exceeded, request rate limited")
            return 200, {}, json.dumps(error).encode()
        if fault.kind == "http-status":
            return fault.status, {}, f"<html>{fault.status} Bad Gateway</html>".encode()
        if fault.kind == "malformed":
            return 200, {}, b'{"jsonrpc": "2.0", "id": 1, "result": "0x1'
        if fault.kind == "hang":
            self._release.wait(timeout=fault.hang_seconds)
        return None  # hang (after waiting) and drop: close without an answer

    def _upstream(self, member: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._session().post(self.upstream, json=member, timeout=30).json()
        return answer

    def _head(self) -> int:
        answer = self._upstream({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber"})
        return int(answer["result"], 16)

    def _one(self, member: dict[str, Any], fired: list[Fault], head: int) -> dict[str, Any]:
        method = str(member.get("method"))
        for fault in fired:
            early = self._call_fault(fault, member, method, head)
            if early is not None:
                return early
        answer = self._upstream(member)
        for fault in fired:
            if fault.kind == "behind":
                answer = self._from_behind(member, method, answer, head - fault.lag)
            if fault.kind == "empty-call" and method == "eth_call" and "result" in answer:
                answer["result"] = "0x"
        return answer

    def _call_fault(
        self, fault: Fault, member: dict[str, Any], method: str, head: int
    ) -> dict[str, Any] | None:
        request_id, params = member.get("id"), list(member.get("params") or [])
        if fault.kind == "chain-id" and method == "eth_chainId":
            return _result(request_id, hex(fault.chain_id))
        if fault.kind == "log-range" and method == "eth_getLogs":
            low = _block_param(params[0].get("fromBlock"), head) or 0
            high = _block_param(params[0].get("toBlock"), head) or head
            if high - low + 1 > fault.max_range:
                return _error(
                    request_id, -32602, f"eth_getLogs is limited to {fault.max_range} block range"
                )
        if fault.kind == "missing-state" and method in _STATE_METHODS and params:
            block = _block_param(params[-1], head)
            if block is not None and block < head - fault.keep_blocks:
                return _error(
                    request_id,
                    -32000,
                    f"missing trie node {'ab' * 32} (path ) state is not available",
                )
        if fault.kind == "behind":
            return self._behind_early(member, method, params, head - fault.lag)
        return None

    def _behind_early(
        self, member: dict[str, Any], method: str, params: list[Any], seen: int
    ) -> dict[str, Any] | None:
        request_id = member.get("id")
        if method == "eth_blockNumber":
            return _result(request_id, hex(max(0, seen)))
        if method == "eth_getBlockByNumber" and params:
            number = _block_param(params[0], seen)
            if params[0] in ("latest", "safe", "finalized"):
                inner = {**member, "params": [hex(max(0, seen)), *params[1:]]}
                return self._upstream(inner)
            if number is not None and number > seen:
                return _result(request_id, None)
        if method in _STATE_METHODS and params:
            number = _block_param(params[-1], seen)
            if number is not None and number > seen:
                return _error(request_id, -32000, "header not found")
        if method == "eth_getLogs" and params and params[0].get("blockHash"):
            lookup = {"jsonrpc": "2.0", "id": 0, "method": "eth_getBlockByHash"}
            block = self._upstream({**lookup, "params": [params[0]["blockHash"], False]})
            if int((block.get("result") or {}).get("number", "0x0"), 16) > seen:
                return _error(request_id, -32000, "unknown block")
        elif method == "eth_getLogs" and params:
            low = _block_param(params[0].get("fromBlock"), seen)
            if low is not None and low > seen:
                return _result(request_id, [])
        return None

    def _from_behind(
        self, member: dict[str, Any], method: str, answer: dict[str, Any], seen: int
    ) -> dict[str, Any]:
        result = answer.get("result")
        if method == "eth_getLogs" and isinstance(result, list):
            answer["result"] = [log for log in result if int(log["blockNumber"], 16) <= seen]
        by_hash = ("eth_getTransactionReceipt", "eth_getTransactionByHash")
        unseen = isinstance(result, dict) and int(result.get("blockNumber") or "0x0", 16) > seen
        if method in by_hash and unseen:
            answer["result"] = None
        return answer


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """A running :class:`FaultProxy` in front of ``upstream``, stopped on exit."""
    proxy = FaultProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()
