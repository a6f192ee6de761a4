"""Small builders for contract tests, and the worker the race tests run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aoineco_ledger.errors import BudgetExceeded
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import EntryFilter, Statement, Store, StoreReader

__all__ = [
    "T0",
    "entry",
    "race_for_budget",
    "race_for_budget_on",
    "race_process",
    "statement",
]

T0 = datetime(2026, 2, 13, 10, 0, tzinfo=UTC)
"""A fixed instant the tests build their timelines from."""


def entry(**fields: Any) -> Entry:
    """An expense of $1 in API/LLM at :data:`T0`, with ``fields`` overriding."""
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "ts": T0,
        "direction": "expense",
        "amount": Decimal("1"),
        "category": "API/LLM",
        "agent": "oracle",
    }
    values.update(fields)
    if isinstance(values["ts"], int | float):
        values["ts"] = T0 + timedelta(minutes=values["ts"])
    return Entry(**values)


def statement(
    *, wallet: str = "0xA", asset: str = "ETH", to_block: int = 10, **kw: Any
) -> Statement:
    """A reconciled statement over ``(to_block - 10, to_block]``."""
    values: dict[str, Any] = {
        "chain_id": 8453,
        "wallet": wallet,
        "asset": asset,
        "agent": "oracle",
        "from_block": to_block - 10,
        "to_block": to_block,
        "opening": 2**70,
        "inflow": 5,
        "outflow": 2,
        "fees": 1,
        "expected_closing": 2**70 + 2,
        "onchain_closing": 2**70 + 2,
        "difference": 0,
        "reconciled": True,
        "created_at": T0,
    }
    values.update(kw)
    return Statement(**values)


def _within(limit: Decimal, amount: Decimal) -> Any:
    def precheck(reader: StoreReader) -> None:
        spent = sum(
            (
                total
                for (direction, _, _), (total, _) in reader.totals(EntryFilter()).groups.items()
                if direction == "expense"
            ),
            Decimal(0),
        )
        if spent + amount > limit:
            raise BudgetExceeded(f"{spent} + {amount} > {limit}")

    return precheck


def race_for_budget_on(store: Store, attempts: int, limit: str, start: Any) -> list[str]:
    """Wait for ``start``, then try ``attempts`` $1 spends that must stay within ``limit``.

    Returns:
        The ids of the spends that were written.
    """
    won: list[str] = []
    start.wait()
    for _ in range(attempts):
        spend = entry()
        try:
            store.append([spend], precheck=_within(Decimal(limit), spend.amount))
        except BudgetExceeded:
            continue
        won.append(spend.id)
    return won


def race_for_budget(
    backend_name: str, directory: Path, attempts: int, limit: str, start: Any
) -> list[str]:
    """:func:`race_for_budget_on` a store of ``backend_name`` opened on ``directory``."""
    from tests.contract.backends import backend_named

    store = backend_named(backend_name).open(directory, None)
    try:
        return race_for_budget_on(store, attempts, limit, start)
    finally:
        store.close()


def race_process(
    backend_name: str, directory: Path, attempts: int, limit: str, start: Any, results: Any
) -> None:
    """:func:`race_for_budget` in a child process; puts its winners on ``results``."""
    results.put(list(race_for_budget(backend_name, directory, attempts, limit, start)))
