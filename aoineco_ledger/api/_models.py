"""Response models: the JSON every route returns, described in ``/openapi.json``.

Money travels as a decimal string (``"0.0042"``, never ``4.2e-3`` and never a
JSON number, which most parsers read into a binary float). Base units (wei,
token units) travel as integer strings, because a wei sum passes 2**53 long
before it passes anything interesting. Timestamps are ISO-8601 UTC.

The models hold the ledger's own types (``Decimal``, ``int``) and only turn them
into strings when serialised, so a Python caller comparing an answer with the
``Ledger`` method it came from compares like with like.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from aoineco_ledger.api._queries import Period

__all__ = [
    "AgentCost",
    "AgentsResponse",
    "AuthorizationResponse",
    "BaseUnits",
    "BootstrapResponse",
    "BudgetStatusResponse",
    "BudgetsResponse",
    "CategoriesResponse",
    "CategoryCost",
    "CategoryInfo",
    "ChainResponse",
    "ChainsResponse",
    "EntriesPage",
    "EntryResponse",
    "ErrorResponse",
    "HealthResponse",
    "Money",
    "ReadyChain",
    "ReadyResponse",
    "StatementResponse",
    "StatementsResponse",
    "SummaryResponse",
]


def _plain(value: Decimal) -> str:
    # Fixed-point, never exponent notation: Decimal("1E-7") is "0.0000001".
    return format(value, "f")


MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"

Money = Annotated[
    Decimal,
    PlainSerializer(_plain, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": MONEY_PATTERN, "description": "USD, exact decimal string"}
    ),
]
"""USD as an exact decimal string in JSON."""

BaseUnits = Annotated[
    int,
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]+$", "description": "base units (wei), integer"}
    ),
]
"""An integer amount of base units, as a string in JSON."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ErrorResponse(_Model):
    """An error a client made (401): what is wrong, in one sentence."""

    detail: str


class HealthResponse(_Model):
    """``/healthz``: the process is up."""

    status: Literal["ok"] = "ok"


class ReadyChain(_Model):
    """One chain's part of the readiness answer."""

    chain_id: int
    ready: bool
    reason: str | None = Field(None, description="why not, when not ready")


class ReadyResponse(_Model):
    """``/readyz``: the store answers and every chain's last cycle is recent."""

    ready: bool
    store: bool
    chains: list[ReadyChain]


class BootstrapResponse(_Model):
    """The seed's bootstrap metrics (``Ledger.bootstrap_metrics().as_dict()``)."""

    seed_amount: Money
    total_revenue: Money
    total_expenses: Money
    api_llm_cost: Money
    net_profit: Money
    roi_pct: Money | None = Field(description="null with a zero seed")
    remaining_balance: Money
    days_active: Money = Field(description="days since the ledger began, at least 1")
    daily_burn_rate: Money
    runway_days: Money | None = Field(description="null when nothing burns (infinite runway)")
    ipd: Money | None = Field(description="entries per dollar of expenses; null with none")
    entry_count: int
    as_of: datetime


class AgentCost(_Model):
    """What one agent spent in the period (``AgentCost``)."""

    agent: str = Field(description="'unattributed' for expenses logged without an agent")
    total: Money
    count: int
    categories: dict[str, Money] = Field(description="USD per category, largest first")


class CategoryCost(_Model):
    """What was spent in one category in the period (``CategoryCost``)."""

    category: str
    total: Money
    count: int
    agents: dict[str, Money] = Field(description="USD per agent, largest first")


class CategoryInfo(_Model):
    """A registered category and its kind."""

    category: str
    kind: Literal["expense", "revenue", "transfer"]


class SummaryResponse(_Model):
    """``Ledger.summary(period)``: totals of a period."""

    period: Period
    since: datetime | None = Field(description="inclusive start (UTC); null for all")
    until: datetime | None = Field(description="exclusive end (UTC); null for all")
    total_expenses: Money
    total_revenue: Money
    total_transfers: Money
    net: Money
    api_cost: Money
    transaction_count: int
    top_categories: dict[str, Money] = Field(description="the five largest expense categories")
    top_agents: dict[str, Money] = Field(description="the five agents who spent most")


