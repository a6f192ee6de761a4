"""Building entries: :func:`new_entry` validates loose input into an :class:`Entry`.

This is the edge where user input becomes ledger data, so it is strict: an
amount goes through :func:`~aoineco_ledger.ledger._money.to_usd` and must not be
negative, the category must exist and be of the entry's kind, the timestamp must
say which timezone it is in, text is held to :mod:`~aoineco_ledger.ledger._text`'s
rules (no NUL, no control character in an agent's name, at most 1,000 characters
for a name and 4,000 for free text), and unknown field names are refused rather
than dropped. Each entry gets a fresh UUID4 ``id``, unique across processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, cast, get_args

from aoineco_ledger.errors import InvalidAmountError, InvalidEntryError
from aoineco_ledger.ledger._categories import CategoryRegistry
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._money import ZERO, shown, to_usd
from aoineco_ledger.ledger._text import (
    FREE_TEXT_FIELDS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    check_name,
    check_text,
)
from aoineco_ledger.typing import Direction, Source

__all__ = ["DIRECTIONS", "SOURCES", "check_text", "new_entry"]

DIRECTIONS: tuple[str, ...] = get_args(Direction)
"""``expense``, ``revenue``, ``transfer``."""

SOURCES: tuple[str, ...] = get_args(Source)
"""``manual``, ``chain``, ``import``."""

_DEFAULT_REGISTRY = CategoryRegistry()
_SETTABLE = frozenset(f.name for f in fields(Entry)) - {
    "id",
    "ts",
    "direction",
    "amount",
    "category",
}
_TEXT_FIELDS = ("currency", "agent", "vendor", "description", "account", "context", "receipt_url")


def new_entry(
    *,
    direction: str,
    amount: object,
    category: str,
    ts: datetime,
    categories: CategoryRegistry | None = None,
    **fields: Any,
) -> Entry:
    """A validated :class:`Entry` with a fresh unique ``id``.

    Args:
        direction: ``expense``, ``revenue`` or ``transfer``.
        amount: USD; a Decimal, int, numeric string or float; ``>= 0``.
        category: a category of the registry whose kind is ``direction``.
        ts: when it happened; must be timezone-aware (stored in UTC).
        categories: the ledger's registry; the defaults when omitted.
        **fields: any other :class:`Entry` field (``agent``, ``vendor``, ``tags``,
            ``meta`` as a mapping or pairs, chain fields ...).

    Returns:
        The new entry.

    Raises:
        InvalidAmountError: the amount is negative, NaN, infinite or not a number.
        UnknownCategoryError: the category is unknown.
        InvalidEntryError: a bad direction, kind mismatch, naive ``ts``, unknown
            field, badly typed value, text that is too long or not storable, or
            an agent name with a control character.
    """
    if direction not in DIRECTIONS:
        raise InvalidEntryError(
            f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}"
        )
    usd = to_usd(amount)
    if usd < ZERO:
        raise InvalidAmountError(f"amount must not be negative, got {shown(amount)}")
    check_text("category", category)
    registry = categories if categories is not None else _DEFAULT_REGISTRY
    registry.require(category, direction=direction)
    return Entry(
        id=uuid.uuid4().hex,
        ts=_utc(ts),
        direction=cast(Direction, direction),
        amount=usd,
        category=category,
        **_clean_fields(fields),
    )


def _utc(ts: object) -> datetime:
    """``ts`` as an aware UTC datetime."""
    if not isinstance(ts, datetime):
        raise InvalidEntryError(f"ts must be a datetime, got {ts!r}")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise InvalidEntryError(f"ts must be timezone-aware, got naive {ts.isoformat()}")
    return ts.astimezone(UTC)


def _clean_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check names and normalise the optional fields."""
    unknown = sorted(set(raw) - _SETTABLE)
    if unknown:
        raise InvalidEntryError(f"unknown entry field(s): {', '.join(unknown)}")
    out = {k: v for k, v in raw.items() if v is not None}
    for name in _TEXT_FIELDS:
        if name in out and not isinstance(out[name], str):
            raise InvalidEntryError(f"{name} must be text, got {out[name]!r}")
    for name, value in out.items():
        if name == "agent":
            check_name(name, value)
        elif isinstance(value, str):
            check_text(name, value, limit=_limit(name))
    if out.get("currency", "USD") != "USD":
        raise InvalidEntryError(f"only USD amounts are kept, got currency {out['currency']!r}")
    if out.get("source", "manual") not in SOURCES:
        raise InvalidEntryError(f"source must be one of {', '.join(SOURCES)}")
    if out.get("ref") == "":
        out["ref"] = None
    for name in ("tags", "flags"):
        if name in out:
            out[name] = _text_tuple(name, out[name])
    if "meta" in out:
        out["meta"] = _meta_pairs(out["meta"])
    if out.get("price_usd") is not None:
        out["price_usd"] = to_usd(out["price_usd"])
    return out


def _limit(name: str) -> int:
    """The most characters field ``name`` takes (free text, or a name)."""
    return MAX_TEXT_LENGTH if name in FREE_TEXT_FIELDS else MAX_NAME_LENGTH


def _text_tuple(name: str, value: object) -> tuple[str, ...]:
    """Tags or flags as a tuple of non-empty strings."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidEntryError(f"{name} must be a list of strings, got {value!r}")
    items = tuple(value)
    if not all(isinstance(item, str) for item in items):
        raise InvalidEntryError(f"{name} must be a list of strings, got {value!r}")
    for item in items:
        check_text(name, item)
    return tuple(item for item in items if item)


def _meta_pairs(value: object) -> tuple[tuple[str, str], ...]:
    """Meta as ordered ``(key, value)`` string pairs, from a mapping or pairs."""
    items = value.items() if isinstance(value, Mapping) else value
    if not isinstance(items, Iterable):
        raise InvalidEntryError(f"meta must be a mapping, got {value!r}")
    pairs = []
    for item in items:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise InvalidEntryError(f"meta must be a mapping, got {value!r}")
        key, val = item
        if not isinstance(key, str):
            raise InvalidEntryError(f"meta keys must be text, got {key!r}")
        text = str(val)
        check_text("meta key", key)
        check_text(f"meta value of {key[:40]!r}", text, limit=MAX_TEXT_LENGTH)
        pairs.append((key, text))
    return tuple(pairs)
