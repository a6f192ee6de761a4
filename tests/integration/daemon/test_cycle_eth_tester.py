"""The reconcile cycle against an in-process eth-tester chain: chunks, restarts, leases, budgets."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from structlog.testing import capture_logs
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from aoineco_ledger.chains import RpcClient, get_chain
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import (
    Scheduler,
    Service,
    build,
    configure_logging,
    open_ledger,
    reset_logging,
)
from aoineco_ledger.errors import ChainIdMismatchError
from aoineco_ledger.ledger import Alert, Ledger
from aoineco_ledger.ledger.store.base import Checkpoint

pytestmark = pytest.mark.integration

SPEC = get_chain("eth-tester")
ETH = 10**18


@dataclass
class Chain:
    """An eth-tester node and its accounts (0 funds, 1-3 the squad, 5 outside)."""

    w3: Web3

    @property
    def a(self) -> list[str]:
        return [str(x) for x in self.w3.eth.accounts]

    def send(self, sender: int, to: int, wei: int) -> str:
        pending = self.w3.eth.send_transaction(
            {"from": self.a[sender], "to": self.a[to], "value": wei}
        )  # type: ignore[typeddict-item]
        self.w3.eth.wait_for_transaction_receipt(pending)
        return "0x" + bytes(pending).hex()


@pytest.fixture(name="chain")
def _chain() -> Chain:
    return Chain(Web3(EthereumTesterProvider()))


@pytest.fixture(name="ledger")
def _ledger() -> Iterator[Ledger]:
    with Ledger.open("memory://") as ledger:
        yield ledger


def _config(chain: Chain, *, agents: int = 3, **options: Any) -> AppConfig:
    names = ["oracle", "blue-sound", "scout"][:agents]
    budgets = options.pop("budgets", [])
    section = {"name": "eth-tester", "rpc_urls": ["http://127.0.0.1:1"], "finality": "latest"}
    section.update({"start_block": 0, "price_usd": "2000", **options})
    return AppConfig(
        chains=[section],
        agents=[{"name": n, "wallets": [chain.a[i + 1]]} for i, n in enumerate(names)],
        budgets=budgets,
    )


def _service(chain: Chain, ledger: Ledger, config: AppConfig, holder: str = "test") -> Service:
    client = RpcClient(chain=SPEC, web3=chain.w3)
    return build(config, ledger=ledger, clients={SPEC.chain_id: client}, holder=holder)


def _activity(chain: Chain, rounds: int = 3) -> None:
    for step in range(rounds):
        chain.send(5, 1, ETH // 100 + step)  # income for oracle
        chain.send(1, 2, ETH // 1000)  # oracle -> blue-sound
        chain.send(3, 6, ETH // 500)  # scout pays outside


def _refs(ledger: Ledger) -> list[str]:
    return sorted(e.ref or "" for e in ledger.entries())


class TestCycle:
    def test_latest_start_records_openings_only(self, chain: Chain, ledger: Ledger) -> None:
        """start_block = latest: no history, an opening statement per wallet at the head."""
        _activity(chain, 1)
        runs = _service(chain, ledger, _config(chain, start_block="latest")).run_once()
        assert runs[0].result is not None and runs[0].result.entries_seen == 0
        statements = ledger.reconciliation()
        assert len(statements) == 3
        assert all(s.from_block == s.to_block == chain.w3.eth.block_number for s in statements)
        assert all(s.reconciled for s in statements)

    def test_chunks_give_the_same_ledger(self, chain: Chain, ledger: Ledger) -> None:
        """Small chunks commit step by step and book exactly what one big chunk books."""
        _activity(chain)
        run = _service(chain, ledger, _config(chain, max_blocks_per_cycle=2)).run_once()[0]
        assert run.result is not None and run.result.chunks > 3
        with Ledger.open("memory://") as whole:
            _service(chain, whole, _config(chain)).run_once()
            assert _refs(ledger) == _refs(whole) and len(_refs(whole)) == 15
        assert all(s.reconciled for s in ledger.reconciliation())

    def test_rescanning_adds_nothing(self, chain: Chain, ledger: Ledger) -> None:
        """Rewinding the checkpoint and scanning the same blocks again adds no entry."""
        _activity(chain)
        service = _service(chain, ledger, _config(chain))
        service.run_once()
        count = ledger.store.count()
        genesis = "0x" + bytes(chain.w3.eth.get_block(0)["hash"]).hex()
        rewound = Checkpoint(chain_id=SPEC.chain_id, block_number=0, block_hash=genesis, wallets=())
        ledger.record_observed([], checkpoint=rewound)
        run = service.run_once()[0]
        assert run.result is not None and run.result.entries_seen == count
        assert (run.result.entries_added, ledger.store.count()) == (0, count)

    def test_stop_between_chunks_then_resume(self, chain: Chain, ledger: Ledger) -> None:
        """Stopping after a chunk keeps what was committed; the next run picks up from there."""
        _activity(chain)
        service = _service(chain, ledger, _config(chain, max_blocks_per_cycle=3))
        service.stop()
        first = service.run_once()[0].result
        assert first is not None and (first.status, first.chunks) == ("stopped", 1)
        service.stopping.clear()
        service.run_once()
        assert ledger.store.checkpoint(SPEC.chain_id).block_number == chain.w3.eth.block_number  # type: ignore[union-attr]
        assert len(_refs(ledger)) == 15

    def test_changed_checkpoint_hash_rewinds_to_a_booked_block(
        self, chain: Chain, ledger: Ledger
    ) -> None:
        """A checkpoint hash the chain lacks moves back to a booked block it has (see _reorg)."""
        _activity(chain, 1)
        service = _service(chain, ledger, _config(chain))
        service.run_once()
        at = ledger.store.checkpoint(SPEC.chain_id)
        assert at is not None
        forged = Checkpoint(
            chain_id=SPEC.chain_id,
            block_number=at.block_number,
            block_hash="0x" + "11" * 32,
            wallets=at.wallets,
        )
        ledger.record_observed([], checkpoint=forged)
        _activity(chain, 1)
        run = service.run_once()[0]
        assert run.error is None
        assert not [e for e in ledger.entries() if "reversal" in e.flags]  # its blocks are intact
        assert ledger.store.checkpoint(SPEC.chain_id).block_number == chain.w3.eth.block_number  # type: ignore[union-attr]

    def test_lease_held_by_another_replica(self, chain: Chain, ledger: Ledger) -> None:
        """While another replica holds chain:{id}, a cycle writes nothing."""
        assert ledger.store.try_lease(f"chain:{SPEC.chain_id}", holder="other", ttl_seconds=60)
        run = _service(chain, ledger, _config(chain), holder="me").run_once()[0]
        assert run.result is not None and run.result.status == "lease-held"
        assert ledger.store.count() == 0 and ledger.store.checkpoint(SPEC.chain_id) is None

    def test_wallet_added_later_opens_at_checkpoint(self, chain: Chain, ledger: Ledger) -> None:
        """An agent added to the config joins at the checkpoint with its balance there."""
        _activity(chain, 1)
        _service(chain, ledger, _config(chain, agents=2)).run_once()
        at = ledger.store.checkpoint(SPEC.chain_id)
        _service(chain, ledger, _config(chain, agents=3)).run_once()
        scout = [s for s in ledger.reconciliation() if s.agent == "scout"]
        assert at is not None and [(s.from_block, s.reconciled) for s in scout] == [
            (at.block_number, True)
        ]

    def test_chain_costs_always_recorded_over_budget(self, chain: Chain, ledger: Ledger) -> None:
        """Gas past a budget is still booked, flagged over-budget, and raises an alert."""
        alerts: list[Alert] = []
        ledger.add_alert_sink(alerts.append)
        budget = {"category": "Gas/Blockchain", "limit": "0.01", "period": "daily"}
        _activity(chain, 2)
        _service(chain, ledger, _config(chain, budgets=[budget])).run_once()
        gas = list(ledger.entries(category="Gas/Blockchain"))
        assert len(gas) == 4 and any("over-budget" in e.flags for e in gas)
        assert any(a.kind == "exceeded" for a in alerts)

    def test_missing_price_flagged(self, chain: Chain, ledger: Ledger) -> None:
        """With no price configured, amounts are 0 and flagged, never a silent $0."""
        _activity(chain, 1)
        _service(chain, ledger, _config(chain, price_usd=None)).run_once()
        entries = list(ledger.entries())
        assert entries and all(
            e.amount == Decimal(0) and "price-missing" in e.flags for e in entries
        )


class TestScheduler:
    def test_runs_at_once_and_stops(self, chain: Chain, ledger: Ledger) -> None:
        """The first run starts immediately; stop() ends run() with 0 after the cycle."""
        _activity(chain, 1)
        scheduler = Scheduler(_service(chain, ledger, _config(chain, poll_seconds=0.2)))
        codes: list[int] = []
        thread = threading.Thread(target=lambda: codes.append(scheduler.run(install_signals=False)))
        thread.start()
        deadline = time.monotonic() + 20
        while ledger.store.checkpoint(SPEC.chain_id) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        reached = ledger.store.checkpoint(SPEC.chain_id)
        scheduler.stop()
        thread.join(timeout=20)
        assert codes == [0] and scheduler.counters.submitted >= 1
        assert reached is not None and reached.block_number == chain.w3.eth.block_number


class TestHealth:
    def test_health_after_a_cycle(self, chain: Chain, ledger: Ledger) -> None:
        """After a cycle the chain's health record says when it succeeded and what it read."""
        service = _service(chain, ledger, _config(chain))
        service.run_once()
        record = service.chains_status()[0]
        assert (record["chain_id"], record["cycles"], record["last_error"]) == (
            SPEC.chain_id,
            1,
            None,
        )
        assert record["last_success_at"] is not None and record["rpc_calls"] > 0

    def test_endpoint_of_another_chain_stops_the_start(self, chain: Chain, ledger: Ledger) -> None:
        """An RPC endpoint serving a different chain id is refused before any cycle."""
        anvil = get_chain("anvil")
        config = AppConfig(
            chains=[{"name": "anvil", "rpc_urls": ["http://127.0.0.1:1"], "start_block": 0}]
        )
        client = RpcClient(chain=anvil, web3=chain.w3)
        service = build(config, ledger=ledger, clients={anvil.chain_id: client})
        with pytest.raises(ChainIdMismatchError):
            service.verify_chains()


