"""Budgets: scopes, periods, warn once, block with nothing written, force, authorize."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from aoineco_ledger.errors import (
    BudgetExceeded,
    InvalidAmountError,
    InvalidEntryError,
    InvalidPeriodError,
    StoreError,
    UnknownCategoryError,
)
from aoineco_ledger.ledger import Alert, Budget, Ledger, new_entry
from aoineco_ledger.testing import FrozenClock, InMemoryStore


@pytest.fixture(name="alerts")
def _alerts(ledger: Ledger) -> list[Alert]:
    received: list[Alert] = []
    ledger.add_alert_sink(received.append)
    return received


class TestSetBudget:
    def test_seed_call(self, ledger: Ledger) -> None:
        """The seed's set_budget call stores a daily API/LLM budget."""
        budget = ledger.set_budget("API/LLM", limit=3.00, period="daily")
        assert budget == Budget(
            id="daily:API/LLM:*", limit=Decimal("3.0"), period="daily", category="API/LLM"
        )
        assert ledger.budgets() == [budget]

    def test_same_scope_and_period_replaces(self, ledger: Ledger) -> None:
        """Setting a scope's budget again replaces it; another period adds one."""
        ledger.set_budget("Tools", limit=1)
        ledger.set_budget("Tools", limit=2)
        ledger.set_budget("Tools", limit=5, period="yearly")
        assert [(b.period, b.limit) for b in ledger.budgets()] == [
            ("monthly", Decimal(2)),
            ("yearly", Decimal(5)),
        ]

    @pytest.mark.parametrize("limit", [0, "-1", "abc", None])
    def test_limit_must_be_positive(
        self, ledger: Ledger, store: InMemoryStore, limit: object
    ) -> None:
        """A missing, zero, negative or non-numeric limit is refused; nothing stored."""
        with pytest.raises(InvalidEntryError):
            ledger.set_budget("Tools", limit=limit)
        assert store.load_budgets() == []

    def test_bad_warn_at(self, ledger: Ledger) -> None:
        """warn_at must be within (0, 1]."""
        with pytest.raises(InvalidEntryError, match="warn_at"):
            ledger.set_budget("Tools", limit=1, warn_at="1.5")

    def test_unknown_period(self, ledger: Ledger) -> None:
        """An unknown budget period is refused."""
        with pytest.raises(InvalidPeriodError):
            ledger.set_budget("Tools", limit=1, period="hourly")

    def test_unknown_or_revenue_category(self, ledger: Ledger) -> None:
        """Budgets limit known expense categories."""
        with pytest.raises(UnknownCategoryError):
            ledger.set_budget("Snacks", limit=1)
        with pytest.raises(InvalidEntryError):
            ledger.set_budget("Revenue/Gig", limit=1)

    def test_warn_threshold_alias(self, ledger: Ledger) -> None:
        """The seed's warn_threshold keyword sets warn_at."""
        assert ledger.set_budget("Tools", limit=1, warn_threshold=0.5).warn_at == Decimal("0.5")

    def test_remove(self, ledger: Ledger) -> None:
        """A budget can be removed by id, once."""
        budget = ledger.set_budget(limit=10, agent="oracle")
        assert budget.id == "monthly:*:oracle"
        assert ledger.remove_budget(budget.id)
        assert not ledger.remove_budget(budget.id)

    def test_reads_seed_v1_budgets(self, store: InMemoryStore, ledger: Ledger) -> None:
        """A seed v1 budgets.json item (float limit, warn_threshold) is understood."""
        store.save_budgets(
            [
                {
                    "category": "API/LLM",
                    "limit": 3.0,
                    "currency": "USD",
                    "period": "daily",
                    "warn_threshold": 0.8,
                    "agent": "",
                }
            ]
        )
        (budget,) = ledger.budgets()
        assert (budget.id, budget.limit, budget.warn_at) == (
            "daily:API/LLM:*",
            Decimal("3.0"),
            Decimal("0.8"),
        )

    def test_stored_custom_category_budget(self, store: InMemoryStore, ledger: Ledger) -> None:
        """A stored budget on a custom category loads."""
        store.save_budgets([{"category": "Compute", "limit": "2", "period": "daily"}])
        assert ledger.budgets()[0].category == "Compute"

    def test_malformed_stored_budget(self, store: InMemoryStore, ledger: Ledger) -> None:
        """A malformed stored budget is a StoreError, never silently unenforced."""
        store.save_budgets([{"category": "Tools", "limit": "-3"}])
        with pytest.raises(StoreError, match="stored budget"):
            ledger.expense(1, category="Tools")


