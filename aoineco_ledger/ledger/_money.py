"""Money: exact USD ``Decimal`` values and integer base units.

Every amount enters through :func:`to_usd`, the one constructor: a ``Decimal``,
an ``int``, a numeric string, or a ``float`` (which goes through ``str()`` first,
so ``0.1`` is stored as ``0.1`` and not as the binary fraction nearest to it).

Arithmetic uses this module's own contexts and never the global one (vyper sets
the global context at import and forbids changing it). Sums are exact: the
``EXACT_CONTEXT`` traps ``Inexact``, so a sum that could not be represented
raises instead of rounding quietly. Rounding happens only when formatting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import (
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from aoineco_ledger.errors import InvalidAmountError

__all__ = [
    "EXACT_CONTEXT",
    "MONEY_CONTEXT",
    "ZERO",
    "Amount",
    "decimal_text",
    "floor_int",
    "format_number",
    "format_usd",
    "money_sum",
    "shown",
    "to_usd",
    "usd_value",
]

Amount = Decimal | int | str | float
"""What the API edge accepts as an amount; normalised at once by :func:`to_usd`."""

MONEY_CONTEXT = Context(
    prec=80,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""The ledger's decimal context: 80 significant digits, half-up, loud on nonsense."""

EXACT_CONTEXT = Context(
    prec=80,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
"""Like :data:`MONEY_CONTEXT` but raises rather than round: for sums and conversions."""

ZERO = Decimal(0)
"""Zero dollars."""

_PLAIN_NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|s?nan)",
    re.IGNORECASE | re.ASCII,
)
_MAX_ADJUSTED = 15  # a quadrillion dollars: anything larger is a typo, not a spend
_MIN_EXPONENT = -36  # wei * an 8-decimal price feed stays well above this


def shown(value: object) -> str:
    """A value as a message shows it: numbers as plain text (``0``, not
    ``Decimal('0')``), strings quoted, anything else as its repr."""
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else str(value).lower()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return repr(value)


def to_usd(value: object) -> Decimal:
    """Turn loose input into an exact, finite USD ``Decimal``.

    Args:
        value: a ``Decimal``, ``int``, numeric ``str`` or ``float``. Sign is kept;
            callers that need ``>= 0`` check it themselves.

    Returns:
        The exact decimal value (``-0`` becomes ``0``).

    Raises:
        InvalidAmountError: a bool, NaN, an infinity, a non-numeric string, another
            type, or a value absurdly large or finely divided.
    """
    number = _parse(value)
    if not number.is_finite():
        raise InvalidAmountError(f"amount must be a finite number, got {shown(value)}")
    if number.is_zero():
        return ZERO
    if number.adjusted() > _MAX_ADJUSTED:
        raise InvalidAmountError(f"amount {shown(value)} is too large")
    if number.as_tuple().exponent < _MIN_EXPONENT:  # type: ignore[operator]
        raise InvalidAmountError(f"amount {shown(value)} has too many decimal places")
    return number


def _parse(value: object) -> Decimal:
    """Parse without judging the size; see :func:`to_usd`."""
    if isinstance(value, bool):
        raise InvalidAmountError(f"amount must be a number, not a bool ({value!r})")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _parse_text(str(value), value)
    if isinstance(value, str):
        return _parse_text(value.strip(), value)
    raise InvalidAmountError(f"amount must be a number, got {type(value).__name__} {value!r}")


def _parse_text(text: str, original: object) -> Decimal:
    """Parse a decimal string exactly: plain ASCII decimal text only.

    ``Decimal`` itself also takes ``1_000`` and non-ASCII digits (``１２``); an
    amount is a sign, ASCII digits, an optional fraction and an optional
    exponent. NaN and the infinities parse, so that :func:`to_usd` can say they
    are not finite.
    """
    if not _PLAIN_NUMBER.fullmatch(text):
        raise InvalidAmountError(f"amount must be a number, got {original!r}")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidAmountError(f"amount must be a number, got {original!r}") from None


def money_sum(values: Iterable[Decimal]) -> Decimal:
    """Sum exactly (raises ``decimal.Inexact`` in the impossible case it cannot)."""
    total = ZERO
    for value in values:
        total = EXACT_CONTEXT.add(total, value)
    return total


def usd_value(base_units: int, price: object, decimals: int) -> Decimal:
    """USD value of an on-chain amount, exact: ``base_units * price / 10**decimals``.

    Args:
        base_units: the amount in the asset's smallest unit (wei, token units).
        price: USD per whole unit (anything :func:`to_usd` accepts), ``>= 0``.
        decimals: the asset's decimals (18 for ETH, 6 for USDC).

    Returns:
        The exact USD value.

    Raises:
        InvalidAmountError: a non-integer or bool amount, negative decimals, or a
            negative or malformed price.
    """
    if isinstance(base_units, bool) or not isinstance(base_units, int):
        raise InvalidAmountError(f"base units must be an int, got {base_units!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise InvalidAmountError(f"decimals must be a non-negative int, got {decimals!r}")
    unit_price = _parse(price)
    if not unit_price.is_finite() or unit_price < ZERO:
        raise InvalidAmountError(f"price must be a finite number >= 0, got {shown(price)}")
    product = EXACT_CONTEXT.multiply(Decimal(base_units), unit_price)
    return EXACT_CONTEXT.scaleb(product, -decimals)


def decimal_text(value: Decimal) -> str:
    """``value`` exactly, as stored and exported: fixed-point, no trailing zeros.

    ``Decimal("1E-18")`` is ``"0.000000000000000001"``, ``Decimal("1E+15")`` is
    ``"1000000000000000"``, ``Decimal("300.000000")`` is ``"300"`` and ``-0`` is
    ``"0"``; ``Decimal(text)`` gives back an equal value. (``str()`` would give
    ``"1E-18"``, and ``format(value, "f")`` keeps every trailing zero.)
    """
    if not value.is_finite():
        return str(value)
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_number(value: Decimal, places: int) -> str:
    """``value`` rounded half-up to ``places`` decimals, as plain digits (no ``-0``)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP, context=MONEY_CONTEXT)
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return format(rounded, "f")


def format_usd(value: Decimal, places: int = 4) -> str:
    """``$`` and :func:`format_number`, the seed's style: ``$0.0150``, ``$-0.0083``."""
    return "$" + format_number(value, places)


def floor_int(value: Decimal) -> int:
    """The largest integer not above ``value``."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR, context=MONEY_CONTEXT))
