"""ProbeScanner against histories and nodes that broke it: a late token, lagging logs.

A token deployed after the range's start has no code at ``from_block``: its
balances there are 0, and its decimals are checked at the head. A lagging node
behind a load balancer answers ``[]`` for the logs of blocks it has not seen:
the snapshots' token balances then disagree with the logs, and the block
scanner reads those wallets' tokens instead. In both cases the probe must
report exactly what the block scanner reports on an honest node, and on honest
data the check must never fire.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from structlog.testing import capture_logs
from web3 import Web3

from aoineco_ledger.chains import (
    Activity,
    BlockScanner,
    ProbeScanner,
    RetryPolicy,
    RpcClient,
    StaticPrice,
    TokenSpec,
)
from aoineco_ledger.errors import ChainError
from tests._support.anvil import Anvil
from tests._support.contracts import deploy
from tests._support.fault_proxy import Fault, FaultProxy, fault_proxy

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18
PRICE = StaticPrice("3000")
POLICY = RetryPolicy(
    attempts=2, base_delay=0.01, max_delay=0.05, jitter=0.0, max_retry_after=0.5, timeout=5
)
LAG = 12
"""Blocks the lagging node is behind: more than the history below spans."""


def _wait(w3: Web3, tx_hash: Any) -> None:
    assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def _tokens(token: Any) -> list[TokenSpec]:
    return [TokenSpec(token.address, "USDC", 6, StaticPrice("1"))]


def _blocks(url: str, token: Any) -> BlockScanner:
    client = RpcClient([url], chain="anvil", policy=POLICY)
    return BlockScanner(client, tokens=_tokens(token), native_price=PRICE)


def _probe(urls: list[str], token: Any, **kwargs: Any) -> ProbeScanner:
    client = RpcClient(urls, chain="anvil", policy=POLICY)
    return ProbeScanner(client, tokens=_tokens(token), native_price=PRICE, **kwargs)


def _in_polls(
    scanner: ProbeScanner, edges: list[int], wallets: list[str]
) -> tuple[list[Activity], set[Any]]:
    """Scan ``edges[0]..edges[-1]`` one poll per pair of edges; the polls and all their tokens."""
    polls = [
        scanner.scan(
            from_block=low,
            to_block=high,
            wallets=wallets,
            opening_for=wallets if low == edges[0] else (),
        )
        for low, high in itertools.pairwise(edges)
    ]
    return polls, {t for poll in polls for t in poll.tokens}


@dataclass
class LateToken:
    """A history whose token is deployed after its start."""

    w3: Web3
    squad: list[str]
    token: Any
    multicall: str
    start: int
    before_token: int
    end: int


@pytest.fixture(name="late")
def _late(anvil_clean: Anvil) -> LateToken:
    """ETH moves, then the token is deployed, minted and moved (in and out of the squad)."""
    w3 = Web3(Web3.HTTPProvider(anvil_clean.url))
    deployer, a, b, c, outsider = list(w3.eth.accounts)[:5]
    multicall = deploy(w3, "multicall", sender=deployer).address  # exists from the start
    start = w3.eth.block_number
    _wait(w3, w3.eth.send_transaction({"from": a, "to": b, "value": ETH}))  # type: ignore[typeddict-item]
    anvil_clean.rpc("anvil_mine", hex(3))
    before_token = w3.eth.block_number
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    _wait(w3, token.functions.mint(a, 10_000_000).transact({"from": deployer}))
    _wait(w3, token.functions.mint(outsider, 5_000_000).transact({"from": deployer}))
    _wait(w3, token.functions.transfer(b, 1_250_000).transact({"from": a}))
    _wait(w3, token.functions.transfer(outsider, 300_000).transact({"from": a}))
    _wait(w3, token.functions.transfer(c, 2_000_000).transact({"from": outsider}))
    anvil_clean.rpc("anvil_mine", hex(2))
    return LateToken(w3, [a, b, c], token, multicall, start, before_token, w3.eth.block_number)


class TestTokenDeployedLater:
    @pytest.mark.parametrize("multicall", [False, True], ids=["plain-calls", "multicall"])
    @pytest.mark.parametrize("split", [False, True], ids=["one-poll", "first-poll-before-token"])
    def test_probe_equals_block_scanner(
        self, late: LateToken, anvil_clean: Anvil, multicall: bool, split: bool
    ) -> None:
        """Same tokens and balances as the block scanner; the token opens at 0 for everyone.

        Split: the first poll ends before the token exists, so its decimals can
        only be checked at the head, and its balances read as 0 at both ends.
        """
        assert late.w3.eth.get_code(late.token.address, late.before_token) == b""
        probe = _probe(
            [anvil_clean.url], late.token, multicall=late.multicall if multicall else None
        )
        edges = [late.start, *([late.before_token] if split else []), late.end]
        polls, tokens = _in_polls(probe, edges, late.squad)
        reference = _blocks(anvil_clean.url, late.token).scan(
            from_block=late.start, to_block=late.end, wallets=late.squad, opening_for=late.squad
        )
        assert len(reference.tokens) == 4  # mint to a, a -> b, a -> outsider, outsider -> c
        assert tokens == set(reference.tokens)
        assert set(polls[0].opening_balances) == set(reference.opening_balances)
        assert set(polls[-1].closing_balances) == set(reference.closing_balances)
        assert [b.amount for b in polls[0].opening_balances if b.asset == "USDC"] == [0, 0, 0]
        assert (probe.multicall is not None) == multicall
        if split:
            assert polls[0].tokens == ()
            assert {b.amount for b in polls[0].closing_balances if b.asset == "USDC"} == {0}
        assert probe.stats.token_fallbacks == 0


@dataclass
class Payments:
    """A token history in the last blocks before the head, honest quirks included."""

    w3: Web3
    url: str
    squad: list[str]
    token: Any
    start: int
    end: int


@pytest.fixture(name="payments")
def _payments(anvil_clean: Anvil) -> Payments:
    """Payments in, out and inside the squad, a self-transfer and a zero-value one.

    All of them lie within ``LAG`` blocks of the head, so a node ``LAG`` behind
    answers ``[]`` for their logs.
    """
    w3 = Web3(Web3.HTTPProvider(anvil_clean.url))
    deployer, a, b, c, outsider = list(w3.eth.accounts)[:5]
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    _wait(w3, token.functions.mint(a, 10_000_000).transact({"from": deployer}))
    _wait(w3, token.functions.mint(outsider, 10_000_000).transact({"from": deployer}))
    start = w3.eth.block_number
    moves = [
        (a, token.functions.transfer(outsider, 1_000_000)),  # a pays outside
        (outsider, token.functions.transfer(b, 700_000)),  # b is paid
        (a, token.functions.transfer(b, 55_000)),  # inside the squad
        (b, token.functions.transfer(b, 30_000)),  # to itself: no change
        (c, token.functions.transfer(outsider, 0)),  # zero value: no change
        (deployer, token.functions.mint(c, 4_000)),  # minted to c
    ]
    for sender, call in moves:
        _wait(w3, call.transact({"from": sender}))
    end = w3.eth.block_number
    assert end - start < LAG
    return Payments(w3, anvil_clean.url, [a, b, c], token, start, end)


@pytest.fixture(name="proxy")
def _proxy(payments: Payments) -> Iterator[FaultProxy]:
    with fault_proxy(payments.url) as proxy:
        yield proxy


def _lagging(case: str) -> tuple[Fault, bool, dict[str, Any]]:
    """A fresh fault (faults count their firings), whether an honest URL follows, and
    the probe's options that send its token logs apart from the snapshot batch."""
    logs = frozenset({"eth_getLogs"})
    if case == "first-two-log-requests":
        # The balancer sends the probe's two log requests (out, in) to the lagging node.
        return Fault("behind", lag=LAG, times=2, methods=logs), False, {}
    if case == "lagging-url-first":
        # The first URL always lags for logs; asked by block hash it refuses, so the
        # client goes on to the second URL, an honest node.
        return Fault("behind", lag=LAG, methods=logs), True, {}
    # A range longer than the endpoint's log limit: logs go through LogQuery's
    # splitting, outside the snapshot batch, to the lagging first URL.
    return Fault("behind", lag=LAG, methods=logs), True, {"max_log_range": 3}


