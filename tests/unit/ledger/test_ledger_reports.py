"""Summaries, per-agent and per-category costs: the seed's shapes, exact amounts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.testing import FrozenClock, InMemoryStore


def populate(ledger: Ledger, clock: FrozenClock) -> None:
    ledger.expense("0.40", category="API/LLM", agent="oracle")
    ledger.expense("0.10", category="Tools", agent="oracle")
    ledger.expense("0.25", category="API/LLM", agent="ceo")
    ledger.expense("0.05", category="Other")
    ledger.revenue("1.00", agent="oracle")
    ledger.transfer("2.00", agent="ceo")
    ledger.expense("9.00", category="Tools", agent="ceo", ts=clock.now - timedelta(days=60))


class TestSummary:
    def test_seed_shape(self, ledger: Ledger, clock: FrozenClock) -> None:
        """A summary has the seed's keys with exact Decimal amounts."""
        populate(ledger, clock)
        summary = ledger.summary("this-month")
        data = summary.as_dict()
        assert list(data)[:8] == [
            "period",
            "total_expenses",
            "total_revenue",
            "net",
            "api_cost",
            "transaction_count",
            "top_categories",
            "top_agents",
        ]
        assert data["total_expenses"] == Decimal("0.80")
        assert data["total_revenue"] == Decimal("1.00")
        assert data["net"] == Decimal("0.20")
        assert data["api_cost"] == Decimal("0.65")
        assert data["transaction_count"] == 6
        assert summary.total_transfers == Decimal("2.00")

    def test_top_lists_largest_first(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Top categories and agents are ordered by spend, unattributed named."""
        populate(ledger, clock)
        summary = ledger.summary("this-month")
        assert list(summary.top_categories.items()) == [
            ("API/LLM", Decimal("0.65")),
            ("Tools", Decimal("0.10")),
            ("Other", Decimal("0.05")),
        ]
        assert list(summary.top_agents) == ["oracle", "ceo", "unattributed"]

    def test_all_includes_history(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Period all counts everything."""
        populate(ledger, clock)
        assert ledger.summary().total_expenses == Decimal("9.80")

    def test_top_lists_keep_five(self, ledger: Ledger) -> None:
        """At most five categories are listed."""
        for i, name in enumerate(
            ["API/LLM", "API/Services", "Infrastructure", "Tools", "Marketing", "Other"]
        ):
            ledger.expense(i + 1, category=name)
        assert len(ledger.summary().top_categories) == 5

    def test_explicit_window(self, ledger: Ledger, clock: FrozenClock) -> None:
        """since/until narrow a summary."""
        populate(ledger, clock)
        summary = ledger.summary("all", until=clock.now - timedelta(days=1))
        assert summary.total_expenses == Decimal("9.00")


class TestAgentCosts:
    def test_per_agent(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Per agent: total, count and categories, biggest spender first."""
        populate(ledger, clock)
        costs = ledger.agent_costs()
        assert list(costs) == ["ceo", "oracle", "unattributed"]
        assert costs["ceo"].as_dict() == {
            "total": Decimal("9.25"),
            "count": 2,
            "categories": {"Tools": Decimal("9.00"), "API/LLM": Decimal("0.25")},
        }

    def test_period(self, ledger: Ledger, clock: FrozenClock) -> None:
        """agent_costs takes a period."""
        populate(ledger, clock)
        assert ledger.agent_costs("this-month")["ceo"].total == Decimal("0.25")


class TestCategoryCosts:
    def test_per_category(self, ledger: Ledger, clock: FrozenClock) -> None:
        """Per category: total, count and agents; revenue and transfers left out."""
        populate(ledger, clock)
        costs = ledger.category_costs("this-month")
        assert list(costs) == ["API/LLM", "Tools", "Other"]
        assert costs["API/LLM"].as_dict() == {
            "total": Decimal("0.65"),
            "count": 2,
            "agents": {"oracle": Decimal("0.40"), "ceo": Decimal("0.25")},
        }
        assert costs["Other"].agents == {"unattributed": Decimal("0.05")}


class TestExactTotals:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.decimals(min_value=0, max_value=1000, places=8), min_size=1, max_size=60))
    def test_summary_is_the_exact_sum(self, amounts: list[Decimal]) -> None:
        """However many amounts are recorded, the summary is their exact sum."""
        ledger = Ledger(InMemoryStore(), clock=FrozenClock())
        for amount in amounts:
            ledger.expense(amount, category="Tools")
        exact = Fraction(sum(int(a.scaleb(8)) for a in amounts), 10**8)
        assert Fraction(ledger.summary().total_expenses) == exact
        assert Fraction(ledger.bootstrap_metrics().total_expenses) == exact
