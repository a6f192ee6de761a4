"""The probe scanner's search: a wallet's own transactions, and ETH nobody announced.

:class:`Finder` holds one scan's context (range, prices, headers read so far)
and fills a :class:`Found`. Observations are built by the block scanner's own
builders, so a transaction the probe finds is the very object the block
scanner would have reported for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aoineco_ledger.chains._fees import quantity
from aoineco_ledger.chains._observations import (
    InternalInflow,
    NativeTransfer,
    SentTransaction,
    TokenTransfer,
    UserOperation,
)
from aoineco_ledger.chains.rpc import RpcClient
from aoineco_ledger.chains.rpc._endpoint import Request
from aoineco_ledger.chains.scanning._bisect import (
    Cumulative,
    NotMonotonicError,
    Segment,
    find_steps,
    nonces_by_block,
)
from aoineco_ledger.chains.scanning._probe_calls import (
    balance_request,
    code_request,
    header_request,
    is_missing_state,
    is_unsupported,
    nonce_request,
    receipt_request,
    sender_nonce_request,
    trace_block_request,
    traced_inflows,
)
from aoineco_ledger.chains.scanning._probe_state import Holding
from aoineco_ledger.chains.scanning._probe_traces import TraceFilter, bisection_cost, trace_target
from aoineco_ledger.chains.scanning.blocks import BlockScanner, _hex, _Prices, _time
from aoineco_ledger.errors import ChainError, RpcError
from aoineco_ledger.typing import Address, BlockNumber, ChainId, TxHash

if TYPE_CHECKING:
    from aoineco_ledger.chains.scanning.probe import ProbeStats

__all__ = ["SET_CODE_TX_TYPE", "Finder", "Found"]

SET_CODE_TX_TYPE = 4
"""EIP-7702 transactions: they may give their sender (or other authorities) code."""


@dataclass(slots=True)
class Found:
    """What one scan found, keyed so that nothing is reported twice."""

    sent: dict[str, SentTransaction] = field(default_factory=dict)
    received: dict[tuple[str, str], NativeTransfer] = field(default_factory=dict)
    internal: list[InternalInflow] = field(default_factory=list)
    tokens: dict[tuple[str, int], TokenTransfer] = field(default_factory=dict)
    user_operations: dict[tuple[str, int], UserOperation] = field(default_factory=dict)

    def add_sent(self, sent: SentTransaction) -> None:
        """Record a sent transaction."""
        self.sent[sent.tx_hash] = sent

    def add_received(self, received: NativeTransfer) -> None:
        """Record a top-level transfer to a watched wallet."""
        self.received[(received.tx_hash, received.to)] = received

    def replace(
        self,
        wallets: Sequence[Address],
        sent: Iterable[SentTransaction],
        received: Iterable[NativeTransfer],
    ) -> None:
        """Drop what the probe found for ``wallets`` and take the block scanner's instead."""
        keys = set(wallets)
        self.sent = {h: s for h, s in self.sent.items() if s.sender not in keys}
        self.received = {k: r for k, r in self.received.items() if r.to not in keys}
        self.internal = [i for i in self.internal if i.wallet not in keys]
        for item in sent:
            self.add_sent(item)
        for transfer in received:
            self.add_received(transfer)

    def replace_tokens(self, wallets: Sequence[Address], tokens: Iterable[TokenTransfer]) -> None:
        """Drop the token transfers touching ``wallets`` and take ``tokens`` instead."""
        keys = set(wallets)
        self.tokens = {
            k: t for k, t in self.tokens.items() if t.sender not in keys and t.to not in keys
        }
        for transfer in tokens:
            self.tokens.setdefault((transfer.tx_hash, transfer.log_index), transfer)


