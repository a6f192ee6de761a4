"""Copy a whole ledger from one store to another: :func:`copy_ledger`.

Pure over the :class:`~aoineco_ledger.ledger.store.base.Store` protocol, so it
moves a ledger between any two backends (memory, jsonl, sqlite, postgresql)
without knowing either. Entries keep their ids, refs and timestamps; budgets,
settings, checkpoints and the latest statements follow.

Copying is idempotent: an entry whose ref (or, without a ref, whose id) the
target already has is not written again, budgets merge by id, settings by key,
and checkpoints and statements the target already holds are left alone. The source's
checkpoints and statements are read *before* its entries and written to the
target *after* them: a daemon still committing to the source during the copy
can then only leave the target with more entries than its checkpoint covers
(rescanned idempotently), never a checkpoint without the entries behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Checkpoint, Statement, Store

__all__ = ["CopyResult", "copy_ledger"]

Progress = Callable[[int], None]
"""Called after each batch with the number of entries read so far."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyResult:
    """What :func:`copy_ledger` moved.

    Attributes:
        source: the source store's URL (secrets masked).
        target: the target store's URL (secrets masked).
        entries_read: entries read from the source.
        entries_added: entries the target did not have yet.
        budgets: budgets in the source (merged into the target by id).
        settings: setting keys in the source (merged into the target).
        checkpoints: checkpoints written to the target.
        statements: statements written to the target.
        problems: lines the source set aside (torn or unreadable) and did not copy.
        target_count: entries in the target afterwards.
    """

    source: str
    target: str
    entries_read: int
    entries_added: int
    budgets: int
    settings: int
    checkpoints: int
    statements: int
    problems: int
    target_count: int

    def as_dict(self) -> dict[str, Any]:
        """The result as a JSON-able dict."""
        return {name: getattr(self, name) for name in self.__slots__}


def _batches(entries: Iterator[Entry], size: int) -> Iterator[list[Entry]]:
    batch: list[Entry] = []
    for e in entries:
        batch.append(e)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _refless_ids(target: Store) -> set[str]:
    """Ids of the target's entries without a ref (the only ones append cannot dedupe)."""
    if target.count() == 0:
        return set()
    return {e.id for e in target.query() if e.ref is None}


def _copy_entries(
    source: Store, target: Store, batch_size: int, progress: Progress | None
) -> tuple[int, int]:
    known = _refless_ids(target)
    read = added = 0
    for batch in _batches(source.query(), batch_size):
        read += len(batch)
        fresh = [e for e in batch if e.ref is not None or e.id not in known]
        if fresh:
            added += target.append(fresh).added
        if progress is not None:
            progress(read)
    return read, added


def _merge_budgets(source: Store, target: Store) -> int:
    theirs = source.load_budgets()
    ids = {b.get("id") for b in theirs}
    kept = [b for b in target.load_budgets() if b.get("id") not in ids or b.get("id") is None]
    merged = kept + [b for b in theirs if b not in kept]
    if merged != target.load_budgets():
        target.save_budgets(merged)
    return len(theirs)


def _merge_settings(source: Store, target: Store) -> int:
    theirs = source.load_settings()
    mine = target.load_settings()
    merged = {**mine, **theirs}
    if merged != mine:
        target.save_settings(merged)
    return len(theirs)


def _copy_reconciler_state(
    source_checkpoints: list[Checkpoint],
    source_statements: list[Statement],
    target: Store,
) -> tuple[int, int]:
    have = target.latest_statements()
    statements = [s for s in source_statements if s not in have]
    checkpoints = [c for c in source_checkpoints if target.checkpoint(c.chain_id) != c]
    if statements and not checkpoints:
        target.append([], statements=statements)
    for i, cp in enumerate(checkpoints):
        target.append([], checkpoint=cp, statements=statements if i == 0 else ())
    return len(checkpoints), len(statements)


def copy_ledger(
    source: Store,
    target: Store,
    *,
    batch_size: int = 5_000,
    progress: Progress | None = None,
) -> CopyResult:
    """Copy every entry, budget, setting, checkpoint and statement of ``source`` to ``target``.

    Args:
        source: the store to read (never written).
        target: the store to write; what it already holds is kept.
        batch_size: entries per append (each append is one durable transaction).
        progress: called with the running count of entries read after each batch.

    Returns:
        Counts of what was read and written.

    Raises:
        StoreError: the two are the same store, or either store failed.
    """
    if source is target or (source.url == target.url and source.url != "memory://"):
        raise StoreError(f"source and target are the same store: {source.url}")
    if batch_size < 1:
        raise StoreError(f"batch_size must be at least 1, got {batch_size}")
    # Reconciler state first, so it never claims more than the entries read after it.
    source_checkpoints, source_statements = source.checkpoints(), source.latest_statements()
    read, added = _copy_entries(source, target, batch_size, progress)
    budgets = _merge_budgets(source, target)
    settings = _merge_settings(source, target)
    checkpoints, statements = _copy_reconciler_state(source_checkpoints, source_statements, target)
    return CopyResult(
        source=source.url,
        target=target.url,
        entries_read=read,
        entries_added=added,
        budgets=budgets,
        settings=settings,
        checkpoints=checkpoints,
        statements=statements,
        problems=len(source.problems()),
        target_count=target.count(),
    )
