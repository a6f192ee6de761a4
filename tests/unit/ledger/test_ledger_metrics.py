"""Bootstrap metrics: the seed's block line for line, typed values, O(groups)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from aoineco_ledger.ledger import BootstrapMetrics, Ledger
from aoineco_ledger.ledger._metrics import bootstrap_metrics
from aoineco_ledger.ledger.store.base import Totals
from aoineco_ledger.testing import FrozenClock, InMemoryStore

# The seed's "Bootstrap Metrics Output" block, as SKILL.md prints it.
SEED_BLOCK = """\
💰 Seed Amount: $7.00
📈 Total Revenue: $0.0150
📉 Total Expenses: $0.0233
🤖 API/LLM Cost: $0.0230
💵 Net Profit: $-0.0083
📊 ROI: -0.1%
💎 Remaining Balance: $6.9917
🔥 Daily Burn Rate: $0.0233/day
⏱️ Runway: 300 days
🧠 IPD: 257.5 ops/$"""

NOW = datetime(2026, 2, 13, 12, tzinfo=UTC)


def seed_demo(ledger: Ledger) -> None:
    """The seed engine's own demo entries: three API calls, one gas fee, two revenues."""
    ledger.expense(0.0042, category="API/LLM", vendor="Google", agent="oracle")
    ledger.expense(0.0180, category="API/LLM", vendor="Anthropic", agent="ceo")
    ledger.expense(0.0008, category="API/LLM", vendor="Google", agent="blue-sound")
    ledger.expense(0.0003, category="Gas/Blockchain", agent="blue-sound")
    ledger.revenue(0.01, category="Revenue/Gig", vendor="MoltLaunch", agent="oracle")
    ledger.revenue(0.005, category="Revenue/DeFi", vendor="Meteora", agent="ceo")


class NoScanStore(InMemoryStore):
    """An in-memory store that refuses to be iterated: metrics must use totals."""

    def query(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise AssertionError("metrics must not read entries one by one")


class TestSeedBlock:
    def test_prints_the_seed_block_line_for_line(self, ledger: Ledger) -> None:
        """print(metrics) of the seed's six entries is the seed's block exactly."""
        seed_demo(ledger)
        assert str(ledger.bootstrap_metrics()).splitlines() == SEED_BLOCK.splitlines()

    def test_print(self, ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
        """print() writes the block and a newline."""
        seed_demo(ledger)
        print(ledger.bootstrap_metrics())
        assert capsys.readouterr().out == SEED_BLOCK + "\n"

    def test_mapping_of_labels(self, ledger: Ledger) -> None:
        """The object is a read-only mapping from the printed labels to the values."""
        seed_demo(ledger)
        metrics = ledger.bootstrap_metrics()
        expected = dict(line.split(": ", 1) for line in SEED_BLOCK.splitlines())
        assert dict(metrics) == expected
        assert metrics["🧠 IPD"] == "257.5 ops/$"
        assert "📅 Days Active" not in metrics
        with pytest.raises(TypeError):
            metrics["🧠 IPD"] = "1"  # type: ignore[index]

    def test_typed_values(self, ledger: Ledger) -> None:
        """Typed Decimal attributes and as_dict() carry the exact numbers."""
        seed_demo(ledger)
        metrics = ledger.bootstrap_metrics()
        assert metrics.total_expenses == Decimal("0.0233")
        assert metrics.net_profit == Decimal("-0.0083")
        assert metrics.remaining_balance == Decimal("6.9917")
        assert metrics.days_active == 1
        assert metrics.entry_count == 6
        data = metrics.as_dict()
        assert data["api_llm_cost"] == Decimal("0.0230")
        assert abs(data["runway_days"] - Decimal("300.072961373390557940")) < Decimal("1e-15")

    def test_metrics_do_not_scan_entries(self, clock: FrozenClock) -> None:
        """bootstrap_metrics works from totals alone (O(groups))."""
        ledger = Ledger(NoScanStore(), clock=clock)
        seed_demo(ledger)
        assert ledger.bootstrap_metrics().entry_count == 6


class TestDefinitions:
    def test_empty_ledger(self, ledger: Ledger) -> None:
        """No burn means an infinite runway and IPD; ROI is 0%."""
        text = str(ledger.bootstrap_metrics())
        assert "⏱️ Runway: ∞ days" in text
        assert "🧠 IPD: ∞ ops/$" in text
        assert "📊 ROI: 0.0%" in text

    def test_zero_seed(self) -> None:
        """A zero seed has no ROI."""
        metrics = bootstrap_metrics(Totals(), seed_amount=Decimal(0), created_at=None, now=NOW)
        assert metrics["📊 ROI"] == "N/A"
        assert metrics.roi_pct is None

    def test_days_active_from_created_at(self) -> None:
        """Burn divides by the days since the ledger was created (fractional)."""
        totals = Totals(groups={("expense", "Tools", ""): (Decimal(10), 1)})
        metrics = bootstrap_metrics(totals, created_at=NOW - timedelta(days=4), now=NOW)
        assert metrics.days_active == 4
        assert metrics.daily_burn_rate == Decimal("2.5")
        assert metrics["⏱️ Runway"] == "0 days"  # overspent: the runway is gone, never negative

    def test_first_entry_before_creation_counts(self) -> None:
        """Imported history older than the ledger stretches days_active."""
        totals = Totals(
            groups={("expense", "Tools", ""): (Decimal(1), 1)},
            first_ts=NOW - timedelta(days=10, hours=12),
        )
        metrics = bootstrap_metrics(totals, created_at=NOW, now=NOW)
        assert metrics.days_active == Decimal("10.5")

    def test_runway_floors(self) -> None:
        """Runway is whole days rounded down."""
        totals = Totals(groups={("expense", "Tools", ""): (Decimal(2), 1)})
        metrics = bootstrap_metrics(totals, created_at=NOW, now=NOW)  # 5 left at 2/day
        assert metrics["⏱️ Runway"] == "2 days"

    def test_transfers_count_in_neither(self) -> None:
        """Transfers are not revenue and not expenses (but are entries)."""
        totals = Totals(
            groups={
                ("transfer", "Transfer", "a"): (Decimal(3), 1),
                ("expense", "Tools", "a"): (Decimal(1), 1),
            }
        )
        metrics = bootstrap_metrics(totals, created_at=NOW, now=NOW)
        assert (metrics.total_revenue, metrics.total_expenses, metrics.ipd) == (
            Decimal(0),
            Decimal(1),
            Decimal(2),
        )

    def test_seed_amount_option(self, store: InMemoryStore, clock: FrozenClock) -> None:
        """seed_amount changes the seed and everything derived from it."""
        ledger = Ledger(store, clock=clock, seed_amount="100")
        assert ledger.bootstrap_metrics()["💰 Seed Amount"] == "$100.00"

    def test_is_a_mapping_type(self, ledger: Ledger) -> None:
        """BootstrapMetrics is what the ledger returns; unknown labels are KeyErrors."""
        metrics = ledger.bootstrap_metrics()
        assert isinstance(metrics, BootstrapMetrics)
        assert len(metrics) == 10
        with pytest.raises(KeyError):
            metrics["nope"]
