"""Scanners: what a squad's wallets did in a block range, behind one ``Scanner`` interface."""

from __future__ import annotations

from aoineco_ledger.chains.scanning.base import Scanner, check_range
from aoineco_ledger.chains.scanning.blocks import BlockScanner
from aoineco_ledger.chains.scanning.probe import ProbeScanner, ProbeStats

__all__ = ["BlockScanner", "ProbeScanner", "ProbeStats", "Scanner", "check_range"]
