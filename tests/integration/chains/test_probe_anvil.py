"""ProbeScanner on anvil: user operations, code wallets, missing state, cost of an idle poll."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3

from aoineco_ledger.chains import (
    Activity,
    BlockScanner,
    ProbeScanner,
    RpcClient,
    StaticPrice,
    TokenSpec,
)
from aoineco_ledger.errors import ChainError
from tests._support.anvil import ANVIL_BIN, Anvil, start_anvil
from tests._support.contracts import deploy
from tests._support.fault_proxy import Fault, fault_proxy
from tests._support.requirements import missing

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ETH = 10**18
MILLI = 10**15


def _node(*args: str) -> Iterator[Anvil]:
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil(extra_args=args)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="node", scope="module")
def _full_node() -> Iterator[Anvil]:
    """An anvil keeping every historical state (see test_probe_differential)."""
    yield from _node("--prune-history", "100000")


@pytest.fixture(name="pruned", scope="module")
def _pruned_node() -> Iterator[Anvil]:
    """An anvil keeping 16 states: a full node, not an archive."""
    yield from _node("--prune-history", "16")


@pytest.fixture(name="chain")
def _chain(node: Anvil) -> Iterator[Anvil]:
    """The module's node, reverted after each test."""
    snapshot = node.snapshot()
    try:
        yield node
    finally:
        node.revert(snapshot)


def _wait(w3: Web3, tx_hash: Any) -> str:
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def _amount(activity: Activity, wallet: str, asset: str = "ETH", *, opening: bool = False) -> int:
    rows = activity.opening_balances if opening else activity.closing_balances
    return next(b.amount for b in rows if b.wallet == wallet and b.asset == asset)


@dataclass
class Ops:
    """A smart account's history through the EntryPoint-shaped contract."""

    w3: Web3
    account: str
    entry_point: Any
    multicall: str
    funding: str
    start: int
    end: int


@pytest.fixture(name="ops")
def _ops(chain: Anvil) -> Ops:
    """Fund an account, then two self-paid user operations and a sponsored one."""
    w3 = Web3(Web3.HTTPProvider(chain.url))
    deployer, outsider, bundler, paymaster = list(w3.eth.accounts)[:4]
    entry_point = deploy(w3, "entry_point", sender=deployer)
    account = deploy(w3, "smart_account", entry_point.address, sender=deployer).address
    multicall = deploy(w3, "multicall", sender=deployer).address
    _wait(
        w3, entry_point.functions.depositTo(paymaster).transact({"from": paymaster, "value": ETH})
    )
    start = w3.eth.block_number
    funding = _wait(w3, w3.eth.send_transaction({"from": outsider, "to": account, "value": ETH}))
    handle = entry_point.functions.handleOp
    for payer, prefund, cost, ok in (
        ("0x" + "00" * 20, 10 * MILLI, 4 * MILLI, True),  # account pays a prefund into its deposit
        ("0x" + "00" * 20, 5 * MILLI, 3 * MILLI, False),  # deposit covers it; the call failed
        (paymaster, 0, 2 * MILLI, True),  # sponsored
    ):
        _wait(w3, handle(account, payer, prefund, cost, bundler, ok).transact({"from": bundler}))
    chain.rpc("anvil_mine", hex(50))
    return Ops(w3, account, entry_point, multicall, funding, start, w3.eth.block_number)


def _probe(node: Anvil, **kwargs: Any) -> ProbeScanner:
    return ProbeScanner(
        RpcClient([node.url], chain="anvil"), native_price=StaticPrice("3000"), **kwargs
    )


