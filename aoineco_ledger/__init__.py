"""Aoineco Ledger: a financial ledger for AI-agent squads, with an on-chain reconciler.

The library face::

    from aoineco_ledger import AoinecoLedger

    ledger = AoinecoLedger()  # $AOINECO_LEDGER_DIR, else ~/.openclaw/workspace/ledger
    ledger.log_api_cost("0.0042", "Google", "gemini-3-flash", tokens_used=150000, agent="oracle")
    print(ledger.get_bootstrap_metrics())

Importing this package loads only the ledger core (standard library and pydantic);
chains, the daemon and the API are imported where they are used.
"""

from __future__ import annotations

from aoineco_ledger.errors import (
    BudgetExceeded,
    InvalidAmountError,
    InvalidEntryError,
    InvalidPeriodError,
    LedgerError,
    StoreError,
    UnknownCategoryError,
)
from aoineco_ledger.ledger import (
    DEFAULT_CATEGORIES,
    AgentCost,
    Alert,
    AoinecoLedger,
    Authorization,
    BootstrapMetrics,
    Budget,
    BudgetStatus,
    Category,
    CategoryCost,
    CategoryRegistry,
    Entry,
    Ledger,
    Summary,
    Window,
    new_entry,
    open_store,
    resolve_period,
    to_usd,
    usd_value,
)

__all__ = [
    "DEFAULT_CATEGORIES",
    "AgentCost",
    "Alert",
    "AoinecoLedger",
    "Authorization",
    "BootstrapMetrics",
    "Budget",
    "BudgetExceeded",
    "BudgetStatus",
    "Category",
    "CategoryCost",
    "CategoryRegistry",
    "Entry",
    "InvalidAmountError",
    "InvalidEntryError",
    "InvalidPeriodError",
    "Ledger",
    "LedgerError",
    "StoreError",
    "Summary",
    "UnknownCategoryError",
    "Window",
    "__version__",
    "new_entry",
    "open_store",
    "resolve_period",
    "to_usd",
    "usd_value",
]

__version__ = "2.0.0"
