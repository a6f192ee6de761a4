"""copy_ledger: a whole ledger from one store to another, idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aoineco_ledger.errors import StoreError
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger._copy import copy_ledger
from aoineco_ledger.ledger.store import open_store
from aoineco_ledger.ledger.store.base import Checkpoint, Store
from aoineco_ledger.testing import FrozenClock, InMemoryStore
from tests.unit.ledger._copy_support import NOW, populate, snapshot
from tests.unit.ledger.store._sql_support import entry


@pytest.fixture(name="source")
def _source() -> InMemoryStore:
    store = InMemoryStore()
    populate(Ledger(store, clock=FrozenClock(NOW)))
    return store


@pytest.fixture(name="target", params=["memory", "jsonl", "sqlite"])
def _target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    urls = {
        "memory": "memory://",
        "jsonl": f"jsonl://{tmp_path / 'j'}",
        "sqlite": f"sqlite:///{tmp_path / 'l.db'}",
    }
    store = open_store(urls[request.param])
    yield store
    store.close()


class TestCopyLedger:
    def test_copy_carries_everything(self, source: Store, target: Store) -> None:
        """Entries, totals, budgets, settings, checkpoints, statements and metrics all match."""
        copy_ledger(source, target)
        assert snapshot(target) == snapshot(source)

    def test_counts_what_it_moved(self, source: Store, target: Store) -> None:
        """The result counts entries read and added, and the reconciler state written."""
        result = copy_ledger(source, target)
        n = source.count()
        got = (result.entries_read, result.entries_added, result.target_count)
        assert got == (n, n, n)
        assert (result.budgets, result.checkpoints, result.statements) == (2, 1, 1)

    def test_second_copy_adds_nothing(self, source: Store, target: Store) -> None:
        """Copying again, ref-less entries included, leaves the target as it was."""
        copy_ledger(source, target)
        before = snapshot(target)
        again = copy_ledger(source, target, batch_size=7)
        assert (again.entries_added, again.checkpoints, again.statements) == (0, 0, 0)
        assert snapshot(target) == before

    def test_target_entries_are_kept(self, source: Store, target: Store) -> None:
        """What the target held before stays, next to the copied ledger."""
        target.append([entry(ref="already-here")])
        copy_ledger(source, target)
        assert target.get_by_ref("already-here") is not None
        assert target.count() == source.count() + 1

    def test_budgets_merge_by_id(self, source: Store, target: Store) -> None:
        """A target budget with an id the source lacks survives; same ids take the source's."""
        mine = {"id": "target-only", "limit": "3", "period": "daily"}
        target.save_budgets([mine])
        copy_ledger(source, target)
        assert target.load_budgets() == [mine, *source.load_budgets()]

    def test_copy_onto_itself_is_refused(self, source: Store) -> None:
        """A store is not copied onto itself."""
        with pytest.raises(StoreError, match="same store"):
            copy_ledger(source, source)

    def test_progress_reports_running_counts(self, source: Store, target: Store) -> None:
        """The progress callback sees the number read so far after each batch."""
        seen: list[int] = []
        copy_ledger(source, target, batch_size=20, progress=seen.append)
        assert seen[-1] == source.count()
        assert seen == sorted(seen)


class TestLiveSource:
    def test_checkpoint_never_outruns_the_entries_copied(self, target: Store) -> None:
        """A cycle committed mid-copy never lands as a checkpoint without its entries."""
        source = InMemoryStore()
        source.append(
            [entry(ref=f"evm:1:0x{i:064x}:gas", ts=i) for i in range(10)],
            checkpoint=Checkpoint(chain_id=1, block_number=100, block_hash="0xaa"),
        )
        late = entry(ref="evm:1:late:gas", ts=600)

        def commit_a_cycle(_read: int) -> None:
            if source.get_by_ref(late.ref or "") is None:
                source.append(
                    [late], checkpoint=Checkpoint(chain_id=1, block_number=200, block_hash="0xbb")
                )

        copy_ledger(source, target, batch_size=3, progress=commit_a_cycle)
        checkpoint = target.checkpoint(1)
        assert checkpoint is not None
        if checkpoint.block_number == 200:
            assert target.get_by_ref("evm:1:late:gas") is not None
        else:
            assert checkpoint.block_number == 100
