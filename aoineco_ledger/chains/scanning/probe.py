"""``ProbeScanner``: ask for the squad's balances each poll, bisect only where they moved.

A poll of ``(from_block, to_block]`` costs one JSON-RPC batch when nothing
happened: the header of ``to_block``, the squad's token ``Transfer`` logs (two
``eth_getLogs``, right beside the header: a batch is one HTTP request, so a node
behind a load balancer that lacks ``to_block`` cannot answer them ``[]``; it
gives itself away with no header and the next URL is asked), and one snapshot
of every wallet's native, token and EntryPoint-deposit balances (one Multicall3
``eth_call`` per 1,000 balances, see :mod:`._probe_state`). Where a balance moved:

1. **Own transactions.** For an ordinary wallet (no code) whose native balance
   moved, the nonce at both ends; each nonce in between is looked up with
   ``eth_getTransactionBySenderAndNonce`` where the endpoint offers it, else
   found by bisecting historical ``eth_getTransactionCount``. Only those
   transactions, their receipts and their blocks' headers are read; fees are
   :func:`~aoineco_ledger.chains.fee_of`'s.
2. **Tokens.** ``Transfer`` logs of the allow-listed tokens, for the wallets
   whose token balance moved (OR lists, adaptive range splitting: the block
   scanner's :class:`LogQuery`). The logs must add up to each wallet's token
   balance change in the snapshots; where they don't (a node behind a load
   balancer answers ``[]`` for blocks it has not seen), the block scanner reads
   those wallets' tokens over the range, checking each block's ``logsBloom``.
3. **Unexplained ETH.** ``U(x) = balance(x) - balance(from) - explained(x)``,
   where *explained* is what the wallet's own transactions and the squad's
   transfers to it did by block ``x``. For a wallet without code ETH can only
   leave through a transaction it signs (its nonce moves, step 1 finds it), so
   everything else adds: ``U`` never decreases, and :func:`find_steps` bisects
   it down to the blocks where it grew. A top-level transfer to the wallet in
   such a block is a :class:`NativeTransfer`; the rest came through a contract:
   an :class:`InternalInflow` (named by ``trace_block`` where the endpoint has it).
   Where the endpoint has ``trace_filter``, one call over the poll names every
   inflow at once, and a wallet whose traces add up to its ``U(high)`` to the wei
   needs no bisection (:mod:`._probe_traces`).

Where the bisection is not sound, the block scanner reads the range instead:
a wallet **with code** (a smart account, a contract, or an EOA with an
EIP-7702 delegation: its code can send ETH when *others* call it, so ETH leaves
without its nonce moving and ``U`` may fall), and any wallet whose ``U`` is
found to fall anyway. Code is read once per wallet and again whenever its nonce
moves (a 7702 authorization moves the nonce). ERC-4337: a wallet configured
as a smart account, or found to have code, is read as ETH **plus its
EntryPoint deposits** (the refunds of a user operation go to the deposit
without an event), and its ``UserOperationEvent`` logs are reported.

Missing historical state ("missing trie node", "header not found", anvil's
``BlockOutOfRangeError``): the whole range goes to the block scanner, and
``stats.historical_fallbacks`` counts it.

Modes. ``thorough`` (the default) also reads every ordinary wallet's nonce at
``to_block`` each poll, in the same batch (one call per wallet), and the token
logs of the whole squad (two ``eth_getLogs`` whatever its size): no blind
spot. ``standard`` reads nonces only where the native balance moved; it is
blind to a poll in which a wallet's ETH inflows exactly restore what its own
transactions and fees took (a top-up bot keeping a wallet at a fixed balance
does that), and books neither side. ``lean`` also asks for token logs only where
a token balance moved (cheapest; blind as well to a token's ins and outs that
cancel within one poll).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

import structlog

from aoineco_ledger.chains._addresses import address_topic, to_address, to_addresses
from aoineco_ledger.chains._observations import (
    Activity,
    Balance,
    NativeTransfer,
    SentTransaction,
    TokenTransfer,
    UserOperation,
)
from aoineco_ledger.chains._prices import PriceSource
from aoineco_ledger.chains._registry import ChainSpec
from aoineco_ledger.chains._tokens import TokenSpec, check_token
from aoineco_ledger.chains.rpc import LogRangeRefusedError, NotFoundError, RpcClient
from aoineco_ledger.chains.scanning._logs import (
    LogQuery,
    fetch_transfer_logs,
    logs_request,
    transfer_topics,
)
from aoineco_ledger.chains.scanning._probe_calls import (
    ENTRY_POINTS,
    USER_OPERATION_TOPIC,
    code_request,
    decode_user_operation,
    header_request,
    is_missing_state,
)
from aoineco_ledger.chains.scanning._probe_find import Finder, Found
from aoineco_ledger.chains.scanning._probe_state import Holding, SnapshotPlan, WalletState
from aoineco_ledger.chains.scanning.base import check_range
from aoineco_ledger.chains.scanning.blocks import BlockScanner, _hex, _Prices, _time
from aoineco_ledger.errors import ChainError, RpcError
from aoineco_ledger.typing import Address, BlockNumber, ChainId, TxHash

__all__ = ["ProbeScanner", "ProbeStats"]

log = structlog.get_logger(__name__)

Mode = Literal["lean", "standard", "thorough"]


@dataclass(slots=True)
class ProbeStats:
    """Counters the daemon and the API can read (``scanner.stats``); they only grow."""

    polls: int = 0
    located_transactions: int = 0
    located_inflows: int = 0
    internal_inflows: int = 0
    bisection_reads: int = 0
    code_fallbacks: int = 0
    token_fallbacks: int = 0
    inconsistent_fallbacks: int = 0
    historical_fallbacks: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


class ProbeScanner:
    """Balances, nonces and logs first; bisection to the blocks that matter. See the module."""

    def __init__(
        self,
        client: RpcClient,
        *,
        tokens: Sequence[TokenSpec] = (),
        native_price: PriceSource | None = None,
        smart_accounts: Iterable[str] = (),
        entry_points: Iterable[str] = ENTRY_POINTS,
        multicall: str | None = "auto",
        mode: Mode = "thorough",
        sender_nonce_lookup: bool | None = None,
        traces: bool | None = None,
        trace_filter: bool | None = None,
        max_log_range: int | None = 2000,
        check_tokens: bool = True,
    ) -> None:
        """Args:
        client: the chain's RPC client.
        tokens: the allow-listed tokens (others are never reported).
        native_price: USD per native coin at a block (default: missing).
        smart_accounts: wallets configured as ERC-4337 accounts (code also tells).
        entry_points: EntryPoints whose deposits and events count (those without
            code on the chain are dropped at the first scan).
        multicall: ``"auto"`` (the chain's Multicall3, when it has code there), an
            address of a contract with Multicall3's ``aggregate3`` and
            ``getEthBalance``, or None (batched ``eth_getBalance``).
        mode: ``thorough`` (the default), ``standard`` or ``lean`` (see the module
            docstring).
        sender_nonce_lookup: use ``eth_getTransactionBySenderAndNonce``; None: find out.
        traces: name internal inflows' transactions with ``trace_block``; None: find out.
        trace_filter: locate unannounced ETH with one ``trace_filter`` per poll instead
            of a bisection per inflow; None: find out (False when ``traces`` is False).
        max_log_range: the largest ``eth_getLogs`` range asked at first.
        check_tokens: on the first scan, check each token's ``decimals()``.
        """
        self.client = client
        self.tokens = tuple(tokens)
        self.mode: Mode = mode
        self.stats = ProbeStats()
        self.blocks = BlockScanner(
            client,
            tokens=self.tokens,
            native_price=native_price,
            max_log_range=max_log_range,
            check_tokens=False,
        )
        self._finder = Finder(
            client,
            self.blocks,
            self.stats,
            sender_nonce_lookup=sender_nonce_lookup,
            traces=traces,
            trace_filter=trace_filter,
        )
        self._configured_smart = frozenset(to_addresses(smart_accounts))
        self._entry_candidates = tuple(to_addresses(entry_points))
        self._multicall_wanted = multicall
        self._multicall: str | None = None
        self._entry_points: tuple[Address, ...] = ()
        self._setup_done = False
        self._tokens_checked = not check_tokens
        self._code: dict[Address, bool] = {}
        self._states: dict[Address, WalletState] = {}
        self._token_logs = LogQuery(
            client, [t.address for t in self.tokens], max_range=max_log_range
        )
        self._logs_apart = False  # True once the endpoint refused the batched logs' range
        self._op_logs = LogQuery(client, [], max_range=max_log_range)

    @property
    def chain(self) -> ChainSpec:
        """The chain this scanner reads."""
        return self.client.chain

    @property
    def multicall(self) -> str | None:
        """The Multicall3-compatible contract in use (known after the first scan)."""
        return self._multicall

    def forget(self) -> None:
        """Drop the balances and nonces remembered from the last poll.

        The next scan then reads them at its ``from_block`` again. Call it after
        a reorg: what is remembered is keyed by block number, not by hash.
        """
        self._states.clear()

    def smart_accounts(self) -> frozenset[Address]:
        """Wallets read as smart accounts: configured, or found to have code."""
        return self._configured_smart | {w for w, code in self._code.items() if code}

    def scan(
        self,
        *,
        from_block: int,
        to_block: int,
        wallets: Iterable[str],
        opening_for: Iterable[str] = (),
    ) -> Activity:
        """Everything the wallets did in ``(from_block, to_block]`` (see :class:`Scanner`).

        Raises:
            InvalidAddressError: a wallet is not a valid address.
            ConfigError: a token's decimals differ from the configured ones.
            ChainError: a bad range, one beyond head, a bad token, or a reorg mid-scan.
            IncompleteReceiptError: no endpoint gives a complete fee for a transaction.
            RpcError: the chain could not be read.
        """
        watched = to_addresses(wallets)
        opening = to_addresses(opening_for)
        # No eth_blockNumber: the header of to_block, read in the snapshot batch,
        # is the check that the range is not beyond head.
        check_range(self.chain, from_block, to_block, to_block, self.client.endpoints[0])
        self.stats.polls += 1
        try:
            return self._probe(from_block, to_block, watched, opening)
        except RpcError as exc:
            if not is_missing_state(exc):
                raise
            self.stats.historical_fallbacks += 1
            log.warning(
                "probe_historical_state_missing",
                chain_id=self.chain.chain_id,
                from_block=from_block,
                to_block=to_block,
                error=str(exc)[:300],
                fallback="blocks",
            )
        activity = self.blocks.scan(
            from_block=from_block, to_block=to_block, wallets=watched, opening_for=opening
        )
        for wallet in watched:
            self._states.pop(wallet, None)  # deposits and nonces were not read: start over
        return activity

    # -- the poll -------------------------------------------------------------

    def _multicall_candidate(self) -> Address | None:
        if self._multicall_wanted == "auto":
            return self.chain.multicall3
        return None if self._multicall_wanted is None else to_address(self._multicall_wanted)

    def _setup(self, block: int, watched: Sequence[Address]) -> None:
        """Read code once: of new wallets, and (first scan) of Multicall3 and the EntryPoints."""
        new = [w for w in watched if w not in self._code]
        multicall = None if self._setup_done else self._multicall_candidate()
        contracts: list[Address] = []
        if not self._setup_done:
            contracts = [*([multicall] if multicall else []), *self._entry_candidates]
        targets = [*new, *contracts]
        codes = self.client.call_many("eth_getCode", [code_request(t, block) for t in targets])
        has_code = {t: bool(bytes(code)) for t, code in zip(targets, codes, strict=True)}
        for wallet in new:
            self._code[wallet] = has_code[wallet]
        if not self._setup_done:
            self._multicall = multicall if multicall and has_code[multicall] else None
            self._entry_points = tuple(ep for ep in self._entry_candidates if has_code[ep])
            self._op_logs = LogQuery(
                self.client, list(self._entry_points), max_range=self._op_logs.max_range
            )
            self._setup_done = True
        if not self._tokens_checked:
            # At the head, not at the scanned block: a history may start before a
            # token existed (its balances there read as 0, see _probe_state).
            for token in self.tokens:
                check_token(self.client, token, block="latest")
            self._tokens_checked = True

    def _plan(self, wallets: Sequence[Address]) -> SnapshotPlan:
        return SnapshotPlan(
            wallets,
            tokens=[t.address for t in self.tokens],
            smart=self.smart_accounts(),
            entry_points=self._entry_points,
            multicall=self._multicall,
        )

    def _batched_log_filters(
        self, low: int, high: int, watched: Sequence[Address]
    ) -> list[dict[str, Any]] | None:
        """The squad's token-log filters to ask in the snapshot batch, or None (ask later).

        In the same batch as the header of ``high``, the logs come from a node
        that has that block (a batch is one HTTP request: one node behind a load
        balancer), so a lagging node cannot answer ``[]`` for blocks it lacks.
        Lean mode asks later, for the wallets whose token balance moved; a range
        longer than the endpoint takes goes through :class:`LogQuery`'s splitting.
        """
        query = self._token_logs
        if self.mode == "lean" or not self.tokens or high <= low or self._logs_apart:
            return None
        if not query.fits(low + 1, high):
            return None
        topics = [address_topic(w) for w in watched]
        return [
            query.filter_for(low + 1, high, t)
            for direction in ("out", "in")
            for t in transfer_topics(topics, direction)
        ]

    def _snapshots(
        self,
        low: int,
        high: int,
        watched: Sequence[Address],
        opening: Sequence[Address],
        log_filters: Sequence[dict[str, Any]] = (),
    ) -> tuple[
        Any,
        dict[Address, Holding],
        dict[Address, Holding],
        dict[Address, int],
        dict[Address, int],
        list[Any],
    ]:
        """Header of ``high``, token logs, holdings at both ends (thorough: nonces), one batch."""
        stale = [w for w in watched if self._state_at(w, low) is None]
        wanted_low = list(dict.fromkeys([*stale, *opening]))
        plan_high, plan_low = self._plan(watched), self._plan(wanted_low)
        # The logs right after the header: the first HTTP request of the batch holds both.
        requests = [header_request(high), *(logs_request(f) for f in log_filters)]
        requests += [*plan_high.requests(high), *plan_low.requests(low)]
        nonce_points: list[tuple[Address, int]] = []
        if self.mode == "thorough":
            nonce_points = [(w, high) for w in watched if not self._has_code(w)]
            nonce_points += [
                (w, low)
                for w in watched
                if not self._has_code(w) and self._nonce_at(w, low) is None
            ]
        requests += self._finder.nonce_requests(nonce_points)
        try:
            answers = self.client.call_many("probe_snapshot", requests)
        except NotFoundError:
            raise ChainError(
                f"{self.chain.name} ({self.chain.chain_id}): to_block {high} is beyond the head "
                f"of {self.client.endpoints[0]}; wait for the chain or lower the target"
            ) from None
        header = answers[0]
        logs = [entry for answer in answers[1 : 1 + len(log_filters)] for entry in answer]
        answers = [header, *answers[1 + len(log_filters) :]]
        cut = 1 + plan_high.request_count
        cut_low = cut + plan_low.request_count
        at_high = plan_high.decode(answers[1:cut], no_code=self._no_code_at(high))
        at_low = plan_low.decode(answers[cut:cut_low], no_code=self._no_code_at(low))
        for wallet in watched:
            if wallet not in at_low:
                at_low[wallet] = self._states[wallet].holding
        nonces_high: dict[Address, int] = {}
        nonces_low: dict[Address, int] = {}
        for (wallet, block), value in zip(nonce_points, answers[cut_low:], strict=True):
            (nonces_high if block == high else nonces_low)[wallet] = int(value)
        return header, at_high, at_low, nonces_high, nonces_low, logs

    def _no_code_at(self, block: int) -> Callable[[str], bool]:
        """Whether a contract has no code at ``block`` (asked only when a read returned no data)."""
        seen: dict[str, bool] = {}

        def no_code(address: str) -> bool:
            if address not in seen:
                code = self.client.call_many("eth_getCode", [code_request(address, block)])[0]
                seen[address] = not bytes(code)
            return seen[address]

        return no_code

    def _state_at(self, wallet: Address, block: int) -> WalletState | None:
        state = self._states.get(wallet)
        return state if state is not None and state.block == block else None

    def _nonce_at(self, wallet: Address, block: int) -> int | None:
        state = self._state_at(wallet, block)
        return None if state is None else state.nonce

    def _has_code(self, wallet: Address) -> bool:
        return wallet in self._configured_smart or self._code.get(wallet, False)

    def _probe(
        self, low: int, high: int, watched: Sequence[Address], opening: Sequence[Address]
    ) -> Activity:
        self._setup(high, watched)
        log_filters = self._batched_log_filters(low, high, watched)
        try:
            header, at_high, at_low, nonces_high, nonces_low, logs = self._snapshots(
                low, high, watched, opening, log_filters or ()
            )
        except LogRangeRefusedError:
            if not log_filters:
                raise
            self._logs_apart = True  # this endpoint splits ranges: LogQuery from now on
            header, at_high, at_low, nonces_high, nonces_low, logs = self._snapshots(
                low, high, watched, opening
            )
            log_filters = None
        thorough = self.mode == "thorough"
        native_moved = [w for w in watched if thorough or at_high[w].native != at_low[w].native]
        token_moved = [
            w for w in watched if self.mode != "lean" or at_high[w].tokens != at_low[w].tokens
        ]
        prices = _Prices()
        found = Found()
        if high > low:
            self._finder.begin(low, high, watched, prices, found, header)
            eoas = [w for w in native_moved if not self._has_code(w)]
            self._finder.own_transactions(eoas, nonces_low, nonces_high, self._nonce_at)
            for wallet, code in self._finder.recheck_code(eoas).items():
                self._code[wallet] = code
            smart = [w for w in native_moved if self._has_code(w)]
            self._fallback(low, high, smart, found, "code")
            self._user_operations(low, high, smart, found, prices)
            self._tokens(low, high, token_moved, found, prices, logs if log_filters else None)
            short = self._tokens_unexplained(token_moved, at_low, at_high, found)
            self._token_fallback(low, high, short, found)
            eoas = [w for w in eoas if not self._has_code(w)]
            wrong = self._finder.unexplained(eoas, at_low, at_high)
            self._fallback(low, high, wrong, found, "inconsistent")
        for wallet in watched:
            nonce = nonces_high.get(wallet, self._finder.nonces_high.get(wallet))
            if nonce is None and at_high[wallet].native == at_low[wallet].native:
                nonce = self._nonce_at(wallet, low)  # lean: an unmoved balance, an unmoved nonce
            self._states[wallet] = WalletState(block=high, holding=at_high[wallet], nonce=nonce)
        return self._activity(low, high, header, watched, opening, at_high, at_low, found)

    # -- parts ------------------------------------------------------------------

    def _fallback(
        self, low: int, high: int, wallets: Sequence[Address], found: Found, why: str
    ) -> None:
        """The block scanner's sent and received for wallets the bisection cannot serve."""
        if not wallets:
            return
        if why == "code":
            self.stats.code_fallbacks += 1
        else:
            self.stats.inconsistent_fallbacks += 1
            log.warning(
                "probe_balance_not_monotonic",
                chain_id=self.chain.chain_id,
                wallets=list(wallets),
                from_block=low,
                to_block=high,
                fallback="blocks",
            )
        activity = self.blocks.scan(from_block=low, to_block=high, wallets=wallets)
        found.replace(wallets, activity.sent, activity.received)

    def _tokens(
        self,
        low: int,
        high: int,
        wallets: Sequence[Address],
        found: Found,
        prices: _Prices,
        logs: list[Any] | None = None,
    ) -> None:
        """Token transfers of ``wallets`` from ``logs`` (the snapshot's), else asked now."""
        if not self.tokens or not wallets:
            return
        if logs is None:
            topics = [address_topic(w) for w in wallets]
            logs = []
            for direction in ("out", "in"):
                logs += fetch_transfer_logs(
                    self._token_logs,
                    low=low + 1,
                    high=high,
                    wallet_topics=topics,
                    direction=direction,
                )
        headers = self._finder.headers(int(entry["blockNumber"]) for entry in logs)
        for entry in logs:
            transfer = self.blocks._transfer(entry, headers, prices, low, high)
            if transfer is not None:
                found.tokens.setdefault((transfer.tx_hash, transfer.log_index), transfer)

    def _tokens_unexplained(
        self,
        wallets: Sequence[Address],
        at_low: dict[Address, Holding],
        at_high: dict[Address, Holding],
        found: Found,
    ) -> list[Address]:
        """Wallets whose token balances moved by other than their ``Transfer`` logs.

        An allow-listed ERC-20 changes a balance only with a ``Transfer`` log, so
        the logs must add up to the snapshot's difference. When they don't, the
        logs came from a node that has not seen the whole range (a lagging node
        behind a load balancer answers ``[]`` for blocks it lacks), or the token
        is not a plain ERC-20 (rebasing, fee-on-transfer).
        """
        if not self.tokens:
            return []
        index = {t.address: i for i, t in enumerate(self.tokens)}
        net: dict[tuple[Address, int], int] = {}
        for transfer in found.tokens.values():
            i = index[transfer.token]
            net[(transfer.to, i)] = net.get((transfer.to, i), 0) + transfer.amount
            net[(transfer.sender, i)] = net.get((transfer.sender, i), 0) - transfer.amount
        return [
            w
            for w in wallets
            if any(
                at_high[w].tokens[i] - at_low[w].tokens[i] != net.get((w, i), 0)
                for i in range(len(self.tokens))
            )
        ]

    def _token_fallback(
        self, low: int, high: int, wallets: Sequence[Address], found: Found
    ) -> None:
        """The block scanner's token transfers (each block's bloom checked) for ``wallets``."""
        if not wallets:
            return
        self.stats.token_fallbacks += 1
        log.warning(
            "probe_token_logs_short",
            chain_id=self.chain.chain_id,
            wallets=list(wallets),
            from_block=low,
            to_block=high,
            fallback="blocks",
        )
        activity = self.blocks.scan(from_block=low, to_block=high, wallets=wallets)
        found.replace_tokens(wallets, activity.tokens)

    def _user_operations(
        self, low: int, high: int, wallets: Sequence[Address], found: Found, prices: _Prices
    ) -> None:
        if not self._entry_points or not wallets:
            return
        topics = [USER_OPERATION_TOPIC, None, [address_topic(w) for w in wallets]]
        if self._op_logs.fits(low + 1, high) and not self._logs_apart:
            # Beside the header of ``high`` for the reason the token logs are (see
            # _batched_log_filters): a node that lacks the block cannot answer [].
            query = self._op_logs.filter_for(low + 1, high, topics)
            _, logs = self.client.call_many(  # no such block: NotFoundError, next URL
                "probe_user_operations", [header_request(high), logs_request(query)]
            )
        else:
            logs = self._op_logs.fetch(low + 1, high, topics)
        headers = self._finder.headers(int(entry["blockNumber"]) for entry in logs)
        for entry in logs:
            if entry.get("removed"):
                continue
            number = int(entry["blockNumber"])
            block = headers[number]
            self._finder.check_hash(entry, block)
            op = decode_user_operation(entry)
            found.user_operations.setdefault(
                (_hex(entry["transactionHash"]), int(entry["logIndex"])),
                UserOperation(
                    chain_id=ChainId(self.chain.chain_id),
                    entry_point=to_address(entry["address"]),
                    user_op_hash=op["user_op_hash"],
                    sender=to_address(op["sender"]),
                    paymaster=to_address(op["paymaster"]),
                    nonce=op["nonce"],
                    success=op["success"],
                    actual_gas_cost=op["actual_gas_cost"],
                    actual_gas_used=op["actual_gas_used"],
                    tx_hash=TxHash(_hex(entry["transactionHash"])),
                    log_index=int(entry["logIndex"]),
                    block_number=BlockNumber(number),
                    block_hash=_hex(block["hash"]),
                    timestamp=_time(block),
                    native_price=prices.at(self.blocks.native_price, number),
                ),
            )

    def _activity(
        self,
        low: int,
        high: int,
        header: Any,
        watched: Sequence[Address],
        opening: Sequence[Address],
        at_high: dict[Address, Holding],
        at_low: dict[Address, Holding],
        found: Found,
    ) -> Activity:
        sent: list[SentTransaction] = sorted(
            found.sent.values(), key=lambda s: (s.block_number, s.tx_hash)
        )
        received: list[NativeTransfer] = sorted(
            found.received.values(), key=lambda r: (r.block_number, r.tx_hash)
        )
        tokens: list[TokenTransfer] = sorted(
            found.tokens.values(), key=lambda t: (t.block_number, t.log_index)
        )
        ops = sorted(found.user_operations.values(), key=lambda o: (o.block_number, o.log_index))
        return Activity(
            chain_id=ChainId(self.chain.chain_id),
            from_block=BlockNumber(low),
            to_block=BlockNumber(high),
            to_block_hash=_hex(header["hash"]),
            to_block_timestamp=_time(header),
            sent=tuple(sent),
            received=tuple(received),
            internal=tuple(sorted(found.internal, key=lambda i: (i.block_number, i.wallet))),
            tokens=tuple(tokens),
            user_operations=tuple(ops),
            opening_balances=self._balances(opening, at_low, low),
            closing_balances=self._balances(watched, at_high, high),
        )

    def _balances(
        self, wallets: Sequence[Address], holdings: dict[Address, Holding], block: int
    ) -> tuple[Balance, ...]:
        spec, number = self.chain, BlockNumber(block)
        out = [
            Balance(
                chain_id=ChainId(spec.chain_id),
                wallet=w,
                asset=spec.native_symbol,
                token=None,
                decimals=spec.native_decimals,
                block_number=number,
                amount=holdings[w].native,
            )
            for w in wallets
        ]
        out += [
            Balance(
                chain_id=ChainId(spec.chain_id),
                wallet=w,
                asset=token.symbol,
                token=token.address,
                decimals=token.decimals,
                block_number=number,
                amount=holdings[w].tokens[i],
            )
            for w in wallets
            for i, token in enumerate(self.tokens)
        ]
        return tuple(out)
