"""Totals in SQL: rollups written with the entries, read back exactly.

Writing: every new entry adds its amount and a count of one to four rollup rows
(all time, its UTC month, day and hour) in the append's transaction. PostgreSQL
adds ``NUMERIC`` to ``NUMERIC``; SQLite adds decimal text with the ``decadd``
function this package registers, so no sum ever goes through a float.

Reading: :func:`read_totals` asks :func:`~._buckets.plan_window` how a window
splits, sums the rollup rows of the whole buckets and the entries of the edges,
and merges them. Filters on ``chain_id`` or ``wallet`` are not kept in rollups,
so those totals are summed from the entries (indexed by chain and wallet).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    func,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import EntryFilter, TotalKey, Totals
from aoineco_ledger.ledger.store.sql._buckets import GRAINS, buckets_of, plan_window
from aoineco_ledger.ledger.store.sql._schema import entries, rollups
from aoineco_ledger.ledger.store.sql._types import EXACT, Money, UtcDateTime

__all__ = ["entry_conditions", "read_count", "read_totals", "rollup_deltas"]

_Group = tuple[Decimal, int, datetime]
_RollupKey = tuple[str, int, str, str, str]


def _sum(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Decimal]:
    fn = func.decsum(column) if dialect == "sqlite" else func.sum(column)
    return type_coerce(fn, Money())


def rollup_deltas(
    new: Iterable[Entry], stamps: Sequence[Any] | None = None
) -> dict[_RollupKey, list[Any]]:
    """What ``new`` adds to each rollup row: ``{key: [sum, count, earliest]}``.

    ``stamps`` are the entries' timestamps as the driver gets them (fixed-width
    text on SQLite, which orders like time), so they are formatted once per entry.
    """
    out: dict[_RollupKey, list[Any]] = {}
    for i, e in enumerate(new):
        stamp = e.ts if stamps is None else stamps[i]
        for grain, bucket in zip(GRAINS, buckets_of(e.ts), strict=True):
            key = (grain, bucket, e.direction, e.category, e.agent)
            acc = out.get(key)
            if acc is None:
                out[key] = [e.amount, 1, stamp]
            else:
                acc[0] = EXACT.add(acc[0], e.amount)
                acc[1] += 1
                if stamp < acc[2]:
                    acc[2] = stamp
    return out


def _key_conditions(table: Any, query: EntryFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if query.agent is not None:
        conds.append(table.c.agent == query.agent)
    if query.category is not None:
        conds.append(table.c.category == query.category)
    if query.direction is not None:
        conds.append(table.c.direction == query.direction)
    return conds


def _range(lo: datetime | None, hi: datetime | None) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if lo is not None:
        parts.append(entries.c.ts >= lo)
    if hi is not None:
        parts.append(entries.c.ts < hi)
    return and_(*parts) if parts else true()


def entry_conditions(query: EntryFilter) -> list[ColumnElement[bool]]:
    """WHERE conditions on ``entries`` for every field of ``query``."""
    conds = _key_conditions(entries, query)
    if query.since is not None or query.until is not None:
        conds.append(_range(query.since, query.until))
    if query.chain_id is not None:
        conds.append(entries.c.chain_id == query.chain_id)
    if query.wallet is not None:
        conds.append(entries.c.wallet == query.wallet)
    return conds


def _raw_groups(
    dialect: str,
    ranges: Sequence[tuple[datetime | None, datetime | None]],
    conds: list[ColumnElement[bool]],
) -> Select[Any] | None:
    if not ranges:
        return None
    e = entries.c
    return (
        select(
            e.direction,
            e.category,
            e.agent,
            _sum(dialect, e.amount),
            func.count(),
            type_coerce(func.min(e.ts), UtcDateTime()),
        )
        .where(or_(*(_range(lo, hi) for lo, hi in ranges)), *conds)
        .group_by(e.direction, e.category, e.agent)
    )


def _rolled_groups(
    dialect: str,
    ranges: Sequence[tuple[str, int, int]],
    conds: list[ColumnElement[bool]],
) -> Select[Any] | None:
    if not ranges:
        return None
    r = rollups.c
    where = or_(
        *(and_(r.grain == g, r.bucket >= lo, r.bucket < hi) for g, lo, hi in ranges),
    )
    return (
        select(
            r.direction,
            r.category,
            r.agent,
            _sum(dialect, r.amount_sum),
            func.sum(r.n),
            type_coerce(func.min(r.min_ts), UtcDateTime()),
        )
        .where(where, *conds)
        .group_by(r.direction, r.category, r.agent)
    )


def _merge(parts: Iterable[Iterable[Any]]) -> Totals:
    groups: dict[TotalKey, _Group] = {}
    for rows in parts:
        for direction, category, agent, total, n, first in rows:
            key = (direction, category, agent)
            old = groups.get(key)
            if old is None:
                groups[key] = (total, int(n), first)
            else:
                groups[key] = (EXACT.add(old[0], total), old[1] + int(n), min(old[2], first))
    first_ts = min((g[2] for g in groups.values()), default=None)
    return Totals({k: (v[0], v[1]) for k, v in groups.items()}, first_ts)


def read_totals(conn: Connection, query: EntryFilter) -> Totals:
    """Sum and count the entries ``query`` selects, grouped by ``(direction, category, agent)``.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database failed (the store translates it).
    """
    dialect = conn.dialect.name
    if query.chain_id is not None or query.wallet is not None:
        parts = [_raw_groups(dialect, [(None, None)], entry_conditions(query))]
    else:
        plan = plan_window(query.since, query.until)
        parts = [
            _rolled_groups(dialect, plan.rolled, _key_conditions(rollups, query)),
            _raw_groups(dialect, plan.raw, _key_conditions(entries, query)),
        ]
    selects = [p for p in parts if p is not None]
    # One statement, so whole buckets and edges come from one snapshot in one round trip.
    stmt = selects[0] if len(selects) == 1 else union_all(*selects)
    return _merge([conn.execute(stmt).all()])


def read_count(conn: Connection) -> int:
    """Number of entries, from the all-time rollups."""
    stmt = select(func.coalesce(func.sum(rollups.c.n), 0)).where(rollups.c.grain == "a")
    return int(conn.execute(stmt).scalar_one())
