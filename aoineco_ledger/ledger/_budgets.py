"""Budgets: limits on spend, evaluated against the store's running totals.

A :class:`Budget` limits the expenses of a scope (a category, an agent, both, or
all spend) over a period (``daily``, ``weekly``, ``monthly``, ``yearly`` in the
ledger timezone, or ``total``). An expense that would take the period's spend
past the limit is refused; spending up to the limit exactly is allowed. A budget
is identified by its scope and period, so ``daily`` and ``monthly`` limits on the
same category live side by side, and setting one again replaces it.

The functions here are pure over a :class:`StoreReader`: they sum with
``reader.totals()`` (O(number of groups), never O(entries)) and take ``ts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Literal

from aoineco_ledger.errors import (
    BudgetExceeded,
    InvalidAmountError,
    InvalidEntryError,
    InvalidPeriodError,
)
from aoineco_ledger.ledger._categories import Category, CategoryRegistry
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._money import (
    MONEY_CONTEXT,
    ZERO,
    decimal_text,
    format_number,
    money_sum,
    shown,
    to_usd,
)
from aoineco_ledger.ledger._periods import BUDGET_PERIODS, Window, budget_window
from aoineco_ledger.ledger.store.base import EntryFilter, StoreReader

__all__ = [
    "DEFAULT_WARN_AT",
    "Alert",
    "Authorization",
    "Budget",
    "BudgetState",
    "BudgetStatus",
    "authorize_spend",
    "budget_id",
    "exceeded_error",
]

DEFAULT_WARN_AT = Decimal("0.8")
"""Warn when a period's spend reaches 80% of the limit."""

BudgetState = Literal["ok", "warning", "exceeded"]
"""``ok`` below ``warn_at``; ``warning`` from ``warn_at`` up to the limit; ``exceeded`` past it."""

_HUNDRED = Decimal(100)


def budget_id(*, period: str, category: str | None, agent: str | None) -> str:
    """The stable id of a budget: ``{period}:{category or *}:{agent or *}``."""
    return f"{period}:{category or '*'}:{agent or '*'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """A limit on the expenses of one scope over one period.

    Attributes:
        id: ``{period}:{category}:{agent}`` with ``*`` for "any".
        limit: USD, > 0.
        period: one of ``daily``, ``weekly``, ``monthly``, ``yearly``, ``total``.
        category: the category it limits, or None for every category.
        agent: the agent it limits, or None for every agent.
        warn_at: fraction of the limit (0 < warn_at <= 1) where a warning fires.
    """

    id: str
    limit: Decimal
    period: str = "monthly"
    category: str | None = None
    agent: str | None = None
    warn_at: Decimal = DEFAULT_WARN_AT

    @classmethod
    def create(
        cls,
        *,
        limit: object,
        period: str = "monthly",
        category: str | None = None,
        agent: str | None = None,
        warn_at: object = DEFAULT_WARN_AT,
        categories: CategoryRegistry | None = None,
    ) -> Budget:
        """A validated budget; empty strings for category or agent mean "any".

        Raises:
            InvalidAmountError: the limit is not a number > 0.
            InvalidEntryError: bad ``warn_at``, or a category that is not an expense one.
            UnknownCategoryError: an unknown category.
            InvalidPeriodError: an unknown period.
        """
        amount = to_usd(limit)
        if amount <= ZERO:
            raise InvalidAmountError(f"a budget limit must be greater than 0, got {shown(limit)}")
        fraction = to_usd(warn_at)
        if not ZERO < fraction <= 1:
            raise InvalidEntryError(f"warn_at must be in (0, 1], got {shown(warn_at)}")
        if period not in BUDGET_PERIODS:
            raise InvalidPeriodError(
                f"unknown budget period {period!r}; known: {', '.join(BUDGET_PERIODS)}"
            )
        category = category or None
        agent = agent or None
        if category is not None:
            kind = (categories or CategoryRegistry()).require(category).kind
            if kind != "expense":
                raise InvalidEntryError(
                    f"a budget limits spending, and {category!r} is a {kind} category: "
                    "budget an expense category, or all spend (no category)"
                )
        return cls(
            id=budget_id(period=period, category=category, agent=agent),
            limit=amount,
            period=period,
            category=category,
            agent=agent,
            warn_at=fraction,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Budget:
        """A budget from its stored form (ours, or a seed v1 ``budgets.json`` item).

        Raises:
            InvalidEntryError: the stored budget is malformed.
        """
        warn = data.get("warn_at", data.get("warn_threshold", DEFAULT_WARN_AT))
        return cls.create(
            limit=_stored_amount(data.get("limit")),
            period=str(data.get("period", "monthly")),
            category=data.get("category") or None,
            agent=data.get("agent") or None,
            warn_at=_stored_amount(warn),
            categories=_lenient_registry(data.get("category")),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able stored form (money as decimal strings)."""
        return {
            "id": self.id,
            "category": self.category,
            "agent": self.agent,
            "limit": str(self.limit),
            "period": self.period,
            "warn_at": str(self.warn_at),
        }

    @property
    def scope(self) -> str:
        """Human form of the scope: ``API/LLM``, ``agent oracle``, ``all spend`` ..."""
        parts = [self.category] if self.category else []
        if self.agent:
            parts.append(f"agent {self.agent}")
        return " / ".join(parts) or "all spend"

    def applies_to(self, *, category: str | None, agent: str | None) -> bool:
        """Whether an expense in ``category`` by ``agent`` counts against this budget.

        ``None`` means "not said": a budget scoped to a category (or agent) only
        applies when the spend names that same category (or agent).
        """
        if self.category is not None and self.category != category:
            return False
        return self.agent is None or self.agent == agent


