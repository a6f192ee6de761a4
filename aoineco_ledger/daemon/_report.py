"""Plain-text tables of what the reconciler found: statements, and the squad per agent.

Shared by ``reconcile --once|--status`` and the demo. Amounts on chain are shown
exactly, in whole units (``1.5`` USDC, never a float); USD to four places, and to
six in log lines (:func:`usd_text`), where a stored ``0.216306000000000000`` would
only be noise.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal

from aoineco_ledger.chains import get_chain
from aoineco_ledger.errors import ConfigError
from aoineco_ledger.ledger import ZERO, Ledger
from aoineco_ledger.ledger._money import format_number, format_usd
from aoineco_ledger.ledger.store.base import Statement

__all__ = [
    "agent_table",
    "chain_label",
    "format_table",
    "statement_rows",
    "statement_table",
    "units",
    "usd",
    "usd_text",
]

LOG_PLACES = 6
"""USD decimals in log lines: a millionth of a dollar is below any gas fee worth noticing."""


def units(value: int, decimals: int) -> str:
    """Base units as an exact decimal of whole units (``1500000`` at 6 decimals is ``1.5``)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    text = f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return sign + text


def usd(value: Decimal) -> str:
    """Dollars to four places, half-up (``$-0.0083``), in the ledger's own decimal context."""
    return format_usd(value)


def usd_text(value: Decimal) -> str:
    """USD for a log line: six places, half-up, trailing zeros dropped (``0.216306``, ``1``).

    Only the text is rounded; the stored amount keeps every digit.
    """
    text = format_number(value, LOG_PLACES)
    return text.rstrip("0").rstrip(".") if "." in text else text


def statement_rows(
    statements: Sequence[Statement], *, names: Mapping[int, str] | None = None
) -> list[list[str]]:
    """Table rows, header first, one per statement.

    Args:
        statements: the statements.
        names: chain names by chain id (the configured ``[[chains]] name``); a chain
            without one is shown by its registry name, else by its id.
    """
    header = "chain agent wallet asset blocks opening in out fees expected on-chain difference"
    rows = [[*header.split(), "status"]]
    for s in statements:
        unit = functools.partial(units, decimals=s.asset_decimals)
        rows.append(
            [
                chain_label(s.chain_id, names),
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


def chain_label(chain_id: int, names: Mapping[int, str] | None = None) -> str:
    """A chain's name for people: the configured one, the registry's, else the id."""
    if names and chain_id in names:
        return names[chain_id]
    try:
        return get_chain(chain_id).name
    except ConfigError:
        return str(chain_id)


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


def statement_table(
    statements: Sequence[Statement], *, names: Mapping[int, str] | None = None
) -> str:
    """Statements as an aligned text table (``names``: chain names by id, as above)."""
    return format_table(statement_rows(statements, names=names), numeric=range(5, 12))


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
