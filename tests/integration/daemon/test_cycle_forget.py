"""The cycle makes the probe forget remembered balances when they may not match the ledger.

The probe keeps each wallet's balances at the last block it scanned and, when
the next scan starts there, does not read them again. After a chunk that
failed, or a cycle that found the lease held by another replica, the cycle
calls ``forget()``: the next scan reads every balance at its ``from_block``
again. A recording proxy in front of anvil shows it: the ``eth_getBalance``
calls at the checkpoint's block. A node behind the checkpoint (no block there)
is not a reorg: nothing is reversed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3 import Web3

from aoineco_ledger.chains import ProbeScanner, RetryPolicy, RpcClient
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import ChainRun, Service, build
from aoineco_ledger.ledger import Ledger
from tests._support.anvil import Anvil, private_anvil
from tests._support.contracts import deploy
from tests._support.fault_proxy import Fault, FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

CHAIN_ID = 31337
ETH = 10**18
FAST = RetryPolicy(
    attempts=2, base_delay=0.01, max_delay=0.05, jitter=0.0, max_retry_after=0.5, timeout=2
)


class RecordingProxy(FaultProxy):
    """A fault proxy that also notes the block of every ``eth_getBalance`` it forwards."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.balance_blocks: list[int] = []

    def answer(self, body: bytes) -> tuple[int, dict[str, str], bytes] | None:
        """Note the balance reads, then answer as the fault proxy does."""
        request = json.loads(body)
        for member in request if isinstance(request, list) else [request]:
            if member.get("method") == "eth_getBalance":
                self.balance_blocks.append(int(member["params"][-1], 16))
        return super().answer(body)

    def reads_at(self, block: int) -> int:
        """Balance reads at ``block`` since the last :meth:`forget_reads`."""
        return self.balance_blocks.count(block)

    def forget_reads(self) -> None:
        """Start noting afresh."""
        self.balance_blocks.clear()


@pytest.fixture(name="node", scope="module")
def _node() -> Iterator[Anvil]:
    """A private anvil for this module."""
    yield from private_anvil()


@dataclass
class Setup:
    """A two-wallet squad with a token, a service on the proxy, and the proxy."""

    node: Anvil
    w3: Web3
    proxy: RecordingProxy
    service: Service
    ledger: Ledger
    squad: list[str]

    @property
    def scanner(self) -> ProbeScanner:
        scanner = self.service.cycles[0].scanner
        assert isinstance(scanner, ProbeScanner)
        return scanner

    def checkpoint(self) -> int:
        at = self.ledger.store.checkpoint(CHAIN_ID)
        assert at is not None
        return at.block_number

    def run(self) -> ChainRun:
        return self.service.run_once()[0]

    def mine(self, blocks: int = 3) -> None:
        self.node.rpc("anvil_mine", hex(blocks))


def _config(url: str, start: int, token: str, squad: list[str]) -> AppConfig:
    chain: dict[str, Any] = {
        "name": "anvil",
        "chain_id": CHAIN_ID,
        "scan": "probe",
        "rpc_urls": [url],
        "finality": "latest",
        "start_block": start,
        "price_usd": "3000",
        "tokens": [{"symbol": "USDC", "address": token, "decimals": 6, "price_usd": "1"}],
    }
    return AppConfig(
        chains=[chain],
        agents=[
            {"name": "oracle", "wallets": [squad[0]]},
            {"name": "scout", "wallets": [squad[1]]},
        ],
    )


@pytest.fixture(name="setup")
def _setup(node: Anvil) -> Iterator[Setup]:
    """Some activity, then one good cycle: the probe remembers balances at the checkpoint."""
    snapshot = node.snapshot()
    w3 = Web3(Web3.HTTPProvider(node.url))
    deployer, oracle, scout, client = list(w3.eth.accounts)[:4]
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    start = w3.eth.block_number
    w3.eth.wait_for_transaction_receipt(
        token.functions.mint(oracle, 5_000_000).transact({"from": deployer})
    )
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": client, "to": scout, "value": ETH})  # type: ignore[typeddict-item]
    )
    proxy = RecordingProxy(node.url)
    proxy.start()
    ledger = Ledger.open("memory://")
    squad = [str(oracle), str(scout)]
    config = _config(proxy.url, start, token.address, squad)
    client_ = RpcClient([proxy.url], chain="anvil", policy=FAST)
    service = build(config, ledger=ledger, clients={CHAIN_ID: client_}, holder="me")
    setup = Setup(node, w3, proxy, service, ledger, squad)
    try:
        first = setup.run()
        assert first.error is None and first.result is not None
        assert first.result.status == "done"
        yield setup
    finally:
        service.close()
        proxy.stop()
        node.revert(snapshot)


def _reads_at_checkpoint_on_next_cycle(setup: Setup) -> int:
    """Run a clean cycle over new blocks; how many balances it read at the checkpoint."""
    at = setup.checkpoint()
    setup.proxy.clear()
    setup.proxy.forget_reads()
    run = setup.run()
    assert run.error is None and run.result is not None and run.result.status == "done"
    assert setup.checkpoint() > at
    return setup.proxy.reads_at(at)


class TestForget:
    def test_a_good_cycle_keeps_what_the_probe_remembers(self, setup: Setup) -> None:
        """The control: after a committed chunk the next scan reads no balance at its start."""
        setup.mine()
        assert _reads_at_checkpoint_on_next_cycle(setup) == 0

    def test_failed_chunk_makes_the_next_scan_read_its_start_again(self, setup: Setup) -> None:
        """A chunk whose scan fails (logs refused): the retry reads every balance at from_block."""
        at = setup.checkpoint()
        setup.mine()
        setup.proxy.set(Fault("http-status", status=503, methods=frozenset({"eth_getLogs"})))
        failed = setup.run()
        assert failed.error is not None and setup.proxy.fired("http-status") > 0
        assert setup.checkpoint() == at  # nothing of the chunk was written
        assert _reads_at_checkpoint_on_next_cycle(setup) == len(setup.squad)
        assert all(s.reconciled for s in setup.ledger.reconciliation())

    def test_lease_held_elsewhere_makes_the_next_scan_read_again(self, setup: Setup) -> None:
        """While another replica holds the lease the cycle waits, then reads balances afresh."""
        cycle = setup.service.cycles[0]
        store = setup.ledger.store
        cycle.release()
        assert store.try_lease(cycle.lease_name, holder="other", ttl_seconds=60)
        setup.mine()
        held = setup.run()
        assert held.result is not None and held.result.status == "lease-held"
        store.release_lease(cycle.lease_name, holder="other")
        assert _reads_at_checkpoint_on_next_cycle(setup) == len(setup.squad)


class TestLaggingNodeAtTheCheckpoint:
    def test_no_block_at_the_checkpoint_is_not_a_reorg(self, setup: Setup) -> None:
        """A node behind the checkpoint answers null for its block: nothing is reversed."""
        entries = {e.ref for e in setup.ledger.entries()}
        at = setup.checkpoint()
        setup.proxy.set(Fault("behind", lag=1))  # its head is the block below the checkpoint
        lagging = setup.run()
        assert setup.proxy.fired("behind") > 0
        assert lagging.error is None and lagging.result is not None
        assert lagging.result.status == "up-to-date"
        assert setup.checkpoint() == at
        setup.mine()
        assert _reads_at_checkpoint_on_next_cycle(setup) == 0  # not a reorg: nothing forgotten
        assert not [e for e in setup.ledger.entries() if "reversal" in e.flags]
        assert entries and entries <= {e.ref for e in setup.ledger.entries()}