def _stored_amount(value: object) -> object:
    """Stored JSON numbers may be floats (seed v1); read them through ``str``."""
    return str(value) if isinstance(value, float) else value


def _lenient_registry(category: object) -> CategoryRegistry:
    """Defaults, plus a stored budget's own category if it is a custom one."""
    registry = CategoryRegistry()
    if isinstance(category, str) and category and category not in registry:
        registry.add(Category(category, "expense"))
    return registry


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetStatus:
    """Where a budget stands in the period containing some instant.

    Attributes:
        budget: the budget.
        spent: expenses in its scope so far this period (USD).
        limit: the budget's limit (USD).
        percent: ``spent / limit * 100``.
        state: ``ok``, ``warning`` or ``exceeded``.
        period_key: names the period (``2026-02-13``, ``2026-W07``, ``total``).
        window: the period's span in UTC.
    """

    budget: Budget
    spent: Decimal
    limit: Decimal
    percent: Decimal
    state: BudgetState
    period_key: str
    window: Window = field(default_factory=Window)

    @property
    def remaining(self) -> Decimal:
        """What may still be spent this period (never negative)."""
        return max(ZERO, MONEY_CONTEXT.subtract(self.limit, self.spent))

    def allows(self, amount: Decimal) -> bool:
        """Whether spending ``amount`` more stays within the limit."""
        return MONEY_CONTEXT.add(self.spent, amount) <= self.limit

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (money as decimal strings)."""
        return {
            **self.budget.as_dict(),
            "scope": self.budget.scope,
            "spent": str(self.spent),
            "remaining": str(self.remaining),
            "percent": format_number(self.percent, 1),
            "state": self.state,
            "period_key": self.period_key,
        }


def status_of(budget: Budget, spent: Decimal, *, period_key: str, window: Window) -> BudgetStatus:
    """The status of ``budget`` having spent ``spent`` this period."""
    percent = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(spent, _HUNDRED), budget.limit)
    state: BudgetState = "ok"
    if spent > budget.limit:
        state = "exceeded"
    elif spent >= MONEY_CONTEXT.multiply(budget.limit, budget.warn_at):
        state = "warning"
    return BudgetStatus(
        budget=budget,
        spent=spent,
        limit=budget.limit,
        percent=percent,
        state=state,
        period_key=period_key,
        window=window,
    )


def period_spent(reader: StoreReader, budget: Budget, window: Window) -> Decimal:
    """Expenses in ``budget``'s scope inside ``window``, from the store's totals."""
    totals = reader.totals(
        EntryFilter(
            since=window.since,
            until=window.until,
            category=budget.category,
            agent=budget.agent,
            direction="expense",
        )
    )
    return money_sum(amount for amount, _ in totals.groups.values())


def budget_status(
    reader: StoreReader, budget: Budget, *, ts: datetime, tz: str | tzinfo
) -> BudgetStatus:
    """Where ``budget`` stands in the period containing ``ts``."""
    window, key = budget_window(budget.period, ts, tz)
    return status_of(budget, period_spent(reader, budget, window), period_key=key, window=window)


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorization:
    """The answer to "may I spend this?".

    Attributes:
        allowed: True when no budget would go past its limit.
        amount: the amount asked about.
        blocking: the statuses (before the spend) of the budgets it would break.
        statuses: the statuses of every budget the spend counts against.
    """

    allowed: bool
    amount: Decimal
    blocking: tuple[BudgetStatus, ...] = ()
    statuses: tuple[BudgetStatus, ...] = ()

    def __bool__(self) -> bool:
        return self.allowed

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (money as decimal strings)."""
        return {
            "allowed": self.allowed,
            "amount": decimal_text(self.amount),
            "blocking": [s.as_dict() for s in self.blocking],
            "statuses": [s.as_dict() for s in self.statuses],
        }


