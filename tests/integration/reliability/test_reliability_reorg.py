"""Reorgs on anvil: the last blocks replaced by others (one transaction moved, one dropped).

The daemon's real cycle watches the chain at ``latest``; anvil's ``evm_snapshot``
and ``evm_revert`` then replace the last three blocks: the squad's incoming ETH
payment is mined again (the same transaction, so the same hash) one block later,
oracle's USDC payment to the vendor is dropped, and a new payment arrives. At
``latest`` the daemon must notice the changed hash at its checkpoint and correct
the ledger with reversing entries only (nothing deleted or edited), ending equal
to what a fresh daemon books from the final chain, with every statement
reconciled. With finality deeper than the reorg nothing wrong is ever written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from aoineco_ledger.daemon import Service
from aoineco_ledger.daemon._reorg import REVERSAL_FLAG, base_ref
from aoineco_ledger.ledger import Entry, Ledger
from tests._support.anvil import Anvil
from tests.integration.reliability._squad import (
    ETH,
    History,
    build_history,
    fast_client,
    run_until_done,
    send,
    service_for,
    squad_config,
    transact,
)

pytestmark = [pytest.mark.integration, pytest.mark.anvil, pytest.mark.usefixtures("scan")]

DEPTH = 3
"""Blocks the reorg replaces."""

Row = tuple[str, Decimal, str, str, str, str | None]


@dataclass
class Reorg:
    """The chain before and after, and the transactions that moved or vanished."""

    history: History
    fork: int
    moved: str
    dropped: str
    added: str = ""


@pytest.fixture(name="history", scope="module")
def _history(node: Anvil) -> History:
    """Contracts and funding on this module's anvil (the squad's activity comes per test)."""
    return build_history(node.url, activity=False)


@pytest.fixture(name="clean")
def _clean(node: Anvil, history: History) -> Iterator[History]:
    """The history, with the chain put back as it was after the test."""
    snapshot = node.snapshot()
    try:
        yield history
    finally:
        node.revert(snapshot)


def _payment(h: History, sender: str, to: str, value: int) -> dict[str, Any]:
    """A fully specified transaction: sent twice, it has the same hash twice."""
    w3 = h.w3
    return {
        "from": sender,
        "to": to,
        "value": value,
        "nonce": w3.eth.get_transaction_count(sender),  # type: ignore[arg-type]
        "gas": 21_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "chainId": w3.eth.chain_id,
    }


def _send_tx(h: History, tx: dict[str, Any]) -> str:
    tx_hash = h.w3.eth.send_transaction(tx)  # type: ignore[arg-type]
    h.w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def _before_fork(h: History) -> None:
    """Activity that stays on the chain."""
    send(h.w3, h.client, h.oracle, ETH // 100)
    transact(h.w3, h.usdc.functions.transfer(h.scout, 5_000_000), h.client)


def _reorg(node: Anvil, h: History, watch: list[Service]) -> Reorg:
    """Book the old tail with every service, then replace it with a new one."""
    _before_fork(h)
    for service in watch:
        run_until_done(service)
    fork = h.w3.eth.block_number
    snapshot = node.snapshot()
    tip = _payment(h, h.client, h.scout, 3 * ETH // 1000)
    moved = _send_tx(h, tip)
    dropped = transact(h.w3, h.usdc.functions.transfer(h.vendor, 1_500_000), h.oracle)
    send(h.w3, h.oracle, h.scout, ETH // 1000)
    assert h.w3.eth.block_number == fork + DEPTH
    for service in watch:
        run_until_done(service)
    node.revert(snapshot)
    node.rpc("evm_mine")
    again = _send_tx(h, tip)
    assert again == moved, "anvil mined a different transaction"
    added = send(h.w3, h.outsider, h.oracle, 2 * ETH // 100)
    node.rpc("evm_mine")
    assert h.w3.eth.block_number == fork + DEPTH + 1
    return Reorg(h, fork, moved, dropped, added)


def _service(h: History, *, finality: str | int = "latest", store: str = "memory://") -> Service:
    config = squad_config(h, store=store, rpc_urls=[h.url], finality=finality, max_blocks=50)
    return service_for(config, fast_client([h.url]))


def _effective(ledger: Ledger) -> set[Row]:
    """What the ledger says happened: reversed entries and their reversals left out."""
    entries = list(ledger.entries())
    cancelled = {e.reverses for e in entries if e.reverses is not None}
    return {
        (base_ref(e.ref or ""), e.amount, e.category, e.agent, e.direction, e.tx_hash)
        for e in entries
        if e.reverses is None and e.id not in cancelled
    }


def _fresh(h: History, finality: str | int = "latest") -> Ledger:
    """A new daemon's ledger from the final chain."""
    service = _service(h, finality=finality)
    run_until_done(service)
    return service.ledger


