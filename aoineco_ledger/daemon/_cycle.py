"""One chain's reconcile cycle: checkpoint -> target -> scan -> entries -> statements -> commit.

A cycle scans from the chain's checkpoint up to the target block in chunks of at
most ``max_blocks`` blocks; each chunk's entries, statements and new checkpoint
go to the store in one atomic append, so a crash anywhere leaves either the whole
chunk or none of it, and refs make a repeated chunk add nothing. A chain is run
by one replica at a time, under the store lease ``chain:{chain_id}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import structlog

from aoineco_ledger.chains import Activity, Scanner
from aoineco_ledger.daemon._classify import classify
from aoineco_ledger.daemon._reorg import booked, correct_reorg, remember_block
from aoineco_ledger.daemon._report import usd_text
from aoineco_ledger.daemon._squad import Squad
from aoineco_ledger.daemon._statements import (
    StatementKey,
    build_statements,
    needs_opening,
    statement_key,
)
from aoineco_ledger.ledger import Entry, Ledger
from aoineco_ledger.ledger.store.base import Checkpoint, Statement

__all__ = ["ChainCycle", "CycleResult", "plan_range"]

log = structlog.get_logger("aoineco_ledger.daemon")

Status = Literal["done", "up-to-date", "lease-held", "stopped"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleResult:
    """What one cycle of one chain did.

    Attributes:
        chain_id: the chain; chain: its name.
        status: ``done`` (blocks were booked), ``up-to-date`` (nothing new),
            ``lease-held`` (another replica runs this chain), ``stopped``
            (asked to stop between chunks, with progress committed).
        from_block: the checkpoint the cycle started at (None for a first run).
        to_block: the checkpoint it left (None when nothing was committed).
        target: the target block the finality setting gave.
        chunks: how many chunks were committed.
        entries_seen: entries classified; entries_added: of those, new in the store.
        statements: the statements of the last chunk.
        seconds: how long the cycle took.
        waiting: why nothing can be booked yet, in words (a start block ahead of
            the chain, a chain below the checkpoint), or None.
    """

    chain_id: int
    chain: str
    status: Status
    from_block: int | None = None
    to_block: int | None = None
    target: int | None = None
    chunks: int = 0
    entries_seen: int = 0
    entries_added: int = 0
    statements: tuple[Statement, ...] = field(default=())
    seconds: float = 0.0
    waiting: str | None = None

    @property
    def differences(self) -> tuple[Statement, ...]:
        """The statements of this cycle that do not reconcile."""
        return tuple(s for s in self.statements if not s.reconciled)


def plan_range(
    *,
    checkpoint: Checkpoint | None,
    target: int,
    start_block: int | Literal["latest"],
    max_blocks: int,
) -> tuple[int, int] | None:
    """The next chunk ``(from_block, to_block)`` to scan, or None when up to date.

    A first run starts at ``start_block`` (``latest`` means the target) and
    waits while the target is below it (a start block in the future is not moved
    back to the head: its opening balance would be the wrong one); its first
    chunk may be empty (``from == to``) so that the opening balances are
    recorded. Later chunks continue from the checkpoint.
    """
    if checkpoint is None:
        if start_block != "latest" and int(start_block) > target:
            return None  # the history begins at a block the chain has not reached yet
        start = target if start_block == "latest" else int(start_block)
        return start, min(target, start + max_blocks)
    if target <= checkpoint.block_number:
        return None
    return checkpoint.block_number, min(target, checkpoint.block_number + max_blocks)


class ChainCycle:
    """Runs the reconcile cycle of one chain against one ledger.

    Args:
        ledger: where entries, statements and checkpoints go.
        squad: the squad on this chain.
        scanner: the chain's scanner.
        target: returns the newest block final enough to book (finality applied).
        start_block: where a new ledger's history begins on this chain.
        max_blocks: the largest chunk scanned and committed at once.
        holder: this replica's name for the lease.
        lease_seconds: how long the lease lasts without renewal.
        clock: returns the current aware time.
        block_hash: the chain's hash of a block (lowercase hex), to notice a reorg
            below the checkpoint; None skips the check.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        squad: Squad,
        scanner: Scanner,
        target: Callable[[], int],
        start_block: int | Literal["latest"] = "latest",
        max_blocks: int = 2000,
        holder: str = "aoineco-ledger",
        lease_seconds: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        block_hash: Callable[[int], str] | None = None,
    ) -> None:
        self.ledger = ledger
        self.squad = squad
        self.scanner = scanner
        self._target = target
        self.start_block = start_block
        self.max_blocks = max(1, max_blocks)
        self.holder = holder
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._block_hash = block_hash
        self._assets = (squad.native_symbol, *squad.tokens)
        self._waiting: str | None = None  # what was last warned about while waiting

    @property
    def lease_name(self) -> str:
        """The store lease this chain's cycle holds: ``chain:{chain_id}``."""
        return f"chain:{self.squad.chain_id}"

    def run(self, *, should_stop: Callable[[], bool] = lambda: False) -> CycleResult:
        """Book everything up to the target block, chunk by chunk.

        Args:
            should_stop: asked between chunks; True ends the cycle early (what is
                committed stays committed).

        Returns:
            What the cycle did.

        Raises:
            ChainError: the chain could not be read (nothing of the failed chunk
                is written; the next cycle retries it), or a reorg went below the
                checkpoint.
            StoreError: the store failed.
        """
        started = time.monotonic()
        store = self.ledger.store
        if not store.try_lease(self.lease_name, holder=self.holder, ttl_seconds=self.lease_seconds):
            self._forget()  # another replica books meanwhile: what we remember may go stale
            return self._result("lease-held", started)
        stored = store.checkpoint(self.squad.chain_id)
        first = self._check_reorg(stored)
        if first != stored:
            self._forget()
        target = int(self._target())
        waiting = self._warn_if_waiting(first, target)
        totals = [0, 0, 0]  # chunks, seen, added
        statements: tuple[Statement, ...] = ()
        checkpoint = first
        while True:
            chunk = plan_range(
                checkpoint=checkpoint,
                target=target,
                start_block=self.start_block,
                max_blocks=self.max_blocks,
            )
            chunk = chunk or self._joining(checkpoint)
            if chunk is None:
                break
            checkpoint, statements, seen, added = self._commit(*chunk, checkpoint)
            totals = [totals[0] + 1, totals[1] + seen, totals[2] + added]
            store.try_lease(self.lease_name, holder=self.holder, ttl_seconds=self.lease_seconds)
            if should_stop():
                return self._result(
                    "stopped", started, first, checkpoint, target, totals, statements
                )
        status: Status = "done" if totals[0] else "up-to-date"
        result = self._result(status, started, first, checkpoint, target, totals, statements)
        return replace(result, waiting=waiting)

    def _warn_if_waiting(self, checkpoint: Checkpoint | None, target: int) -> str | None:
        """Why the chain is below where booking goes on (warned once per episode), or None.

        Either the configured ``start_block`` is ahead of the chain, or the chain's
        head is below the checkpoint: a node behind for a moment, or a chain that
        was reset or replaced (a restarted dev node), which no scan can fix.
        """
        if checkpoint is None and self.start_block != "latest" and self.start_block > target:
            why, event = f"start:{self.start_block}", "start_block_ahead"
            fields = {"start_block": self.start_block}
            text = (
                f"start_block {self.start_block} is beyond the chain's block {target}: "
                "nothing is booked until the chain gets there"
            )
        elif checkpoint is not None and target < checkpoint.block_number:
            why, event = f"behind:{checkpoint.block_number}", "chain_behind_checkpoint"
            fields = {"checkpoint_block": checkpoint.block_number}
            text = (
                f"the chain's block {target} is below the ledger's checkpoint "
                f"{checkpoint.block_number}: a node behind, or a chain that was reset "
                "(a changed block there is corrected as a reorg once the chain passes it)"
            )
        else:
            self._waiting = None
            return None
        if why != self._waiting:
            self._waiting = why
            log.warning(event, chain=self.squad.chain, target=target, **fields)
        return text

    def _check_reorg(self, checkpoint: Checkpoint | None) -> Checkpoint | None:
        """Correct a reorg below the checkpoint (reversing entries; see ``_reorg``).

        Returns:
            The checkpoint to go on from: moved back to the fork point after a reorg.

        Raises:
            ChainError: the chain could not be read, or no booked block is on it any more.
        """
        return correct_reorg(
            self.ledger, checkpoint, block_hash=self._block_hash, now=self._clock()
        )

    def _joining(self, checkpoint: Checkpoint | None) -> tuple[int, int] | None:
        """An empty chunk at the checkpoint when wallets joined since, for their openings."""
        if checkpoint is None:
            return None
        known = {w.lower() for w in checkpoint.wallets}
        joined = [w for w in self.squad.wallets if w.lower() not in known]
        if not joined:
            return None
        log.info(
            "wallets_joined",
            chain=self.squad.chain,
            wallets=joined,
            block=checkpoint.block_number,
            note="history before this block is not scanned for them",
        )
        return checkpoint.block_number, checkpoint.block_number

    def _commit(
        self, from_block: int, to_block: int, checkpoint: Checkpoint | None
    ) -> tuple[Checkpoint, tuple[Statement, ...], int, int]:
        previous = {
            statement_key(s.wallet, s.asset): s
            for s in self.ledger.reconciliation()
            if s.chain_id == self.squad.chain_id
        }
        opening = needs_opening(self.squad, previous, from_block=from_block, assets=self._assets)
        try:
            return self._scan_and_record(from_block, to_block, checkpoint, previous, opening)
        except BaseException:
            self._forget()  # the scanner saw blocks the ledger never recorded
            raise

    def _forget(self) -> None:
        """Make a scanner that remembers balances between polls (the probe) read them again."""
        forget = getattr(self.scanner, "forget", None)
        if callable(forget):
            forget()

    def _scan_and_record(
        self,
        from_block: int,
        to_block: int,
        checkpoint: Checkpoint | None,
        previous: Mapping[StatementKey, Statement],
        opening: Sequence[str],
    ) -> tuple[Checkpoint, tuple[Statement, ...], int, int]:
        activity = self.scanner.scan(
            from_block=from_block,
            to_block=to_block,
            wallets=self.squad.wallets,
            opening_for=opening,
        )
        now = self._clock()
        entries = classify(activity, self.squad)
        statements = build_statements(
            activity=activity, squad=self.squad, entries=entries, previous=previous, now=now
        )
        advanced = _checkpoint(activity, self.squad, now, checkpoint)
        entries = booked(entries, ledger=self.ledger, checkpoint=checkpoint)  # refs after a reorg
        result = self.ledger.record_observed(entries, checkpoint=advanced, statements=statements)
        _log_chunk(
            self.squad, activity, statements, previous, seen=len(entries), added=result.added
        )
        _log_booked(self.squad, entries, result.entries)
        return advanced, tuple(statements), len(entries), result.added

    def _result(
        self,
        status: Status,
        started: float,
        first: Checkpoint | None = None,
        last: Checkpoint | None = None,
        target: int | None = None,
        totals: Sequence[int] = (0, 0, 0),
        statements: tuple[Statement, ...] = (),
    ) -> CycleResult:
        return CycleResult(
            chain_id=self.squad.chain_id,
            chain=self.squad.chain,
            status=status,
            from_block=first.block_number if first else None,
            to_block=last.block_number if last else None,
            target=target,
            chunks=totals[0],
            entries_seen=totals[1],
            entries_added=totals[2],
            statements=statements,
            seconds=time.monotonic() - started,
        )

    def release(self) -> None:
        """Give this chain's lease up (at shutdown), so another replica need not wait."""
        self.ledger.store.release_lease(self.lease_name, holder=self.holder)