class AgentsResponse(_Model):
    """``Ledger.agent_costs(period)``, the biggest spender first."""

    period: Period
    agents: list[AgentCost]


class CategoriesResponse(_Model):
    """The registry (``Ledger.categories``) and ``Ledger.category_costs(period)``."""

    period: Period
    categories: list[CategoryInfo]
    costs: list[CategoryCost] = Field(description="expense categories with spend, largest first")


class EntryResponse(_Model):
    """One ledger entry (``Entry``); chain fields are null on manual entries."""

    id: str
    ts: datetime
    direction: Literal["expense", "revenue", "transfer"]
    amount: Money
    currency: str
    category: str
    agent: str
    vendor: str
    description: str
    account: str
    context: str
    receipt_url: str
    tags: list[str]
    source: Literal["manual", "chain", "import"]
    ref: str | None
    flags: list[str]
    reverses: str | None
    meta: dict[str, str]
    chain_id: int | None
    chain: str | None
    wallet: str | None
    counterparty: str | None
    tx_hash: str | None
    log_index: int | None
    block_number: int | None
    block_hash: str | None
    asset: str | None
    asset_amount: BaseUnits | None
    asset_decimals: int | None
    price_usd: Money | None
    price_source: str | None
    l2_fee_wei: BaseUnits | None
    l1_fee_wei: BaseUnits | None
    operator_fee_wei: BaseUnits | None
    blob_fee_wei: BaseUnits | None


class EntriesPage(_Model):
    """A page of entries, newest first; pass ``next_cursor`` back for the next page."""

    entries: list[EntryResponse]
    next_cursor: str | None = Field(description="null on the last page")


class BudgetStatusResponse(_Model):
    """A budget and where its current period stands (``BudgetStatus``)."""

    id: str
    scope: str
    category: str | None
    agent: str | None
    period: str
    limit: Money
    warn_at: Money
    spent: Money
    remaining: Money
    percent: Money = Field(description="spent / limit * 100")
    state: Literal["ok", "warning", "exceeded"]
    period_key: str
    since: datetime | None = Field(description="the period's start (UTC); null for total")
    until: datetime | None = Field(description="the period's end (UTC, exclusive)")


class BudgetsResponse(_Model):
    """``Ledger.budget_status()``."""

    budgets: list[BudgetStatusResponse]


class AuthorizationResponse(_Model):
    """``Ledger.authorize(amount, category=, agent=)``: may this spend go ahead?"""

    allowed: bool
    amount: Money
    category: str | None
    agent: str | None
    blocking: list[BudgetStatusResponse]
    statuses: list[BudgetStatusResponse]


class StatementResponse(_Model):
    """A wallet's balance of one asset over ``(from_block, to_block]`` (``Statement``)."""

    chain_id: int
    wallet: str
    asset: str
    asset_decimals: int
    agent: str
    from_block: int
    to_block: int
    opening: BaseUnits
    inflow: BaseUnits
    outflow: BaseUnits
    fees: BaseUnits
    expected_closing: BaseUnits
    onchain_closing: BaseUnits
    difference: BaseUnits
    reconciled: bool
    created_at: datetime


class StatementsResponse(_Model):
    """``Ledger.reconciliation()``: the latest statement per wallet and asset."""

    reconciled: bool = Field(description="true when every statement is reconciled")
    statements: list[StatementResponse]


class ChainResponse(_Model):
    """One chain: its checkpoint (from the ledger) and live state (from the daemon)."""

    chain_id: int
    chain: str
    checkpoint_block: int | None
    checkpoint_hash: str | None
    checkpoint_at: datetime | None
    wallets: list[str]
    head_block: int | None
    lag_blocks: int | None
    lag_seconds: float | None
    poll_seconds: float | None
    last_success_at: datetime | None
    last_cycle_seconds: float | None
    last_error: str | None
    last_error_at: datetime | None
    rpc_calls: int | None
    rpc_errors: int | None


class ChainsResponse(_Model):
    """``Ledger.checkpoints()`` joined with the daemon's chain status."""

    live: bool = Field(description="true when a running daemon supplied live status")
    chains: list[ChainResponse]
