"""The Store contract: every backend in ``backends.py`` must pass all of it."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from aoineco_ledger.errors import BudgetExceeded
from aoineco_ledger.ledger.store.base import (
    Checkpoint,
    EntryFilter,
    Store,
    StoreReader,
)
from aoineco_ledger.testing import FrozenClock
from tests.contract._factories import T0, entry, race_for_budget_on, race_process, statement
from tests.contract.conftest import StoreFactory


def _refuse(reader: StoreReader) -> None:
    raise BudgetExceeded("no")


class TestAppend:
    def test_append_returns_the_stored_entries(self, store: Store) -> None:
        """An append reports every entry as added and returns them in order."""
        batch = [entry(ts=1), entry(ts=2)]
        result = store.append(batch)
        assert result.added == 2
        assert list(result.entries) == batch

    def test_entries_read_back_equal(self, store: Store) -> None:
        """What a query returns equals what was appended, field for field."""
        original = entry(
            amount=Decimal("0.1"),
            tags=("a", "b"),
            meta=(("model", "gemini"), ("tokens", "150000")),
            ref="r-1",
            flags=("forced",),
            chain_id=8453,
            tx_hash="0x" + "ab" * 32,
            asset_amount=2**256 - 1,
            l1_fee_wei=2**64 + 3,
            price_usd=Decimal("3000.12345678"),
        )
        store.append([original])
        assert list(store.query()) == [original]

    def test_count_counts_entries(self, store: Store) -> None:
        """count() is the number of entries appended."""
        store.append([entry(), entry()])
        store.append([entry()])
        assert store.count() == 3

    def test_same_ref_twice_writes_once(self, store: Store) -> None:
        """A second append with a known ref writes nothing and returns the first entry."""
        first = entry(ref="evm:8453:0xabc:gas")
        store.append([first])
        result = store.append([entry(ref="evm:8453:0xabc:gas", amount=Decimal("9"))])
        assert (result.added, result.entries, store.count()) == (0, (first,), 1)

    def test_same_ref_within_one_batch_writes_once(self, store: Store) -> None:
        """Two entries with one ref in a single append store only the first."""
        first, second = entry(ref="r"), entry(ref="r")
        result = store.append([first, second])
        assert (result.added, result.entries) == (1, (first, first))

    def test_get_by_ref_finds_the_entry(self, store: Store) -> None:
        """get_by_ref returns the entry with that ref, and None for an unknown one."""
        stored = entry(ref="k")
        store.append([entry(), stored])
        assert (store.get_by_ref("k"), store.get_by_ref("other")) == (stored, None)

    def test_refused_precheck_writes_nothing(self, store: Store) -> None:
        """A precheck that raises aborts the append: no entry, no checkpoint."""
        checkpoint = Checkpoint(chain_id=1, block_number=5, block_hash="0x1")
        with pytest.raises(BudgetExceeded):
            store.append([entry(ref="x")], precheck=_refuse, checkpoint=checkpoint)
        assert (store.count(), store.get_by_ref("x"), store.checkpoint(1)) == (0, None, None)

    def test_precheck_sees_the_stored_totals(self, store: Store) -> None:
        """The precheck reads the store as it is under the lock."""
        store.append([entry(amount=Decimal("2.5"))])
        seen: list[int] = []
        store.append([entry()], precheck=lambda r: seen.append(r.totals().count))
        assert seen == [1]

    def test_precheck_skipped_when_every_ref_is_known(self, store: Store) -> None:
        """Retrying an append whose refs all exist returns them without a precheck."""
        first = entry(ref="once")
        store.append([first])
        result = store.append([entry(ref="once")], precheck=_refuse)
        assert result.entries == (first,)


class TestQuery:
    def test_orders_by_time_then_id(self, store: Store) -> None:
        """Entries come back by (ts, id), whatever order they were appended in."""
        batch = [entry(ts=5), entry(ts=1), entry(ts=3, id="b"), entry(ts=3, id="a")]
        store.append(batch)
        assert [(e.ts, e.id) for e in store.query()] == sorted((e.ts, e.id) for e in batch)

    def test_newest_first_reverses(self, store: Store) -> None:
        """newest_first returns the same entries in reverse (ts, id) order."""
        store.append([entry(ts=i) for i in (4, 1, 3)])
        assert [e.ts for e in store.query(newest_first=True)] == [
            T0 + timedelta(minutes=m) for m in (4, 3, 1)
        ]

    def test_since_inclusive_until_exclusive(self, store: Store) -> None:
        """since includes its instant, until excludes its own."""
        store.append([entry(ts=i) for i in range(5)])
        window = EntryFilter(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
        assert [e.ts.minute for e in store.query(window)] == [1, 2]

    @pytest.mark.parametrize(
        ("field", "value"),
        [("agent", "nova"), ("category", "Tools"), ("direction", "revenue")],
    )
    def test_filters_by_field(self, store: Store, field: str, value: str) -> None:
        """agent, category and direction each narrow the selection."""
        wanted = (
            entry(**{field: value})
            if field != "direction"
            else entry(direction="revenue", category="Revenue/Gig")
        )
        store.append([entry(), wanted, entry()])
        assert list(store.query(EntryFilter(**{field: value}))) == [wanted]

    def test_filters_by_chain_and_wallet(self, store: Store) -> None:
        """chain_id and wallet narrow to on-chain entries of that wallet."""
        mine = entry(chain_id=8453, wallet="0xA")
        store.append([entry(), mine, entry(chain_id=8453, wallet="0xB"), entry(chain_id=1)])
        assert list(store.query(EntryFilter(chain_id=8453, wallet="0xA"))) == [mine]

    def test_limit_caps_the_result(self, store: Store) -> None:
        """limit returns at most that many, from the start of the order."""
        store.append([entry(ts=i) for i in range(10)])
        assert [e.ts.minute for e in store.query(limit=3)] == [0, 1, 2]

    def test_cursor_pages_through_everything_once(self, store: Store) -> None:
        """Paging newest first with before=(ts, id) visits every entry exactly once."""
        batch = [entry(ts=i // 3) for i in range(25)]
        store.append(batch)
        seen, cursor = [], None
        while page := list(store.query(newest_first=True, limit=4, before=cursor)):
            seen.extend(page)
            cursor = (page[-1].ts, page[-1].id)
        assert sorted(e.id for e in seen) == sorted(e.id for e in batch)
        assert seen == sorted(batch, key=lambda e: (e.ts, e.id), reverse=True)

    def test_before_applies_in_ascending_order_too(self, store: Store) -> None:
        """Without newest_first, before still keeps only entries strictly before it."""
        batch = [entry(ts=i) for i in range(4)]
        store.append(batch)
        cursor = (batch[2].ts, batch[2].id)
        assert list(store.query(before=cursor)) == batch[:2]


class TestTotals:
    def test_groups_by_direction_category_agent(self, store: Store) -> None:
        """totals() sums and counts per (direction, category, agent), exactly."""
        store.append([entry(amount=Decimal("0.1")), entry(amount=Decimal("0.2"))])
        store.append([entry(agent="nova", amount=Decimal("0.0042"))])
        assert dict(store.totals().groups) == {
            ("expense", "API/LLM", "oracle"): (Decimal("0.3"), 2),
            ("expense", "API/LLM", "nova"): (Decimal("0.0042"), 1),
        }

    def test_window_matches_a_plain_sum(self, store: Store) -> None:
        """A time window across hours and days sums what a loop over entries sums."""
        batch = [entry(ts=i * 97, amount=Decimal(i) / 100, agent=f"a{i % 3}") for i in range(300)]
        store.append(batch)
        since, until = T0 + timedelta(hours=7, minutes=13), T0 + timedelta(days=15, minutes=2)
        got = store.totals(EntryFilter(since=since, until=until, agent="a1"))
        picked = [e for e in batch if since <= e.ts < until and e.agent == "a1"]
        want = sum((e.amount for e in picked), Decimal(0))
        assert (got.count, sum(t for t, _ in got.groups.values())) == (len(picked), want)
        assert got.first_ts == min(e.ts for e in picked)

    def test_empty_selection_has_no_groups(self, store: Store) -> None:
        """A filter matching nothing gives no groups, count 0 and no first_ts."""
        store.append([entry()])
        totals = store.totals(EntryFilter(agent="nobody"))
        assert (dict(totals.groups), totals.count, totals.first_ts) == ({}, 0, None)

    def test_first_ts_is_the_earliest(self, store: Store) -> None:
        """first_ts is the earliest selected timestamp, not the first appended."""
        store.append([entry(ts=30), entry(ts=-90), entry(ts=10)])
        assert store.totals().first_ts == T0 - timedelta(minutes=90)


class TestBudgetsAndSettings:
    def test_budgets_round_trip(self, store: Store) -> None:
        """save_budgets then load_budgets gives the same dicts."""
        budgets = [{"id": "b1", "category": "API/LLM", "limit": "3.00", "period": "daily"}]
        store.save_budgets(budgets)
        assert store.load_budgets() == budgets

    def test_budgets_replace(self, store: Store) -> None:
        """A second save replaces the first entirely."""
        store.save_budgets([{"id": "a", "limit": "1"}])
        store.save_budgets([{"id": "b", "limit": "2"}])
        assert store.load_budgets() == [{"id": "b", "limit": "2"}]

    def test_settings_round_trip(self, store: Store) -> None:
        """save_settings then load_settings gives the same dict; empty at first."""
        assert store.load_settings() == {}
        settings = {
            "seed_amount": "7.00",
            "timezone": "Europe/Paris",
            "categories": [["X", "expense"]],
        }
        store.save_settings(settings)
        assert store.load_settings() == settings


class TestMarks:
    def test_mark_once_is_true_only_the_first_time(self, store: Store) -> None:
        """mark_once answers True for a new key and False ever after."""
        assert [store.mark_once("k"), store.mark_once("k"), store.mark_once("j")] == [
            True,
            False,
            True,
        ]


class TestReconcilerState:
    def test_checkpoint_latest_per_chain(self, store: Store) -> None:
        """The last checkpoint written per chain is the one returned."""
        for n in (5, 9):
            store.append([], checkpoint=Checkpoint(chain_id=8453, block_number=n, block_hash="0x"))
        store.append([], checkpoint=Checkpoint(chain_id=1, block_number=3, block_hash="0x"))
        assert store.checkpoint(8453).block_number == 9  # type: ignore[union-attr]
        assert [c.chain_id for c in store.checkpoints()] == [1, 8453]

    def test_checkpoint_round_trips(self, store: Store) -> None:
        """Every field of a checkpoint, state included, comes back."""
        checkpoint = Checkpoint(
            chain_id=8453,
            block_number=7,
            block_hash="0xfe",
            wallets=("0xA", "0xB"),
            updated_at=T0,
            state={"nonces": {"0xA": 3}, "balance": str(2**200)},
        )
        store.append([entry()], checkpoint=checkpoint)
        assert store.checkpoint(8453) == checkpoint

    def test_unknown_chain_has_no_checkpoint(self, store: Store) -> None:
        """A chain never checkpointed gives None."""
        assert store.checkpoint(10) is None

    def test_latest_statement_per_wallet_and_asset(self, store: Store) -> None:
        """latest_statements keeps the newest per (chain_id, wallet, asset)."""
        old, new = statement(to_block=10), statement(to_block=20)
        other = statement(asset="USDC", asset_decimals=6)
        store.append([], statements=[old, other])
        store.append([], statements=[new])
        assert sorted(store.latest_statements(), key=lambda s: s.asset) == [new, other]


class TestLeases:
    def test_other_holder_is_refused_while_live(self, store: Store) -> None:
        """A live lease refuses another holder and lets its own holder renew."""
        assert store.try_lease("chain:1", holder="a", ttl_seconds=30)
        assert not store.try_lease("chain:1", holder="b", ttl_seconds=30)
        assert store.try_lease("chain:1", holder="a", ttl_seconds=30)

    def test_expired_lease_passes_on(self, store: Store, clock: FrozenClock) -> None:
        """After ttl_seconds without renewal another holder gets the lease."""
        store.try_lease("chain:1", holder="a", ttl_seconds=30)
        clock.advance(seconds=31)
        assert store.try_lease("chain:1", holder="b", ttl_seconds=30)
        assert not store.try_lease("chain:1", holder="a", ttl_seconds=30)

    def test_release_frees_the_lease(self, store: Store) -> None:
        """release_lease by the holder lets another take it at once."""
        store.try_lease("chain:1", holder="a", ttl_seconds=30)
        store.release_lease("chain:1", holder="a")
        assert store.try_lease("chain:1", holder="b", ttl_seconds=30)

    def test_release_by_another_holder_does_nothing(self, store: Store) -> None:
        """release_lease by someone else leaves the lease with its holder."""
        store.try_lease("chain:1", holder="a", ttl_seconds=30)
        store.release_lease("chain:1", holder="b")
        assert not store.try_lease("chain:1", holder="b", ttl_seconds=30)


class TestLocking:
    def test_write_lock_is_reentrant(self, store: Store) -> None:
        """An append inside write_lock (held twice) goes through."""
        with store.write_lock(), store.write_lock():
            store.append([entry()])
        assert store.count() == 1


class TestSharing:
    def test_second_handle_sees_appends(self, store_factory: StoreFactory) -> None:
        """Another handle on the same data sees entries, marks and checkpoints."""
        if not store_factory.shared:
            pytest.skip(f"{store_factory.backend.name} handles do not share data")
        first, second = store_factory(), store_factory()
        first.append(
            [entry(ref="r")], checkpoint=Checkpoint(chain_id=1, block_number=2, block_hash="0x")
        )
        first.mark_once("m")
        assert (second.count(), second.get_by_ref("r") is not None) == (1, True)
        assert (second.mark_once("m"), second.checkpoint(1) is not None) == (False, True)

    def test_data_survives_reopen(self, store_factory: StoreFactory) -> None:
        """Closing and reopening keeps entries, budgets and settings."""
        if not store_factory.shared:
            pytest.skip(f"{store_factory.backend.name} keeps nothing after close")
        store = store_factory()
        written = entry(amount=Decimal("0.1"))
        store.append([written])
        store.save_budgets([{"id": "b"}])
        store.save_settings({"seed_amount": "7.00"})
        store.close()
        again = store_factory()
        assert list(again.query()) == [written]
        assert (again.load_budgets(), again.load_settings()) == (
            [{"id": "b"}],
            {"seed_amount": "7.00"},
        )


class TestBudgetRace:
    def test_four_writers_cannot_overspend(self, store_factory: StoreFactory) -> None:
        """Four writers racing for the last dollars: exactly the allowed spends succeed."""
        store = store_factory()
        store.append([entry(amount=Decimal("7"))])
        if store_factory.shared:
            winners = _race_processes(store_factory, writers=4, attempts=3, limit="10")
        else:
            winners = _race_threads(store, writers=4, attempts=3, limit="10")
        assert len(winners) == 3
        assert store.count() == 4


def _race_processes(factory: StoreFactory, *, writers: int, attempts: int, limit: str) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(writers), ctx.Queue()
    args = (factory.backend.name, factory.directory, attempts, limit, start, results)
    procs = [ctx.Process(target=race_process, args=args) for _ in range(writers)]
    for proc in procs:
        proc.start()
    won = [w for _ in procs for w in results.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return won


def _race_threads(store: Store, *, writers: int, attempts: int, limit: str) -> list[str]:
    start = threading.Barrier(writers)
    won: list[str] = []

    def run() -> None:
        spends = race_for_budget_on(store, attempts, limit, start)
        won.extend(spends)

    threads = [threading.Thread(target=run) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return won