@pytest.fixture(name="watched")
def _watched(node: Anvil, clean: History) -> tuple[Reorg, Service, list[Entry]]:
    """A daemon at latest that booked the old tail; the reorg; the entries before it."""
    service = _service(clean)
    reorg = _reorg(node, clean, [service])
    return reorg, service, list(service.ledger.entries())


class TestReorgAtLatest:
    def test_the_old_tail_was_booked_first(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """Before the reorg the daemon booked the payment that gets dropped (something to undo)."""
        reorg, _, before = watched
        assert reorg.dropped in {e.tx_hash for e in before}

    def test_reorg_is_corrected_to_the_final_chain(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """After the reorg the ledger means exactly what a fresh daemon books from the new chain."""
        reorg, service, _ = watched
        run_until_done(service)
        assert _effective(service.ledger) == _effective(_fresh(reorg.history))

    def test_nothing_is_deleted_or_edited(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """Every entry written before the reorg is still there, unchanged: corrections append."""
        _, service, before = watched
        run_until_done(service)
        after = {e.id: e for e in service.ledger.entries()}
        assert all(after.get(e.id) == e for e in before)

    def test_reversals_cancel_exactly_the_entries_above_the_fork(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """Each entry of a replaced block gets one reversal: same kind, amount negated."""
        reorg, service, before = watched
        run_until_done(service)
        above = {e.id: e for e in before if (e.block_number or 0) > reorg.fork}
        reversals = [e for e in service.ledger.entries() if REVERSAL_FLAG in e.flags]
        assert {r.reverses for r in reversals} == set(above)
        for r in reversals:
            original = above[r.reverses or ""]
            assert (r.direction, r.category, r.agent, r.tx_hash, r.ts) == (
                original.direction,
                original.category,
                original.agent,
                original.tx_hash,
                original.ts,
            )
            assert r.amount == -original.amount and r.ref == f"{original.ref}:reversal"

    def test_moved_transaction_is_booked_again_under_a_new_ref(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """The payment mined one block later is booked again, in its new block, as :reorg:1."""
        reorg, service, _ = watched
        run_until_done(service)
        live = [
            e
            for e in service.ledger.entries()
            if e.tx_hash == reorg.moved
            and e.reverses is None
            and (e.ref or "").endswith(":reorg:1")
        ]
        assert [e.block_number for e in live] == [reorg.fork + 2]

    def test_metrics_and_statements_end_right(
        self, watched: tuple[Reorg, Service, list[Entry]]
    ) -> None:
        """Totals equal the fresh ledger's, and every statement reconciles."""
        reorg, service, _ = watched
        run_until_done(service)
        fresh = _fresh(reorg.history)
        ours, theirs = service.ledger.bootstrap_metrics(), fresh.bootstrap_metrics()
        assert (ours.total_revenue, ours.total_expenses) == (
            theirs.total_revenue,
            theirs.total_expenses,
        )
        assert service.ledger.reconciliation()
        assert all(s.reconciled for s in service.ledger.reconciliation())

    def test_running_again_adds_nothing(self, watched: tuple[Reorg, Service, list[Entry]]) -> None:
        """Once corrected, more cycles add nothing (no second reversal, no second re-booking)."""
        _, service, _ = watched
        run_until_done(service)
        count = service.ledger.store.count()
        for _ in range(3):
            service.run_once()
        assert service.ledger.store.count() == count


class TestReorgOnJsonl:
    def test_reversals_survive_reopening_the_jsonl_ledger(
        self, node: Anvil, clean: History, tmp_path: Any
    ) -> None:
        """The default store writes and reads back reversals (negative amounts) exactly."""
        store = f"jsonl://{tmp_path}/ledger"
        service = _service(clean, store=store)
        reorg = _reorg(node, clean, [service])
        run_until_done(service)
        service.close()
        with Ledger.open(store) as reopened:
            assert not reopened.store.problems()
            assert _effective(reopened) == _effective(_fresh(reorg.history))


class TestFinalityDeeperThanTheReorg:
    def test_nothing_wrong_is_ever_written(self, node: Anvil, clean: History) -> None:
        """With DEPTH confirmations the replaced blocks were never booked: no reversal at all."""
        service = _service(clean, finality=DEPTH)
        reorg = _reorg(node, clean, [service])
        run_until_done(service)
        entries = list(service.ledger.entries())
        assert not [e for e in entries if REVERSAL_FLAG in e.flags]
        assert reorg.dropped not in {e.tx_hash for e in entries}
        assert _effective(service.ledger) == _effective(_fresh(reorg.history, DEPTH))
        assert all(s.reconciled for s in service.ledger.reconciliation())
