"""The store backends the contract suite runs against: one entry each.

To add a backend, append a :class:`Backend` to :data:`BACKENDS`. Its ``open`` is
called as ``open(directory, clock)`` and must give a store on the data that
lives "at" ``directory`` (a fresh, empty one the first time; the same data when
called again, in this process or, when ``shared``, in a child process started
with ``spawn``, which looks the backend up here by ``name`` and calls
``open(directory, None)``). ``marks`` are pytest marks for the whole backend
(e.g. ``pytest.mark.postgres``); ``skip`` returns a reason to skip, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from aoineco_ledger.ledger.store.base import Store
from aoineco_ledger.ledger.store.jsonl import JsonlStore
from aoineco_ledger.ledger.store.memory import InMemoryStore
from aoineco_ledger.ledger.store.sql import SqlStore
from tests._support.postgres import require_postgres, url_for_directory

__all__ = ["BACKENDS", "Backend", "Clock", "backend_named"]

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Backend:
    """How to open one kind of store for the contract suite.

    Attributes:
        name: the test id (``memory``, ``jsonl``, ``sqlite``, ``postgresql``).
        open: ``(directory, clock or None) -> Store``.
        shared: True when two opens of one directory share data (across processes too).
        marks: pytest marks applied to every test of this backend.
        prepare: called once per test before ``open`` (e.g. skip when a server is absent).
    """

    name: str
    open: Callable[[Path, Clock | None], Store]
    shared: bool = True
    marks: tuple[pytest.MarkDecorator, ...] = ()
    prepare: Callable[[], None] | None = None


def _open_memory(directory: Path, clock: Clock | None) -> Store:
    return InMemoryStore(clock=clock)


def _open_jsonl(directory: Path, clock: Clock | None) -> Store:
    return JsonlStore(directory / "ledger", clock=clock)


def _open_sqlite(directory: Path, clock: Clock | None) -> Store:
    return SqlStore.from_url(f"sqlite:///{directory / 'ledger.db'}", clock=clock)


def _open_postgresql(directory: Path, clock: Clock | None) -> Store:
    # One schema per test directory in this run's database (tests/_support/postgres.py).
    return SqlStore.from_url(url_for_directory(directory), clock=clock)


BACKENDS: tuple[Backend, ...] = (
    Backend("memory", _open_memory, shared=False),
    Backend("jsonl", _open_jsonl),
    Backend("sqlite", _open_sqlite),
    Backend(
        "postgresql",
        _open_postgresql,
        marks=(pytest.mark.postgres, pytest.mark.integration),
        prepare=require_postgres,
    ),
)


def backend_named(name: str) -> Backend:
    """The backend called ``name`` (for child processes)."""
    return next(b for b in BACKENDS if b.name == name)
