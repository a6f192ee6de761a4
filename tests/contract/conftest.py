"""The ``store_factory`` fixture: every contract test runs once per backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aoineco_ledger.ledger.store.base import Store
from aoineco_ledger.testing import FrozenClock
from tests.contract.backends import BACKENDS, Backend, Clock


@dataclass
class StoreFactory:
    """Opens stores of one backend on one test's data; closes them at teardown.

    Attributes:
        backend: the backend under test.
        directory: where this test's data lives.
        clock: the clock handed to stores opened without one.
    """

    backend: Backend
    directory: Path
    clock: FrozenClock
    opened: list[Store] = field(default_factory=list)

    def __call__(self, clock: Clock | None = None) -> Store:
        """A store handle on this test's data (a second call: another handle)."""
        store = self.backend.open(self.directory, clock or self.clock)
        self.opened.append(store)
        return store

    @property
    def shared(self) -> bool:
        """Whether a second handle (or another process) sees the same data."""
        return self.backend.shared


@pytest.fixture(
    name="store_factory",
    params=[pytest.param(b, id=b.name, marks=b.marks) for b in BACKENDS],
)
def _store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    backend: Backend = request.param
    if backend.prepare is not None:
        backend.prepare()
    factory = StoreFactory(backend, tmp_path, FrozenClock())
    yield factory
    for store in reversed(factory.opened):
        store.close()


@pytest.fixture(name="store")
def _store(store_factory: StoreFactory) -> Store:
    return store_factory()


@pytest.fixture(name="clock")
def _clock(store_factory: StoreFactory) -> FrozenClock:
    return store_factory.clock


MakeStore = Callable[[], Store]