def _scan(probe: ProbeScanner | BlockScanner, payments: Payments) -> Activity:
    return probe.scan(
        from_block=payments.start,
        to_block=payments.end,
        wallets=payments.squad,
        opening_for=payments.squad,
    )


class TestLaggingLogs:
    @pytest.mark.parametrize(
        ("mode", "case"),
        [
            ("lean", "first-two-log-requests"),
            ("lean", "lagging-url-first"),
            ("standard", "long-range"),
            ("thorough", "long-range"),
        ],
    )
    def test_short_logs_are_read_from_the_blocks(
        self, payments: Payments, proxy: FaultProxy, case: str, mode: str
    ) -> None:
        """Logs asked apart and answered ``[]`` by a lagging node: every transfer still found."""
        fault, honest_second, options = _lagging(case)
        proxy.set(fault)
        urls = [proxy.url, payments.url] if honest_second else [proxy.url]
        probe = _probe(urls, payments.token, mode=mode, **options)
        with capture_logs() as events:
            found = _scan(probe, payments)
        reference = _scan(_blocks(payments.url, payments.token), payments)
        assert proxy.fired("behind") >= 2
        assert len(reference.tokens) == 6
        assert found.tokens == reference.tokens
        assert set(found.closing_balances) == set(reference.closing_balances)
        assert probe.stats.token_fallbacks > 0
        short = [e for e in events if e["event"] == "probe_token_logs_short"]
        assert [set(e["wallets"]) for e in short] == [set(payments.squad)]  # all three moved

    @pytest.mark.parametrize("mode", ["standard", "thorough"])
    def test_logs_in_the_snapshot_batch_come_from_a_node_with_the_block(
        self, payments: Payments, proxy: FaultProxy, mode: str
    ) -> None:
        """Standard and thorough ask the logs beside the header of ``to_block``: a lagging
        node gives itself away (no such block), so the next URL answers, with no fallback."""
        fault, _, _ = _lagging("lagging-url-first")
        proxy.set(fault)
        probe = _probe([proxy.url, payments.url], payments.token, mode=mode)
        found = _scan(probe, payments)
        reference = _scan(_blocks(payments.url, payments.token), payments)
        assert proxy.fired("behind") >= 1
        assert found.tokens == reference.tokens and len(found.tokens) == 6
        assert probe.stats.token_fallbacks == 0

    def test_a_lagging_only_node_fails_the_scan_rather_than_answer_short(
        self, payments: Payments, proxy: FaultProxy
    ) -> None:
        """With no other URL, the batch from a node behind ``to_block`` is refused whole; the
        next poll, answered by an up-to-date node, reports everything."""
        fault, _, _ = _lagging("first-two-log-requests")
        proxy.set(fault)
        probe = _probe([proxy.url], payments.token)
        refused = 0
        for _ in range(3):  # each refused poll uses up one of the fault's two firings
            try:
                found = _scan(probe, payments)
                break
            except ChainError as exc:
                assert "beyond the head" in str(exc)
                refused += 1
        assert refused >= 1
        reference = _scan(_blocks(payments.url, payments.token), payments)
        assert found.tokens == reference.tokens and len(found.tokens) == 6

    def test_without_the_fault_the_proxy_would_not_matter(
        self, payments: Payments, proxy: FaultProxy
    ) -> None:
        """The same proxy, behaving: the same transfers and no fallback (the fault caused it)."""
        probe = _probe([proxy.url], payments.token)
        found = probe.scan(from_block=payments.start, to_block=payments.end, wallets=payments.squad)
        reference = _blocks(payments.url, payments.token).scan(
            from_block=payments.start, to_block=payments.end, wallets=payments.squad
        )
        assert found.tokens == reference.tokens
        assert probe.stats.token_fallbacks == 0


