"""A varied ledger to copy between stores, and a snapshot to compare copies by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aoineco_ledger.ledger import Entry, Ledger, new_entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement, Store, Totals
from aoineco_ledger.testing import FrozenClock

__all__ = ["NOW", "Snapshot", "populate", "snapshot"]

NOW = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)
_WALLET = "0x00000000000000000000000000000000000000A1"


def _chain_entries(start: datetime) -> list[Entry]:
    made = []
    for i in range(6):
        made.append(
            new_entry(
                direction="expense",
                amount=Decimal("0.000123456789012345678") * (i + 1),
                category="Gas/Blockchain",
                ts=start + timedelta(hours=i, microseconds=i),
                agent="oracle",
                source="chain",
                ref=f"evm:8453:0x{i:064x}:gas",
                chain_id=8453,
                chain="base",
                wallet=_WALLET,
                tx_hash=f"0x{i:064x}",
                block_number=1000 + i,
                asset="ETH",
                asset_amount=2**64 + i,
                asset_decimals=18,
                price_usd=Decimal("3000.5"),
                price_source="static",
                l2_fee_wei=2**63 + i,
                l1_fee_wei=7,
            )
        )
    return made


def populate(ledger: Ledger) -> None:
    """Write budgets, a custom category, manual and chain entries, a checkpoint, statements."""
    ledger.set_budget("API/LLM", "1000", "monthly")
    ledger.set_budget(None, "5000", "total", agent="oracle")
    ledger.add_category("Revenue/Grants", "revenue")
    start = NOW - timedelta(days=40)
    for i in range(40):
        ts = start + timedelta(days=i, minutes=7 * i)
        ledger.record(
            direction="expense", amount=f"0.{i:02d}1", category="API/LLM", agent="oracle", ts=ts
        )
        if i % 5 == 0:
            ledger.record(
                direction="revenue",
                amount=f"{i}.5",
                category="Revenue/Grants" if i % 10 else "Revenue/Gig",
                agent="muse",
                ts=ts,
                ref=f"gig-{i}",
                tags=("paid",),
                meta={"invoice": str(i)},
            )
    ledger.transfer("2.5", agent="oracle", ts=NOW - timedelta(days=1))
    cp = Checkpoint(
        chain_id=8453, block_number=1005, block_hash="0x1005", wallets=(_WALLET,), state={"n": 1}
    )
    statement = Statement(
        chain_id=8453,
        wallet=_WALLET,
        asset="ETH",
        agent="oracle",
        from_block=999,
        to_block=1005,
        opening=2**70,
        inflow=0,
        outflow=0,
        fees=6 * 2**63,
        expected_closing=2**70 - 6 * 2**63,
        onchain_closing=2**70 - 6 * 2**63,
        difference=0,
        reconciled=True,
        created_at=NOW,
    )
    ledger.record_observed(_chain_entries(start), checkpoint=cp, statements=[statement])


@dataclass(frozen=True)
class Snapshot:
    """Everything a copy must carry over, in comparable form."""

    entries: list[Entry]
    totals: Totals
    budgets: list[dict[str, Any]]
    settings: dict[str, Any]
    checkpoints: list[Checkpoint]
    statements: list[Statement]
    metrics: str


def snapshot(store: Store) -> Snapshot:
    """The store's content and the bootstrap metrics a ledger on it prints at :data:`NOW`."""
    metrics = str(Ledger(store, clock=FrozenClock(NOW)).bootstrap_metrics())
    return Snapshot(
        entries=list(store.query()),
        totals=store.totals(),
        budgets=store.load_budgets(),
        settings=store.load_settings(),
        checkpoints=store.checkpoints(),
        statements=store.latest_statements(),
        metrics=metrics,
    )
