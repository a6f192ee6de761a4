"""The Ledger object: settings it keeps, recording, queries, categories, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from aoineco_ledger.errors import (
    InvalidAmountError,
    InvalidEntryError,
    InvalidPeriodError,
    UnknownCategoryError,
)
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store.base import Checkpoint, Statement
from aoineco_ledger.testing import FrozenClock, InMemoryStore


class TestSettings:
    def test_created_at_written_on_first_open(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """The first open records created_at; later opens keep it."""
        Ledger(store, clock=clock)
        clock.advance(days=3)
        ledger = Ledger(store, clock=clock)
        assert ledger.created_at == datetime(2026, 2, 13, 12, tzinfo=UTC)
        assert ledger.bootstrap_metrics().days_active == 3

    def test_seed_v1_epoch_created_at(self, store: InMemoryStore, clock: FrozenClock) -> None:
        """A seed v1 config.json created_at (epoch float) is understood."""
        store.save_settings({"created_at": 1770984000.5, "seed_amount": 7.0})
        ledger = Ledger(store, clock=clock)
        assert ledger.created_at == datetime(2026, 2, 13, 12, 0, 0, 500000, tzinfo=UTC)
        assert ledger.seed_amount == Decimal("7.0")

    def test_unreadable_created_at_is_ignored(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """A created_at that is not a time is ignored (days_active falls back to 1)."""
        store.save_settings({"created_at": "yesterday-ish"})
        assert Ledger(store, clock=clock).created_at is None

    def test_null_created_at(self, store: InMemoryStore, clock: FrozenClock) -> None:
        """A stored null created_at means unknown."""
        store.save_settings({"created_at": None})
        assert Ledger(store, clock=clock).created_at is None

    def test_options_written_only_where_missing(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """Given timezone and seed are stored the first time; the store's win later."""
        Ledger(store, clock=clock, timezone="Europe/Berlin", seed_amount="9")
        again = Ledger(store, clock=clock)
        assert (again.timezone, again.seed_amount) == ("Europe/Berlin", Decimal(9))
        override = Ledger(store, clock=clock, timezone="UTC", seed_amount=3.5)
        assert (override.timezone, override.seed_amount) == ("UTC", Decimal("3.5"))
        assert store.load_settings()["timezone"] == "Europe/Berlin"

    def test_bad_options(self, store: InMemoryStore) -> None:
        """An unknown timezone or malformed seed is refused before anything is stored."""
        with pytest.raises(InvalidPeriodError):
            Ledger(store, timezone="Nowhere/Null")
        with pytest.raises(InvalidAmountError):
            Ledger(store, seed_amount="seven")
        assert store.load_settings() == {}


class TestRecording:
    def test_naive_ts_is_in_the_ledger_timezone(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """A naive ts given to record means local time of the ledger."""
        ledger = Ledger(store, clock=clock, timezone="America/New_York")
        entry = ledger.expense(1, ts=datetime(2026, 2, 13, 9, 0))
        assert entry.ts == datetime(2026, 2, 13, 14, 0, tzinfo=UTC)

    def test_ts_as_iso_text(self, ledger: Ledger) -> None:
        """ts may be ISO text."""
        assert ledger.expense(1, ts="2026-01-02T03:04:05+00:00").ts.day == 2

    def test_defaults(self, ledger: Ledger, clock: FrozenClock) -> None:
        """expense/revenue/transfer default to Other, Revenue/Gig, Transfer at now."""
        assert ledger.expense(1).category == "Other"
        assert ledger.revenue(1).category == "Revenue/Gig"
        transfer = ledger.transfer(1)
        assert (transfer.category, transfer.direction, transfer.ts) == (
            "Transfer",
            "transfer",
            clock.now,
        )

    def test_ref_is_idempotent(self, ledger: Ledger, store: InMemoryStore) -> None:
        """A second record with the same ref writes nothing and returns the first."""
        first = ledger.revenue(1, ref="invoice-1")
        assert ledger.revenue(2, ref="invoice-1") == first
        assert store.count() == 1

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"amount": -1},
            {"amount": "NaN"},
            {"amount": float("inf")},
            {"amount": "1e"},
            {"amount": True},
            {"category": "Snacks"},
            {"direction": "revenue"},
        ],
    )
    def test_bad_input_writes_nothing(
        self, ledger: Ledger, store: InMemoryStore, kwargs: dict[str, object]
    ) -> None:
        """Each kind of bad input is one clear error and nothing is written."""
        fields: dict[str, object] = {"direction": "expense", "amount": 1, "category": "API/LLM"}
        fields.update(kwargs)
        with pytest.raises(InvalidEntryError):
            ledger.record(**fields)  # type: ignore[arg-type]
        assert store.count() == 0