class TestHonestLogs:
    @pytest.mark.parametrize("mode", ["standard", "lean", "thorough"])
    @pytest.mark.parametrize("cut", [0, 2, 4], ids=["one-poll", "cut-2", "cut-4"])
    def test_check_never_fires_on_honest_data(
        self, payments: Payments, mode: str, cut: int
    ) -> None:
        """Self, zero-value, minted and squad-internal transfers add up: no fallback, any mode."""
        probe = _probe([payments.url], payments.token, mode=mode)
        edges = sorted({payments.start, payments.start + cut, payments.end})
        polls, tokens = _in_polls(probe, edges, payments.squad)
        reference = _blocks(payments.url, payments.token).scan(
            from_block=payments.start, to_block=payments.end, wallets=payments.squad
        )
        assert tokens == set(reference.tokens) and len(tokens) == 6
        assert set(polls[-1].closing_balances) == set(reference.closing_balances)
        assert probe.stats.token_fallbacks == 0


class TestEmptyAnswers:
    @pytest.mark.parametrize("scanner", ["probe", "blocks"])
    def test_no_data_from_a_token_that_has_code_is_refused(
        self, payments: Payments, proxy: FaultProxy, scanner: str
    ) -> None:
        """A node answering ``0x`` for balanceOf of a token that is deployed: an error, not 0."""
        wanted: ProbeScanner | BlockScanner = _probe(
            [proxy.url], payments.token, multicall=None, check_tokens=False
        )
        if scanner == "blocks":
            wanted = BlockScanner(
                RpcClient([proxy.url], chain="anvil", policy=POLICY),
                tokens=_tokens(payments.token),
                native_price=PRICE,
                check_tokens=False,
            )
        proxy.set(Fault("empty-call"))
        with pytest.raises(ChainError, match="returned 0 bytes"):
            _scan(wanted, payments)
        assert proxy.fired("empty-call") > 0