class TestUserOperations:
    def _scan(self, ops: Ops, node: Anvil, **kwargs: Any) -> Activity:
        scanner = _probe(node, entry_points=[ops.entry_point.address], **kwargs)
        return scanner.scan(
            from_block=ops.start, to_block=ops.end, wallets=[ops.account], opening_for=[ops.account]
        )

    def test_every_user_operation_is_reported(self, ops: Ops, chain: Anvil) -> None:
        """Three UserOperationEvents: costs 4, 3 and 2 milli-ETH, the last one sponsored."""
        found = self._scan(ops, chain, smart_accounts=[ops.account]).user_operations
        assert [(o.actual_gas_cost, o.sponsored, o.success) for o in found] == [
            (4 * MILLI, False, True),
            (3 * MILLI, False, False),
            (2 * MILLI, True, True),
        ]

    def test_operations_from_a_lagging_first_url_are_not_lost(self, ops: Ops, chain: Anvil) -> None:
        """The first URL's logs lag ([] for blocks it lacks): the operations' logs are asked
        beside the header of to_block, so that URL gives itself away and the next answers."""
        with fault_proxy(chain.url) as proxy:
            proxy.set(Fault("behind", lag=60, methods=frozenset({"eth_getLogs"})))
            scanner = ProbeScanner(
                RpcClient([proxy.url, chain.url], chain="anvil"),
                native_price=StaticPrice("3000"),
                entry_points=[ops.entry_point.address],
                smart_accounts=[ops.account],
            )
            found = scanner.scan(from_block=ops.start, to_block=ops.end, wallets=[ops.account])
            assert proxy.fired("behind") >= 1
        assert [(o.actual_gas_cost, o.sponsored) for o in found.user_operations] == [
            (4 * MILLI, False),
            (3 * MILLI, False),
            (2 * MILLI, True),
        ]

    def test_balance_is_eth_plus_entry_point_deposit(self, ops: Ops, chain: Anvil) -> None:
        """The closing ETH balance of a smart account includes its EntryPoint deposit."""
        activity = self._scan(ops, chain, smart_accounts=[ops.account])
        eth = ops.w3.eth.get_balance(ops.account, ops.end)  # type: ignore[arg-type]
        deposit = ops.entry_point.functions.balanceOf(ops.account).call(block_identifier=ops.end)
        assert (deposit, _amount(activity, ops.account)) == (3 * MILLI, eth + deposit)

    def test_statement_reconciles_with_unsponsored_gas_only(self, ops: Ops, chain: Anvil) -> None:
        """opening + funding - gas of the two self-paid operations == closing, to the wei."""
        activity = self._scan(ops, chain, smart_accounts=[ops.account])
        inflow = sum(r.value for r in activity.received if r.to == ops.account)
        gas = sum(o.actual_gas_cost for o in activity.user_operations if not o.sponsored)
        opening = _amount(activity, ops.account, opening=True)
        assert opening + inflow - gas == _amount(activity, ops.account)
        assert [r.tx_hash for r in activity.received] == [ops.funding]

    def test_account_is_detected_by_its_code(self, ops: Ops, chain: Anvil) -> None:
        """Without being configured, the account's code makes it a smart account."""
        scanner = _probe(chain, entry_points=[ops.entry_point.address])
        activity = scanner.scan(from_block=ops.start, to_block=ops.end, wallets=[ops.account])
        assert len(activity.user_operations) == 3
        assert ops.account in scanner.smart_accounts()
        assert scanner.stats.code_fallbacks == 1

    def test_deposits_read_through_multicall(self, ops: Ops, chain: Anvil) -> None:
        """Through the Multicall3 stand-in the balances are the same as with plain calls."""
        plain = self._scan(ops, chain, smart_accounts=[ops.account], multicall=None)
        batched = self._scan(ops, chain, smart_accounts=[ops.account], multicall=ops.multicall)
        assert batched.closing_balances == plain.closing_balances


class TestFallbacks:
    def test_missing_state_falls_back_to_the_block_scanner(self, pruned: Anvil) -> None:
        """Without old state on the node the probe answers as the block scanner does; counted."""
        w3 = Web3(Web3.HTTPProvider(pruned.url))
        alice, bob = list(w3.eth.accounts)[:2]
        start = w3.eth.block_number
        _wait(w3, w3.eth.send_transaction({"from": alice, "to": bob, "value": ETH}))
        pruned.rpc("anvil_mine", hex(100))
        end = w3.eth.block_number
        probe = _probe(pruned)
        found = probe.scan(from_block=start, to_block=end, wallets=[alice, bob])
        reference = BlockScanner(
            RpcClient([pruned.url], chain="anvil"), native_price=StaticPrice("3000")
        ).scan(from_block=start, to_block=end, wallets=[alice, bob])
        assert (found.sent, found.received) == (reference.sent, reference.received)
        assert probe.stats.historical_fallbacks == 1

    def test_delegated_eoa_is_read_by_the_block_scanner(self, chain: Anvil) -> None:
        """An EOA with an EIP-7702 delegation has code: no bisection, the block scanner's answer."""
        w3 = Web3(Web3.HTTPProvider(chain.url))
        deployer, alice, dave = list(w3.eth.accounts)[:3]
        target = deploy(w3, "smart_account", deployer, sender=deployer)  # takes ETH
        chain.rpc("anvil_setCode", alice, "0xef0100" + target.address[2:].lower())
        start = w3.eth.block_number
        _wait(w3, w3.eth.send_transaction({"from": dave, "to": alice, "value": ETH}))
        end = w3.eth.block_number
        probe = _probe(chain)
        found = probe.scan(from_block=start, to_block=end, wallets=[alice])
        assert ([r.value for r in found.received], found.internal) == ([ETH], ())
        assert probe.stats.code_fallbacks == 1

    def test_range_beyond_head_is_refused(self, chain: Anvil) -> None:
        """A to_block past the head is a ChainError naming the block."""
        head = Web3(Web3.HTTPProvider(chain.url)).eth.block_number
        with pytest.raises(ChainError, match=f"to_block {head + 5} is beyond the head"):
            _probe(chain).scan(from_block=head, to_block=head + 5, wallets=[])


class TestCost:
    @pytest.mark.parametrize(("mode", "calls"), [("lean", 2), ("standard", 4)])
    def test_idle_poll_costs_one_batch(self, chain: Anvil, mode: str, calls: int) -> None:
        """With Multicall3 an idle poll is one HTTP request: header + one eth_call (+ the two
        getLogs unless lean, asked in the same batch so they come from a node that has the
        block)."""
        w3 = Web3(Web3.HTTPProvider(chain.url))
        deployer, *squad = list(w3.eth.accounts)[:10]
        token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
        multicall = deploy(w3, "multicall", sender=deployer).address
        probe = _probe(
            chain,
            tokens=[TokenSpec(token.address, "USDC", 6, StaticPrice("1"))],
            multicall=multicall,
            mode=mode,
        )
        chain.rpc("anvil_mine", hex(30))
        first = w3.eth.block_number
        probe.scan(from_block=first - 30, to_block=first, wallets=squad)
        chain.rpc("anvil_mine", hex(30))
        before = probe.client.counters()
        probe.scan(from_block=first, to_block=first + 30, wallets=squad)
        after = probe.client.counters()
        assert (after.calls - before.calls, after.http_requests - before.http_requests) == (
            calls,
            1,
        )
