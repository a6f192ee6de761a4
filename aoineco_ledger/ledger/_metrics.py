"""The seed's $7 Bootstrap metrics, computed from running totals.

Definitions (the seed's, kept exactly):

- ``net_profit = total_revenue - total_expenses`` (transfers count in neither)
- ``roi_pct = net_profit / seed_amount * 100``
- ``remaining_balance = seed_amount + total_revenue - total_expenses``
- ``days_active = max(1, days since the ledger began)``, fractional
- ``daily_burn_rate = total_expenses / days_active``
- ``runway_days = remaining_balance / daily_burn_rate`` (infinite with no burn;
  printed as whole days, rounded down, never below 0; ``∞ days`` with no burn)
- ``ipd = number of entries / total_expenses`` (ops per dollar; ``∞`` with no
  expenses)

"Since the ledger began" is the earlier of the ledger's ``created_at`` setting and
its first entry, so a ledger that imported a year of history does not report a
year's spend as one day's burn.

Everything comes from one :class:`Totals`, so the cost is O(groups), not O(entries).
``print(metrics)`` prints the seed's "Bootstrap Metrics Output" block line for
line; the object is also a read-only mapping from those labels to the strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from aoineco_ledger.ledger._money import (
    MONEY_CONTEXT,
    ZERO,
    floor_int,
    format_number,
    format_usd,
    money_sum,
)
from aoineco_ledger.ledger.store.base import Totals

__all__ = ["API_LLM", "DEFAULT_SEED", "BootstrapMetrics", "bootstrap_metrics"]

DEFAULT_SEED = Decimal("7.00")
"""The $7 Bootstrap Protocol's seed."""

API_LLM = "API/LLM"
"""The category whose expenses are the API/LLM cost."""

# A quotient has no exact form to keep: 20 significant digits are plenty.
_RATIO = Context(
    prec=20, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_DAY_SECONDS = Decimal(86400)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)

