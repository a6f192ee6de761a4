"""A real HTTP JSON-RPC server on loopback that misbehaves on purpose.

It forwards every request to a real upstream (anvil) and, when told to,
answers the way remote providers do on a bad day: HTTP 429 with
``Retry-After``, a ``-32005`` rate-limit error inside a 200, refused batches,
``eth_getLogs`` ranges refused with real-world error texts, a head that lags,
a wrong chain id, receipts missing fields, or no answer at all. It counts
HTTP requests, batches and the methods it saw, so tests can measure.

This is the seed of the fault-injecting proxy (issue 8): behaviours are plain
fields on :class:`Behaviour`, changed while the server runs.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

__all__ = ["RANGE_ERRORS", "Behaviour", "MisbehavingRpcServer", "Stats", "misbehaving_server"]

RANGE_ERRORS: dict[str, tuple[int, str]] = {
    # style: (JSON-RPC code, message template; {lo} {hi} {n} {hint_hi} are filled in)
    "too-large": (-32602, "block range too large"),
    "reth-results": (
        -32602,
        "query exceeds max results 20000, retry with the range {lo}-{hint_hi}",
    ),
    "repeat-hint": (-32602, "query exceeds max results 20000, retry with the range {lo}-{hi}"),
    "limited": (-32600, "eth_getLogs is limited to {n} block range"),
    "infura": (
        -32005,
        "query returned more than 10000 results. "
        "Try with this block range [{lo_hex}, {hint_hi_hex}].",
    ),
}


@dataclass
class Behaviour:
    """What the server does wrong; change fields while it runs."""

    rate_limit_429: int = 0
    retry_after: str | None = "1"
    rate_limit_json: int = 0
    rate_limit_text: str = "daily request count exceeded, request rate limited"
    refuse_batches: str | None = None  # None, "json" (an error object) or "http" (HTTP 400)
    max_log_range: int | None = None
    range_style: str = "too-large"
    head_lag: int = 0
    chain_id: int | None = None
    drop_receipt_fields: tuple[str, ...] = ()
    add_receipt_fields: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class Stats:
    """What the server saw."""

    http_requests: int = 0
    batches: int = 0
    methods: list[str] = field(default_factory=list)
    log_ranges: list[tuple[int, int]] = field(default_factory=list)
    refused_ranges: list[tuple[int, int]] = field(default_factory=list)


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


class MisbehavingRpcServer:
    """A ThreadingHTTPServer on 127.0.0.1 in front of an upstream JSON-RPC URL."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.behaviour = Behaviour()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Its URL (with a fake API key in the path, to see it masked)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v2/sEcReTkEy0123456789abcdef"

    def reset(self) -> None:
        """Behave again, and forget what was seen."""
        with self._lock:
            self.behaviour = Behaviour()
            self.stats = Stats()

    def start(self) -> MisbehavingRpcServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (hanging requests are released)."""
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._session.close()

    # -- request handling ----------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read Stats instead."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers, payload = server.answer(body)
                if status == 0:
                    return  # hanging: drop the connection without an answer
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def answer(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The HTTP status, headers and body to send for one request body."""
        request = json.loads(body)
        with self._lock:
            self.stats.http_requests += 1
            behaviour = self.behaviour
            is_batch = isinstance(request, list)
            self.stats.batches += int(is_batch)
            members = request if is_batch else [request]
            self.stats.methods.extend(str(m.get("method")) for m in members)
            if behaviour.hang:
                pass
            elif behaviour.rate_limit_429 > 0:
                behaviour.rate_limit_429 -= 1
                headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
                return 429, headers, b'{"error": "too many requests"}'
            elif behaviour.rate_limit_json > 0:
                behaviour.rate_limit_json -= 1
                error = _error(members[0].get("id"), -32005, behaviour.rate_limit_text)
                return 200, {}, json.dumps(error).encode()
            if is_batch and behaviour.refuse_batches == "http":
                return 400, {}, b'{"error": "batch requests are not allowed"}'
            if is_batch and behaviour.refuse_batches == "json":
                error = _error(None, -32600, "batch requests are not supported on this plan")
                return 200, {}, json.dumps(error).encode()
        if behaviour.hang:
            self._stop.wait(timeout=30)
            return 0, {}, b""
        answers = [self._one(member, behaviour) for member in members]
        return 200, {}, json.dumps(answers if is_batch else answers[0]).encode()

    def _one(self, member: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
        method = member.get("method")
        if method == "eth_chainId" and behaviour.chain_id is not None:
            return {"jsonrpc": "2.0", "id": member.get("id"), "result": hex(behaviour.chain_id)}
        if method == "eth_getLogs" and behaviour.max_log_range is not None:
            refusal = self._refuse_range(member, behaviour)
            if refusal is not None:
                return refusal
        answer: dict[str, Any] = self._session.post(self.upstream, json=member, timeout=30).json()
        if method == "eth_blockNumber" and behaviour.head_lag and "result" in answer:
            answer["result"] = hex(max(0, int(answer["result"], 16) - behaviour.head_lag))
        if method == "eth_getTransactionReceipt" and isinstance(answer.get("result"), dict):
            receipt = answer["result"]
            for key in behaviour.drop_receipt_fields:
                receipt.pop(key, None)
            receipt.update(behaviour.add_receipt_fields)
        return answer

    def _refuse_range(self, member: dict[str, Any], behaviour: Behaviour) -> dict[str, Any] | None:
        params = member["params"][0]
        if "blockHash" in params:
            return None  # one block by hash (EIP-234): never a range to refuse
        low, high = int(params["fromBlock"], 16), int(params["toBlock"], 16)
        limit = behaviour.max_log_range or 0
        with self._lock:
            self.stats.log_ranges.append((low, high))
        if high - low + 1 <= limit:
            return None
        with self._lock:
            self.stats.refused_ranges.append((low, high))
        code, template = RANGE_ERRORS[behaviour.range_style]
        hint_hi = low + limit - 1
        text = template.format(
            lo=low, hi=high, n=limit, hint_hi=hint_hi, lo_hex=hex(low), hint_hi_hex=hex(hint_hi)
        )
        return _error(member.get("id"), code, text)


@contextmanager
def misbehaving_server(upstream: str) -> Iterator[MisbehavingRpcServer]:
    """A running :class:`MisbehavingRpcServer`, stopped on exit."""
    server = MisbehavingRpcServer(upstream).start()
    try:
        yield server
    finally:
        server.stop()
