"""Prometheus metrics, collected from the ledger at scrape time.

Nothing is counted in the API process: :class:`LedgerCollector` asks the ledger
(and the daemon's status provider, when there is one) on every scrape, so the
numbers are the ledger's whatever process wrote them, and two API workers
serving one store report the same thing. :func:`render_metrics` is the pure
form: a ledger in, Prometheus text out, with a throwaway registry.

Exposition is the one place money becomes a float: Prometheus samples are
float64 by definition. Ledger amounts stay ``Decimal`` everywhere else.

Families (all gauges unless marked)::

    aoineco_ledger_spend_usd{agent,category}         expenses, all time
    aoineco_ledger_revenue_usd{agent,category}       revenue, all time
    aoineco_ledger_entries{direction}                entry count
    aoineco_ledger_seed_usd / _remaining_balance_usd / _daily_burn_usd
    aoineco_ledger_runway_days                       +Inf with no burn
    aoineco_ledger_budget_spent_usd / _limit_usd / _utilisation_ratio {budget,...}
    aoineco_ledger_unreconciled_statements{chain_id} latest statements off by any amount
    aoineco_chain_checkpoint_block / _head_block / _lag_blocks / _lag_seconds {chain_id,chain}
    aoineco_chain_last_success_timestamp_seconds / _last_cycle_duration_seconds
    aoineco_chain_cycle_duration_seconds             summary (count, sum)
    aoineco_chain_rpc_calls_total / _rpc_errors_total  counters
    aoineco_ledger_scrape_error                      1 when the ledger could not answer
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)

from aoineco_ledger.api._status import (
    ChainsStatusProvider,
    ChainStatus,
    chain_name,
    read_chains_status,
)
from aoineco_ledger.errors import LedgerError
from aoineco_ledger.ledger.store.base import Checkpoint

if TYPE_CHECKING:
    from aoineco_ledger.ledger import Ledger

__all__ = ["LedgerCollector", "render_metrics"]

_CHAIN_LABELS = ["chain_id", "chain"]
_BUDGET_LABELS = ["budget", "category", "agent", "period"]


def _f(value: Decimal | int | None) -> float:
    return float("nan") if value is None else float(value)


class LedgerCollector:
    """A prometheus-client collector that reads ``ledger`` on every scrape.

    Args:
        ledger: the ledger to report.
        chains_status: the daemon's live chain status provider, if any.
        chain_names: chain names by id (the configuration's), for the ``chain``
            label where the live status does not name a chain.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        chains_status: ChainsStatusProvider | None = None,
        chain_names: Mapping[int, str] | None = None,
    ) -> None:
        self._ledger = ledger
        self._chains_status = chains_status
        self._names = dict(chain_names or {})

    def collect(self) -> Iterator[Metric]:
        """Yield every family; a ledger that cannot answer yields ``scrape_error 1``."""
        error = GaugeMetricFamily(
            "aoineco_ledger_scrape_error", "1 when the ledger could not answer this scrape"
        )
        try:
            families = [
                *self._money(),
                *self._budgets(),
                *self._statements(),
                *self._chains(),
            ]
        except (LedgerError, OSError):
            error.add_metric([], 1)
            yield error
            return
        error.add_metric([], 0)
        yield from families
        yield error

    def _money(self) -> Iterable[Metric]:
        spend = GaugeMetricFamily(
            "aoineco_ledger_spend_usd", "Expenses in USD, all time", labels=["agent", "category"]
        )
        revenue = GaugeMetricFamily(
            "aoineco_ledger_revenue_usd", "Revenue in USD, all time", labels=["agent", "category"]
        )
        counts = GaugeMetricFamily(
            "aoineco_ledger_entries", "Number of entries", labels=["direction"]
        )
        by_direction: Counter[str] = Counter()
        for key, (amount, n) in sorted(self._ledger.totals().groups.items()):
            direction, category, agent = key
            by_direction[direction] += n
            if direction == "expense":
                spend.add_metric([agent, category], _f(amount))
            elif direction == "revenue":
                revenue.add_metric([agent, category], _f(amount))
        for direction in ("expense", "revenue", "transfer"):
            counts.add_metric([direction], by_direction[direction])
        return [spend, revenue, counts, *self._bootstrap()]

    def _bootstrap(self) -> Iterable[Metric]:
        metrics = self._ledger.bootstrap_metrics()
        runway = metrics.runway_days
        pairs = [
            ("seed_usd", "The seed amount in USD", metrics.seed_amount),
            ("remaining_balance_usd", "Seed + revenue - expenses, USD", metrics.remaining_balance),
            ("daily_burn_usd", "Expenses per active day, USD", metrics.daily_burn_rate),
            ("runway_days", "Days the remaining balance lasts at the burn rate", runway),
        ]
        families = []
        for name, doc, value in pairs:
            family = GaugeMetricFamily(f"aoineco_ledger_{name}", doc)
            family.add_metric([], float("inf") if value is None else _f(value))
            families.append(family)
        return families

    def _budgets(self) -> Iterable[Metric]:
        spent = GaugeMetricFamily(
            "aoineco_ledger_budget_spent_usd", "Budget spend this period", labels=_BUDGET_LABELS
        )
        limit = GaugeMetricFamily(
            "aoineco_ledger_budget_limit_usd", "Budget limit", labels=_BUDGET_LABELS
        )
        ratio = GaugeMetricFamily(
            "aoineco_ledger_budget_utilisation_ratio",
            "Spent / limit this period (1 is the limit)",
            labels=_BUDGET_LABELS,
        )
        for status in self._ledger.budget_status():
            budget = status.budget
            labels = [budget.id, budget.category or "", budget.agent or "", budget.period]
            spent.add_metric(labels, _f(status.spent))
            limit.add_metric(labels, _f(status.limit))
            ratio.add_metric(labels, _f(status.percent) / 100)
        return [spent, limit, ratio]

    def _statements(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "aoineco_ledger_unreconciled_statements",
            "Latest statements (per wallet and asset) with a difference",
            labels=["chain_id"],
        )
        off: Counter[int] = Counter()
        for statement in self._ledger.reconciliation():
            off[statement.chain_id] += 0 if statement.reconciled else 1
        for chain_id, n in sorted(off.items()):
            family.add_metric([str(chain_id)], n)
        return [family]

    def _chains(self) -> Iterable[Metric]:
        checkpoints = {c.chain_id: c for c in self._ledger.checkpoints()}
        live = read_chains_status(self._chains_status)
        ids = sorted(checkpoints.keys() | live.keys())
        checkpoint = GaugeMetricFamily(
            "aoineco_chain_checkpoint_block", "Last reconciled block", labels=_CHAIN_LABELS
        )
        for chain_id in ids:
            name = chain_name(chain_id, live.get(chain_id), self._names)
            if chain_id in checkpoints:
                checkpoint.add_metric([str(chain_id), name], checkpoints[chain_id].block_number)
        statuses = live.values()
        families: list[Metric] = [checkpoint, *_live_families(statuses, checkpoints, self._names)]
        return families


