"""RpcClient, price sources, tokens and BlockScanner on an in-process eth-tester chain."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from web3 import EthereumTesterProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import Wei

from aoineco_ledger.chains import (
    AggregatorPrice,
    BlockScanner,
    MissingPrice,
    PriceSource,
    RpcClient,
    Scanner,
    StaticPrice,
    TokenSpec,
    read_token,
)
from aoineco_ledger.errors import ChainIdMismatchError, ConfigError
from aoineco_ledger.typing import Address
from tests._support.contracts import deploy


@pytest.fixture(name="client")
def _client() -> Iterator[RpcClient]:
    """A client on a fresh in-process eth-tester chain."""
    yield RpcClient(
        chain="eth-tester", provider=EthereumTesterProvider(EthereumTester(PyEVMBackend()))
    )


def _accounts(client: RpcClient) -> list[str]:
    return list(client.web3.eth.accounts)


def _send(client: RpcClient, sender: str, to: str, value: int) -> Any:
    w3 = client.web3
    return w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": sender, "to": to, "value": Wei(value)})
    )


class TestClient:
    def test_batches_fall_back_to_single_calls(self, client: RpcClient) -> None:
        """eth-tester has no batches: detected, remembered, and the calls still answered."""
        assert client.balances(_accounts(client)[:3], 0) == [10**24] * 3
        assert client.batch_supported() == (False,)
        assert client.counters().calls == 1 + 3

    def test_wrong_chain_is_refused(self) -> None:
        """A provider for another chain than configured raises ChainIdMismatchError."""
        client = RpcClient(chain="base", provider=EthereumTesterProvider())
        with pytest.raises(ChainIdMismatchError, match=r"configured for base \(8453\)"):
            client.connect()

    def test_no_endpoint_is_a_config_error(self) -> None:
        """A chain without any RPC endpoint is a ConfigError naming the key."""
        with pytest.raises(ConfigError, match=r"chains\.rpc_urls"):
            RpcClient([], chain="base")

    def test_poa_chains_get_the_extra_data_middleware(self) -> None:
        """Polygon's client injects web3's ExtraDataToPOAMiddleware."""
        client = RpcClient(chain="polygon", web3=Web3(EthereumTesterProvider()))
        assert ExtraDataToPOAMiddleware in [m for m, _ in client.web3.middleware_onion.middleware]

    def test_target_block_by_confirmations(self, client: RpcClient) -> None:
        """Finality as a number of confirmations is latest minus N (never below 0)."""
        accounts = _accounts(client)
        for _ in range(4):
            _send(client, accounts[0], accounts[1], 1)
        assert (client.target_block(2), client.target_block(10)) == (2, 0)


class TestPrices:
    def test_static_price_is_exact(self) -> None:
        """A float config value goes through str: 0.1 stays 0.1."""
        assert StaticPrice(0.1).price_at(5).usd == Decimal("0.1")

    @pytest.mark.parametrize("value", ["0", "-1", "NaN", "abc", True])
    def test_bad_static_price(self, value: object) -> None:
        """Zero, negative, NaN, garbage or a bool price is a ConfigError."""
        with pytest.raises(ConfigError, match="price_usd"):
            StaticPrice(value)  # type: ignore[arg-type]

    def test_missing_price_is_not_zero(self) -> None:
        """A missing price has usd None and says why."""
        price = MissingPrice("no feed").price_at(1)
        assert (price.usd, price.missing, price.source) == (None, True, "missing: no feed")

    def test_sources_satisfy_the_protocol(self, client: RpcClient) -> None:
        """StaticPrice, MissingPrice and AggregatorPrice are PriceSources."""
        feed = AggregatorPrice(client, "0x" + "11" * 20)
        assert all(isinstance(s, PriceSource) for s in (StaticPrice(1), MissingPrice(), feed))

    def test_feed_answer_at_each_block(self, client: RpcClient) -> None:
        """The feed is read at the block asked: an older block gives the older answer."""
        feed = deploy(client.web3, "price_feed", 8, 2500_00000000)
        first = client.web3.eth.block_number
        now = client.web3.eth.get_block("latest")["timestamp"]
        feed.functions.set_answer(2600_50000000, now).transact({"from": _accounts(client)[0]})
        source = AggregatorPrice(client, feed.address)
        assert source.price_at(first).usd == Decimal("2500")
        assert source.price_at(client.web3.eth.block_number).usd == Decimal("2600.5")

    def test_stale_feed_is_flagged(self, client: RpcClient) -> None:
        """An updatedAt older than max_age is reported stale, still with its price."""
        feed = deploy(client.web3, "price_feed", 8, 2500_00000000)
        feed.functions.set_answer(2500_00000000, 1).transact({"from": _accounts(client)[0]})
        price = AggregatorPrice(client, feed.address, max_age=timedelta(hours=1)).price_at(
            client.web3.eth.block_number
        )
        assert (price.stale, price.usd) == (True, Decimal("2500"))

    def test_non_positive_answer_is_missing(self, client: RpcClient) -> None:
        """A feed answering 0 gives a missing price, never $0."""
        feed = deploy(client.web3, "price_feed", 8, 0)
        price = AggregatorPrice(client, feed.address).price_at(client.web3.eth.block_number)
        assert price.missing and "answered 0" in price.source

    def test_reverting_feed_is_missing(self, client: RpcClient) -> None:
        """A contract that reverts on latestRoundData gives a missing price."""
        reverter = deploy(client.web3, "reverter")
        price = AggregatorPrice(client, reverter.address).price_at(client.web3.eth.block_number)
        assert price.missing and "reverted" in price.source

    def test_no_code_at_feed_is_missing(self, client: RpcClient) -> None:
        """An address without code answers nothing: a missing price, not a crash."""
        price = AggregatorPrice(client, "0x" + "22" * 20).price_at(0)
        assert price.missing


class TestTokens:
    def test_read_token_from_contract(self, client: RpcClient) -> None:
        """decimals() and symbol() are read from the contract."""
        token = deploy(client.web3, "token", "USD Coin", "USDC", 6)
        spec = read_token(client, token.address.lower(), price=StaticPrice(1))
        assert (spec.address, spec.symbol, spec.decimals) == (str(token.address), "USDC", 6)

    @pytest.mark.parametrize("decimals", [-1, 78, True])
    def test_decimals_out_of_range(self, decimals: int) -> None:
        """TokenSpec refuses decimals outside 0..77 (a uint256 cannot use more)."""
        with pytest.raises(ConfigError, match="decimals"):
            TokenSpec(Address("0x" + "11" * 20), "X", decimals)

    def test_unpriced_token_has_missing_price(self) -> None:
        """A token without a price source reports a missing price, not $0."""
        assert TokenSpec(Address("0x" + "11" * 20), "X", 6).price.price_at(1).missing


class TestBlockScannerInProcess:
    def test_is_a_scanner(self, client: RpcClient) -> None:
        """BlockScanner satisfies the Scanner protocol."""
        assert isinstance(BlockScanner(client), Scanner)

    def test_empty_range_reads_balances_only(self, client: RpcClient) -> None:
        """from_block == to_block scans no block but still gives closing balances."""
        wallet = _accounts(client)[0]
        activity = BlockScanner(client).scan(from_block=0, to_block=0, wallets=[wallet])
        assert (activity.sent, [b.amount for b in activity.closing_balances]) == ((), [10**24])

    def test_send_and_receive_between_two_watched_wallets(self, client: RpcClient) -> None:
        """A transfer between two watched wallets is both sent and received."""
        alice, bob = _accounts(client)[:2]
        _send(client, alice, bob, 5)
        activity = BlockScanner(client, native_price=StaticPrice(2000)).scan(
            from_block=0, to_block=1, wallets=[alice, bob]
        )
        assert [(s.sender, s.value) for s in activity.sent] == [(alice, 5)]
        assert [(r.to, r.value) for r in activity.received] == [(bob, 5)]
        assert activity.sent[0].native_price.usd == Decimal(2000)

    def test_missing_native_price_names_the_coin(self, client: RpcClient) -> None:
        """Without a price source every observation says its price is missing."""
        alice, bob = _accounts(client)[:2]
        _send(client, alice, bob, 5)
        activity = BlockScanner(client).scan(from_block=0, to_block=1, wallets=[alice])
        assert activity.sent[0].native_price.source == "missing: no ETH price source configured"

    def test_history_starting_before_a_token_existed(self, client: RpcClient) -> None:
        """A token deployed inside the range has an opening balance of 0, not an error."""
        alice = _accounts(client)[1]
        token = deploy(client.web3, "token", "USD Coin", "USDC", 6)
        token.functions.mint(alice, 7).transact({"from": _accounts(client)[0]})
        end = client.web3.eth.block_number
        scanner = BlockScanner(client, tokens=[TokenSpec(Address(token.address), "USDC", 6)])
        activity = scanner.scan(from_block=0, to_block=end, wallets=[alice], opening_for=[alice])
        opening = [b.amount for b in activity.opening_balances if b.asset == "USDC"]
        closing = [b.amount for b in activity.closing_balances if b.asset == "USDC"]
        assert (opening, closing, [t.amount for t in activity.tokens]) == ([0], [7], [7])
