"""The public names are pinned: removing or renaming one is a deliberate act."""

from __future__ import annotations

import subprocess
import sys

import aoineco_ledger
import aoineco_ledger.ledger
import aoineco_ledger.testing


class TestExports:
    def test_package_all(self) -> None:
        """``aoineco_ledger.__all__`` is exactly the pinned, sorted list."""
        assert aoineco_ledger.__all__ == [
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

    def test_ledger_all(self) -> None:
        """``aoineco_ledger.ledger.__all__`` is exactly the pinned list."""
        assert aoineco_ledger.ledger.__all__ == [
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

    def test_testing_all(self) -> None:
        """``aoineco_ledger.testing`` ships the doubles."""
        assert aoineco_ledger.testing.__all__ == ["FrozenClock", "InMemoryStore", "capture_logs"]

    def test_every_name_exists(self) -> None:
        """Every exported name resolves."""
        for module in (aoineco_ledger, aoineco_ledger.ledger, aoineco_ledger.testing):
            for name in module.__all__:
                assert hasattr(module, name), f"{module.__name__}.{name}"

    def test_seed_import(self) -> None:
        """``from ledger_engine import AoinecoLedger`` is the same class."""
        import ledger_engine

        assert ledger_engine.AoinecoLedger is aoineco_ledger.AoinecoLedger


class TestImportWeight:
    def test_import_is_light(self) -> None:
        """Importing the package loads no web3, scheduler, SQLAlchemy or structlog."""
        code = (
            "import sys, aoineco_ledger, aoineco_ledger.ledger\n"
            "heavy = [m for m in ('web3', 'apscheduler', 'sqlalchemy', 'structlog', 'fastapi')"
            " if m in sys.modules]\n"
            "print(','.join(heavy))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == ""
