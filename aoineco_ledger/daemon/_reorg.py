"""Reorgs: notice that booked blocks left the chain, cancel what was booked there, go on.

At the start of a cycle the chain's hash of the checkpoint's block is compared
with the one booked. When the chain has another block there (no block at all is
not taken for a reorg: a lagging node answers that too), :func:`find_fork` walks down the blocks
the ledger knows a hash of (recent checkpoints kept in the checkpoint's state,
and every entry's ``block_hash``) to the highest one the chain still has: the
fork point. Every entry above it is cancelled by a *reversing entry*, and the
checkpoint moves back to the fork point, in one atomic append; the cycle then
scans forward as usual and books the new blocks' activity.

The ledger stays append-only: nothing is edited or deleted. A reversing entry
is a copy of the entry it cancels (same direction, category, agent, chain
fields and ``ts``, so every period's totals net to zero) with ``amount`` the
exact negation, ``reverses`` the original's ``id``, flag ``reversal``, and ref
``{original_ref}:reversal``. Stores sum amounts, so metrics, reports and budget
spend subtract it with no special case; a reorged entry and its reversal still
count as two entries in ``entry_count`` (and the seed's IPD).

Refs, and why re-booked entries get new ones: refs are unique and a second
append with a ref already stored is a no-op. A transaction that a reorg moved
to another block is found again with the *same* ref it had, whose entry is now
cancelled; booking it under that ref would add nothing and lose it. So before a
cycle commits, :func:`fresh_refs` gives every entry whose ref already has a
reversal the next free ``{ref}:reorg:{k}`` (k = 1, 2, ...: a chain that flips
back and forth never reuses one). This is deterministic: a crash and a re-run
choose the same refs, so nothing is ever doubled. Statements read flows from
the entries *before* the renaming, so ``parse_ref`` keeps working for them;
:func:`base_ref` strips the suffix for anyone reading refs back.

Each reversal's ref depends only on the original's ref, so cancelling is
idempotent too: a crash before the append leaves the old checkpoint, and the
next cycle writes the very same reversals.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog

from aoineco_ledger.errors import ChainError, RpcError
from aoineco_ledger.ledger import Entry, Ledger
from aoineco_ledger.ledger.store.base import Checkpoint, EntryFilter, Store

__all__ = [
    "RECENT_KEY",
    "REORGS_KEY",
    "REVERSAL_FLAG",
    "Fork",
    "Rewind",
    "base_ref",
    "booked",
    "correct_reorg",
    "find_fork",
    "fresh_refs",
    "plan_rewind",
    "remember_block",
    "reversal_ref",
    "reversing_entries",
    "rewind",
    "safe_hash",
    "store_reversed",
]

REVERSAL_FLAG = "reversal"
"""The flag of an entry that cancels another (``reverses`` names it)."""

RECENT_KEY = "recent_blocks"
"""Checkpoint state key: ``[[number, hash], ...]`` of the latest checkpoints, oldest first."""

REORGS_KEY = "reorgs"
"""Checkpoint state key: how many reorgs this chain's ledger has corrected."""

KEEP_RECENT = 64
"""How many recent checkpoint hashes a checkpoint keeps (fork points found exactly)."""

log = structlog.get_logger("aoineco_ledger.daemon")

_REBOOKED = re.compile(r":reorg:\d+$")

BlockHash = Callable[[int], "str | None"]
"""The chain's hash of a block (0x hex), or None when the chain has no such block."""


@dataclass(frozen=True, slots=True)
class Fork:
    """Where the booked chain and the node's chain part.

    Attributes:
        block_number: the highest block both still share.
        block_hash: its hash.
        depth: how many booked blocks left the chain (checkpoint minus fork point).
    """

    block_number: int
    block_hash: str
    depth: int


@dataclass(frozen=True, slots=True)
class Rewind:
    """What correcting a reorg writes: reversing entries and the moved-back checkpoint."""

    fork: Fork
    reversals: tuple[Entry, ...]
    checkpoint: Checkpoint


def reversal_ref(ref: str) -> str:
    """The ref of the entry that reverses the entry with ``ref``."""
    return f"{ref}:{REVERSAL_FLAG}"


def base_ref(ref: str) -> str:
    """``ref`` without the ``:reorg:{k}`` a re-booked entry carries."""
    return _REBOOKED.sub("", ref)


def _norm(value: str | None) -> str:
    return (value or "").lower()


def remember_block(state: Mapping[str, Any], number: int, block_hash: str) -> dict[str, Any]:
    """``state`` with ``(number, block_hash)`` added to its recent checkpoint hashes.

    Keeps the last :data:`KEEP_RECENT`, so a reorg's fork point can be found
    exactly even where no entry was booked.
    """
    recent = [pair for pair in state.get(RECENT_KEY, []) if int(pair[0]) < number]
    recent.append([int(number), _norm(block_hash)])
    return {**state, RECENT_KEY: recent[-KEEP_RECENT:]}


