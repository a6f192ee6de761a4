"""The probe's modes against the history that tells them apart: a top-up to an exact balance.

A top-up bot keeps an agent's wallet at a fixed balance: the agent pays, the
bot sends back exactly what the payment and its fee took. Within one poll the
wallet's ETH balance then ends where it began. ``thorough`` (the default) reads
every wallet's nonce each poll and finds both transactions; ``standard`` reads
nonces only where a balance moved and, as its docstring says, sees nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3

from aoineco_ledger.chains import BlockScanner, ProbeScanner, RpcClient, StaticPrice
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import build
from tests._support.anvil import Anvil

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18
PRICE = StaticPrice("3000")


@dataclass
class TopUp:
    """The wallet, its payment, the bot's top-up, and the poll holding both."""

    wallet: str
    paid: str
    topped_up: str
    low: int
    high: int


def _send(w3: Web3, sender: str, to: str, value: int) -> Any:
    tx = w3.eth.send_transaction({"from": sender, "to": to, "value": value})  # type: ignore[typeddict-item]
    return w3.eth.wait_for_transaction_receipt(tx)


@pytest.fixture(name="topup")
def _topup(anvil_clean: Anvil) -> TopUp:
    w3 = Web3(Web3.HTTPProvider(anvil_clean.url))
    bot, wallet, vendor = list(w3.eth.accounts)[1:4]
    low = w3.eth.block_number
    before = w3.eth.get_balance(wallet)
    paid = _send(w3, wallet, vendor, ETH // 10)
    fee = int(paid["gasUsed"]) * int(paid["effectiveGasPrice"])
    topped = _send(w3, bot, wallet, ETH // 10 + fee)
    high = w3.eth.block_number
    assert w3.eth.get_balance(wallet) == before  # the poll's ends agree: "nothing happened"
    return TopUp(
        wallet,
        "0x" + bytes(paid["transactionHash"]).hex(),
        "0x" + bytes(topped["transactionHash"]).hex(),
        low,
        high,
    )


def _probe(url: str, **kwargs: Any) -> ProbeScanner:
    return ProbeScanner(RpcClient([url], chain="anvil"), native_price=PRICE, **kwargs)


class TestTopUpToAnExactBalance:
    def test_default_mode_finds_the_payment_and_the_top_up(
        self, topup: TopUp, anvil_clean: Anvil
    ) -> None:
        """thorough (the default): the same sent and received as the block scanner."""
        probe = _probe(anvil_clean.url)
        assert probe.mode == "thorough"
        found = probe.scan(from_block=topup.low, to_block=topup.high, wallets=[topup.wallet])
        reference = BlockScanner(
            RpcClient([anvil_clean.url], chain="anvil"), native_price=PRICE
        ).scan(from_block=topup.low, to_block=topup.high, wallets=[topup.wallet])
        assert [s.tx_hash for s in found.sent] == [topup.paid]
        assert [r.tx_hash for r in found.received] == [topup.topped_up]
        assert (found.sent, found.received) == (reference.sent, reference.received)

    def test_standard_mode_has_the_documented_blind_spot(
        self, topup: TopUp, anvil_clean: Anvil
    ) -> None:
        """standard: the balance did not move, so no nonce is read and nothing is found."""
        probe = _probe(anvil_clean.url, mode="standard")
        found = probe.scan(from_block=topup.low, to_block=topup.high, wallets=[topup.wallet])
        assert (found.sent, found.received) == ((), ())


class TestDaemonMode:
    @pytest.mark.parametrize(("given", "built"), [(None, "thorough"), ("lean", "lean")])
    def test_config_picks_the_probe_mode(
        self, anvil_clean: Anvil, given: str | None, built: str
    ) -> None:
        """``probe_mode`` (default thorough) reaches the daemon's probe scanner."""
        w3 = Web3(Web3.HTTPProvider(anvil_clean.url))
        chain: dict[str, Any] = {"name": "anvil", "rpc_urls": [anvil_clean.url]}
        if given is not None:
            chain["probe_mode"] = given
        config = AppConfig(
            ledger={"store": "memory://"},
            chains=[chain],
            agents=[{"name": "oracle", "wallets": [str(w3.eth.accounts[1])]}],
        )
        service = build(config)
        try:
            (cycle,) = service.cycles
            assert isinstance(cycle.scanner, ProbeScanner) and cycle.scanner.mode == built
        finally:
            service.close()