class Finder:
    """Locates own transactions and unexplained inflows for one scan at a time."""

    def __init__(
        self,
        client: RpcClient,
        blocks: BlockScanner,
        stats: ProbeStats,
        *,
        sender_nonce_lookup: bool | None,
        traces: bool | None,
        trace_filter: bool | None = None,
    ) -> None:
        """Args:
        client: the chain's RPC client.
        blocks: the block scanner whose builders make the observations.
        stats: counters to add to.
        sender_nonce_lookup: True/False, or None to find out on first use.
        traces: use ``trace_block``: True/False, or None to find out on first use.
        trace_filter: locate inflows with ``trace_filter``: True/False, or None to
            find out on first use (None with ``traces=False`` means False: no trace calls).
        """
        self.client = client
        self.blocks = blocks
        self.stats = stats
        self.sender_nonce_lookup = sender_nonce_lookup
        self.traces = traces
        self.trace_filter = TraceFilter(
            client, enabled=False if trace_filter is None and traces is False else trace_filter
        )
        self.nonces_high: dict[Address, int] = {}
        self._nonce_moved: list[Address] = []
        self._low = self._high = 0
        self._watched: set[str] = set()
        self._prices = _Prices()
        self._found = Found()
        self._seen: dict[int, Any] = {}
        self._full: set[int] = set()

    # -- per scan ----------------------------------------------------------------

    def begin(
        self,
        low: int,
        high: int,
        watched: Sequence[Address],
        prices: _Prices,
        found: Found,
        header: Any,
    ) -> None:
        """Start a scan of ``(low, high]`` (``header`` is ``high``'s, already read)."""
        self._low, self._high = low, high
        self._watched = {w.lower() for w in watched}
        self._prices, self._found = prices, found
        self._seen = {high: header}
        self._full = set()
        self.nonces_high = {}
        self._nonce_moved = []

    def nonce_requests(self, points: Sequence[tuple[Address, int]]) -> list[Request]:
        """``eth_getTransactionCount`` at each ``(wallet, block)``."""
        return [nonce_request(wallet, block) for wallet, block in points]

    def headers(self, numbers: Iterable[int]) -> dict[int, Any]:
        """Headers (or full blocks) of these blocks, reading the missing ones in one batch."""
        wanted = sorted(set(numbers) - set(self._seen))
        for number, block in zip(
            wanted,
            self.client.call_many("probe_headers", [header_request(n) for n in wanted]),
            strict=True,
        ):
            self._seen[number] = block
        return self._seen

    def _full_blocks(self, numbers: Iterable[int]) -> dict[int, Any]:
        wanted = sorted(set(numbers) - self._full)
        if wanted:
            for block in self.client.blocks(wanted, full=True):
                self._seen[int(block["number"])] = block
                self._full.add(int(block["number"]))
        return self._seen

    def check_hash(self, item: Any, block: Any) -> None:
        """Refuse a log or transaction whose block hash is not the block's we read.

        Raises:
            ChainError: a reorg happened during the scan.
        """
        if item.get("blockHash") is not None and _hex(item["blockHash"]) != _hex(block["hash"]):
            raise ChainError(
                f"{self.client.chain.name} ({self.client.chain.chain_id}): block "
                f"{int(block['number'])} changed during the scan (a reorg); scan again"
            )

    # -- own transactions ----------------------------------------------------

    def own_transactions(
        self,
        eoas: Sequence[Address],
        nonces_low: dict[Address, int],
        nonces_high: dict[Address, int],
        cached: Callable[[Address, int], int | None],
    ) -> None:
        """Find and record every transaction the wallets sent in the range.

        Raises:
            ChainError: a nonce went down, or a transaction is not where it should be.
            RpcError: the chain could not be read.
        """
        low, high = self._low, self._high
        lows: dict[Address, int | None] = {
            w: nonces_low[w] if w in nonces_low else cached(w, low) for w in eoas
        }
        points = [(w, high) for w in eoas if w not in nonces_high]
        points += [(w, low) for w in eoas if lows[w] is None]
        answers = self.client.call_many("probe_nonces", self.nonce_requests(points))
        highs = dict(nonces_high)
        for (wallet, block), value in zip(points, answers, strict=True):
            (highs if block == high else lows)[wallet] = int(value)
        self.nonces_high = {w: highs[w] for w in eoas}
        wanted: list[tuple[Address, int]] = []
        segments: list[Segment[Address]] = []
        for wallet in eoas:
            start, end = lows[wallet], highs[wallet]
            assert start is not None
            if end < start:
                raise ChainError(f"nonce of {wallet} went down from {start} to {end}")
            if end > start:
                wanted.extend((wallet, n) for n in range(start, end))
                segments.append(Segment(wallet, low, high, start, end))
                self._nonce_moved.append(wallet)
        if not wanted:
            return
        located = self._by_sender_and_nonce(wanted)
        if located is None:
            located = self._by_bisection(segments)
        self._record_sent(located)

    def recheck_code(self, eoas: Sequence[Address]) -> dict[Address, bool]:
        """Whether each wallet that sent a set-code (EIP-7702, type 4) transaction has code now.

        A delegation authorized inside *someone else's* type-4 transaction also
        moves the wallet's nonce, but with no transaction of its own at that
        nonce: the search then fails loudly (ChainError) instead of booking a guess.
        """
        moved = [
            w
            for w in eoas
            if w in self._nonce_moved
            and any(
                s.sender == w and s.tx_type == SET_CODE_TX_TYPE for s in self._found.sent.values()
            )
        ]
        if not moved:
            return {}
        codes = self.client.call_many("eth_getCode", [code_request(w, self._high) for w in moved])
        return {w: bool(bytes(code)) for w, code in zip(moved, codes, strict=True)}

    def _by_sender_and_nonce(self, wanted: Sequence[tuple[Address, int]]) -> list[Any] | None:
        if self.sender_nonce_lookup is False:
            return None
        try:
            txs = self.client.call_many(
                "eth_getTransactionBySenderAndNonce",
                [sender_nonce_request(w, n) for w, n in wanted],
            )
        except RpcError as exc:
            if is_missing_state(exc):
                return None  # anvil searches old state for it: bisect (inside the range) instead
            if self.sender_nonce_lookup is None and is_unsupported(exc):
                self.sender_nonce_lookup = False
                return None
            raise
        if any(tx is None for tx in txs):
            return None  # an endpoint that forgot old transactions: bisect instead
        self.sender_nonce_lookup = True
        return list(txs)

    def _by_bisection(self, segments: Sequence[Segment[Address]]) -> list[Any]:
        def read(points: Sequence[tuple[Address, int]]) -> list[int]:
            self.stats.bisection_reads += len(points)
            return [
                int(v) for v in self.client.call_many("probe_nonces", self.nonce_requests(points))
            ]

        where = nonces_by_block(find_steps(segments, read))
        blocks = self._full_blocks(b for pairs in where.values() for _, b in pairs)
        txs: list[Any] = []
        for wallet, pairs in where.items():
            for nonce, number in pairs:
                tx = next(
                    (
                        t
                        for t in blocks[number]["transactions"]
                        if str(t["from"]).lower() == wallet.lower()
                        and quantity(t["nonce"]) == nonce
                    ),
                    None,
                )
                if tx is None:
                    raise ChainError(
                        f"no transaction of {wallet} with nonce {nonce} in block {number}"
                    )
                # Some nodes (eth-tester) leave blockNumber out of a block's own transactions.
                txs.append(tx if "blockNumber" in tx else {**dict(tx), "blockNumber": number})
        return txs

    def _headers_and_receipts(self, numbers: Iterable[int], tx_hashes: Sequence[str]) -> list[Any]:
        """The receipts, and the headers not read yet, in one batch."""
        wanted = sorted(set(numbers) - set(self._seen))
        answers = self.client.call_many(
            "probe_receipts",
            [*(header_request(n) for n in wanted), *(receipt_request(h) for h in tx_hashes)],
        )
        for number, block in zip(wanted, answers, strict=False):
            self._seen[number] = block
        return answers[len(wanted) :]

    def _record_sent(self, txs: Sequence[Any]) -> None:
        numbers = [int(quantity(tx["blockNumber"]) or 0) for tx in txs]
        inside = [n for n in numbers if self._low < n <= self._high]
        receipts = self._headers_and_receipts(inside, [_hex(tx["hash"]) for tx in txs])
        for tx, receipt in zip(txs, receipts, strict=True):
            number = int(quantity(tx["blockNumber"]) or 0)
            if not self._low < number <= self._high:
                raise ChainError(
                    f"transaction {_hex(tx['hash'])} is in block {number}, outside the scan"
                )
            block = self._seen[number]
            self.check_hash(tx, block)
            self.blocks._check_receipt(block, tx, receipt)
            price = self._prices.at(self.blocks.native_price, number)
            self._found.add_sent(self.blocks._sent(block, tx, receipt, price))
            if str(tx.get("to") or "").lower() in self._watched:
                transfer = self.blocks._received(block, tx, receipt, price)
                if transfer is not None:
                    self._found.add_received(transfer)
            self.stats.located_transactions += 1

    # -- unexplained inflows --------------------------------------------------

    def _explained(self, wallet: Address) -> Cumulative:
        changes = [
            (s.block_number, s.mint - s.fee.total - (s.value if s.success else 0))
            for s in self._found.sent.values()
            if s.sender == wallet
        ]
        changes += [
            (r.block_number, r.value) for r in self._found.received.values() if r.to == wallet
        ]
        return Cumulative(changes)

    def unexplained(
        self,
        eoas: Sequence[Address],
        at_low: dict[Address, Holding],
        at_high: dict[Address, Holding],
    ) -> list[Address]:
        """Locate and record ETH that reached the wallets unannounced; return those it failed.

        A wallet is returned when its unexplained change is negative or falls
        somewhere in the range: the bisection's assumption does not hold for it.

        Raises:
            RpcError: the chain could not be read.
        """
        low, high = self._low, self._high
        explained = {w: self._explained(w) for w in eoas}
        wrong: list[Address] = []
        segments: list[Segment[Address]] = []
        for w in eoas:
            rest = at_high[w].eth - at_low[w].eth - explained[w].upto(high)
            if rest < 0:
                wrong.append(w)
            elif rest > 0:
                segments.append(Segment(w, low, high, 0, rest))
        segments = self._by_trace_filter(segments)

        def read(points: Sequence[tuple[Address, int]]) -> list[int]:
            self.stats.bisection_reads += len(points)
            values = self.client.call_many(
                "probe_balances", [balance_request(w, b) for w, b in points]
            )
            return [
                int(v) - at_low[w].eth - explained[w].upto(b)
                for (w, b), v in zip(points, values, strict=True)
            ]

        while segments:
            try:
                steps = find_steps(segments, read)
            except NotMonotonicError as exc:
                wrong.append(exc.key)  # type: ignore[arg-type]
                segments = [s for s in segments if s.key != exc.key]
                continue
            wrong += self._attribute([(s.key, s.block, s.delta) for s in steps])
            break
        return wrong

    def _by_trace_filter(self, segments: Sequence[Segment[Address]]) -> list[Segment[Address]]:
        """Record the inflows ``trace_filter`` accounts for; return the segments still to bisect.

        A wallet's traces are taken only when they add up to its unexplained
        change (``at_high`` of its segment); otherwise it is bisected.
        """
        low, high = self._low, self._high
        budget = bisection_cost(len(segments), high - low)
        wallets = [s.key for s in segments]
        traces = self.trace_filter.traces(low + 1, high, wallets, budget=budget)
        if traces is None:
            return list(segments)
        by_target: dict[str, list[Any]] = {}
        for trace in traces:
            target = trace_target(trace)
            if target is not None and low < _block_of(trace) <= high:
                by_target.setdefault(target, []).append(trace)
        left: list[Segment[Address]] = []
        taken: list[tuple[Address, list[Any]]] = []
        for segment in segments:
            mine = by_target.get(segment.key.lower(), [])
            top, internal = self._split_traces(segment.key, mine)
            total = sum(_value(t) for t in top) + sum(sum(i.values()) for i in internal.values())
            if total == segment.at_high:
                taken.append((segment.key, mine))
            else:
                left.append(segment)
        self._record_traced(taken)
        return left

    def _split_traces(
        self, wallet: Address, traces: Sequence[Any]
    ) -> tuple[list[Any], dict[int, dict[str, int]]]:
        """Top-level transfers not yet recorded, and internal inflows per block and transaction."""
        top = [
            t
            for t in traces
            if not t.get("traceAddress")
            and t.get("type") == "call"
            and not t.get("error")
            and _value(t) > 0
            and (_hex(t["transactionHash"]), wallet) not in self._found.received
        ]
        by_block: dict[int, list[Any]] = {}
        for trace in traces:
            by_block.setdefault(_block_of(trace), []).append(trace)
        internal = {n: traced_inflows(ts, wallet) for n, ts in sorted(by_block.items())}
        return top, {n: by_tx for n, by_tx in internal.items() if by_tx}

    def _record_traced(self, taken: Sequence[tuple[Address, list[Any]]]) -> None:
        """Record what the bisection would have found for these wallets, from their traces."""
        blocks = self.headers(_block_of(t) for _, traces in taken for t in traces)
        for wallet, traces in taken:
            for trace in traces:
                self.check_hash(trace, blocks[_block_of(trace)])
            top, internal = self._split_traces(wallet, traces)
            located = set(internal)
            for trace in top:
                number = _block_of(trace)
                tx = {
                    "hash": trace["transactionHash"],
                    "from": trace["action"]["from"],
                    "to": trace["action"]["to"],
                    "value": _value(trace),
                }
                price = self._prices.at(self.blocks.native_price, number)
                transfer = self.blocks._received(blocks[number], tx, {"status": 1}, price)
                if transfer is not None:
                    self._found.add_received(transfer)
                    located.add(number)
            self.stats.located_inflows += len(located)
            for number, by_tx in sorted(internal.items()):
                self._add_internal(wallet, number, list(by_tx.items()))

    def _attribute(self, steps: Sequence[tuple[Address, int, int]]) -> list[Address]:
        self.stats.located_inflows += len(steps)
        blocks = self._full_blocks(number for _, number, _ in steps)
        candidates = [
            (w, number, tx)
            for w, number, _ in steps
            for tx in blocks[number]["transactions"]
            if str(tx.get("to") or "").lower() == w.lower()
            and (quantity(tx.get("value")) or 0) > 0
            and (_hex(tx["hash"]), w) not in self._found.received
        ]
        receipts = self.client.receipts([_hex(tx["hash"]) for _, _, tx in candidates])
        top: dict[tuple[Address, int], int] = {}
        for (w, number, tx), receipt in zip(candidates, receipts, strict=True):
            block = blocks[number]
            self.blocks._check_receipt(block, tx, receipt)
            transfer = self.blocks._received(
                block, tx, receipt, self._prices.at(self.blocks.native_price, number)
            )
            if transfer is not None:
                self._found.add_received(transfer)
                top[(w, number)] = top.get((w, number), 0) + transfer.value
        rests = [(w, number, delta - top.get((w, number), 0)) for w, number, delta in steps]
        wrong = [w for w, _, rest in rests if rest < 0]
        self._internal([(w, n, rest) for w, n, rest in rests if rest > 0])
        return wrong

    def _internal(self, inflows: Sequence[tuple[Address, int, int]]) -> None:
        traces = self._traces(sorted({number for _, number, _ in inflows}))
        for wallet, number, value in inflows:
            by_tx = traced_inflows(traces[number], wallet) if number in traces else {}
            named = list(by_tx.items()) if sum(by_tx.values()) == value else [(None, value)]
            self._add_internal(wallet, number, named)

    def _add_internal(
        self, wallet: Address, number: int, named: Sequence[tuple[str | None, int]]
    ) -> None:
        block = self._seen[number]
        for tx_hash, amount in named:
            self.stats.internal_inflows += 1
            self._found.internal.append(
                InternalInflow(
                    chain_id=ChainId(self.client.chain.chain_id),
                    wallet=wallet,
                    block_number=BlockNumber(number),
                    block_hash=_hex(block["hash"]),
                    timestamp=_time(block),
                    value=amount,
                    native_price=self._prices.at(self.blocks.native_price, number),
                    tx_hash=None if tx_hash is None else TxHash(tx_hash),
                )
            )

    def _traces(self, numbers: Sequence[int]) -> dict[int, Any]:
        if self.traces is False or not numbers:
            return {}
        try:
            answers = self.client.call_many(
                "trace_block", [trace_block_request(n) for n in numbers]
            )
        except RpcError as exc:
            if self.traces is None and is_unsupported(exc):
                self.traces = False
                return {}
            raise
        self.traces = True
        return dict(zip(numbers, answers, strict=True))


def _block_of(trace: Any) -> int:
    return int(quantity(trace.get("blockNumber")) or 0)


def _value(trace: Any) -> int:
    return int(quantity((trace.get("action") or {}).get("value")) or 0)
