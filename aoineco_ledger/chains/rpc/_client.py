"""``RpcClient``: what the scanners ask of a chain, over one or more endpoints.

The client holds one ``Web3`` per URL (each on a :class:`ResilientHTTPProvider`,
which does the retrying), or a ready ``Web3``/provider (eth-tester in tests and
the demo). A call goes to the preferred endpoint; when that endpoint cannot be
reached, stays rate limited, or lacks historical state, the call moves to the
next one and the next one becomes preferred. An endpoint's chain id is checked
the first time it is used. Results are web3's formatted values (``AttributeDict``,
ints, ``HexBytes``): the same shape for HTTP and in-process providers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.base import BaseProvider

from aoineco_ledger.chains._fees import fee_of
from aoineco_ledger.chains._observations import Fee
from aoineco_ledger.chains._registry import ChainSpec, Finality, get_chain
from aoineco_ledger.chains.rpc._endpoint import Endpoint, NotFoundError, Request
from aoineco_ledger.chains.rpc._errors import LogRangeRefusedError, RpcResponseError
from aoineco_ledger.chains.rpc._transport import (
    Counters,
    ResilientHTTPProvider,
    RetryPolicy,
    RpcCounters,
)
from aoineco_ledger.errors import (
    ChainError,
    ChainIdMismatchError,
    ConfigError,
    HistoricalStateError,
    IncompleteReceiptError,
    RateLimitedError,
    RpcError,
)
from aoineco_ledger.typing import BlockNumber

__all__ = ["RpcClient"]

T = TypeVar("T")
_TAGS = ("latest", "safe", "finalized")


class RpcClient:
    """Failover, retry, batches, a monotonic head and counters over web3.py 8."""

    def __init__(
        self,
        urls: Sequence[str] = (),
        *,
        chain: ChainSpec | int | str,
        web3: Web3 | None = None,
        provider: BaseProvider | None = None,
        policy: RetryPolicy | None = None,
        max_batch: int = 50,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        """Build a client.

        Args:
            urls: HTTP(S) endpoints of one chain, tried in this order.
            chain: the chain (a ChainSpec, or an id or name in the registry).
            web3: a ready Web3 to use as an endpoint (after the URLs).
            provider: a ready provider (e.g. ``EthereumTesterProvider``) to wrap in a Web3.
            policy: retry policy for the URL endpoints.
            max_batch: most calls in one JSON-RPC batch.
            sleep: how to wait between retries (tests pass a recorder).
            wall_clock: unix time, for ``Retry-After`` given as an HTTP date.
            rng: randomness for backoff jitter.

        Raises:
            ConfigError: no endpoint given, or the chain is unknown.
        """
        self.chain = chain if isinstance(chain, ChainSpec) else get_chain(chain)
        self.max_batch = max(1, max_batch)
        self._counters = Counters()
        self._heads: dict[str, int] = {}
        self._preferred = 0
        name = f"{self.chain.name} ({self.chain.chain_id})"
        web3s = [
            Web3(
                ResilientHTTPProvider(
                    url,
                    policy=policy,
                    counters=self._counters,
                    sleep=sleep,
                    wall_clock=wall_clock,
                    rng=rng,
                )
            )
            for url in urls
        ]
        if provider is not None:
            web3s.append(Web3(provider))
        if web3 is not None:
            web3s.append(web3)
        if not web3s:
            raise ConfigError(f"chains.rpc_urls: no RPC endpoint given for {name}")
        for w3 in web3s:
            if self.chain.poa:
                w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        self._endpoints = [Endpoint(w3=w3, chain=name, counters=self._counters) for w3 in web3s]

    # -- introspection --------------------------------------------------------

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints' masked URLs (or provider kinds), in failover order."""
        return tuple(endpoint.label for endpoint in self._endpoints)

    @property
    def web3(self) -> Web3:
        """The preferred endpoint's Web3 (for contract helpers in tests and the demo)."""
        return self._endpoints[self._preferred].w3

    def counters(self) -> RpcCounters:
        """A snapshot of calls, batches, HTTP requests, bytes, errors and retries."""
        return self._counters.snapshot()

    def batch_supported(self) -> tuple[bool | None, ...]:
        """Per endpoint: True/False once known, None before the first batch."""
        return tuple(endpoint.batch for endpoint in self._endpoints)

    # -- failover ---------------------------------------------------------------

    def _verify(self, endpoint: Endpoint) -> None:
        if endpoint.verified:
            return
        served = endpoint.single("eth_chainId", lambda w3: w3.eth.chain_id)
        if served != self.chain.chain_id:
            raise ChainIdMismatchError(
                f"{endpoint.label} serves chain id {served}, but it is configured for "
                f"{self.chain.name} ({self.chain.chain_id}); check rpc_urls and chain_id"
            )
        endpoint.verified = True

    def connect(self) -> None:
        """Check every endpoint's chain id now (otherwise each is checked on first use).

        Raises:
            ChainIdMismatchError: an endpoint serves another chain.
            RpcError: an endpoint cannot be reached.
        """
        for endpoint in self._endpoints:
            try:
                self._verify(endpoint)
            except RpcError as exc:
                raise self._final_error("connect", [(endpoint, exc)]) from None

    def _order(self) -> list[Endpoint]:
        count = len(self._endpoints)
        return [self._endpoints[(self._preferred + i) % count] for i in range(count)]

    def run(self, what: str, action: Callable[[Endpoint], T]) -> T:
        """Run ``action`` on the preferred endpoint, failing over on transport trouble.

        An endpoint's answer that is an error of its own (a revert, a refused log
        range, an unknown method) is raised at once: another URL would not help.
        "Not found" (a block or receipt a lagging node lacks) tries the next URL,
        and so does an endpoint serving another chain (it is never used, and is
        named in the error when no endpoint can answer).

        Raises:
            ChainIdMismatchError: an endpoint serves another chain.
            RpcError: every endpoint failed (the message names each masked URL).
        """
        failures: list[tuple[Endpoint, ChainError]] = []
        for endpoint in self._order():
            try:
                self._verify(endpoint)
                result = action(endpoint)
            except ChainIdMismatchError as exc:
                failures.append((endpoint, exc))
                self._counters.add("failovers")
                continue
            except NotFoundError as exc:
                # A node behind a load balancer (or a lagging URL) may not have it yet.
                failures.append((endpoint, exc))
                continue
            except (RpcResponseError, LogRangeRefusedError):
                raise
            except RpcError as exc:
                failures.append((endpoint, exc))
                self._counters.add("failovers")
                continue
            self._preferred = self._endpoints.index(endpoint)
            return result
        raise self._final_error(what, failures)

    def _final_error(
        self, what: str, failures: Sequence[tuple[Endpoint, ChainError]]
    ) -> ChainError:
        last = failures[-1][1]
        detail = "; ".join(str(exc) for _, exc in failures)
        chain = f"{self.chain.name} ({self.chain.chain_id})"
        message = f"{chain}: {what} failed on every endpoint: {detail}"
        if not isinstance(last, RpcError):
            return ChainIdMismatchError(message)
        if isinstance(last, RateLimitedError):
            return RateLimitedError(
                message, url=last.url, code=last.code, retry_after=last.retry_after
            )
        if isinstance(last, NotFoundError):
            return NotFoundError(message, url=last.url, code=last.code)
        if isinstance(last, HistoricalStateError):
            return HistoricalStateError(message, url=last.url, code=last.code)
        return RpcError(message, url=last.url, code=last.code)

    def call(self, what: str, request: Request) -> Any:
        """One web3 call with failover (``request`` builds it on a given Web3)."""
        return self.run(what, lambda endpoint: endpoint.single(what, request))

    def call_many(self, what: str, requests: Sequence[Request]) -> list[Any]:
        """Many web3 calls, batched where the endpoint takes batches, with failover."""
        if not requests:
            return []
        return self.run(
            what, lambda endpoint: endpoint.many(what, requests, max_batch=self.max_batch)
        )

    # -- head --------------------------------------------------------------------

    def head(self, tag: str = "latest") -> BlockNumber:
        """The highest block with this tag seen so far: never lower than a previous answer.

        A load-balanced endpoint may answer from a node that is behind; the head
        this client reports never moves backwards.

        Raises:
            RpcError: no endpoint could answer.
        """
        if tag not in _TAGS:
            raise ConfigError(f"finality: {tag!r} is not latest, safe or finalized")
        if tag == "latest":
            number = int(self.call("eth_blockNumber", lambda w3: w3.eth.block_number))
        else:
            block = self.call(
                f"eth_getBlockByNumber({tag})",
                lambda w3: w3.eth.get_block(tag),  # type: ignore[arg-type]
            )
            number = int(block["number"])
        self._heads[tag] = max(self._heads.get(tag, 0), number)
        return BlockNumber(self._heads[tag])

    def target_block(self, finality: Finality | None = None) -> BlockNumber:
        """The newest block final enough to book: a tag's head, or latest minus N.

        Raises:
            RpcError: no endpoint could answer.
        """
        wanted = self.chain.finality if finality is None else finality
        if isinstance(wanted, int):
            return BlockNumber(max(0, self.head("latest") - wanted))
        return self.head(wanted)

    # -- reads the scanners need -------------------------------------------

    def block(self, number: int, *, full: bool = True) -> Any:
        """One block (with full transactions by default).

        Raises:
            ChainError: the block is beyond the endpoint's head.
            RpcError: no endpoint could answer.
        """
        return self.blocks([number], full=full)[0]

    def blocks(self, numbers: Iterable[int], *, full: bool = True) -> list[Any]:
        """Blocks by number, batched.

        Raises:
            ChainError: a block is beyond the endpoint's head.
            RpcError: no endpoint could answer.
        """
        wanted = list(numbers)
        requests = [_get_block(number, full) for number in wanted]
        try:
            return self.call_many("eth_getBlockByNumber", requests)
        except NotFoundError as exc:
            raise ChainError(
                f"{self.chain.name} ({self.chain.chain_id}): blocks {wanted[0]}..{wanted[-1]} "
                f"are not all there yet (beyond head?): {exc}"
            ) from None

    def receipts(self, tx_hashes: Sequence[str]) -> list[Any]:
        """Receipts by transaction hash, batched.

        Raises:
            RpcError: no endpoint could answer (or one does not know a transaction).
        """
        return self.call_many(
            "eth_getTransactionReceipt",
            [_get_receipt(tx_hash) for tx_hash in tx_hashes],
        )

    def balances(self, addresses: Sequence[str], block: int) -> list[int]:
        """Native balances of ``addresses`` at ``block``, batched.

        Raises:
            HistoricalStateError: no endpoint keeps state that old.
            RpcError: no endpoint could answer.
        """
        requests = [_get_balance(address, block) for address in addresses]
        return [int(value) for value in self.call_many("eth_getBalance", requests)]

    def eth_calls(self, calls: Sequence[tuple[str, bytes]], block: int | str) -> list[bytes]:
        """``eth_call`` each ``(to, data)`` at ``block``, batched; returns raw return data.

        Raises:
            CallRevertedError: a call reverted.
            RpcError: no endpoint could answer.
        """
        requests = [_eth_call(to, data, block) for to, data in calls]
        return [bytes(value) for value in self.call_many("eth_call", requests)]

    def get_logs(self, params: Mapping[str, Any]) -> list[Any]:
        """``eth_getLogs`` with the given filter (``fromBlock``/``toBlock`` as ints).

        Raises:
            LogRangeRefusedError: the endpoint refused the range (split it and ask again).
            RpcError: no endpoint could answer.
        """
        low, high = int(params["fromBlock"]), int(params["toBlock"])
        try:
            return list(self.call("eth_getLogs", lambda w3: w3.eth.get_logs(dict(params))))  # type: ignore[arg-type]
        except LogRangeRefusedError as exc:
            exc.from_block, exc.to_block = low, high
            raise

    def fetch_fee(
        self,
        tx_hash: str,
        *,
        tx: Mapping[str, Any] | None = None,
        receipt: Mapping[str, Any] | None = None,
        block_timestamp: int | None = None,
    ) -> Fee:
        """The complete fee of a transaction, asking other endpoints when a receipt is short.

        Args:
            tx_hash: the transaction.
            tx: the transaction itself, when at hand.
            receipt: a receipt already fetched (its fee is used when complete).
            block_timestamp: the block's time (for the operator-fee era).

        Raises:
            IncompleteReceiptError: no endpoint served a receipt with every fee field.
            RpcError: the receipt could not be fetched at all.
        """
        tried: list[str] = []
        if receipt is not None:
            fee = self._fee(tx, receipt, block_timestamp)
            if fee.complete:
                return fee
            tried.append(self._endpoints[self._preferred].label)
        for endpoint in self._order()[1 if receipt is not None else 0 :] or self._order():
            try:
                self._verify(endpoint)
                again = endpoint.single("eth_getTransactionReceipt", _get_receipt(tx_hash))
            except RpcError:
                tried.append(endpoint.label)
                continue
            fee = self._fee(tx, again, block_timestamp)
            if fee.complete:
                return fee
            tried.append(endpoint.label)
        raise IncompleteReceiptError(
            f"{self.chain.name} ({self.chain.chain_id}): no endpoint served a complete receipt "
            f"for {tx_hash} (l1Fee or blob fields missing; tried {', '.join(tried)})"
        )

    def _fee(self, tx: Mapping[str, Any] | None, receipt: Any, block_timestamp: int | None) -> Fee:
        return fee_of(
            tx,
            receipt,
            chain_id=self.chain.chain_id,
            chain=self.chain,
            block_timestamp=block_timestamp,
        )


def _get_block(number: int, full: bool) -> Request:
    return lambda w3: w3.eth.get_block(number, full)


def _get_receipt(tx_hash: str) -> Request:
    return lambda w3: w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]


def _get_balance(address: str, block: int) -> Request:
    return lambda w3: w3.eth.get_balance(address, block)  # type: ignore[arg-type]


def _eth_call(to: str, data: bytes, block: int | str) -> Request:
    return lambda w3: w3.eth.call({"to": to, "data": data}, block)  # type: ignore[arg-type]
