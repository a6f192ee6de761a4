"""Views: each turns one public ``Ledger`` method's answer into a response model.

This is the API's whole "logic", and it is deliberately none: every number comes
from the ledger method named in the function's docstring, so a Python program
calling that method sees the same data the route serves (the parity rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal

from aoineco_ledger.api._models import (
    AgentCost,
    AgentsResponse,
    AuthorizationResponse,
    BootstrapResponse,
    BudgetsResponse,
    BudgetStatusResponse,
    CategoriesResponse,
    CategoryCost,
    CategoryInfo,
    ChainResponse,
    ChainsResponse,
    EntriesPage,
    EntryResponse,
    ReadyChain,
    ReadyResponse,
    StatementResponse,
    StatementsResponse,
    SummaryResponse,
)
from aoineco_ledger.api._queries import Period, encode_cursor
from aoineco_ledger.api._status import (
    ChainsStatusProvider,
    ChainStatus,
    chain_name,
    read_chains_status,
)
from aoineco_ledger.errors import LedgerError

if TYPE_CHECKING:
    from aoineco_ledger.ledger import BudgetStatus, Entry, Ledger
    from aoineco_ledger.ledger.store.base import Checkpoint, Statement

__all__ = [
    "EntryQuery",
    "agents",
    "authorization",
    "bootstrap",
    "budgets",
    "categories",
    "chains",
    "entries_page",
    "entry_response",
    "readiness",
    "statements",
    "summary",
]

STALE_AFTER_POLLS = 3
"""A chain whose last good cycle is older than this many poll intervals is not ready."""


def bootstrap(ledger: Ledger) -> BootstrapResponse:
    """``Ledger.bootstrap_metrics()``."""
    metrics = ledger.bootstrap_metrics()
    return BootstrapResponse.model_validate(metrics.as_dict())


def summary(ledger: Ledger, period: Period) -> SummaryResponse:
    """``Ledger.summary(period)``."""
    return SummaryResponse.model_validate(ledger.summary(period).as_dict())


def agents(ledger: Ledger, period: Period) -> AgentsResponse:
    """``Ledger.agent_costs(period)``."""
    costs = ledger.agent_costs(period).values()
    return AgentsResponse(
        period=period,
        agents=[
            AgentCost(agent=c.agent, total=c.total, count=c.count, categories=dict(c.categories))
            for c in costs
        ],
    )


def categories(ledger: Ledger, period: Period) -> CategoriesResponse:
    """``Ledger.categories`` (the registry) and ``Ledger.category_costs(period)``."""
    costs = ledger.category_costs(period).values()
    return CategoriesResponse(
        period=period,
        categories=[CategoryInfo(category=c.name, kind=c.kind) for c in ledger.categories.values()],
        costs=[
            CategoryCost(category=c.category, total=c.total, count=c.count, agents=dict(c.agents))
            for c in costs
        ],
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryQuery:
    """The filters ``/v1/entries`` passes to ``Ledger.entries``."""

    period: Period = "all"
    agent: str | None = None
    category: str | None = None
    direction: Literal["expense", "revenue", "transfer"] | None = None


def entry_response(entry: Entry) -> EntryResponse:
    """One ``Entry`` as its response model."""
    fields: dict[str, Any] = {name: getattr(entry, name) for name in EntryResponse.model_fields}
    fields["meta"] = dict(entry.meta)
    return EntryResponse.model_validate(fields)


def entries_page(
    ledger: Ledger,
    query: EntryQuery,
    *,
    limit: int,
    before: tuple[datetime, str] | None,
) -> EntriesPage:
    """``Ledger.entries(..., newest_first=True, limit=, before=)``, one page of it.

    One entry more than the page is asked for, to know whether a next page exists
    without a second query.
    """
    found = ledger.entries(
        period=query.period,
        agent=query.agent,
        category=query.category,
        direction=query.direction,
        newest_first=True,
        limit=limit + 1,
        before=before,
    )
    page = list(islice(found, limit + 1))
    more = len(page) > limit
    page = page[:limit]
    cursor = encode_cursor(page[-1].ts, page[-1].id) if more else None
    return EntriesPage(entries=[entry_response(e) for e in page], next_cursor=cursor)


def _budget_status(status: BudgetStatus) -> BudgetStatusResponse:
    budget = status.budget
    return BudgetStatusResponse(
        id=budget.id,
        scope=budget.scope,
        category=budget.category,
        agent=budget.agent,
        period=budget.period,
        limit=status.limit,
        warn_at=budget.warn_at,
        spent=status.spent,
        remaining=status.remaining,
        percent=status.percent,
        state=status.state,
        period_key=status.period_key,
        since=status.window.since,
        until=status.window.until,
    )


def budgets(ledger: Ledger) -> BudgetsResponse:
    """``Ledger.budget_status()``."""
    return BudgetsResponse(budgets=[_budget_status(s) for s in ledger.budget_status()])


def authorization(
    ledger: Ledger, amount: Decimal, *, category: str | None, agent: str | None
) -> AuthorizationResponse:
    """``Ledger.authorize(amount, category=, agent=)``; writes nothing."""
    answer = ledger.authorize(amount, category=category, agent=agent)
    return AuthorizationResponse(
        allowed=answer.allowed,
        amount=answer.amount,
        category=category,
        agent=agent,
        blocking=[_budget_status(s) for s in answer.blocking],
        statuses=[_budget_status(s) for s in answer.statuses],
    )


def _statement(statement: Statement) -> StatementResponse:
    return StatementResponse.model_validate(
        {name: getattr(statement, name) for name in StatementResponse.model_fields}
    )


def statements(ledger: Ledger) -> StatementsResponse:
    """``Ledger.reconciliation()``."""
    found = [_statement(s) for s in ledger.reconciliation()]
    return StatementsResponse(reconciled=all(s.reconciled for s in found), statements=found)


def _chain(
    checkpoint: Checkpoint | None, status: ChainStatus | None, names: Mapping[int, str]
) -> ChainResponse:
    chain_id = checkpoint.chain_id if checkpoint else status.chain_id if status else 0
    live = status or ChainStatus(chain_id=chain_id)
    lag = None
    if checkpoint is not None and live.head_block is not None:
        lag = max(0, live.head_block - checkpoint.block_number)
    return ChainResponse(
        chain_id=chain_id,
        chain=chain_name(chain_id, live, names),
        checkpoint_block=checkpoint.block_number if checkpoint else None,
        checkpoint_hash=checkpoint.block_hash if checkpoint else None,
        checkpoint_at=checkpoint.updated_at if checkpoint else None,
        wallets=list(checkpoint.wallets) if checkpoint else [],
        head_block=live.head_block,
        lag_blocks=lag,
        lag_seconds=live.lag_seconds,
        poll_seconds=live.poll_seconds,
        last_success_at=live.last_success_at,
        last_cycle_seconds=live.last_cycle_seconds,
        last_error=live.last_error,
        last_error_at=live.last_error_at,
        rpc_calls=live.rpc_calls,
        rpc_errors=live.rpc_errors,
    )


def chains(
    ledger: Ledger,
    provider: ChainsStatusProvider | None,
    *,
    names: Mapping[int, str] | None = None,
) -> ChainsResponse:
    """``Ledger.checkpoints()`` joined with the daemon's live status by chain id.

    ``names`` (chain names by id, from the configuration) name the chains the
    live status does not.
    """
    checkpoints = {c.chain_id: c for c in ledger.checkpoints()}
    live = read_chains_status(provider)
    ids = sorted(checkpoints.keys() | live.keys())
    known = names or {}
    return ChainsResponse(
        live=bool(live), chains=[_chain(checkpoints.get(i), live.get(i), known) for i in ids]
    )


def _chain_ready(status: ChainStatus, now: datetime) -> ReadyChain:
    if status.poll_seconds is None or status.poll_seconds <= 0:
        return ReadyChain(chain_id=status.chain_id, ready=True, reason=None)
    window = timedelta(seconds=STALE_AFTER_POLLS * status.poll_seconds)
    since = status.last_success_at or status.started_at
    if since is None:
        return ReadyChain(chain_id=status.chain_id, ready=False, reason="no cycle has finished")
    if now - since > window:
        reason = f"last good cycle is older than {STALE_AFTER_POLLS} poll intervals"
        return ReadyChain(chain_id=status.chain_id, ready=False, reason=reason)
    return ReadyChain(chain_id=status.chain_id, ready=True, reason=None)


def readiness(
    ledger: Ledger, provider: ChainsStatusProvider | None, *, now: datetime
) -> ReadyResponse:
    """The store answers (``Ledger.checkpoints()``) and every chain is recent.

    A chain that has not finished a cycle yet counts from ``started_at``, so a
    daemon that has just started is ready for its first three poll intervals.
    """
    try:
        ledger.checkpoints()
        store_ok = True
    except (LedgerError, OSError):
        store_ok = False
    chain_answers = [_chain_ready(s, now) for s in read_chains_status(provider).values()]
    ready = store_ok and all(c.ready for c in chain_answers)
    return ReadyResponse(ready=ready, store=store_ok, chains=chain_answers)