_LABELS = (
    "💰 Seed Amount",
    "📈 Total Revenue",
    "📉 Total Expenses",
    "🤖 API/LLM Cost",
    "💵 Net Profit",
    "📊 ROI",
    "💎 Remaining Balance",
    "🔥 Daily Burn Rate",
    "\u23f1\ufe0f Runway",
    "🧠 IPD",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BootstrapMetrics(Mapping[str, str]):
    """The seed's Bootstrap metrics, typed, and as the seed's printed block.

    Attributes:
        seed_amount: the seed (default $7.00).
        total_revenue: every revenue entry, USD.
        total_expenses: every expense entry, USD.
        api_llm_cost: expenses in ``API/LLM``.
        net_profit: revenue minus expenses.
        roi_pct: net profit as a percentage of the seed; None with a zero seed.
        remaining_balance: seed plus revenue minus expenses.
        days_active: days since the ledger began, at least 1 (fractional).
        daily_burn_rate: expenses per active day.
        runway_days: remaining balance over the burn rate; None when nothing burns.
        ipd: entries per dollar of expenses; None with no expenses.
        entry_count: number of entries (every direction).
        as_of: the instant these were computed for.
    """

    seed_amount: Decimal
    total_revenue: Decimal
    total_expenses: Decimal
    api_llm_cost: Decimal
    net_profit: Decimal
    roi_pct: Decimal | None
    remaining_balance: Decimal
    days_active: Decimal
    daily_burn_rate: Decimal
    runway_days: Decimal | None
    ipd: Decimal | None
    entry_count: int
    as_of: datetime

    def _formatted(self) -> tuple[str, ...]:
        """The printed values, in label order."""
        roi = "N/A" if self.roi_pct is None else format_number(self.roi_pct, 1) + "%"
        if self.runway_days is None:
            runway = "∞ days"
        else:
            runway = f"{max(0, floor_int(self.runway_days))} days"
        ipd = "∞ ops/$" if self.ipd is None else format_number(self.ipd, 1) + " ops/$"
        return (
            format_usd(self.seed_amount, 2),
            format_usd(self.total_revenue),
            format_usd(self.total_expenses),
            format_usd(self.api_llm_cost),
            format_usd(self.net_profit),
            roi,
            format_usd(self.remaining_balance),
            format_usd(self.daily_burn_rate) + "/day",
            runway,
            ipd,
        )

    def __getitem__(self, label: str) -> str:
        try:
            return self._formatted()[_LABELS.index(label)]
        except ValueError:
            raise KeyError(label) from None

    def __iter__(self) -> Iterator[str]:
        return iter(_LABELS)

    def __len__(self) -> int:
        return len(_LABELS)

    def __str__(self) -> str:
        pairs = zip(_LABELS, self._formatted(), strict=True)
        return "\n".join(f"{label}: {value}" for label, value in pairs)

    def as_dict(self) -> dict[str, Any]:
        """The typed values by attribute name (Decimal, int, None, and ``as_of``)."""
        return {
            "seed_amount": self.seed_amount,
            "total_revenue": self.total_revenue,
            "total_expenses": self.total_expenses,
            "api_llm_cost": self.api_llm_cost,
            "net_profit": self.net_profit,
            "roi_pct": self.roi_pct,
            "remaining_balance": self.remaining_balance,
            "days_active": self.days_active,
            "daily_burn_rate": self.daily_burn_rate,
            "runway_days": self.runway_days,
            "ipd": self.ipd,
            "entry_count": self.entry_count,
            "as_of": self.as_of,
        }


def _sum_where(totals: Totals, direction: str, category: str | None = None) -> Decimal:
    return money_sum(
        amount
        for (d, c, _), (amount, _n) in totals.groups.items()
        if d == direction and (category is None or c == category)
    )


def _days_active(began: datetime | None, now: datetime) -> Decimal:
    """``max(1, days since began)`` as an exact-enough Decimal."""
    if began is None:
        return _ONE
    elapsed = max(now - began, timedelta(0))
    seconds = Decimal(elapsed.days * 86400 + elapsed.seconds) + Decimal(
        elapsed.microseconds
    ).scaleb(-6)
    return max(_ONE, _RATIO.divide(seconds, _DAY_SECONDS))


def bootstrap_metrics(
    totals: Totals,
    *,
    seed_amount: Decimal = DEFAULT_SEED,
    created_at: datetime | None,
    now: datetime,
) -> BootstrapMetrics:
    """Compute the Bootstrap metrics from the store's totals over every entry.

    Args:
        totals: ``store.totals()`` of the whole ledger.
        seed_amount: the seed.
        created_at: when the ledger was created (settings), if known.
        now: the current instant.

    Returns:
        The metrics.
    """
    ctx = MONEY_CONTEXT
    revenue = _sum_where(totals, "revenue")
    expenses = _sum_where(totals, "expense")
    net = ctx.subtract(revenue, expenses)
    remaining = ctx.add(seed_amount, net)
    candidates = [t for t in (created_at, totals.first_ts) if t is not None]
    days = _days_active(min(candidates) if candidates else None, now)
    burn = _RATIO.divide(expenses, days)
    count = totals.count
    return BootstrapMetrics(
        seed_amount=seed_amount,
        total_revenue=revenue,
        total_expenses=expenses,
        api_llm_cost=_sum_where(totals, "expense", API_LLM),
        net_profit=net,
        roi_pct=None
        if seed_amount == ZERO
        else _RATIO.divide(ctx.multiply(net, _HUNDRED), seed_amount),
        remaining_balance=remaining,
        days_active=days,
        daily_burn_rate=burn,
        runway_days=None if burn == ZERO else _RATIO.divide(remaining, burn),
        ipd=None if expenses == ZERO else _RATIO.divide(Decimal(count), expenses),
        entry_count=count,
        as_of=now,
    )
