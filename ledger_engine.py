"""Seed-compatible import: ``from ledger_engine import AoinecoLedger`` keeps working."""

from __future__ import annotations

from aoineco_ledger import AoinecoLedger, BudgetExceeded, Ledger

__all__ = ["AoinecoLedger", "BudgetExceeded", "Ledger"]
