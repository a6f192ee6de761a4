"""The reconciler: chain activity to ledger entries on a schedule, every balance proven.

Pure parts (classification, statements, refs, targets) take everything as
arguments; the cycle, the scheduler and the service do the IO. See ``README.md``.
"""

from __future__ import annotations

from aoineco_ledger.daemon._classify import GAS_CATEGORY, classify
from aoineco_ledger.daemon._refs import REF_KINDS, RefParts, internal_ref, parse_ref, tx_ref
from aoineco_ledger.daemon._squad import Counterparty, Member, Squad
from aoineco_ledger.daemon._statements import (
    build_statements,
    entry_legs,
    needs_opening,
    statement_key,
)

__all__ = [
    "GAS_CATEGORY",
    "REF_KINDS",
    "Counterparty",
    "Member",
    "RefParts",
    "Squad",
    "build_statements",
    "classify",
    "entry_legs",
    "internal_ref",
    "needs_opening",
    "parse_ref",
    "statement_key",
    "tx_ref",
]