def _known(checkpoint: Checkpoint, entries: Iterable[Entry]) -> dict[int, set[str]]:
    """Every block the ledger booked a hash of, at or below the checkpoint."""
    known: dict[int, set[str]] = {checkpoint.block_number: {_norm(checkpoint.block_hash)}}
    for number, block_hash in checkpoint.state.get(RECENT_KEY, []):
        known.setdefault(int(number), set()).add(_norm(block_hash))
    for entry in entries:
        if entry.block_number is not None and entry.block_hash:
            known.setdefault(entry.block_number, set()).add(_norm(entry.block_hash))
    return {n: hashes for n, hashes in known.items() if n <= checkpoint.block_number}


def find_fork(
    checkpoint: Checkpoint, entries: Iterable[Entry], chain_hash: BlockHash
) -> Fork | None:
    """The highest booked block the chain still has, or None when the checkpoint is intact.

    Args:
        checkpoint: the chain's checkpoint.
        entries: the chain's entries (their ``block_number``/``block_hash``).
        chain_hash: the chain's hash of a block now.

    Returns:
        None when the checkpoint's block is still on the chain, else the fork.

    Raises:
        ChainError: no block the ledger knows is on the chain any more.
    """
    top = _norm(chain_hash(checkpoint.block_number))
    if not top or top == _norm(checkpoint.block_hash):
        # No block there is not proof of a reorg: a node behind a load balancer
        # says the same. A reorg is only read from a *different* hash; a chain
        # that really got shorter shows one as soon as it grows past the
        # checkpoint again (seconds on a live chain), and is corrected then.
        return None
    known = _known(checkpoint, entries)
    for number in sorted(known, reverse=True):
        theirs = _norm(chain_hash(number))
        if theirs and theirs in known[number]:
            return Fork(number, theirs, checkpoint.block_number - number)
    raise ChainError(
        f"chain {checkpoint.chain_id}: a reorg below every block this ledger recorded: block "
        f"{checkpoint.block_number} changed (booked hash {checkpoint.block_hash}, now "
        f"{top or 'missing'}) and no earlier booked block is on the chain any more; nothing "
        "more is booked until an operator looks"
    )