def _json_lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


@pytest.fixture(name="log_lines")
def _log_lines() -> Iterator[io.StringIO]:
    """The process's log, as JSON at debug level, into a buffer (reset afterwards)."""
    out = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=out)
    yield out
    reset_logging()


@pytest.fixture(name="alerting")
def _alerting() -> Iterator[Ledger]:
    """A ledger opened as the daemon opens it: budget alerts go to the log."""
    with open_ledger(AppConfig(ledger={"store": "memory://"})) as ledger:
        yield ledger


class TestLogFields:
    def test_entry_booked_once_per_new_entry(
        self, chain: Chain, ledger: Ledger, log_lines: io.StringIO
    ) -> None:
        """Each entry a cycle adds gets one entry_booked line with its chain facts; a rerun none."""
        _activity(chain, 1)
        service = _service(chain, ledger, _config(chain))
        service.run_once()
        rewound = Checkpoint(chain_id=SPEC.chain_id, block_number=0, block_hash="0x0", wallets=())
        ledger.record_observed([], checkpoint=rewound)
        service.run_once()  # the same blocks again: nothing new, so nothing booked
        booked = [line for line in _json_lines(log_lines) if line["event"] == "entry_booked"]
        refs = sorted(e.ref or "" for e in ledger.entries())
        assert sorted(line["ref"] for line in booked) == refs and len(refs) == 5
        first = next(line for line in booked if line["ref"].endswith(":gas"))
        entry = next(e for e in ledger.entries() if e.ref == first["ref"])
        assert (first["chain"], first["agent"], first["wallet"], first["block"]) == (
            "eth-tester",
            entry.agent,
            entry.wallet,
            entry.block_number,
        )
        assert (first["tx_hash"], Decimal(first["amount"])) == (entry.tx_hash, entry.amount)

    def test_every_cycle_line_names_the_chain(
        self, chain: Chain, alerting: Ledger, log_lines: io.StringIO
    ) -> None:
        """Lines logged inside a cycle carry chain (the name) and chain_id, even the core's."""
        _activity(chain, 1)
        budget = {"category": "Gas/Blockchain", "limit": "0.01", "period": "daily"}
        _service(chain, alerting, _config(chain, budgets=[budget])).run_once()
        lines = _json_lines(log_lines)
        assert {"cycle", "entry_booked", "budget_alert"} <= {line["event"] for line in lines}
        ours = [line for line in lines if "block" in line or line["event"] == "budget_alert"]
        assert ours and all(
            (line["chain"], line["chain_id"]) == ("eth-tester", SPEC.chain_id) for line in ours
        )

    def test_budget_alert_money_is_short(
        self, chain: Chain, alerting: Ledger, log_lines: io.StringIO
    ) -> None:
        """budget_alert shows spent and limit to at most six decimals; the ledger keeps all."""
        _activity(chain, 2)
        budget = {"category": "Gas/Blockchain", "limit": "0.01", "period": "daily"}
        _service(chain, alerting, _config(chain, budgets=[budget])).run_once()
        alert = next(line for line in _json_lines(log_lines) if line["event"] == "budget_alert")
        spent = Decimal(alert["spent"])
        assert -spent.as_tuple().exponent <= 6 and alert["limit"] == "0.01"  # type: ignore[operator]
        stored = sum((e.amount for e in alerting.entries(category="Gas/Blockchain")), Decimal(0))
        assert -stored.as_tuple().exponent > 6  # type: ignore[operator]


