"""API test support: a small, varied ledger history written into any backend.

Used by ``tests/integration/api/`` (live servers) and ``bench/api_bench.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from aoineco_ledger.api import ServerHandle
from aoineco_ledger.ledger import Entry, Ledger, new_entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement

__all__ = [
    "BACKENDS",
    "NOW",
    "WALLET",
    "WALLET_B",
    "Served",
    "fixed_clock",
    "open_ledger",
    "populate",
]

NOW = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)
"""The ledgers' clock: every period is evaluated at this instant."""

WALLET = "0x00000000000000000000000000000000000000A1"
WALLET_B = "0x00000000000000000000000000000000000000b2"

BACKENDS = ("memory", "jsonl", "sqlite", "postgresql")
"""Every store the API is tested over (PostgreSQL skips without a server, as CI forbids)."""


def fixed_clock() -> datetime:
    """The ledgers' clock."""
    return NOW


def open_ledger(kind: str, where: Path) -> Ledger:
    """A fresh ledger of one backend kind under ``where``."""
    if kind == "postgresql":
        from tests._support.postgres import url_for_directory

        return Ledger.open(url_for_directory(where), clock=fixed_clock)
    urls = {
        "memory": "memory://",
        "jsonl": f"jsonl://{where / 'ledger'}",
        "sqlite": f"sqlite:///{where / 'ledger.db'}",
    }
    return Ledger.open(urls[kind], clock=fixed_clock)


def _statement(*, wallet: str, asset: str, to_block: int, difference: int) -> Statement:
    opening, inflow, outflow, fees = 10**18, 5 * 10**17, 10**17, 21000 * 10**9
    expected = opening + inflow - outflow - fees
    return Statement(
        chain_id=8453,
        wallet=wallet,
        asset=asset,
        agent="oracle",
        from_block=to_block - 10,
        to_block=to_block,
        opening=opening,
        inflow=inflow,
        outflow=outflow,
        fees=fees,
        expected_closing=expected,
        onchain_closing=expected + difference,
        difference=difference,
        reconciled=difference == 0,
        created_at=NOW - timedelta(minutes=5),
    )


def _chain_entry() -> Entry:
    return new_entry(
        direction="expense",
        amount="0.0003",
        category="Gas/Blockchain",
        ts=NOW - timedelta(hours=2),
        agent="oracle",
        source="chain",
        ref="evm:8453:0x" + "ab" * 32 + ":gas",
        chain_id=8453,
        chain="base",
        wallet=WALLET,
        tx_hash="0x" + "ab" * 32,
        block_number=100,
        asset="ETH",
        asset_amount=10**14 + 1,
        asset_decimals=18,
        price_usd="3000",
        price_source="static",
        l2_fee_wei=10**14,
        l1_fee_wei=1,
    )


def populate(ledger: Ledger) -> None:
    """Write the same small, varied history into any ledger."""
    ledger.set_budget("API/LLM", limit="0.01", period="daily")
    ledger.set_budget(None, limit="100", period="monthly", agent="oracle")
    ledger.expense("0.0042", category="API/LLM", agent="oracle", ts=NOW - timedelta(hours=1))
    ledger.expense("0.005", category="API/LLM", agent="blue-sound", ts=NOW - timedelta(hours=3))
    ledger.expense("1.25", category="Tools", ts=NOW - timedelta(days=40))
    ledger.expense("0.5", category="Infrastructure", agent="oracle", ts=NOW - timedelta(days=3))
    ledger.revenue("0.01", agent="oracle", vendor="MoltLaunch", ts=NOW - timedelta(hours=4))
    ledger.revenue("2", category="Revenue/Tips", agent="blue-sound", ts=NOW - timedelta(days=35))
    ledger.transfer("0.3", agent="oracle", ts=NOW - timedelta(days=1))
    for minute in range(5):  # same-second neighbours exercise the (ts, id) cursor
        ledger.expense("0.0001", category="Other", agent="scout", ts=NOW - timedelta(minutes=30))
        ledger.expense(
            "0.0002", category="Other", agent="scout", ts=NOW - timedelta(minutes=minute)
        )
    checkpoint = Checkpoint(
        chain_id=8453,
        block_number=100,
        block_hash="0x" + "cd" * 32,
        wallets=(WALLET, WALLET_B),
        updated_at=NOW - timedelta(minutes=5),
    )
    statements = [
        _statement(wallet=WALLET, asset="ETH", to_block=90, difference=7),
        _statement(wallet=WALLET, asset="ETH", to_block=100, difference=0),
        _statement(wallet=WALLET_B, asset="ETH", to_block=100, difference=-3),
    ]
    ledger.record_observed([_chain_entry()], checkpoint=checkpoint, statements=statements)


@dataclass
class Served:
    """A populated ledger, the live server over it, and a client."""

    kind: str
    ledger: Ledger
    handle: ServerHandle
    client: httpx.Client
