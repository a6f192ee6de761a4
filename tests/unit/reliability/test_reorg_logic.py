"""The pure reorg logic: fork points, reversing entries, fresh refs, remembered hashes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from aoineco_ledger.daemon._reorg import (
    KEEP_RECENT,
    RECENT_KEY,
    REORGS_KEY,
    REVERSAL_FLAG,
    Fork,
    base_ref,
    find_fork,
    fresh_refs,
    plan_rewind,
    remember_block,
    reversal_ref,
    reversing_entries,
)
from aoineco_ledger.errors import ChainError
from aoineco_ledger.ledger import Entry, Ledger, new_entry
from aoineco_ledger.ledger.store.base import Checkpoint

NOW = datetime(2026, 3, 1, tzinfo=UTC)
OLD = {n: f"0x{n:02x}" + "aa" * 31 for n in range(20)}
"""The booked chain's hashes."""
NEW = {n: (OLD[n] if n <= 10 else f"0x{n:02x}" + "bb" * 31) for n in range(20)}
"""The node's chain after a reorg above block 10."""


def _entry(block: int, kind: str = "gas", *, hashes: dict[int, str] = OLD) -> Entry:
    return new_entry(
        direction="expense",
        amount=Decimal("0.0125"),
        category="Gas/Blockchain",
        ts=NOW + timedelta(seconds=2 * block),
        agent="oracle",
        source="chain",
        ref=f"evm:31337:0x{block:064x}:{kind}",
        chain_id=31337,
        tx_hash=f"0x{block:064x}",
        block_number=block,
        block_hash=hashes[block],
        asset="ETH",
        asset_amount=12_500,
    )


def _checkpoint(state: dict[str, Any] | None = None, *, block: int = 14) -> Checkpoint:
    return Checkpoint(chain_id=31337, block_number=block, block_hash=OLD[block], state=state or {})


def _chain(hashes: dict[int, str], head: int = 19) -> Callable[[int], str | None]:
    return lambda n: hashes[n] if n <= head else None


def _never(ref: str) -> bool:
    return False


class TestFindFork:
    def test_intact_checkpoint_is_no_reorg(self) -> None:
        """The checkpoint's block still on the chain: no fork."""
        assert find_fork(_checkpoint(), [_entry(12)], _chain(OLD)) is None

    def test_fork_is_the_highest_booked_block_the_chain_still_has(self) -> None:
        """Entries at 8 and 10 are intact, 12 is not: the fork point is 10."""
        entries = [_entry(8), _entry(10), _entry(12)]
        fork = find_fork(_checkpoint(), entries, _chain(NEW))
        assert fork == Fork(10, NEW[10], 4)

    def test_remembered_checkpoint_hashes_tighten_the_fork(self) -> None:
        """A recent checkpoint at 11, not an entry, can be the fork point too."""
        hashes = {**NEW, 11: OLD[11]}
        state = {RECENT_KEY: [[9, OLD[9]], [11, OLD[11]]]}
        fork = find_fork(_checkpoint(state), [_entry(8)], _chain(hashes))
        assert fork is not None and fork.block_number == 11

    def test_missing_checkpoint_block_is_no_reorg_yet(self) -> None:
        """A checkpoint beyond the node's head: a lagging node or a shorter chain, so wait."""
        assert find_fork(_checkpoint(), [_entry(10)], _chain(NEW, head=12)) is None

    def test_shorter_chain_is_corrected_once_it_grows_past_the_checkpoint(self) -> None:
        """The replacement block at the checkpoint's height is the proof; the fork is found."""
        fork = find_fork(_checkpoint(), [_entry(10)], _chain(NEW, head=14))
        assert fork is not None and fork.block_number == 10

    def test_missing_blocks_below_the_checkpoint_are_skipped(self) -> None:
        """Walking down, a block the node lacks is passed over, not taken as the fork."""
        hashes = {n: h for n, h in {**NEW, 10: OLD[10]}.items() if n != 12}
        fork = find_fork(_checkpoint(), [_entry(10), _entry(12)], lambda n: hashes.get(n))
        assert fork is not None and fork.block_number == 10

    def test_nothing_known_on_the_chain_is_an_error(self) -> None:
        """A reorg below every block the ledger recorded stops, naming the reorg."""
        gone = {n: "0x" + "cc" * 32 for n in range(20)}
        with pytest.raises(ChainError, match="a reorg below every block"):
            find_fork(_checkpoint(), [_entry(12)], _chain(gone))