def reversing_entries(
    entries: Iterable[Entry],
    *,
    fork: Fork,
    reversed_refs: Callable[[str], bool],
    now: datetime,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> list[Entry]:
    """One reversing entry per entry booked above the fork that is not cancelled yet.

    Args:
        entries: the chain's entries.
        fork: where the chains part.
        reversed_refs: True for a ref whose entry already has a reversal.
        now: when the reversal is written (kept in ``meta``).
        new_id: makes the reversals' ids.

    Returns:
        The reversals, in the order of the entries they cancel.
    """
    out = []
    for entry in entries:
        above = entry.block_number is not None and entry.block_number > fork.block_number
        if not above or entry.ref is None or entry.reverses is not None:
            continue
        if REVERSAL_FLAG in entry.flags or reversed_refs(entry.ref):
            continue
        out.append(_reversal(entry, fork, now, new_id()))
    return out


def _reversal(entry: Entry, fork: Fork, now: datetime, new_id: str) -> Entry:
    ref = entry.ref or ""
    gone = f"block {entry.block_number} ({_norm(entry.block_hash)[:10]}) left the chain"
    return replace(
        entry,
        id=new_id,
        amount=-entry.amount,
        ref=reversal_ref(ref),
        reverses=entry.id,
        flags=(REVERSAL_FLAG,),
        description=f"reorg: cancels {ref}; {gone}",
        meta=(
            *entry.meta,
            ("reorg_fork", f"{fork.block_number}:{fork.block_hash}"),
            ("reversed_at", now.isoformat()),
        ),
    )


def plan_rewind(
    checkpoint: Checkpoint,
    entries: Sequence[Entry],
    *,
    chain_hash: BlockHash,
    reversed_refs: Callable[[str], bool],
    now: datetime,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Rewind | None:
    """What to write to correct a reorg below ``checkpoint``, or None when there is none.

    Raises:
        ChainError: the fork point cannot be found (see :func:`find_fork`).
    """
    fork = find_fork(checkpoint, entries, chain_hash)
    if fork is None:
        return None
    reversals = reversing_entries(
        entries, fork=fork, reversed_refs=reversed_refs, now=now, new_id=new_id
    )
    state = {key: value for key, value in checkpoint.state.items() if key != RECENT_KEY} | {
        REORGS_KEY: int(checkpoint.state.get(REORGS_KEY, 0)) + 1
    }
    recent = [p for p in checkpoint.state.get(RECENT_KEY, []) if int(p[0]) < fork.block_number]
    moved = replace(
        checkpoint,
        block_number=fork.block_number,
        block_hash=fork.block_hash,
        updated_at=now,
        state={**state, RECENT_KEY: recent},
    )
    return Rewind(fork=fork, reversals=tuple(reversals), checkpoint=moved)


def fresh_refs(entries: Sequence[Entry], reversed_refs: Callable[[str], bool]) -> list[Entry]:
    """Entries with a ref already cancelled by a reversal renamed to ``{ref}:reorg:{k}``.

    ``k`` is the smallest number whose ref is not cancelled too, so the same
    entries always get the same refs (re-running a chunk adds nothing).
    """
    out = []
    for entry in entries:
        ref = entry.ref
        if ref is None or not reversed_refs(ref):
            out.append(entry)
            continue
        k = 1
        while reversed_refs(f"{ref}:reorg:{k}"):
            k += 1
        out.append(replace(entry, ref=f"{ref}:reorg:{k}"))
    return out


def store_reversed(store: Store) -> Callable[[str], bool]:
    """``reversed_refs`` over a store: True when ``ref`` has a reversal there."""
    return lambda ref: store.get_by_ref(reversal_ref(ref)) is not None


def safe_hash(block_hash: Callable[[int], str]) -> BlockHash:
    """A block-hash reader that answers None for a block the chain does not have (yet).

    Transport failures still raise: a missing answer is never read as a reorg.
    """

    def read(number: int) -> str | None:
        try:
            return block_hash(number)
        except RpcError:
            raise
        except ChainError:
            return None

    return read


def rewind(
    store: Store, checkpoint: Checkpoint, *, chain_hash: BlockHash, now: datetime
) -> Rewind | None:
    """Notice a reorg below ``checkpoint`` and plan its correction (the caller appends it).

    Args:
        store: the ledger's store (entries of the checkpoint's chain are read).
        checkpoint: the chain's checkpoint.
        chain_hash: the chain's hash of a block now (None: no such block).
        now: the current time.

    Returns:
        None when the checkpoint's block is still on the chain, else the rewind.

    Raises:
        ChainError: the chain could not be read, or no fork point was found.
        StoreError: the store failed.
    """
    seen: dict[int, str | None] = {}

    def cached(number: int) -> str | None:
        if number not in seen:
            seen[number] = chain_hash(number)
        return seen[number]

    top = _norm(cached(checkpoint.block_number))
    if not top or top == _norm(checkpoint.block_hash):
        return None  # intact, or no block there yet (see find_fork)
    entries = list(store.query(EntryFilter(chain_id=checkpoint.chain_id)))
    return plan_rewind(
        checkpoint,
        entries,
        chain_hash=cached,
        reversed_refs=store_reversed(store),
        now=now,
    )


def correct_reorg(
    ledger: Ledger,
    checkpoint: Checkpoint | None,
    *,
    block_hash: Callable[[int], str] | None,
    now: datetime,
) -> Checkpoint | None:
    """The cycle's entry point: correct a reorg below ``checkpoint``, if there is one.

    Writes the reversing entries and the moved-back checkpoint in one atomic
    append, and logs ``reorg_corrected``.

    Args:
        ledger: the ledger.
        checkpoint: the chain's checkpoint (None on a first run: nothing to check).
        block_hash: the chain's hash of a block (raises ChainError for a block it
            lacks); None turns the check off.
        now: the current time.

    Returns:
        The checkpoint to go on from: the same one, or the fork point's.

    Raises:
        ChainError: the chain could not be read, or no booked block is on it any more.
        StoreError: the store failed.
    """
    if checkpoint is None or block_hash is None:
        return checkpoint
    found = rewind(ledger.store, checkpoint, chain_hash=safe_hash(block_hash), now=now)
    if found is None:
        return checkpoint
    ledger.record_observed(found.reversals, checkpoint=found.checkpoint)
    log.warning(
        "reorg_corrected",
        chain_id=checkpoint.chain_id,
        booked_block=checkpoint.block_number,
        fork_block=found.fork.block_number,
        depth=found.fork.depth,
        reversed=len(found.reversals),
    )
    return found.checkpoint


def booked(
    entries: Sequence[Entry], *, ledger: Ledger, checkpoint: Checkpoint | None
) -> list[Entry]:
    """The entries a cycle appends: :func:`fresh_refs` once this chain has had a reorg."""
    if checkpoint is None or not checkpoint.state.get(REORGS_KEY):
        return list(entries)
    return fresh_refs(entries, store_reversed(ledger.store))
