"""Under every provider fault the daemon keeps going and books the fault-free ledger.

A fault-injecting proxy sits between the daemon's real cycle (``build`` +
``Service.run_once``) and anvil. Each fault is played twice: on the only URL
(transient faults, so retries must win), and persistently on the first of two
URLs (so failover must win). Either way the ledger must end equal, entry for
entry, to the fault-free run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from aoineco_ledger.daemon import Service
from aoineco_ledger.ledger import Ledger
from tests._support.anvil import Anvil
from tests._support.fault_proxy import Fault, FaultProxy
from tests.integration.reliability._squad import (
    History,
    LedgerRow,
    build_history,
    fast_client,
    ledger_rows,
    run_until_done,
    service_for,
    squad_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.anvil, pytest.mark.usefixtures("scan")]

TRANSIENT = {
    "http-429": Fault("http-429", times=4, every=3, retry_after="0.01"),
    "rate-limit-json": Fault("rate-limit-json", times=4, every=3),
    "http-500": Fault("http-status", times=3, every=4, status=500),
    "http-502": Fault("http-status", times=3, every=4, status=502),
    "http-503": Fault("http-status", times=3, every=4, status=503),
    "hang": Fault("hang", times=2, every=5, hang_seconds=1.0),
    "drop": Fault("drop", times=3, every=4),
    "malformed": Fault("malformed", times=3, every=4),
}
"""Faults a single URL recovers from by retrying (each fires a few times, then stops)."""

PERSISTENT = {
    **{name: Fault(f.kind, status=f.status, retry_after="0.01") for name, f in TRANSIENT.items()},
    "http-429-long": Fault("http-429", retry_after="3600"),
    "behind-load-balanced": Fault("behind", lag=4, chance=0.5, seed=8),
    "behind-logs": Fault("behind", lag=4, methods=frozenset({"eth_getLogs"})),
    "log-range": Fault("log-range", max_range=2),
    "chain-id": Fault("chain-id", chain_id=8453),
    "missing-state": Fault("missing-state", keep_blocks=2),
}
"""Faults that never stop: on the first of two URLs, the daemon must fail over."""


@pytest.fixture(name="history", scope="module")
def _history(node: Anvil) -> History:
    """The squad's history on this module's anvil."""
    return build_history(node.url)


@pytest.fixture(name="proxy", scope="module")
def _proxy(node: Anvil) -> Iterator[FaultProxy]:
    """The fault-injecting proxy in front of this module's anvil."""
    proxy = FaultProxy(node.url).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _service(history: History, urls: list[str]) -> Service:
    config = squad_config(history, store="memory://", rpc_urls=urls)
    return service_for(config, fast_client(urls))


def _book(history: History, urls: list[str]) -> tuple[Ledger, set[LedgerRow], list[str]]:
    """Run the daemon over the history until up to date; its ledger, rows and errors."""
    service = _service(history, urls)
    runs = run_until_done(service, max_runs=40)
    errors = [run.error for run in runs if run.error is not None]
    return service.ledger, ledger_rows(service.ledger), errors


@pytest.fixture(name="reference", scope="module")
def _reference(history: History) -> set[LedgerRow]:
    """The fault-free ledger's rows (straight to anvil)."""
    ledger, rows, errors = _book(history, [history.url])
    assert not errors
    assert all(s.reconciled for s in ledger.reconciliation())
    return rows


class TestReference:
    def test_reference_books_the_whole_history(self, reference: set[LedgerRow]) -> None:
        """The fault-free run books gas, ETH and USDC in and out, and the squad transfer."""
        refs = {row[0] or "" for row in reference}
        kinds = {ref.split(":")[3] for ref in refs}
        assert kinds >= {"gas", "native-in", "native-out", "token-in", "token-out"}


class TestTransientFaults:
    @pytest.mark.parametrize("name", sorted(TRANSIENT))
    def test_single_url_retries_to_the_same_ledger(
        self, name: str, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """A fault that stops after a few requests costs retries, never an entry."""
        fault = TRANSIENT[name]
        proxy.set(replace(fault))
        _, rows, _ = _book(history, [proxy.url])
        assert proxy.fired(fault.kind) > 0
        assert rows == reference


class TestFailover:
    @pytest.mark.parametrize("name", sorted(PERSISTENT))
    def test_faulty_first_url_fails_over_to_the_same_ledger(
        self, name: str, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """With a URL that never recovers first and a good one second, nothing is lost."""
        fault = PERSISTENT[name]
        proxy.set(replace(fault))
        _, rows, _ = _book(history, [proxy.url, history.url])
        assert proxy.fired(fault.kind) > 0
        assert rows == reference


class TestBehind:
    def test_lagging_only_url_books_only_what_it_has_seen(
        self, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """A node four blocks behind: the daemon stops at its head, every entry right."""
        proxy.set(Fault("behind", lag=4))
        ledger, rows, errors = _book(history, [proxy.url])
        assert not errors
        assert rows < reference
        assert all(s.reconciled for s in ledger.reconciliation())

    def test_lagging_node_catching_up_completes_the_ledger(
        self, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """When the lagging node catches up, the next cycles book the rest, exactly."""
        proxy.set(Fault("behind", lag=4))
        service = _service(history, [proxy.url])
        run_until_done(service)
        proxy.clear()
        run_until_done(service)
        assert ledger_rows(service.ledger) == reference

    def test_logs_from_a_lagging_node_are_never_read_as_none(
        self, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """Blocks from a fresh node, eth_getLogs from one behind ([]): no transfer is lost."""
        proxy.set(Fault("behind", lag=4, methods=frozenset({"eth_getLogs"})))
        service = _service(history, [proxy.url])
        for _ in range(4):
            service.run_once()
        assert ledger_rows(service.ledger) < reference
        assert all(s.reconciled for s in service.ledger.reconciliation())
        proxy.clear()
        run_until_done(service)
        assert ledger_rows(service.ledger) == reference

    def test_logs_from_a_lagging_first_url_fail_over(
        self, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """A first URL whose logs lag: the blocks it has not seen are asked of the second."""
        proxy.set(Fault("behind", lag=4, methods=frozenset({"eth_getLogs"})))
        _, rows, _ = _book(history, [proxy.url, history.url])
        assert rows == reference

    def test_load_balancer_with_a_lagging_node_loses_nothing(
        self, history: History, proxy: FaultProxy, reference: set[LedgerRow]
    ) -> None:
        """Every other request answered by a node behind (null blocks, [] logs): no entry lost."""
        for seed in range(3):
            proxy.set(Fault("behind", lag=4, chance=0.3, seed=seed))
            _, rows, _ = _book(history, [proxy.url])
            assert proxy.fired("behind") > 0
            assert rows == reference


class TestRefusingUrl:
    @pytest.mark.parametrize(
        ("fault", "message"),
        [
            (Fault("chain-id", chain_id=8453), "serves chain id 8453"),
            (Fault("missing-state", keep_blocks=2), "missing trie node"),
        ],
        ids=["chain-id", "missing-state"],
    )
    def test_only_url_refusing_fails_the_cycle_cleanly(
        self, fault: Fault, message: str, history: History, proxy: FaultProxy
    ) -> None:
        """A lone URL of another chain, or without old state: a one-line error, nothing written."""
        proxy.set(fault)
        service = _service(history, [proxy.url])
        runs = [service.run_once()[0] for _ in range(3)]
        assert all(run.error is not None and message in run.error for run in runs)
        assert all("\n" not in (run.error or "") for run in runs)
        assert proxy.secret not in " ".join(run.error or "" for run in runs)
        assert service.ledger.store.count() == 0
        assert service.ledger.checkpoints() == []
