"""A multi-wallet history on anvil, scanned by BlockScanner: complete and exact to the wei."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from aoineco_ledger.chains import (
    Activity,
    AggregatorPrice,
    BlockScanner,
    RpcClient,
    StaticPrice,
    TokenSpec,
)
from aoineco_ledger.typing import Address
from tests._support.anvil import Anvil
from tests._support.contracts import deploy

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18


@dataclass
class History:
    """What the test did on chain, to compare with what the scanner found."""

    w3: Web3
    client: RpcClient
    alice: str
    bob: str
    carol: str
    dave: str
    usdc: Any
    spam: Any
    start: int
    end: int
    sent: dict[str, str]
    received: dict[str, str]
    activity: Activity


def _send(w3: Web3, **tx: Any) -> str:
    tx_hash = w3.eth.send_transaction(tx)  # type: ignore[arg-type]
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def _transact(w3: Web3, call: Any, sender: str, **extra: Any) -> str:
    tx_hash = call.transact({"from": sender, **extra})
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def _build(anvil: Anvil) -> History:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    deployer, alice, bob, carol, dave = list(w3.eth.accounts)[:5]
    usdc = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    spam = deploy(w3, "spam_token", "USDC", 6, sender=deployer)
    forwarder = deploy(w3, "forwarder", sender=deployer)
    reverter = deploy(w3, "reverter", sender=deployer)
    feed = deploy(w3, "price_feed", 8, 3_000_12345678, sender=deployer)
    _transact(w3, usdc.functions.mint(alice, 1_000_000_000), deployer)
    _transact(w3, usdc.functions.mint(carol, 5_000_000_000), deployer)
    start = w3.eth.block_number
    sent = {
        "alice->carol": _send(w3, **{"from": alice, "to": carol, "value": ETH}),
        "alice->bob": _send(w3, **{"from": alice, "to": bob, "value": ETH // 10}),
        "bob-fails": _transact(w3, reverter.functions.fail(), bob, value=ETH // 5, gas=100_000),
        "alice-usdc->dave": _transact(w3, usdc.functions.transfer(dave, 100_000_000), alice),
    }
    received = {
        "carol->bob": _send(w3, **{"from": carol, "to": bob, "value": ETH // 2}),
        "alice->bob": sent["alice->bob"],
    }
    _transact(w3, usdc.functions.transfer(alice, 250_000_000), carol)
    _transact(w3, spam.functions.airdrop(carol, [alice, bob], 10**12), dave)
    _transact(w3, forwarder.functions.forward(alice), dave, value=3 * ETH // 10)
    _send(w3, **{"from": carol, "to": dave, "value": ETH})  # nothing to do with the squad
    end = w3.eth.block_number
    client = RpcClient([anvil.url], chain="anvil")
    scanner = BlockScanner(
        client,
        tokens=[TokenSpec(Address(usdc.address), "USDC", 6, StaticPrice("1"))],
        native_price=AggregatorPrice(client, feed.address),
    )
    activity = scanner.scan(
        from_block=start, to_block=end, wallets=[alice.lower(), bob], opening_for=[alice, bob]
    )
    return History(
        w3, client, alice, bob, carol, dave, usdc, spam, start, end, sent, received, activity
    )


@pytest.fixture(name="history", scope="module")
def _history(anvil: Anvil) -> Any:
    """The history built once for this module, reverted afterwards."""
    snapshot = anvil.snapshot()
    try:
        yield _build(anvil)
    finally:
        anvil.revert(snapshot)


def _balance(activity: Activity, wallet: str, asset: str, *, opening: bool) -> int:
    rows = activity.opening_balances if opening else activity.closing_balances
    return next(b.amount for b in rows if b.wallet == wallet and b.asset == asset)


class TestAnvilHistory:
    def test_every_sent_transaction_is_found(self, history: History) -> None:
        """Exactly the squad's four own transactions come back as sent."""
        assert {s.tx_hash for s in history.activity.sent} == set(history.sent.values())

    def test_failed_transaction_pays_fee_moves_no_value(self, history: History) -> None:
        """The reverted call is reported as failed, with a fee, and not as a transfer."""
        failed = next(s for s in history.activity.sent if s.tx_hash == history.sent["bob-fails"])
        assert (failed.success, failed.fee.total > 0) == (False, True)
        assert failed.tx_hash not in {r.tx_hash for r in history.activity.received}

    def test_balance_drop_equals_value_plus_fee(self, history: History) -> None:
        """For each sent transaction, balance before minus after is value + fee, to the wei."""
        for sent in history.activity.sent:
            before = history.w3.eth.get_balance(sent.sender, sent.block_number - 1)  # type: ignore[arg-type]
            after = history.w3.eth.get_balance(sent.sender, sent.block_number)  # type: ignore[arg-type]
            moved = sent.value if sent.success else 0
            incoming = sum(
                r.value
                for r in history.activity.received
                if r.tx_hash == sent.tx_hash and r.to == sent.sender
            )
            assert before - after == moved + sent.fee.total - incoming

    def test_native_inflows_are_top_level_only(self, history: History) -> None:
        """carol->bob and alice->bob are received; the forwarded ETH is not a transfer."""
        assert {r.tx_hash for r in history.activity.received} == set(history.received.values())

    def test_forwarded_eth_shows_in_the_closing_balance(self, history: History) -> None:
        """alice's native balance change = -out - fees + 0.3 ETH a contract forwarded."""
        act, alice = history.activity, history.alice
        out = sum(s.value + s.fee.total for s in act.sent if s.sender == alice)
        change = _balance(act, alice, "ETH", opening=False) - _balance(
            act, alice, "ETH", opening=True
        )
        assert change == -out + 3 * ETH // 10

    def test_bob_native_balance_reconciles(self, history: History) -> None:
        """bob's opening + in - out - fees equals his closing balance exactly."""
        act, bob = history.activity, history.bob
        inflow = sum(r.value for r in act.received if r.to == bob)
        outflow = sum(
            (s.value if s.success else 0) + s.fee.total for s in act.sent if s.sender == bob
        )
        assert _balance(act, bob, "ETH", opening=True) + inflow - outflow == _balance(
            act, bob, "ETH", opening=False
        )

    def test_token_transfers_in_and_out(self, history: History) -> None:
        """The allow-listed USDC moves (250 in, 100 out) are found, with their amounts."""
        moves = {(t.sender, t.to, t.amount) for t in history.activity.tokens}
        assert moves == {
            (history.carol, history.alice, 250_000_000),
            (history.alice, history.dave, 100_000_000),
        }

    def test_look_alike_token_is_ignored(self, history: History) -> None:
        """The spam "USDC" airdrop is not reported, though it has the same symbol."""
        assert all(t.token == history.usdc.address for t in history.activity.tokens)

    def test_token_balances_reconcile(self, history: History) -> None:
        """alice's USDC: opening 1,000 + 250 - 100 = closing 1,150."""
        act = history.activity
        assert _balance(act, history.alice, "USDC", opening=True) == 1_000_000_000
        assert _balance(act, history.alice, "USDC", opening=False) == 1_150_000_000

    def test_prices_come_from_the_feed_at_each_block(self, history: History) -> None:
        """Each observation carries the feed's price (3000.12345678) and source."""
        prices = {s.native_price.usd for s in history.activity.sent}
        assert prices == {Decimal("3000.12345678")}
        assert all(
            s.native_price.source.startswith("chainlink:31337:") for s in history.activity.sent
        )

    def test_addresses_come_out_checksummed(self, history: History) -> None:
        """A wallet given in lowercase comes back in checksum form."""
        assert {b.wallet for b in history.activity.closing_balances} == {history.alice, history.bob}