class TestReversingEntries:
    def test_one_reversal_per_entry_above_the_fork(self) -> None:
        """Entries above the fork are reversed, the ones at or below it are not."""
        entries = [_entry(10), _entry(12), _entry(13, "native-out")]
        out = reversing_entries(entries, fork=Fork(10, NEW[10], 4), reversed_refs=_never, now=NOW)
        assert [r.reverses for r in out] == [entries[1].id, entries[2].id]

    def test_a_reversal_mirrors_the_entry_with_the_amount_negated(self) -> None:
        """Same direction, category, agent, ts and chain fields; minus the amount; own ref."""
        original = _entry(12)
        (r,) = reversing_entries(
            [original], fork=Fork(10, NEW[10], 4), reversed_refs=_never, now=NOW
        )
        assert (r.direction, r.category, r.agent, r.ts, r.tx_hash, r.asset_amount) == (
            original.direction,
            original.category,
            original.agent,
            original.ts,
            original.tx_hash,
            original.asset_amount,
        )
        assert (r.amount, r.flags, r.ref) == (
            -original.amount,
            (REVERSAL_FLAG,),
            reversal_ref(original.ref or ""),
        )
        assert r.id != original.id

    def test_reversed_entries_and_reversals_are_never_reversed_again(self) -> None:
        """An entry already cancelled, or a reversal itself, gets no (second) reversal."""
        done = _entry(12)
        (reversal,) = reversing_entries([done], fork=Fork(10, "", 2), reversed_refs=_never, now=NOW)
        out = reversing_entries(
            [done, reversal],
            fork=Fork(10, "", 2),
            reversed_refs=lambda ref: ref == done.ref,
            now=NOW,
        )
        assert out == []


class TestPlanRewind:
    def test_checkpoint_moves_back_to_the_fork_and_counts_the_reorg(self) -> None:
        """The rewound checkpoint is the fork block, with hashes above it forgotten."""
        state = {RECENT_KEY: [[9, OLD[9]], [12, OLD[12]]], "nonces": {"a": 1}}
        plan = plan_rewind(
            _checkpoint(state),
            [_entry(10), _entry(12)],
            chain_hash=_chain(NEW),
            reversed_refs=_never,
            now=NOW,
        )
        assert plan is not None
        moved = plan.checkpoint
        assert (moved.block_number, moved.block_hash) == (10, NEW[10])
        assert moved.state[RECENT_KEY] == [[9, OLD[9]]]
        assert (moved.state[REORGS_KEY], moved.state["nonces"]) == (1, {"a": 1})
        assert len(plan.reversals) == 1


class TestRefs:
    def test_cancelled_ref_is_booked_again_as_reorg_1(self) -> None:
        """An entry whose ref was reversed gets ``:reorg:1``; others keep theirs."""
        moved, other = _entry(12), _entry(13)
        out = fresh_refs([moved, other], lambda ref: ref == moved.ref)
        assert [e.ref for e in out] == [f"{moved.ref}:reorg:1", other.ref]

    def test_a_ref_cancelled_twice_moves_on_to_reorg_2(self) -> None:
        """A chain that flips back and forth never reuses a cancelled ref."""
        entry = _entry(12)
        gone = {entry.ref, f"{entry.ref}:reorg:1"}
        assert fresh_refs([entry], gone.__contains__)[0].ref == f"{entry.ref}:reorg:2"

    def test_base_ref_strips_the_reorg_suffix(self) -> None:
        """``base_ref`` gives the deterministic chain ref back."""
        assert base_ref("evm:1:0xab:token-in:3:reorg:12") == "evm:1:0xab:token-in:3"
        assert base_ref("evm:1:0xab:gas") == "evm:1:0xab:gas"


class TestRememberBlock:
    def test_keeps_the_latest_hashes_in_order(self) -> None:
        """Each checkpoint adds its block; only the last KEEP_RECENT stay."""
        state: dict[str, object] = {}
        for n in range(KEEP_RECENT + 5):
            state = remember_block(state, n, f"0x{n:064X}")
        recent = state[RECENT_KEY]
        assert isinstance(recent, list) and len(recent) == KEEP_RECENT
        assert recent[-1] == [KEEP_RECENT + 4, f"0x{KEEP_RECENT + 4:064x}"]

    def test_a_lower_block_drops_the_hashes_above_it(self) -> None:
        """After a rewind, hashes of blocks above the new checkpoint are not kept."""
        state = remember_block(remember_block({}, 5, "0x05"), 9, "0x09")
        assert remember_block(state, 7, "0x07")[RECENT_KEY] == [[5, "0x05"], [7, "0x07"]]


class TestReversalInTheLedger:
    @pytest.mark.parametrize("url", ["memory://", "jsonl", "sqlite"])
    def test_a_reversal_nets_every_total_to_zero(self, url: str, tmp_path: object) -> None:
        """Metrics, summaries and budgets subtract a reversal, on every backend."""
        where = {"memory://": "memory://", "jsonl": f"jsonl://{tmp_path}/j"}
        with Ledger.open(where.get(url, f"sqlite:///{tmp_path}/s.db")) as ledger:
            original = _entry(12)
            ledger.record_observed([original])
            (r,) = reversing_entries(
                [original], fork=Fork(10, "", 2), reversed_refs=_never, now=NOW
            )
            ledger.record_observed([r])
            assert ledger.bootstrap_metrics().total_expenses == 0
            assert ledger.summary().total_expenses == 0
            assert ledger.store.get_by_ref(r.ref or "") == r