def _checkpoint(
    activity: Activity, squad: Squad, now: datetime, previous: Checkpoint | None
) -> Checkpoint:
    return Checkpoint(
        chain_id=squad.chain_id,
        block_number=int(activity.to_block),
        block_hash=activity.to_block_hash,
        wallets=tuple(squad.wallets),
        updated_at=now,
        state=remember_block(
            previous.state if previous else {}, activity.to_block, activity.to_block_hash
        ),
    )


def _log_chunk(
    squad: Squad,
    activity: Activity,
    statements: Sequence[Statement],
    previous: Mapping[tuple[str, str], Statement],
    *,
    seen: int,
    added: int,
) -> None:
    """A warning when a wallet's difference appears or changes (counted every cycle anyway)."""
    for statement in statements:
        prior = previous.get(statement_key(statement.wallet, statement.asset))
        known = prior is not None and prior.difference == statement.difference
        if not statement.reconciled and not known:
            log.warning(
                "balance_difference",
                chain=squad.chain,
                agent=statement.agent,
                wallet=statement.wallet,
                asset=statement.asset,
                block=statement.to_block,
                difference=str(statement.difference),
                expected=str(statement.expected_closing),
                onchain=str(statement.onchain_closing),
            )
    log.debug(
        "chunk_committed",
        chain=squad.chain,
        from_block=int(activity.from_block),
        block=int(activity.to_block),
        entries=seen,
        added=added,
    )


def _log_booked(squad: Squad, entries: Sequence[Entry], stored: Sequence[Entry]) -> None:
    """One debug line per entry this chunk added (the store returns an earlier one's twin)."""
    for entry, kept in zip(entries, stored, strict=True):
        if kept.id != entry.id:  # the ref was booked before: nothing new
            continue
        log.debug(
            "entry_booked",
            chain=squad.chain,
            agent=entry.agent,
            wallet=entry.wallet,
            block=entry.block_number,
            tx_hash=entry.tx_hash,
            ref=entry.ref,
            direction=entry.direction,
            category=entry.category,
            amount=usd_text(entry.amount),
        )
