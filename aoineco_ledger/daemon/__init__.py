"""The reconciler: chain activity to ledger entries on a schedule, every balance proven.

Pure parts (classification, statements, refs, chunk planning) take everything as
arguments; the cycle, the scheduler and the service do the IO, and :func:`build`
wires them from a configuration. See ``README.md`` beside this file.
"""

from __future__ import annotations

from aoineco_ledger.daemon._classify import GAS_CATEGORY, classify
from aoineco_ledger.daemon._cycle import ChainCycle, CycleResult, plan_range
from aoineco_ledger.daemon._logging import (
    SecretScrubber,
    configure_logging,
    reset_logging,
    secrets_of,
)
from aoineco_ledger.daemon._refs import REF_KINDS, RefParts, internal_ref, parse_ref, tx_ref
from aoineco_ledger.daemon._report import agent_table, statement_table, units
from aoineco_ledger.daemon._scheduler import RunCounters, Scheduler, job_defaults
from aoineco_ledger.daemon._service import (
    ChainRun,
    FirstPrice,
    Service,
    build,
    install,
    lease_seconds,
    open_ledger,
)
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
    "ChainCycle",
    "ChainRun",
    "Counterparty",
    "CycleResult",
    "FirstPrice",
    "Member",
    "RefParts",
    "RunCounters",
    "Scheduler",
    "SecretScrubber",
    "Service",
    "Squad",
    "agent_table",
    "build",
    "build_statements",
    "classify",
    "configure_logging",
    "entry_legs",
    "install",
    "internal_ref",
    "job_defaults",
    "lease_seconds",
    "needs_opening",
    "open_ledger",
    "parse_ref",
    "plan_range",
    "reset_logging",
    "secrets_of",
    "statement_key",
    "statement_table",
    "tx_ref",
    "units",
]
