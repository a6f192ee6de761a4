"""RpcClient and BlockScanner against a real loopback server that misbehaves like providers do."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.types import Wei

from aoineco_ledger.chains import BlockScanner, ChainSpec, RetryPolicy, RpcClient, TokenSpec
from aoineco_ledger.errors import (
    ChainError,
    ChainIdMismatchError,
    ConfigError,
    IncompleteReceiptError,
    InvalidAddressError,
    RangeTooLargeError,
    RateLimitedError,
    RpcError,
)
from aoineco_ledger.typing import Address, ChainId
from tests._support.anvil import Anvil, free_port
from tests._support.contracts import deploy
from tests._support.rpc_server import RANGE_ERRORS, MisbehavingRpcServer, misbehaving_server

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

SECRET = "sEcReTkEy"


class Sleeps(list[float]):
    """Records the waits a client asked for, instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(*urls: str, sleeps: Sleeps | None = None, **policy: Any) -> RpcClient:
    return RpcClient(
        list(urls),
        chain="anvil",
        policy=RetryPolicy(**{"attempts": 4, "timeout": 5.0, **policy}),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def _mine(anvil: Anvil, count: int) -> None:
    anvil.rpc("anvil_mine", hex(count))


def _token_history(anvil: Anvil, transfers: int) -> tuple[Any, str, int, int]:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    deployer, alice = list(w3.eth.accounts)[:2]
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    token.functions.mint(deployer, 10**12).transact({"from": deployer})
    start = w3.eth.block_number
    for i in range(transfers):
        token.functions.transfer(alice, 1_000 + i).transact({"from": deployer})
        _mine(anvil, 3)
    return token, alice, start, w3.eth.block_number


class TestBatches:
    def test_batches_cut_http_requests(self, proxy: MisbehavingRpcServer, anvil: Anvil) -> None:
        """Fetching 30 blocks takes 2 HTTP requests batched and 32 when batches are refused."""
        _mine(anvil, 30)
        batched = _client(proxy.url).blocks(range(1, 31), full=True)
        with_batches = proxy.stats.http_requests
        proxy.reset()
        proxy.behaviour.refuse_batches = "json"
        single = _client(proxy.url).blocks(range(1, 31), full=True)
        assert [b["hash"] for b in batched] == [b["hash"] for b in single]
        assert (with_batches, proxy.stats.http_requests) == (2, 32)

    @pytest.mark.parametrize("style", ["json", "http"])
    def test_refused_batch_falls_back_and_is_remembered(
        self, proxy: MisbehavingRpcServer, style: str
    ) -> None:
        """After one refused batch the endpoint gets single calls only."""
        proxy.behaviour.refuse_batches = style
        client = _client(proxy.url)
        client.balances([Web3.to_checksum_address("0x" + "11" * 20)] * 3, 0)
        client.balances([Web3.to_checksum_address("0x" + "22" * 20)] * 3, 0)
        assert (client.batch_supported(), proxy.stats.batches) == ((False,), 1)

    def test_counters_count_bytes_and_batches(self, proxy: MisbehavingRpcServer) -> None:
        """The client's counters agree with what the server saw."""
        client = _client(proxy.url)
        client.blocks(range(0, 1), full=False)
        client.balances(["0x" + "33" * 20, "0x" + "44" * 20], 0)
        counters = client.counters()
        assert (counters.http_requests, counters.batches) == (
            proxy.stats.http_requests,
            proxy.stats.batches,
        )
        assert counters.calls == 4 and counters.response_bytes > 0


class TestRateLimits:
    def test_429_retry_after_is_honoured(self, proxy: MisbehavingRpcServer) -> None:
        """Two 429s with Retry-After: 3 make the client wait 3 s twice, then succeed."""
        proxy.behaviour.rate_limit_429, proxy.behaviour.retry_after = 2, "3"
        sleeps = Sleeps()
        client = _client(proxy.url, sleeps=sleeps)
        assert client.head() >= 0
        assert sleeps == [3.0, 3.0]
        assert (client.counters().rate_limited, client.counters().retries) == (2, 2)

    def test_429_without_retry_after_backs_off_exponentially(
        self, proxy: MisbehavingRpcServer
    ) -> None:
        """Without Retry-After the waits grow: base, 2x base, 4x base (plus jitter)."""
        proxy.behaviour.rate_limit_429, proxy.behaviour.retry_after = 3, None
        sleeps = Sleeps()
        _client(proxy.url, sleeps=sleeps, base_delay=0.5, jitter=0.25).head()
        assert [0.5 <= sleeps[0] <= 0.625, 1.0 <= sleeps[1] <= 1.25, 2.0 <= sleeps[2] <= 2.5] == [
            True
        ] * 3

    def test_json_rpc_rate_limit_inside_200_is_retried(self, proxy: MisbehavingRpcServer) -> None:
        """A -32005 "rate limited" error in a 200 is a rate limit, retried like a 429."""
        proxy.behaviour.rate_limit_json = 2
        sleeps = Sleeps()
        client = _client(proxy.url, sleeps=sleeps)
        client.head()
        assert (len(sleeps), client.counters().rate_limited) == (2, 2)

    def test_long_retry_after_fails_over_to_next_url(
        self, proxy: MisbehavingRpcServer, anvil: Anvil
    ) -> None:
        """A Retry-After beyond the policy's limit is not waited for: the next URL answers."""
        proxy.behaviour.rate_limit_429, proxy.behaviour.retry_after = 100, "3600"
        sleeps = Sleeps()
        client = _client(proxy.url, anvil.url, sleeps=sleeps)
        assert client.head() == int(Web3(Web3.HTTPProvider(anvil.url)).eth.block_number)
        assert (sleeps, client.counters().failovers) == ([], 1)

    def test_persistent_rate_limit_is_one_clear_error(self, proxy: MisbehavingRpcServer) -> None:
        """Still limited after every try: RateLimitedError naming chain and masked URL."""
        proxy.behaviour.rate_limit_429 = 100
        with pytest.raises(RateLimitedError) as caught:
            _client(proxy.url, attempts=2).head()
        message = str(caught.value)
        assert "anvil (31337)" in message and "/***" in message and SECRET not in message


class TestLogRanges:
    @pytest.mark.parametrize("style", sorted(RANGE_ERRORS))
    def test_refused_ranges_are_split_until_complete(
        self, proxy: MisbehavingRpcServer, anvil: Anvil, style: str
    ) -> None:
        """Every refusal text leads to smaller ranges and the same complete set of transfers."""
        token, alice, start, end = _token_history(anvil, 6)
        spec = TokenSpec(Address(token.address), "USDC", 6)
        proxy.behaviour.max_log_range, proxy.behaviour.range_style = 5, style
        found = BlockScanner(_client(proxy.url), tokens=[spec]).scan(
            from_block=start, to_block=end, wallets=[alice]
        )
        assert [t.amount for t in found.tokens] == [1_000 + i for i in range(6)]
        assert proxy.stats.refused_ranges
        assert all(high - low < 5 for low, high in proxy.stats.log_ranges[-3:])

    def test_hint_repeating_the_refused_range_is_ignored(
        self, proxy: MisbehavingRpcServer, anvil: Anvil
    ) -> None:
        """A "retry with the range" hint equal to the refused range leads to halving, not a loop."""
        token, alice, start, end = _token_history(anvil, 2)
        proxy.behaviour.max_log_range, proxy.behaviour.range_style = 2, "repeat-hint"
        found = BlockScanner(
            _client(proxy.url), tokens=[TokenSpec(Address(token.address), "USDC", 6)]
        ).scan(from_block=start, to_block=end, wallets=[alice])
        assert len(found.tokens) == 2
        assert len(set(proxy.stats.refused_ranges)) == len(proxy.stats.refused_ranges)

    def test_single_block_refused_is_an_error_not_no_logs(
        self, proxy: MisbehavingRpcServer, anvil: Anvil
    ) -> None:
        """When even one block is refused the scan fails; it never reports "no transfers"."""
        token, alice, start, end = _token_history(anvil, 1)
        proxy.behaviour.max_log_range = 0
        scanner = BlockScanner(
            _client(proxy.url), tokens=[TokenSpec(Address(token.address), "USDC", 6)]
        )
        with pytest.raises(RangeTooLargeError, match="cannot split further"):
            scanner.scan(from_block=start, to_block=end, wallets=[alice])


class TestBadEndpoints:
    def test_closed_port(self) -> None:
        """Nothing listening: one RpcError naming the chain and the masked URL."""
        url = f"http://127.0.0.1:{free_port()}/v3/{SECRET}0123456789abcdef"
        with pytest.raises(RpcError) as caught:
            _client(url, attempts=2).head()
        message = str(caught.value)
        assert "anvil (31337)" in message and "/***" in message and SECRET not in message

    def test_server_that_never_answers(self, proxy: MisbehavingRpcServer) -> None:
        """A silent server times out into one RpcError with the masked URL."""
        proxy.behaviour.hang = True
        with pytest.raises(RpcError, match=r"did not answer within 0\.3s") as caught:
            _client(proxy.url, attempts=1, timeout=0.3).head()
        assert SECRET not in str(caught.value)

    def test_wrong_chain_id(self, proxy: MisbehavingRpcServer) -> None:
        """An endpoint serving another chain is refused, naming the chain and masked URL."""
        proxy.behaviour.chain_id = 8453
        with pytest.raises(ChainIdMismatchError, match=r"serves chain id 8453.*anvil \(31337\)"):
            _client(proxy.url).connect()

    def test_head_never_moves_backwards(self, proxy: MisbehavingRpcServer, anvil: Anvil) -> None:
        """A lagging node behind the same URL does not make the head go down."""
        _mine(anvil, 5)
        client = _client(proxy.url)
        first = client.head()
        proxy.behaviour.head_lag = 3
        assert client.head() == first

    def test_range_beyond_head(self, proxy: MisbehavingRpcServer) -> None:
        """Scanning past the head is one ChainError naming the chain and the masked URL."""
        client = _client(proxy.url)
        with pytest.raises(ChainError, match=r"anvil \(31337\).*beyond the head.*/\*\*\*"):
            BlockScanner(client).scan(from_block=0, to_block=client.head() + 10, wallets=[])

    def test_bad_wallet_address(self, proxy: MisbehavingRpcServer) -> None:
        """A wallet with a bad checksum is refused before anything is read."""
        with pytest.raises(InvalidAddressError, match="checksum is wrong"):
            BlockScanner(_client(proxy.url)).scan(
                from_block=0, to_block=0, wallets=["0x833589fcD6eDb6E08f4c7C32D4f71b54bdA02913"]
            )


class TestTokensAndFees:
    @pytest.mark.parametrize(
        ("args", "pattern"), [((6, True), "reverted on decimals"), ((100, False), "more than 77")]
    )
    def test_bad_decimals_token(
        self, proxy: MisbehavingRpcServer, args: tuple[int, bool], pattern: str
    ) -> None:
        """decimals() that reverts or is absurd: one ChainError naming the chain and masked URL."""
        w3 = Web3(Web3.HTTPProvider(proxy.upstream))
        odd = deploy(w3, "odd_decimals", *args)
        scanner = BlockScanner(
            _client(proxy.url), tokens=[TokenSpec(Address(odd.address), "ODD", 6)]
        )
        with pytest.raises(ChainError, match=pattern) as caught:
            scanner.scan(from_block=0, to_block=w3.eth.block_number, wallets=[])
        assert "anvil (31337)" in str(caught.value) and "/***" in str(caught.value)

    def test_configured_decimals_must_match(self, proxy: MisbehavingRpcServer) -> None:
        """A token configured with 18 decimals that has 6 on chain is a ConfigError."""
        w3 = Web3(Web3.HTTPProvider(proxy.upstream))
        token = deploy(w3, "token", "USD Coin", "USDC", 6)
        scanner = BlockScanner(
            _client(proxy.url), tokens=[TokenSpec(Address(token.address), "USDC", 18)]
        )
        with pytest.raises(ConfigError, match="says 6"):
            scanner.scan(from_block=0, to_block=w3.eth.block_number, wallets=[])

    def test_incomplete_receipt_is_fetched_from_another_url(
        self, proxy: MisbehavingRpcServer
    ) -> None:
        """An OP-stack receipt without l1Fee is asked again elsewhere, and the full fee booked."""
        op_anvil = ChainSpec(chain_id=ChainId(31337), name="op-anvil", fee_model="op-stack")
        w3 = Web3(Web3.HTTPProvider(proxy.upstream))
        sender = list(w3.eth.accounts)[1]
        start = w3.eth.block_number
        w3.eth.send_transaction({"from": sender, "to": list(w3.eth.accounts)[2], "value": Wei(1)})
        with misbehaving_server(proxy.upstream) as full:
            full.behaviour.add_receipt_fields = {"l1Fee": "0x5"}
            client = RpcClient([proxy.url, full.url], chain=op_anvil)
            found = BlockScanner(client).scan(
                from_block=start, to_block=start + 1, wallets=[sender]
            )
        fee = found.sent[0].fee
        assert (fee.complete, fee.l1_data) == (True, 5)

    def test_no_complete_receipt_anywhere_is_an_error(self, proxy: MisbehavingRpcServer) -> None:
        """When no endpoint has l1Fee the scan fails instead of booking the L2 part alone."""
        op_anvil = ChainSpec(chain_id=ChainId(31337), name="op-anvil", fee_model="op-stack")
        w3 = Web3(Web3.HTTPProvider(proxy.upstream))
        sender = list(w3.eth.accounts)[1]
        start = w3.eth.block_number
        w3.eth.send_transaction({"from": sender, "to": list(w3.eth.accounts)[2], "value": Wei(1)})
        client = RpcClient([proxy.url], chain=op_anvil)
        with pytest.raises(IncompleteReceiptError, match="no endpoint served a complete receipt"):
            BlockScanner(client).scan(from_block=start, to_block=start + 1, wallets=[sender])
