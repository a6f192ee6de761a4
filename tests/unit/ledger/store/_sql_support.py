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