class TestWaiting:
    def test_start_block_ahead_books_nothing_until_the_chain_gets_there(
        self, chain: Chain, ledger: Ledger
    ) -> None:
        """A start block in the future is waited for (one warning), not moved to the head."""
        start = chain.w3.eth.block_number + 3
        service = _service(chain, ledger, _config(chain, start_block=start))
        with capture_logs() as events:
            for _ in range(2):
                run = service.run_once()[0]
                assert run.error is None and run.result is not None
                assert run.result.status == "up-to-date"
                assert f"start_block {start} is beyond" in (run.result.waiting or "")
        assert [e["event"] for e in events].count("start_block_ahead") == 1
        assert not list(ledger.reconciliation())
        assert service.ledger.store.checkpoint(SPEC.chain_id) is None
        for _ in range(3):
            chain.send(5, 1, ETH // 100)  # mines up to the start block and one past it
        service.run_once()
        checkpoint = service.ledger.store.checkpoint(SPEC.chain_id)
        assert checkpoint is not None and checkpoint.block_number >= start
        assert {s.from_block for s in ledger.reconciliation()} == {start}

    def test_chain_below_the_checkpoint_is_warned_about_once(
        self, chain: Chain, ledger: Ledger
    ) -> None:
        """A chain reset below the checkpoint (a restarted dev node), seen by a restarted
        daemon: nothing booked, and one chain_behind_checkpoint warning, not silence."""
        snapshot = chain.w3.provider.ethereum_tester.take_snapshot()  # type: ignore[attr-defined]
        _activity(chain, 1)
        service = _service(chain, ledger, _config(chain))
        service.run_once()
        booked = _refs(ledger)
        chain.w3.provider.ethereum_tester.revert_to_snapshot(snapshot)  # type: ignore[attr-defined]
        restarted = _service(chain, ledger, _config(chain))  # a new process: a new client
        with capture_logs() as events:
            for _ in range(2):
                run = restarted.run_once()[0]
                assert run.error is None and run.result is not None
                assert "below the ledger's checkpoint" in (run.result.waiting or "")
        assert [e["event"] for e in events].count("chain_behind_checkpoint") == 1
        assert _refs(ledger) == booked
