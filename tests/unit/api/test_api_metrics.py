"""Prometheus rendering: collected from the ledger at scrape time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from aoineco_ledger.api import LedgerCollector, render_metrics
from aoineco_ledger.ledger import Ledger
from tests._support.api import NOW, open_ledger, populate


@pytest.fixture(name="ledger")
def _ledger(tmp_path: Path) -> Ledger:
    ledger = open_ledger("memory", tmp_path)
    populate(ledger)
    return ledger


def _samples(text: bytes) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def _value(samples: list[Sample], **labels: str) -> float:
    (match,) = [s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items())]
    return match


class TestRenderMetrics:
    def test_spend_per_agent_and_category(self, ledger: Ledger) -> None:
        """Expenses appear per (agent, category), summing to the ledger's total."""
        samples = _samples(render_metrics(ledger))["aoineco_ledger_spend_usd"]
        assert _value(samples, agent="oracle", category="API/LLM") == pytest.approx(0.0042)
        total = ledger.summary().total_expenses
        assert sum(s.value for s in samples) == pytest.approx(float(total))

    def test_revenue_per_agent_and_category(self, ledger: Ledger) -> None:
        """Revenue appears per (agent, category)."""
        samples = _samples(render_metrics(ledger))["aoineco_ledger_revenue_usd"]
        assert _value(samples, agent="blue-sound", category="Revenue/Tips") == 2.0

    def test_runway_matches_the_bootstrap_metrics(self, ledger: Ledger) -> None:
        """Runway days is the ledger's own figure."""
        (sample,) = _samples(render_metrics(ledger))["aoineco_ledger_runway_days"]
        expected = ledger.bootstrap_metrics().runway_days
        assert expected is not None
        assert sample.value == pytest.approx(float(expected))

    def test_runway_is_infinite_without_burn(self, tmp_path: Path) -> None:
        """A ledger that has spent nothing has an infinite runway."""
        empty = open_ledger("memory", tmp_path)
        (sample,) = _samples(render_metrics(empty))["aoineco_ledger_runway_days"]
        assert sample.value == float("inf")

    def test_budget_utilisation_is_spent_over_limit(self, ledger: Ledger) -> None:
        """The utilisation ratio of each budget is spent / limit."""
        samples = _samples(render_metrics(ledger))["aoineco_ledger_budget_utilisation_ratio"]
        for status in ledger.budget_status():
            ratio = _value(samples, budget=status.budget.id)
            assert ratio == pytest.approx(float(status.spent / status.limit))

    def test_unreconciled_statements_per_chain(self, ledger: Ledger) -> None:
        """Latest statements with a difference are counted per chain."""
        (sample,) = _samples(render_metrics(ledger))["aoineco_ledger_unreconciled_statements"]
        off = [s for s in ledger.reconciliation() if not s.reconciled]
        assert (sample.labels["chain_id"], sample.value) == ("8453", len(off))

    def test_chain_families_from_the_provider(self, ledger: Ledger) -> None:
        """Lag, cycle durations and RPC counters come from the status provider."""
        status = {
            "chain_id": 8453,
            "chain": "base",
            "head_block": 130,
            "lag_seconds": 60,
            "last_success_at": NOW - timedelta(seconds=20),
            "last_cycle_seconds": 0.25,
            "cycles": 4,
            "cycle_seconds_total": 1.5,
            "rpc_calls": 40,
            "rpc_errors": 2,
        }
        samples = _samples(render_metrics(ledger, chains_status=lambda: [status]))
        assert _value(samples["aoineco_chain_lag_blocks"], chain="base") == 30
        assert _value(samples["aoineco_chain_rpc_errors_total"], chain_id="8453") == 2
        assert _value(samples["aoineco_chain_cycle_duration_seconds_count"], chain="base") == 4
        assert _value(samples["aoineco_chain_cycle_duration_seconds_sum"], chain="base") == 1.5

    def test_reads_the_ledger_at_every_scrape(self, ledger: Ledger) -> None:
        """A new entry shows in the next scrape: nothing is cached."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(LedgerCollector(ledger))
        before = registry.get_sample_value("aoineco_ledger_entries", {"direction": "revenue"})
        ledger.revenue(Decimal("1"), agent="oracle")
        after = registry.get_sample_value("aoineco_ledger_entries", {"direction": "revenue"})
        assert (before, after) == (2, 3)

    def test_a_broken_store_sets_scrape_error(self, tmp_path: Path) -> None:
        """A ledger that cannot answer gives scrape_error 1, not an exception."""
        ledger = open_ledger("sqlite", tmp_path)
        ledger.close()
        (tmp_path / "ledger.db").write_bytes(b"not a database" * 100)
        (sample,) = _samples(render_metrics(ledger))["aoineco_ledger_scrape_error"]
        assert sample.value == 1
