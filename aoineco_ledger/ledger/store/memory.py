"""A store that lives in a Python process and dies with it: :class:`InMemoryStore`.

It is the reference implementation of :class:`~aoineco_ledger.ledger.store.base.Store`
(the contract suite runs against it first) and the test double the rest of the
project builds on. Nothing is written anywhere, so nothing can fail to be durable.

Semantics every backend shares, spelled out here once:

- ``append`` holds the write lock, skips the precheck when every entry's ``ref``
  is already stored (a retried call returns the first entries), otherwise runs
  the precheck (raising aborts, nothing written), then adds the new entries.
- ``query`` orders by ``(ts, id)``; ``before=(ts, id)`` keeps only entries strictly
  before that cursor, in either order.
- The newest statement per ``(chain_id, wallet, asset)`` is the one written last.
- A lease held by another holder blocks until ``ttl_seconds`` after it was last
  taken; the clock is injectable (``clock=``) so tests need not sleep.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from typing import Any

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    EntryFilter,
    Precheck,
    Problem,
    Statement,
    TotalKey,
    Totals,
)

__all__ = ["InMemoryStore", "matches", "utc_now"]

_SUM = Context(prec=200)
_ALL = EntryFilter()


def utc_now() -> datetime:
    """The current time, aware UTC (the default clock of every store)."""
    return datetime.now(UTC)


def matches(entry: Entry, query: EntryFilter) -> bool:
    """Whether ``entry`` is selected by ``query`` (since inclusive, until exclusive).

    Args:
        entry: the entry to test.
        query: the filter; ``None`` fields match anything.

    Returns:
        True when every set field of ``query`` matches.
    """
    if query.since is not None and entry.ts < query.since:
        return False
    if query.until is not None and entry.ts >= query.until:
        return False
    checks: tuple[tuple[object, object], ...] = (
        (query.agent, entry.agent),
        (query.category, entry.category),
        (query.direction, entry.direction),
        (query.chain_id, entry.chain_id),
        (query.wallet, entry.wallet),
    )
    return all(wanted is None or wanted == actual for wanted, actual in checks)


class InMemoryStore:
    """Every protocol method of a store, backed by lists and dicts.

    Args:
        clock: returns the current aware UTC time; used for leases.
    """

    url: str

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = "memory://"
        self._clock = clock or utc_now
        self._lock = threading.RLock()
        self._entries: list[Entry] = []
        self._by_ref: dict[str, Entry] = {}
        self._budgets: list[dict[str, Any]] = []
        self._settings: dict[str, Any] = {}
        self._marks: set[str] = set()
        self._checkpoints: dict[int, Checkpoint] = {}
        self._statements: dict[tuple[int, str, str], Statement] = {}
        self._leases: dict[str, tuple[str, datetime]] = {}

    # -- writing -------------------------------------------------------------

    def append(
        self,
        entries: Sequence[Entry],
        *,
        precheck: Precheck | None = None,
        checkpoint: Checkpoint | None = None,
        statements: Sequence[Statement] = (),
    ) -> AppendResult:
        """Add entries (and a checkpoint and statements) atomically.

        Raises:
            Exception: whatever ``precheck`` raised; nothing is stored then.
        """
        with self._lock:
            fresh = [e for e in entries if e.ref is None or e.ref not in self._by_ref]
            if fresh and precheck is not None:
                precheck(self)
            stored: list[Entry] = []
            added = 0
            for entry in entries:
                earlier = self._by_ref.get(entry.ref) if entry.ref is not None else None
                if earlier is not None:
                    stored.append(earlier)
                    continue
                self._entries.append(entry)
                if entry.ref is not None:
                    self._by_ref[entry.ref] = entry
                stored.append(entry)
                added += 1
            if checkpoint is not None:
                self._checkpoints[checkpoint.chain_id] = checkpoint
            for statement in statements:
                self._statements[(statement.chain_id, statement.wallet, statement.asset)] = (
                    statement
                )
            return AppendResult(entries=tuple(stored), added=added)

    # -- reading -------------------------------------------------------------

    def query(
        self,
        query: EntryFilter = _ALL,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries ``query`` selects, ordered by ``(ts, id)`` (a snapshot)."""
        with self._lock:
            selected = [e for e in self._entries if matches(e, query)]
        if before is not None:
            selected = [e for e in selected if (e.ts, e.id) < before]
        selected.sort(key=lambda e: (e.ts, e.id), reverse=newest_first)
        if limit is not None:
            selected = selected[: max(limit, 0)]
        return iter(selected)

    def count(self) -> int:
        """Number of entries stored."""
        return len(self._entries)

    def problems(self) -> Sequence[Problem]:
        """Always empty: nothing is read from anywhere."""
        return ()

    def totals(self, query: EntryFilter = _ALL) -> Totals:
        """Sum and count the entries ``query`` selects, grouped by direction, category, agent."""
        groups: dict[TotalKey, tuple[Decimal, int]] = {}
        first: datetime | None = None
        with self._lock:
            for entry in self._entries:
                if not matches(entry, query):
                    continue
                key = (entry.direction, entry.category, entry.agent)
                total, n = groups.get(key, (Decimal(0), 0))
                groups[key] = (_SUM.add(total, entry.amount), n + 1)
                if first is None or entry.ts < first:
                    first = entry.ts
        return Totals(groups=groups, first_ts=first)

    def get_by_ref(self, ref: str) -> Entry | None:
        """The entry stored with this idempotency key, if any."""
        return self._by_ref.get(ref)

    # -- budgets, settings, marks --------------------------------------------

    def load_budgets(self) -> list[dict[str, Any]]:
        """A copy of the stored budgets."""
        with self._lock:
            return copy.deepcopy(self._budgets)

    def save_budgets(self, budgets: Iterable[Mapping[str, Any]]) -> None:
        """Replace the stored budgets."""
        replacement = [copy.deepcopy(dict(b)) for b in budgets]
        with self._lock:
            self._budgets = replacement

    def load_settings(self) -> dict[str, Any]:
        """A copy of the stored settings."""
        with self._lock:
            return copy.deepcopy(self._settings)

    def save_settings(self, settings: Mapping[str, Any]) -> None:
        """Replace the stored settings."""
        replacement = copy.deepcopy(dict(settings))
        with self._lock:
            self._settings = replacement

    def mark_once(self, key: str) -> bool:
        """True the first time ``key`` is marked, False ever after."""
        with self._lock:
            if key in self._marks:
                return False
            self._marks.add(key)
            return True

    # -- reconciler state ----------------------------------------------------

    def checkpoint(self, chain_id: int) -> Checkpoint | None:
        """The latest checkpoint of ``chain_id``, if any."""
        return self._checkpoints.get(chain_id)

    def checkpoints(self) -> list[Checkpoint]:
        """The latest checkpoint of every chain, by chain id."""
        with self._lock:
            return [self._checkpoints[k] for k in sorted(self._checkpoints)]

    def latest_statements(self) -> list[Statement]:
        """The newest statement per ``(chain_id, wallet, asset)``, sorted by that key."""
        with self._lock:
            return [self._statements[k] for k in sorted(self._statements)]

    def try_lease(self, name: str, *, holder: str, ttl_seconds: float) -> bool:
        """Take or renew lease ``name``; False while another holder's lease is live."""
        with self._lock:
            now = self._clock()
            current = self._leases.get(name)
            if current is not None and current[0] != holder and current[1] > now:
                return False
            self._leases[name] = (holder, now + timedelta(seconds=ttl_seconds))
            return True

    def release_lease(self, name: str, *, holder: str) -> None:
        """Drop lease ``name`` if ``holder`` holds it."""
        with self._lock:
            current = self._leases.get(name)
            if current is not None and current[0] == holder:
                del self._leases[name]

    # -- lifecycle -----------------------------------------------------------

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the store's writer lock (re-entrant within the process)."""
        with self._lock:
            yield

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> InMemoryStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
