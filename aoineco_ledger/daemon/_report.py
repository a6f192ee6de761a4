"""Plain-text tables of what the reconciler found: statements, and the squad per agent.

Shared by ``reconcile --once|--status`` and the demo. Amounts on chain are shown
exactly, in whole units (``1.5`` USDC, never a float); USD to four places.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal

from aoineco_ledger.ledger import MONEY_CONTEXT, ZERO, Ledger
from aoineco_ledger.ledger.store.base import Statement

__all__ = ["agent_table", "format_table", "statement_rows", "statement_table", "units", "usd"]


def units(value: int, decimals: int) -> str:
    """Base units as an exact decimal of whole units (``1500000`` at 6 decimals is ``1.5``)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    text = f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return sign + text


def usd(value: Decimal) -> str:
    """Dollars to four places, half-up (``$-0.0083``), in the ledger's own decimal context."""
    return f"${value.quantize(Decimal('0.0001'), context=MONEY_CONTEXT)}"


def statement_rows(statements: Sequence[Statement]) -> list[list[str]]:
    """Table rows, header first, one per statement."""
    header = "chain agent wallet asset blocks opening in out fees expected on-chain difference"
    rows = [[*header.split(), "status"]]
    for s in statements:
        unit = functools.partial(units, decimals=s.asset_decimals)
        rows.append(
            [
                str(s.chain_id),
                s.agent,
                f"{s.wallet[:6]}…{s.wallet[-4:]}",
                s.asset,
                f"{s.from_block}..{s.to_block}",
                *(unit(v) for v in (s.opening, s.inflow, s.outflow, s.fees)),
                *(unit(v) for v in (s.expected_closing, s.onchain_closing, s.difference)),
                "reconciled" if s.reconciled else "DIFFERENCE",
            ]
        )
    return rows


def format_table(rows: Sequence[Sequence[str]], *, numeric: Sequence[int] = ()) -> str:
    """Align rows into columns; the ``numeric`` columns are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = (
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def statement_table(statements: Sequence[Statement]) -> str:
    """Statements as an aligned text table."""
    return format_table(statement_rows(statements), numeric=range(5, 12))


def agent_table(ledger: Ledger) -> str:
    """Per agent: expenses (and how many), revenue, net, in USD."""
    revenue: dict[str, Decimal] = {}
    for entry in ledger.entries(direction="revenue"):
        revenue[entry.agent] = revenue.get(entry.agent, ZERO) + entry.amount
    costs = ledger.agent_costs()
    rows = [["agent", "expenses", "entries", "revenue", "net", "top category"]]
    for agent in sorted(set(costs) | set(revenue)):
        cost = costs.get(agent)
        spent = cost.total if cost is not None else ZERO
        top = next(iter(cost.categories), "") if cost is not None else ""
        earned = revenue.get(agent, ZERO)
        rows.append(
            [
                agent or "unattributed",
                usd(spent),
                str(cost.count if cost is not None else 0),
                usd(earned),
                usd(earned - spent),
                top,
            ]
        )
    return format_table(rows, numeric=(1, 2, 3, 4))
