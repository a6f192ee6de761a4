"""Column types that keep money, base units and time exact in both dialects.

SQLite has no exact decimal type: its NUMERIC affinity turns ``0.10`` into a
float and its INTEGER is 64 bits, so a wei sum passes 2**63 at about 9.2 ETH.
There, money and base units are decimal *text* and sums are done by the
``decsum`` aggregate this package registers on every connection. PostgreSQL
gets ``NUMERIC`` (``NUMERIC(78, 0)`` for base units: 2**256 has 78 digits) and
``TIMESTAMPTZ``.

Timestamps in SQLite are fixed-width ISO text in UTC with microseconds, so that
text order is time order and the ``(ts, id)`` index serves range queries.
"""

from __future__ import annotations

import decimal
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from aoineco_ledger.errors import InvalidEntryError

__all__ = [
    "EXACT",
    "BaseUnits",
    "DecSum",
    "JsonText",
    "Money",
    "UtcDateTime",
    "dec_add",
    "format_utc",
]

EXACT = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow, decimal.DivisionByZero],
)
"""Addition that can never round: the store sums, it never estimates."""


def _is_sqlite(dialect: Dialect) -> bool:
    return dialect.name == "sqlite"


class Money(TypeDecorator[Decimal]):
    """An exact USD amount: ``NUMERIC`` in PostgreSQL, decimal text in SQLite."""

    impl = Numeric  # SQL arithmetic (PostgreSQL only) is numeric, never text concatenation
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type per dialect."""
        if _is_sqlite(dialect):
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Decimal in, text (SQLite) or Decimal (PostgreSQL) out."""
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidEntryError(f"money must be a finite Decimal, got {value!r}")
        return str(value) if _is_sqlite(dialect) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Back to Decimal, digit for digit."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class BaseUnits(TypeDecorator[int]):
    """An integer of any size (wei, token units): ``NUMERIC(78, 0)`` or text."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type per dialect."""
        if _is_sqlite(dialect):
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(78, 0, asdecimal=True))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        """int in, decimal text (SQLite) or an exact Decimal (PostgreSQL) out."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidEntryError(f"base units must be an int, got {value!r}")
        return str(value) if _is_sqlite(dialect) else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        """Back to int, exactly."""
        return None if value is None else int(value)


def format_utc(value: datetime) -> str:
    """Fixed-width ISO text in UTC with microseconds (text order is time order).

    Raises:
        InvalidEntryError: ``value`` is naive.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidEntryError(f"timestamps must be timezone-aware, got {value!r}")
    u = value if value.tzinfo is UTC else value.astimezone(UTC)
    if u.year >= 1000:  # the common case, about three times faster
        return u.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond:06d}Z"
    )


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime: ``TIMESTAMPTZ`` or fixed-width ISO text."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the column type per dialect."""
        if _is_sqlite(dialect):
            return dialect.type_descriptor(String(27))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Aware datetime in; naive ones are refused rather than guessed."""
        if value is None:
            return None
        text = format_utc(value)
        return text if _is_sqlite(dialect) else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Back to an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        return datetime.fromisoformat(value)


class JsonText(TypeDecorator[Any]):
    """JSON kept as text, key order preserved (``JSONB`` would reorder keys)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Compact JSON text; only JSON-able values are accepted."""
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Parsed JSON."""
        return None if value is None else json.loads(value)


def dec_add(a: str | None, b: str | None) -> str | None:
    """SQLite scalar ``decadd(a, b)``: exact sum of two decimal texts (NULL-tolerant)."""
    if a is None:
        return b
    if b is None:
        return a
    return str(EXACT.add(Decimal(a), Decimal(b)))


class DecSum:
    """SQLite aggregate ``decsum(x)``: the exact sum of decimal texts, as text."""

    def __init__(self) -> None:
        self._total: Decimal | None = None

    def step(self, value: str | None) -> None:
        """Add one row's value (NULLs are skipped, like SQL ``SUM``)."""
        if value is None:
            return
        d = Decimal(value)
        self._total = d if self._total is None else EXACT.add(self._total, d)

    def finalize(self) -> str | None:
        """The total, or NULL over no rows."""
        return None if self._total is None else str(self._total)
