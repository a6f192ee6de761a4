"""Summaries, per-agent and per-category costs, computed from :class:`Totals`.

The shapes follow the seed engine: a summary has ``period``, ``total_expenses``,
``total_revenue``, ``net``, ``api_cost``, ``transaction_count``, ``top_categories``
and ``top_agents``; agent costs give, per agent, ``total``, ``count`` and
``categories``. Amounts stay exact ``Decimal`` (the seed rounded to 4 places);
expenses without an agent are attributed to ``unattributed``, as in the seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from aoineco_ledger.ledger._metrics import API_LLM
from aoineco_ledger.ledger._money import EXACT_CONTEXT, MONEY_CONTEXT, ZERO
from aoineco_ledger.ledger._periods import Window
from aoineco_ledger.ledger.store.base import Totals

__all__ = [
    "UNATTRIBUTED",
    "AgentCost",
    "CategoryCost",
    "Summary",
    "agent_costs",
    "category_costs",
    "summarize",
]

UNATTRIBUTED = "unattributed"
"""The agent name reports use for expenses logged without one."""

_TOP = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Totals of one period.

    Attributes:
        period: the period name (``all``, ``this-month`` ...).
        since: inclusive start of the window, or None.
        until: exclusive end of the window, or None.
        total_expenses: USD.
        total_revenue: USD.
        total_transfers: USD moved between the squad's own accounts.
        net: revenue minus expenses.
        api_cost: expenses in ``API/LLM``.
        transaction_count: entries in the window, every direction.
        top_categories: the five largest expense categories, largest first.
        top_agents: the five agents who spent most, largest first.
    """

    period: str
    since: datetime | None
    until: datetime | None
    total_expenses: Decimal
    total_revenue: Decimal
    total_transfers: Decimal
    net: Decimal
    api_cost: Decimal
    transaction_count: int
    top_categories: Mapping[str, Decimal] = field(default_factory=dict)
    top_agents: Mapping[str, Decimal] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The seed's summary dict (Decimal amounts), plus ``since``/``until``."""
        return {
            "period": self.period,
            "total_expenses": self.total_expenses,
            "total_revenue": self.total_revenue,
            "net": self.net,
            "api_cost": self.api_cost,
            "transaction_count": self.transaction_count,
            "top_categories": dict(self.top_categories),
            "top_agents": dict(self.top_agents),
            "total_transfers": self.total_transfers,
            "since": self.since,
            "until": self.until,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCost:
    """What one agent spent.

    Attributes:
        agent: the agent (``unattributed`` for expenses without one).
        total: USD.
        count: number of expense entries.
        categories: USD per category, largest first.
    """

    agent: str
    total: Decimal
    count: int
    categories: Mapping[str, Decimal] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The seed's per-agent dict: ``total``, ``count``, ``categories``."""
        return {"total": self.total, "count": self.count, "categories": dict(self.categories)}


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryCost:
    """What was spent in one category.

    Attributes:
        category: the category.
        total: USD.
        count: number of expense entries.
        agents: USD per agent, largest first.
    """

    category: str
    total: Decimal
    count: int
    agents: Mapping[str, Decimal] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict: ``total``, ``count``, ``agents``."""
        return {"total": self.total, "count": self.count, "agents": dict(self.agents)}


def _add(bucket: dict[str, Decimal], key: str, amount: Decimal) -> None:
    bucket[key] = EXACT_CONTEXT.add(bucket.get(key, ZERO), amount)


def _largest_first(bucket: Mapping[str, Decimal], limit: int | None = None) -> dict[str, Decimal]:
    ranked = sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0]))
    return dict(ranked[:limit] if limit is not None else ranked)


def summarize(totals: Totals, *, period: str, window: Window) -> Summary:
    """A :class:`Summary` of the totals of one window."""
    by_direction: dict[str, Decimal] = {}
    categories: dict[str, Decimal] = {}
    agents: dict[str, Decimal] = {}
    api = ZERO
    for (direction, category, agent), (amount, _count) in totals.groups.items():
        _add(by_direction, direction, amount)
        if direction != "expense":
            continue
        _add(categories, category, amount)
        _add(agents, agent or UNATTRIBUTED, amount)
        if category == API_LLM:
            api = EXACT_CONTEXT.add(api, amount)
    expenses = by_direction.get("expense", ZERO)
    revenue = by_direction.get("revenue", ZERO)
    return Summary(
        period=period,
        since=window.since,
        until=window.until,
        total_expenses=expenses,
        total_revenue=revenue,
        total_transfers=by_direction.get("transfer", ZERO),
        net=MONEY_CONTEXT.subtract(revenue, expenses),
        api_cost=api,
        transaction_count=totals.count,
        top_categories=_largest_first(categories, _TOP),
        top_agents=_largest_first(agents, _TOP),
    )


def agent_costs(totals: Totals) -> dict[str, AgentCost]:
    """Expenses per agent, the biggest spender first."""
    spent: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    per_category: dict[str, dict[str, Decimal]] = {}
    for (direction, category, agent), (amount, count) in totals.groups.items():
        if direction != "expense":
            continue
        name = agent or UNATTRIBUTED
        _add(spent, name, amount)
        counts[name] = counts.get(name, 0) + count
        _add(per_category.setdefault(name, {}), category, amount)
    return {
        name: AgentCost(
            agent=name,
            total=total,
            count=counts[name],
            categories=_largest_first(per_category[name]),
        )
        for name, total in _largest_first(spent).items()
    }


def category_costs(totals: Totals) -> dict[str, CategoryCost]:
    """Expenses per category, the largest first."""
    spent: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    per_agent: dict[str, dict[str, Decimal]] = {}
    for (direction, category, agent), (amount, count) in totals.groups.items():
        if direction != "expense":
            continue
        _add(spent, category, amount)
        counts[category] = counts.get(category, 0) + count
        _add(per_agent.setdefault(category, {}), agent or UNATTRIBUTED, amount)
    return {
        name: CategoryCost(
            category=name,
            total=total,
            count=counts[name],
            agents=_largest_first(per_agent[name]),
        )
        for name, total in _largest_first(spent).items()
    }
