"""One endpoint of a chain: a ready ``Web3`` and how to talk to it.

Runs single calls and batches on that endpoint and turns whatever web3 (or
eth-tester) raises into this package's errors, naming the chain and the
masked URL. Batch support is found out by trying and remembered here: eth-tester's
provider has none, and some HTTP gateways refuse batches.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
    Web3TypeError,
)

from aoineco_ledger.chains.rpc._errors import (
    BatchUnsupportedError,
    CallRevertedError,
    LogRangeRefusedError,
    RpcResponseError,
    classify_rpc_error,
)
from aoineco_ledger.chains.rpc._mask import mask_url
from aoineco_ledger.chains.rpc._transport import Counters
from aoineco_ledger.errors import HistoricalStateError, RateLimitedError, RpcError

__all__ = ["Endpoint", "NotFoundError", "Request", "endpoint_label"]

Request = Callable[[Web3], Any]
"""Builds one web3 call on a given Web3, e.g. ``lambda w3: w3.eth.get_block(5)``."""


class NotFoundError(RpcResponseError):
    """The endpoint does not have the block, transaction or receipt asked for."""


@functools.cache
def _tester_errors() -> tuple[type[Exception], ...]:
    try:
        from eth_tester import exceptions as tester
    except ImportError:  # pragma: no cover - eth-tester is a test/demo dependency
        return ()
    return (
        tester.BlockNotFound,
        tester.TransactionNotFound,
        tester.TransactionFailed,
        tester.ValidationError,
    )


def endpoint_label(w3: Web3) -> str:
    """A safe name for the endpoint behind ``w3`` (masked URL, or the provider's kind)."""
    masked = getattr(w3.provider, "masked_url", None)
    if isinstance(masked, str):
        return masked
    uri = getattr(w3.provider, "endpoint_uri", None)
    if uri:
        return mask_url(str(uri))
    return f"in-process {type(w3.provider).__name__}"


def _rpc_error_parts(exc: Web3RPCError) -> tuple[int | None, str]:
    response = exc.rpc_response or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        return (code if isinstance(code, int) else None), str(error.get("message", exc.message))
    return None, str(exc.message)


@dataclass(slots=True)
class Endpoint:
    """A Web3 for one URL (or in-process provider), with what we learnt about it."""

    w3: Web3
    chain: str
    counters: Counters
    label: str = ""
    batch: bool | None = None
    verified: bool = False
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.label:
            self.label = endpoint_label(self.w3)

    def where(self) -> str:
        """``chain base (8453) at https://host/v2/***`` for messages."""
        return f"{self.chain} at {self.label}"

    def single(self, what: str, request: Request) -> Any:
        """Run one call here.

        Raises:
            RpcError: any failure, translated (see :meth:`translate`).
        """
        self.counters.add("calls")
        try:
            return request(self.w3)
        except Exception as exc:
            raise self.translate(what, exc) from None

    def many(self, what: str, requests: Sequence[Request], *, max_batch: int) -> list[Any]:
        """Run many calls here: batched when the endpoint takes batches, else one by one.

        Raises:
            RpcError: any failure, translated.
        """
        if len(requests) > 1 and self.batch is not False:
            try:
                return self._batched(what, requests, max_batch=max_batch)
            except BatchUnsupportedError as exc:
                self.batch = False
                self.notes.append(str(exc))
        return [self.single(what, request) for request in requests]

    def _batched(self, what: str, requests: Sequence[Request], *, max_batch: int) -> list[Any]:
        results: list[Any] = []
        for start in range(0, len(requests), max_batch):
            chunk = requests[start : start + max_batch]
            try:
                batch = self.w3.batch_requests()
            except Web3TypeError:
                raise BatchUnsupportedError(f"{self.where()}: provider has no batches") from None
            self.counters.add("calls", len(chunk))
            try:
                with batch:
                    for request in chunk:
                        batch.add(request(self.w3))
                    results.extend(batch.execute())
            except BatchUnsupportedError:
                raise
            except Exception as exc:
                raise self.translate(what, exc) from None
            self.batch = True
        return results

    def translate(self, what: str, exc: BaseException) -> RpcError:
        """This package's error for what web3, eth-tester or the transport raised."""
        if isinstance(exc, RpcError):
            return exc  # the transport's own: it names the masked URL already
        self.counters.add("errors")
        if isinstance(exc, ContractLogicError):
            return CallRevertedError(f"{self.where()}: {what} reverted: {exc}", url=self.label)
        if isinstance(exc, BlockNotFound | TransactionNotFound):
            return NotFoundError(f"{self.where()}: {what}: {exc.message}", url=self.label)
        if isinstance(exc, Web3RPCError):
            return self._translate_rpc(what, exc)
        if isinstance(exc, _tester_errors()):
            return self._translate_tester(what, exc)
        if isinstance(exc, Web3Exception | ValueError | TypeError | KeyError):
            return RpcResponseError(f"{self.where()}: {what} failed: {exc}", url=self.label)
        raise exc

    def _translate_rpc(self, what: str, exc: Web3RPCError) -> RpcError:
        code, message = _rpc_error_parts(exc)
        kind = classify_rpc_error(code, message)
        text = f"{self.where()}: {what} refused (JSON-RPC {code}: {message[:300]})"
        if kind == "range":
            return LogRangeRefusedError(text, url=self.label, code=code, detail=message)
        if kind == "rate-limit":
            return RateLimitedError(text, url=self.label, code=code)
        if kind == "state":
            return HistoricalStateError(text, url=self.label, code=code)
        if kind == "missing-block":  # a lagging node: another URL may have it
            return NotFoundError(text, url=self.label, code=code)
        if "revert" in message.lower():
            return CallRevertedError(text, url=self.label, code=code)
        return RpcResponseError(text, url=self.label, code=code)

    def _translate_tester(self, what: str, exc: Exception) -> RpcError:
        name = type(exc).__name__
        if name in ("BlockNotFound", "TransactionNotFound"):
            return NotFoundError(f"{self.where()}: {what}: {exc}", url=self.label)
        if name == "TransactionFailed":
            return CallRevertedError(f"{self.where()}: {what} reverted: {exc}", url=self.label)
        return RpcResponseError(f"{self.where()}: {what} failed: {exc}", url=self.label)
