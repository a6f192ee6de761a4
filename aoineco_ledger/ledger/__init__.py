"""The ledger core: entries, money, categories, periods, budgets, metrics, reports, export.

Imports only the standard library and pydantic (no web3, no scheduler), so agents
can embed it anywhere. See ``README.md`` next to this file for a map of the files.
"""

from __future__ import annotations

from aoineco_ledger.ledger._budgets import (
    DEFAULT_WARN_AT,
    Alert,
    Authorization,
    Budget,
    BudgetState,
    BudgetStatus,
)
from aoineco_ledger.ledger._categories import (
    DEFAULT_CATEGORIES,
    Category,
    CategoryKind,
    CategoryRegistry,
)
from aoineco_ledger.ledger._entries import new_entry
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._export import EXPORT_FORMATS
from aoineco_ledger.ledger._guard import FLAG_FORCED, FLAG_OVER_BUDGET
from aoineco_ledger.ledger._ledger import AlertSink, Clock, Ledger
from aoineco_ledger.ledger._metrics import DEFAULT_SEED, BootstrapMetrics
from aoineco_ledger.ledger._money import MONEY_CONTEXT, ZERO, Amount, to_usd, usd_value
from aoineco_ledger.ledger._periods import BUDGET_PERIODS, PERIOD_NAMES, Window, resolve_period
from aoineco_ledger.ledger._reports import AgentCost, CategoryCost, Summary
from aoineco_ledger.ledger._seed import AoinecoLedger, default_ledger_dir
from aoineco_ledger.ledger.store import open_store

__all__ = [
    "BUDGET_PERIODS",
    "DEFAULT_CATEGORIES",
    "DEFAULT_SEED",
    "DEFAULT_WARN_AT",
    "EXPORT_FORMATS",
    "FLAG_FORCED",
    "FLAG_OVER_BUDGET",
    "MONEY_CONTEXT",
    "PERIOD_NAMES",
    "ZERO",
    "AgentCost",
    "Alert",
    "AlertSink",
    "Amount",
    "AoinecoLedger",
    "Authorization",
    "BootstrapMetrics",
    "Budget",
    "BudgetState",
    "BudgetStatus",
    "Category",
    "CategoryCost",
    "CategoryKind",
    "CategoryRegistry",
    "Clock",
    "Entry",
    "Ledger",
    "Summary",
    "Window",
    "default_ledger_dir",
    "new_entry",
    "open_store",
    "resolve_period",
    "to_usd",
    "usd_value",
]
