"""Shared bits of the SQL store tests: a URL per dialect and entry builders."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Statement

__all__ = ["DIALECTS", "T0", "entry", "sql_url_for", "statement"]

T0 = datetime(2026, 2, 13, 10, 0, tzinfo=UTC)

DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql", id="postgresql", marks=(pytest.mark.postgres, pytest.mark.integration)
    ),
]
"""Parameters for the ``sql_url`` fixtures of the SQL test modules."""


def sql_url_for(request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> str:
    """A fresh, empty database of ``dialect`` for one test."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def entry(**fields: Any) -> Entry:
    """A $1 API/LLM expense at :data:`T0`; ``ts`` may be given in minutes after it."""
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


def statement(**fields: Any) -> Statement:
    """A reconciled ETH statement of wallet ``0xA`` over blocks (0, 10]."""
    values: dict[str, Any] = {
        "chain_id": 8453,
        "wallet": "0xA",
        "asset": "ETH",
        "agent": "oracle",
        "from_block": 0,
        "to_block": 10,
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
    values.update(fields)
    return Statement(**values)


def spend_within(url: str, attempts: int, limit: str, start: Any, results: Any) -> None:
    """Child process: wait for ``start``, then try ``attempts`` $1 spends within ``limit``.

    Each spend's precheck reads the expense total inside the append's transaction
    and refuses past ``limit``; the ids written go on ``results``.
    """
    from aoineco_ledger.errors import BudgetExceeded
    from aoineco_ledger.ledger.store.base import EntryFilter, StoreReader
    from aoineco_ledger.ledger.store.sql import SqlStore

    def precheck(reader: StoreReader) -> None:
        spent = sum(
            (
                t
                for (d, _, _), (t, _) in reader.totals(EntryFilter()).groups.items()
                if d == "expense"
            ),
            Decimal(0),
        )
        if spent + 1 > Decimal(limit):
            raise BudgetExceeded(f"{spent} + 1 > {limit}")

    store = SqlStore.from_url(url)
    won: list[str] = []
    start.wait()
    try:
        for i in range(attempts):
            spend = entry(ts=i)
            try:
                store.append([spend], precheck=precheck)
            except BudgetExceeded:
                continue
            won.append(spend.id)
    finally:
        store.close()
    results.put(won)