def _live_families(
    statuses: Iterable[ChainStatus],
    checkpoints: Mapping[int, Checkpoint],
    names: Mapping[int, str],
) -> Iterable[Metric]:
    def gauge(name: str, doc: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(f"aoineco_chain_{name}", doc, labels=_CHAIN_LABELS)

    head = gauge("head_block", "Newest block the RPC reported")
    lag_blocks = gauge("lag_blocks", "Head minus checkpoint, in blocks")
    lag_seconds = gauge("lag_seconds", "How far the checkpoint is behind the head, seconds")
    success = gauge("last_success_timestamp_seconds", "When the last good cycle finished")
    last = gauge("last_cycle_duration_seconds", "How long the last cycle took")
    cycles = SummaryMetricFamily(
        "aoineco_chain_cycle_duration_seconds", "Reconcile cycle durations", labels=_CHAIN_LABELS
    )
    calls = CounterMetricFamily("aoineco_chain_rpc_calls", "JSON-RPC calls", labels=_CHAIN_LABELS)
    errors = CounterMetricFamily(
        "aoineco_chain_rpc_errors", "JSON-RPC calls that failed", labels=_CHAIN_LABELS
    )
    for status in statuses:
        labels = [str(status.chain_id), chain_name(status.chain_id, status, names)]
        checkpoint = checkpoints.get(status.chain_id)
        if status.head_block is not None:
            head.add_metric(labels, status.head_block)
            if checkpoint is not None:
                lag_blocks.add_metric(labels, max(0, status.head_block - checkpoint.block_number))
        if status.lag_seconds is not None:
            lag_seconds.add_metric(labels, status.lag_seconds)
        if status.last_success_at is not None:
            success.add_metric(labels, status.last_success_at.timestamp())
        if status.last_cycle_seconds is not None:
            last.add_metric(labels, status.last_cycle_seconds)
        if status.cycles is not None and status.cycle_seconds_total is not None:
            cycles.add_metric(labels, status.cycles, status.cycle_seconds_total)
        if status.rpc_calls is not None:
            calls.add_metric(labels, status.rpc_calls)
        if status.rpc_errors is not None:
            errors.add_metric(labels, status.rpc_errors)
    return [head, lag_blocks, lag_seconds, success, last, cycles, calls, errors]


def render_metrics(ledger: Ledger, *, chains_status: ChainsStatusProvider | None = None) -> bytes:
    """Render ``ledger``'s metrics in the Prometheus text format, once.

    Args:
        ledger: the ledger to report.
        chains_status: the daemon's live chain status provider, if any.

    Returns:
        The exposition, UTF-8 bytes (what ``/metrics`` serves).
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(ledger, chains_status=chains_status))
    return generate_latest(registry)