def authorize_spend(
    reader: StoreReader,
    budgets: Iterable[Budget],
    *,
    amount: Decimal,
    category: str | None,
    agent: str | None,
    ts: datetime,
    tz: str | tzinfo,
) -> Authorization:
    """Whether an expense of ``amount`` fits every budget it counts against."""
    statuses = tuple(
        budget_status(reader, b, ts=ts, tz=tz)
        for b in budgets
        if b.applies_to(category=category, agent=agent)
    )
    blocking = tuple(s for s in statuses if not s.allows(amount))
    return Authorization(allowed=not blocking, amount=amount, blocking=blocking, statuses=statuses)


def exceeded_error(authorization: Authorization) -> BudgetExceeded:
    """The :class:`BudgetExceeded` that a refused authorization stands for."""
    first = authorization.blocking[0]
    budget = first.budget
    message = (
        f"budget {budget.id} ({budget.scope}, {budget.period}) would be exceeded: "
        f"${first.spent} spent of ${first.limit}, ${authorization.amount} more refused"
    )
    return BudgetExceeded(
        message,
        budget_id=budget.id,
        limit=first.limit,
        spent=first.spent,
        amount=authorization.amount,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A budget crossed a line.

    Attributes:
        kind: ``warning`` (spend reached ``warn_at``; once per budget per period) or
            ``exceeded`` (an entry took spend past the limit: forced, or observed on chain).
        budget: the budget.
        spent: the period's spend including ``entry``.
        limit: the budget's limit.
        period_key: names the period.
        entry: the entry that crossed the line.
    """

    kind: Literal["warning", "exceeded"]
    budget: Budget
    spent: Decimal
    limit: Decimal
    period_key: str
    entry: Entry

    @property
    def message(self) -> str:
        """One human line, in the spirit of the seed's alerts."""
        mark = "🔴 BUDGET EXCEEDED" if self.kind == "exceeded" else "🟡 BUDGET WARNING"
        percent = MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(self.spent, _HUNDRED), self.limit)
        return (
            f"{mark}: {self.budget.scope} — ${format_number(self.spent, 4)}/"
            f"${format_number(self.limit, 2)} ({format_number(percent, 0)}%) "
            f"in {self.budget.period} period {self.period_key}"
        )

    def mark_key(self) -> str:
        """The :meth:`Store.mark_once` key that keeps a warning to one per period."""
        return f"budget-alert:{self.kind}:{self.budget.id}:{self.period_key}"