class TestBlocking:
    def test_blocks_past_limit_and_writes_nothing(
        self, ledger: Ledger, store: InMemoryStore
    ) -> None:
        """An expense past the limit raises BudgetExceeded and nothing is written."""
        ledger.set_budget("API/LLM", limit="1.00", period="daily")
        ledger.expense("0.60", category="API/LLM")
        with pytest.raises(BudgetExceeded) as caught:
            ledger.expense("0.41", category="API/LLM")
        assert store.count() == 1
        error = caught.value
        assert (error.budget_id, error.spent, error.limit, error.amount) == (
            "daily:API/LLM:*",
            Decimal("0.60"),
            Decimal("1.00"),
            Decimal("0.41"),
        )

    def test_exactly_the_limit_is_allowed(self, ledger: Ledger) -> None:
        """Spending up to the limit exactly is allowed; a cent more is not."""
        ledger.set_budget("Tools", limit="1.00")
        ledger.expense("0.70", category="Tools")
        ledger.expense("0.30", category="Tools")
        with pytest.raises(BudgetExceeded):
            ledger.expense("0.01", category="Tools")

    def test_force_records_with_flags(self, ledger: Ledger, alerts: list[Alert]) -> None:
        """force=True records the spend, flagged, and raises an exceeded alert."""
        ledger.set_budget("Tools", limit="1.00")
        entry = ledger.expense("2", category="Tools", force=True)
        assert entry.flags == ("over-budget", "forced")
        assert [a.kind for a in alerts] == ["exceeded"]

    def test_force_within_budget_is_unflagged(self, ledger: Ledger) -> None:
        """force=True on a spend that fits adds no flags."""
        ledger.set_budget("Tools", limit="1.00")
        assert ledger.expense("0.5", category="Tools", force=True).flags == ()

    def test_revenue_is_never_blocked(self, ledger: Ledger) -> None:
        """Budgets limit expenses only."""
        ledger.set_budget(limit="0.01")
        assert ledger.revenue(100).amount == Decimal(100)

    def test_ref_retry_is_not_blocked(self, ledger: Ledger, store: InMemoryStore) -> None:
        """Repeating a recorded ref returns the first entry even if the budget is now full."""
        ledger.set_budget("Tools", limit="1.00")
        first = ledger.expense("1.00", category="Tools", ref="job-7")
        assert ledger.expense("1.00", category="Tools", ref="job-7") == first
        assert store.count() == 1

    def test_daily_budget_resets_at_local_midnight(self, store: InMemoryStore) -> None:
        """A daily budget in Berlin resets at Berlin midnight, not UTC midnight."""
        clock = FrozenClock(datetime(2026, 2, 13, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
        ledger = Ledger(store, clock=clock, timezone="Europe/Berlin")
        ledger.set_budget("Tools", limit=1, period="daily")
        ledger.expense(1, category="Tools")
        clock.advance(minutes=45)  # 00:15 Berlin, still 23:15 UTC
        assert ledger.expense(1, category="Tools").amount == Decimal(1)

    def test_total_budget_never_resets(self, ledger: Ledger, clock: FrozenClock) -> None:
        """A total budget counts everything ever spent in scope."""
        ledger.set_budget("Tools", limit=1, period="total")
        ledger.expense(1, category="Tools")
        clock.advance(days=400)
        with pytest.raises(BudgetExceeded):
            ledger.expense("0.01", category="Tools")

    def test_backdated_spend_counts_in_its_own_period(
        self, ledger: Ledger, clock: FrozenClock
    ) -> None:
        """A spend dated last month counts against last month's budget."""
        ledger.set_budget("Tools", limit=1, period="monthly")
        ledger.expense(1, category="Tools")
        entry = ledger.expense(1, category="Tools", ts=clock.now - timedelta(days=31))
        assert entry.flags == ()


class TestScopes:
    def test_category_scope(self, ledger: Ledger) -> None:
        """A category budget ignores other categories."""
        ledger.set_budget("Tools", limit=1)
        ledger.expense(5, category="Marketing")
        ledger.expense(1, category="Tools")

    def test_agent_scope(self, ledger: Ledger) -> None:
        """An agent budget limits that agent across categories, not others."""
        ledger.set_budget(limit=1, agent="oracle")
        ledger.expense("0.6", category="Tools", agent="oracle")
        ledger.expense(5, category="Tools", agent="ceo")
        with pytest.raises(BudgetExceeded):
            ledger.expense("0.5", category="Marketing", agent="oracle")

    def test_category_and_agent_scope(self, ledger: Ledger) -> None:
        """A budget on both limits only that agent in that category."""
        ledger.set_budget("API/LLM", limit=1, agent="oracle")
        ledger.expense(5, category="Tools", agent="oracle")
        ledger.expense(5, category="API/LLM", agent="ceo")
        with pytest.raises(BudgetExceeded):
            ledger.expense(2, category="API/LLM", agent="oracle")

    def test_all_spend_scope(self, ledger: Ledger) -> None:
        """A budget with no scope limits every expense."""
        ledger.set_budget(limit=1)
        ledger.expense("0.5", category="Tools", agent="a")
        with pytest.raises(BudgetExceeded):
            ledger.expense("0.6", category="Marketing", agent="b")


class TestWarnings:
    def test_warns_once_per_period(
        self, ledger: Ledger, clock: FrozenClock, alerts: list[Alert]
    ) -> None:
        """Crossing warn_at raises one warning per budget per period."""
        ledger.set_budget("Tools", limit=10, period="daily")
        ledger.expense(7, category="Tools")
        ledger.expense(1, category="Tools")
        ledger.expense(1, category="Tools")
        assert [(a.kind, a.spent, a.period_key) for a in alerts] == [
            ("warning", Decimal(8), "2026-02-13")
        ]
        clock.advance(days=1)
        ledger.expense(9, category="Tools")
        assert [a.period_key for a in alerts] == ["2026-02-13", "2026-02-14"]

    def test_warning_once_across_ledger_objects(
        self, store: InMemoryStore, clock: FrozenClock
    ) -> None:
        """Two ledgers on one store (two agents) share the once-per-period mark."""
        first, second = Ledger(store, clock=clock), Ledger(store, clock=clock)
        received: list[Alert] = []
        first.add_alert_sink(received.append)
        second.add_alert_sink(received.append)
        first.set_budget("Tools", limit=10)
        first.expense(9, category="Tools")
        second.expense("0.5", category="Tools")
        assert len(received) == 1

    def test_alert_is_logged(self, ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
        """Alerts go to the aoineco_ledger logger with the seed's wording."""
        ledger.set_budget("Tools", limit=10)
        with caplog.at_level(logging.WARNING, logger="aoineco_ledger"):
            ledger.expense(8, category="Tools")
        assert "🟡 BUDGET WARNING: Tools — $8.0000/$10.00 (80%)" in caplog.text

    def test_broken_sink_does_not_undo_the_write(
        self, ledger: Ledger, store: InMemoryStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A sink that raises is logged; the entry stays recorded."""

        def broken(alert: Alert) -> None:
            raise RuntimeError("webhook down")

        ledger.add_alert_sink(broken)
        ledger.set_budget("Tools", limit=1)
        with caplog.at_level(logging.ERROR, logger="aoineco_ledger"):
            ledger.expense(1, category="Tools")
        assert store.count() == 1
        assert "alert sink" in caplog.text

    def test_constructor_sinks(self, store: InMemoryStore, clock: FrozenClock) -> None:
        """alert_sinks given to the constructor receive alerts."""
        received: list[Alert] = []
        ledger = Ledger(store, clock=clock, alert_sinks=[received.append])
        ledger.set_budget(limit=1)
        ledger.expense(1, category="Other")
        assert received[0].message.startswith("🟡 BUDGET WARNING: all spend")


class TestAuthorize:
    def test_answers_without_writing(self, ledger: Ledger, store: InMemoryStore) -> None:
        """authorize says yes or no and writes nothing."""
        ledger.set_budget("API/LLM", limit=1, period="daily")
        ledger.expense("0.9", category="API/LLM")
        assert ledger.authorize("0.1", category="API/LLM")
        answer = ledger.authorize("0.2", category="API/LLM")
        assert not answer.allowed
        assert answer.blocking[0].remaining == Decimal("0.1")
        assert store.count() == 1

    def test_unnamed_category_ignores_category_budgets(self, ledger: Ledger) -> None:
        """Without a category, only budgets that name none apply."""
        ledger.set_budget("API/LLM", limit=1)
        ledger.set_budget(limit=100)
        answer = ledger.authorize(5)
        assert answer.allowed
        assert [s.budget.id for s in answer.statuses] == ["monthly:*:*"]

    def test_validates_input(self, ledger: Ledger) -> None:
        """Bad amounts and categories are refused."""
        with pytest.raises(InvalidAmountError):
            ledger.authorize("nan")
        with pytest.raises(InvalidEntryError):
            ledger.authorize(-1)
        with pytest.raises(InvalidEntryError):
            ledger.authorize(1, category="Revenue/Gig")

    def test_as_dict(self, ledger: Ledger) -> None:
        """The answer has a JSON-friendly form with money as strings."""
        ledger.set_budget(limit="2.50")
        data = ledger.authorize(3).as_dict()
        assert data["allowed"] is False
        assert data["blocking"][0]["limit"] == "2.50"
        assert data["blocking"][0]["percent"] == "0.0"


class TestStatus:
    def test_states(self, ledger: Ledger) -> None:
        """ok below warn_at, warning from it up to the limit, exceeded past it."""
        ledger.set_budget("Tools", limit=10)
        ledger.set_budget("Marketing", limit=10)
        ledger.set_budget("Infrastructure", limit=10)
        ledger.expense(1, category="Tools")
        ledger.expense(10, category="Marketing")
        ledger.expense(11, category="Infrastructure", force=True)
        states = {s.budget.category: (s.state, s.percent) for s in ledger.budget_status()}
        assert states == {
            "Tools": ("ok", Decimal(10)),
            "Marketing": ("warning", Decimal(100)),
            "Infrastructure": ("exceeded", Decimal(110)),
        }


class TestObserved:
    def test_chain_costs_are_recorded_flagged_with_alert(
        self, ledger: Ledger, clock: FrozenClock, alerts: list[Alert]
    ) -> None:
        """Observed costs past a budget are recorded, flagged, and alerted."""
        ledger.set_budget("Gas/Blockchain", limit="1.00", period="daily")
        entries = [
            new_entry(
                direction="expense",
                amount="0.85",
                category="Gas/Blockchain",
                ts=clock.now,
                source="chain",
                ref="evm:8453:0x1:gas",
            ),
            new_entry(
                direction="expense",
                amount="0.30",
                category="Gas/Blockchain",
                ts=clock.now,
                source="chain",
                ref="evm:8453:0x2:gas",
            ),
            new_entry(
                direction="revenue",
                amount="5",
                category="Revenue/Gig",
                ts=clock.now,
                source="chain",
                ref="evm:8453:0x3:native-in",
            ),
        ]
        result = ledger.record_observed(entries)
        assert result.added == 3
        assert [e.flags for e in result.entries] == [(), ("over-budget",), ()]
        assert [(a.kind, a.spent) for a in alerts] == [
            ("warning", Decimal("0.85")),
            ("exceeded", Decimal("1.15")),
        ]
        assert alerts[1].entry.flags == ("over-budget",)

    def test_other_scopes_and_unreffed_entries(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Budgets of other categories ignore an observed cost; entries without ref append."""
        ledger.set_budget("Tools", limit="0.01")
        entry = new_entry(direction="expense", amount=1, category="Gas/Blockchain", ts=clock.now)
        assert ledger.record_observed([entry]).entries[0].flags == ()

    def test_rescanning_adds_nothing_and_alerts_nothing(
        self, ledger: Ledger, clock: FrozenClock, alerts: list[Alert]
    ) -> None:
        """The same observed refs twice (also within one batch) add nothing new."""
        ledger.set_budget("Gas/Blockchain", limit="0.10")
        entry = new_entry(
            direction="expense",
            amount="0.50",
            category="Gas/Blockchain",
            ts=clock.now,
            source="chain",
            ref="evm:8453:0x9:gas",
        )
        twin = new_entry(
            direction="expense",
            amount="0.50",
            category="Gas/Blockchain",
            ts=clock.now,
            source="chain",
            ref="evm:8453:0x9:gas",
        )
        first = ledger.record_observed([entry, twin])
        second = ledger.record_observed([twin])
        assert (first.added, second.added) == (1, 0)
        assert second.entries[0].id == entry.id
        assert len(alerts) == 1
