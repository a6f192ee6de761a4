"""Fixtures for the ledger core tests: a frozen clock, an in-memory store, a ledger."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.testing import FrozenClock, InMemoryStore


@pytest.fixture(name="clock")
def _clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 2, 13, 12, 0, tzinfo=UTC))


@pytest.fixture(name="store")
def _store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture(name="ledger")
def _ledger(store: InMemoryStore, clock: FrozenClock) -> Ledger:
    return Ledger(store, clock=clock)
