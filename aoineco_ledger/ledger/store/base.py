"""The one seam between the ledger and its storage: the :class:`Store` protocol.

Every backend (memory, jsonl, sqlite, postgresql) implements it and passes the
same contract suite (``tests/contracts/``). Budgets and settings travel as plain
JSON-able dicts so that a store never needs to know the ledger's rules; entries,
checkpoints and statements are the ledger's own frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.typing import Direction

__all__ = [
    "AppendResult",
    "Checkpoint",
    "EntryFilter",
    "Precheck",
    "Problem",
    "Statement",
    "Store",
    "StoreReader",
    "TotalKey",
    "Totals",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryFilter:
    """Which entries a query wants. Every field narrows; ``None`` means any.

    ``since`` is inclusive and ``until`` exclusive, both aware UTC datetimes.
    """

    since: datetime | None = None
    until: datetime | None = None
    agent: str | None = None
    category: str | None = None
    direction: Direction | None = None
    chain_id: int | None = None
    wallet: str | None = None


TotalKey = tuple[str, str, str]
"""``(direction, category, agent)``: the grain every aggregate is kept at."""


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums and counts of the entries a filter selects, grouped by :data:`TotalKey`.

    Attributes:
        groups: ``{(direction, category, agent): (amount_sum, count)}``.
        first_ts: the earliest entry timestamp selected, if any.
    """

    groups: Mapping[TotalKey, tuple[Decimal, int]] = field(default_factory=dict)
    first_ts: datetime | None = None

    @property
    def count(self) -> int:
        """Number of entries selected."""
        return sum(n for _, n in self.groups.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """How far the reconciler has got on one chain.

    Attributes:
        chain_id: the chain.
        block_number: last block whose effects are durable in the ledger.
        block_hash: that block's hash, to notice a reorg on the next cycle.
        wallets: the wallets (checksum form) whose history is covered up to here;
            a wallet not in this list is new and starts at its ``start_block``.
        updated_at: when the checkpoint was written (aware UTC).
        state: scanner-specific extras (JSON-able), e.g. last nonces and balances.
    """

    chain_id: int
    block_number: int
    block_hash: str
    wallets: tuple[str, ...] = ()
    updated_at: datetime | None = None
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """A wallet's balance of one asset over ``(from_block, to_block]``, proven or not.

    All amounts are base units (wei or token units). ``expected_closing`` is
    ``opening + inflow - outflow - fees``; ``difference`` is
    ``onchain_closing - expected_closing``; ``reconciled`` is ``difference == 0``.
    """

    chain_id: int
    wallet: str
    asset: str
    agent: str
    from_block: int
    to_block: int
    opening: int
    inflow: int
    outflow: int
    fees: int
    expected_closing: int
    onchain_closing: int
    difference: int
    reconciled: bool
    created_at: datetime
    asset_decimals: int = 18


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """Something found while reading a store that is not an error to raise.

    A torn last line, a line that is not an entry: kept aside and reported.
    """

    source: str
    message: str
    line: str = ""


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append did.

    Attributes:
        entries: one per input entry, in input order: the stored entry, or the
            earlier entry that already had the same ``ref``.
        added: how many of them were new.
    """

    entries: tuple[Entry, ...]
    added: int


@runtime_checkable
class StoreReader(Protocol):
    """The read half of a store; what a :data:`Precheck` may look at under the lock."""

    def totals(self, query: EntryFilter = ...) -> Totals:
        """Sum and count the entries ``query`` selects, grouped by :data:`TotalKey`."""
        ...

    def get_by_ref(self, ref: str) -> Entry | None:
        """The entry with this idempotency key, if any."""
        ...


Precheck = Callable[[StoreReader], None]
"""Called inside the write lock before an append; raising aborts it (nothing written)."""


@runtime_checkable
class Store(StoreReader, Protocol):
    """Durable, append-only storage for one ledger.

    Appends are atomic per call: either every new entry (and the checkpoint and
    statements passed with them) is durable when ``append`` returns, or nothing
    is. Entries whose ``ref`` already exists are not written again.
    """

    url: str
    """Where this store lives, secrets masked (``jsonl:///var/lib/...``)."""

    def append(
        self,
        entries: Sequence[Entry],
        *,
        precheck: Precheck | None = None,
        checkpoint: Checkpoint | None = None,
        statements: Sequence[Statement] = (),
    ) -> AppendResult:
        """Write entries (and optionally a cycle's checkpoint and statements) durably.

        Raises:
            DurabilityError: the data could not be made durable.
            StoreError: the store is unusable.
            Exception: whatever ``precheck`` raised (e.g. ``BudgetExceeded``).
        """
        ...

    def query(
        self,
        query: EntryFilter = ...,
        *,
        newest_first: bool = False,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries that ``query`` selects, ordered by ``(ts, id)``.

        ``before`` is a pagination cursor ``(ts, id)``: with ``newest_first`` only
        entries strictly older than it come back.
        """
        ...

    def count(self) -> int:
        """Number of entries in the store."""
        ...

    def problems(self) -> Sequence[Problem]:
        """What opening the store set aside (torn tail, lines that are not entries)."""
        ...

    def load_budgets(self) -> list[dict[str, Any]]:
        """The stored budgets, as JSON-able dicts."""
        ...

    def save_budgets(self, budgets: Iterable[Mapping[str, Any]]) -> None:
        """Replace the stored budgets atomically."""
        ...

    def load_settings(self) -> dict[str, Any]:
        """Ledger settings (created_at, seed_amount, timezone, custom categories)."""
        ...

    def save_settings(self, settings: Mapping[str, Any]) -> None:
        """Replace the stored settings atomically."""
        ...

    def mark_once(self, key: str) -> bool:
        """Record ``key`` (e.g. a budget alert for a period); True only the first time."""
        ...

    def checkpoint(self, chain_id: int) -> Checkpoint | None:
        """The latest checkpoint of a chain, if any."""
        ...

    def checkpoints(self) -> list[Checkpoint]:
        """The latest checkpoint of every chain."""
        ...

    def latest_statements(self) -> list[Statement]:
        """The newest statement per ``(chain_id, wallet, asset)``."""
        ...

    def try_lease(self, name: str, *, holder: str, ttl_seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``holder``; False while another holds it.

        A lease expires ``ttl_seconds`` after it was last taken or renewed, so a
        dead holder's work passes to another replica within one poll interval.
        The reconciler holds ``chain:{chain_id}`` while it runs that chain's cycle.
        """
        ...

    def release_lease(self, name: str, *, holder: str) -> None:
        """Give the lease up, if ``holder`` holds it."""
        ...

    def write_lock(self) -> AbstractContextManager[None]:
        """Hold the store's exclusive writer lock (re-entrant within a process)."""
        ...

    def close(self) -> None:
        """Release files, connections and locks."""
        ...
