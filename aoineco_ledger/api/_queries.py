"""Reading query values: periods, amounts, pagination cursors.

Bad input becomes :class:`QueryError`, which the app turns into a 422 in the
same shape FastAPI uses for its own validation errors, so a client reads one
format whatever went wrong. Nothing here knows HTTP.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

__all__ = [
    "AMOUNT_PATTERN",
    "PERIODS",
    "Period",
    "QueryError",
    "decode_cursor",
    "encode_cursor",
    "parse_amount",
    "plain_text",
]

Period = Literal[
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "this-year",
    "all",
    "last-24h",
    "last-7d",
    "last-30d",
]
"""The period names ``Ledger.summary()`` and friends accept (DESIGN.md, Periods)."""

PERIODS: tuple[str, ...] = get_args(Period)

AMOUNT_PATTERN = r"^[0-9]{1,16}(\.[0-9]{1,36})?$"
"""A plain non-negative decimal: no sign, exponent, NaN, infinity or separators.

The bounds are the ledger's own (``to_usd``): below 10**16 dollars, at most 36
decimal places.
"""

_AMOUNT = re.compile(AMOUNT_PATTERN)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class QueryError(ValueError):
    """A query value the API cannot use.

    Attributes:
        param: the query parameter's name.
        message: what is wrong with it, for a human.
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


def parse_amount(text: str, *, param: str = "amount") -> Decimal:
    """Read a USD amount from a query string, exactly.

    Args:
        text: the raw value, e.g. ``"0.0042"``.
        param: the parameter name, for the error.

    Returns:
        The amount as an exact ``Decimal``.

    Raises:
        QueryError: not a plain non-negative decimal below 10**16 with at most
            36 places (``nan``, ``inf``, ``-1``, ``1e400`` and ``1_000`` all are not).
    """
    if not _AMOUNT.fullmatch(text):
        raise QueryError(
            param,
            "must be a plain non-negative decimal number of USD such as 0.25, "
            f"below 10^16 with at most 36 decimal places (got {text[:40]!r})",
        )
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # unreachable after the pattern; kept as a guard
        raise QueryError(param, f"is not a number (got {text[:40]!r})") from exc


def plain_text(value: str | None) -> str | None:
    """A text query value (agent, category) as it is, if a store could hold it.

    Used as a pydantic ``AfterValidator``, so a bad value is a 422 like any other
    validation error, and never reaches a store that would fail on it (PostgreSQL
    refuses NUL in text: that would be a 503).

    Raises:
        ValueError: the value holds a NUL character or a lone surrogate.
    """
    if value is not None and _UNSTORABLE.search(value):
        raise ValueError("must not contain a NUL character or invalid UTF-8")
    return value


def encode_cursor(ts: datetime, entry_id: str) -> str:
    """An opaque cursor for "entries older than ``(ts, entry_id)``"."""
    raw = json.dumps([ts.isoformat(), entry_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Read a cursor made by :func:`encode_cursor`.

    Raises:
        QueryError: the cursor was not made by this API.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        ts_text, entry_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        ts = datetime.fromisoformat(ts_text)
        if ts.tzinfo is None or not isinstance(entry_id, str):
            raise ValueError("not an aware timestamp and an id")
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise QueryError("cursor", "is not a cursor this API gave out (use next_cursor)") from exc
    return ts, entry_id