class TestCategories:
    def test_add_category_persists(
        self, ledger: Ledger, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """A custom category is usable now and by the next Ledger on the store."""
        ledger.add_category("Compute/GPU", "expense")
        ledger.expense(2, category="Compute/GPU")
        assert "Compute/GPU" in Ledger(store, clock=clock).categories

    def test_category_added_elsewhere_is_seen(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """A category another process added is picked up on first use."""
        mine, theirs = Ledger(store, clock=clock), Ledger(store, clock=clock)
        theirs.add_category("Revenue/Grants", "revenue")
        assert mine.revenue(5, category="Revenue/Grants").category == "Revenue/Grants"

    def test_add_existing_same_kind_is_harmless(self, ledger: Ledger, store: InMemoryStore) -> None:
        """Adding a known category again changes nothing."""
        ledger.add_category("Tools", "expense")
        assert "categories" not in store.load_settings()

    def test_unknown_category_still_refused(self, ledger: Ledger) -> None:
        """Refreshing does not make unknown names known."""
        with pytest.raises(UnknownCategoryError):
            ledger.expense(1, category="Snacks")


class TestQueries:
    def test_entries_filters_and_pages(self, ledger: Ledger, clock: FrozenClock) -> None:
        """entries() filters and pages newest first with a (ts, id) cursor."""
        for i in range(5):
            ledger.expense(i + 1, category="Tools", agent="oracle" if i % 2 else "ceo")
            clock.advance(minutes=1)
        newest = list(ledger.entries(newest_first=True, limit=2))
        assert [e.amount for e in newest] == [Decimal(5), Decimal(4)]
        older = list(ledger.entries(newest_first=True, before=(newest[-1].ts, newest[-1].id)))
        assert [e.amount for e in older] == [Decimal(3), Decimal(2), Decimal(1)]
        assert len(list(ledger.entries(agent="oracle"))) == 2
        assert len(list(ledger.entries(period="last-24h", direction="expense"))) == 5

    def test_entries_since(self, ledger: Ledger, clock: FrozenClock) -> None:
        """since narrows entries."""
        ledger.expense(1)
        clock.advance(hours=2)
        ledger.expense(2)
        assert [e.amount for e in ledger.entries(since=clock.now - timedelta(hours=1))] == [
            Decimal(2)
        ]

    def test_totals_groups_a_period_by_direction_category_agent(
        self, ledger: Ledger, clock: FrozenClock
    ) -> None:
        """totals() sums a period at the (direction, category, agent) grain."""
        ledger.expense("0.5", category="Tools", agent="ceo")
        clock.advance(days=2)
        ledger.expense("0.25", category="Tools", agent="ceo")
        ledger.revenue("1", agent="oracle")
        assert dict(ledger.totals("today").groups) == {
            ("expense", "Tools", "ceo"): (Decimal("0.25"), 1),
            ("revenue", "Revenue/Gig", "oracle"): (Decimal("1"), 1),
        }
        assert ledger.totals().groups[("expense", "Tools", "ceo")] == (Decimal("0.75"), 2)

    def test_window(self, ledger: Ledger) -> None:
        """window() resolves a period at the ledger's now."""
        assert ledger.window("today").since == datetime(2026, 2, 13, tzinfo=UTC)

    def test_reconciler_state_passes_through(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Checkpoints and statements written with entries are read back."""
        checkpoint = Checkpoint(chain_id=8453, block_number=10, block_hash="0xab")
        statement = Statement(
            chain_id=8453,
            wallet="0x" + "1" * 40,
            asset="ETH",
            agent="oracle",
            from_block=0,
            to_block=10,
            opening=5,
            inflow=0,
            outflow=0,
            fees=0,
            expected_closing=5,
            onchain_closing=5,
            difference=0,
            reconciled=True,
            created_at=clock.now,
        )
        ledger.record_observed([], checkpoint=checkpoint, statements=[statement])
        assert ledger.checkpoints() == [checkpoint]
        assert ledger.reconciliation() == [statement]


class TestLifecycle:
    def test_context_manager_and_repr(self, store: InMemoryStore) -> None:
        """A ledger is a context manager and says where it lives."""
        with Ledger(store) as ledger:
            assert repr(ledger) == "Ledger('memory://', timezone='UTC')"
            assert ledger.url == "memory://"

    def test_open_memory_url(self) -> None:
        """Ledger.open takes a URL."""
        with Ledger.open("memory://", seed_amount="1") as ledger:
            assert ledger.seed_amount == Decimal(1)

    def test_open_default_dir(self, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
        """Ledger.open() with nothing opens the default directory."""
        monkeypatch.setenv("AOINECO_LEDGER_DIR", str(tmp_path))
        with Ledger.open() as ledger:
            assert ledger.url.startswith("jsonl://")
