"""Entries, checkpoints and statements to and from JSON-able dicts.

The written form (what ``transactions.jsonl`` holds, one object a line)::

    {"id": "3f…", "ts": "2026-02-13T10:00:00+00:00", "direction": "expense",
     "amount": "0.0042", "currency": "USD", "category": "API/LLM", "agent": "oracle",
     "vendor": "Google", "description": "gemini-3-flash", "source": "manual",
     "meta": {"tokens_used": "150000"}}

Money is a decimal string, base units (``asset_amount``, the fee parts in wei) are
integer strings (a wei sum passes 2**63 at about 9.2 ETH), ``ts`` is ISO-8601 UTC,
fields that are ``None`` or empty are left out.

Reading is lenient where the data is honest: seed v1 lines (``type``, ``timestamp``,
a float ``amount``, ``source`` meaning the payer, ``metadata``) are read as they
are. Parse the line with ``json.loads(line, parse_float=Decimal)`` so that a float
amount becomes the exact decimal of its printed text (``0.0042``, never
``0.00419999…``). A naive timestamp is taken as UTC (the seed wrote local time
without an offset; UTC is the only guess that does not depend on the reader's
machine). ``time_human`` is ignored; any other unknown key is kept in ``meta``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from aoineco_ledger.errors import InvalidEntryError
from aoineco_ledger.ledger._entry import CHAIN_FIELDS, FEE_FIELDS, Entry
from aoineco_ledger.ledger._money import decimal_text
from aoineco_ledger.ledger.store.base import Checkpoint, Statement
from aoineco_ledger.typing import Direction, Source

__all__ = [
    "checkpoint_from_dict",
    "checkpoint_to_dict",
    "dumps",
    "entry_from_dict",
    "entry_to_dict",
    "jsonable",
    "parse_ts",
    "plain_fields",
    "statement_from_dict",
    "statement_to_dict",
]

_DIRECTIONS: Mapping[str, Direction] = {
    "expense": "expense",
    "revenue": "revenue",
    "transfer": "transfer",
    "income": "revenue",
    "cost": "expense",
    "spend": "expense",
}
_SOURCES: frozenset[str] = frozenset({"manual", "chain", "import"})
_TEXT_FIELDS = ("currency", "agent", "vendor", "description", "account", "context", "receipt_url")
_INT_FIELDS = ("chain_id", "log_index", "block_number", "asset_decimals")
_BIG_FIELDS = ("asset_amount", *FEE_FIELDS)
_STR_CHAIN = ("chain", "wallet", "counterparty", "tx_hash", "block_hash", "asset", "price_source")
_KNOWN = frozenset(
    {"id", "ts", "direction", "amount", "category", "tags", "source", "ref", "flags"}
    | {"reverses", "meta", *_TEXT_FIELDS, *CHAIN_FIELDS}
)
_PLAIN_KEYS = frozenset(
    {"id", "ts", "direction", "amount", "category", "source", "ref", *_TEXT_FIELDS}
)
_PLAIN_DIRECTIONS = frozenset({"expense", "revenue", "transfer"})
_V1_IGNORED = frozenset({"time_human"})
_V1_ALIASES = {"timestamp": "ts", "type": "direction", "metadata": "meta", "payer": "vendor"}
_STATEMENT_INTS = (
    "opening",
    "inflow",
    "outflow",
    "fees",
    "expected_closing",
    "onchain_closing",
    "difference",
)


def dumps(data: Mapping[str, Any]) -> str:
    """One compact JSON line (no newline), non-ASCII kept readable."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def jsonable(value: Any) -> Any:
    """``value`` with every ``Decimal`` turned into its exact string, recursively.

    Fixed-point notation, never an exponent, no trailing zeros
    (:func:`~aoineco_ledger.ledger._money.decimal_text`): ``Decimal("0E+2")`` is ``"0"``.
    """
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """The JSON-able form of ``entry`` (see the module docstring).

    Args:
        entry: the entry to encode.

    Returns:
        A dict of plain JSON types, ``None`` and empty optional fields left out.
    """
    out: dict[str, Any] = {
        "id": entry.id,
        "ts": _iso(entry.ts),
        "direction": entry.direction,
        "amount": decimal_text(entry.amount),
        "currency": entry.currency,
        "category": entry.category,
        "agent": entry.agent,
        "vendor": entry.vendor,
        "description": entry.description,
        "source": entry.source,
    }
    for name in ("account", "context", "receipt_url"):
        if value := getattr(entry, name):
            out[name] = value
    for name in ("tags", "flags"):
        if value := getattr(entry, name):
            out[name] = list(value)
    if entry.ref is not None:
        out["ref"] = entry.ref
    if entry.reverses is not None:
        out["reverses"] = entry.reverses
    if entry.meta:
        out["meta"] = dict(entry.meta)
    for name in CHAIN_FIELDS:
        value = getattr(entry, name)
        if value is None:
            continue
        if name == "price_usd":
            out[name] = decimal_text(value)
        else:
            out[name] = str(value) if name in _BIG_FIELDS else value
    return out


def parse_ts(value: object) -> datetime:
    """An aware UTC datetime from ISO-8601 text (naive means UTC) or epoch seconds.

    Raises:
        InvalidEntryError: not a timestamp.
    """
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidEntryError(f"not a timestamp: {value!r}") from None
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        try:
            ts = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidEntryError(f"timestamp out of range: {value!r}") from None
    else:
        raise InvalidEntryError(f"not a timestamp: {value!r}")
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidEntryError(f"{name} is not a number: {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidEntryError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise InvalidEntryError(f"{name} is not finite: {value!r}")
    return number


def _integer(value: object, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise InvalidEntryError(f"{name} is not an integer: {value!r}")


def _meta_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return decimal_text(value)
    return json.dumps(jsonable(value), ensure_ascii=False)


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """Rename seed v1 keys; fold unknown keys into ``meta``."""
    is_v1 = "direction" not in data
    fields: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, value in data.items():
        if is_v1 and key in _V1_IGNORED:
            continue
        name = _V1_ALIASES.get(key, key)
        if is_v1 and name == "source" and value not in _SOURCES:
            name = "vendor" if not data.get("vendor") else "meta:source"
        if name in _KNOWN and name not in fields:
            fields[name] = value
        else:
            extra[name.removeprefix("meta:")] = _meta_text(value)
    meta = fields.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise InvalidEntryError(f"meta is not an object: {meta!r}")
    fields["meta"] = {**{str(k): _meta_text(v) for k, v in meta.items()}, **extra}
    return fields


def _entry_id(data: Mapping[str, Any], fields: Mapping[str, Any]) -> str:
    raw = fields.get("id")
    if raw is None or raw == "":
        canonical = json.dumps(jsonable(data), sort_keys=True, ensure_ascii=False)
        return "v1-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidEntryError(f"id is not a string: {raw!r}")
    return str(raw)


def _text_tuple(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple):
        raise InvalidEntryError(f"{name} is not a list: {value!r}")
    return tuple(str(v) for v in value)


def _chain_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CHAIN_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if name in _INT_FIELDS or name in _BIG_FIELDS:
            out[name] = _integer(value, name)
        elif name == "price_usd":
            out[name] = _decimal(value, name)
        else:
            out[name] = str(value)
    return out


def entry_from_dict(data: Mapping[str, Any]) -> Entry:
    """An :class:`Entry` from its written form, or from a seed v1 record.

    Args:
        data: one parsed line (parse with ``parse_float=Decimal`` for exact floats).

    Returns:
        The entry.

    Raises:
        InvalidEntryError: the dict is not an entry (missing or bad fields).
    """
    if not isinstance(data, Mapping):
        raise InvalidEntryError("not a JSON object")
    fields = _normalise(data)
    direction = _DIRECTIONS.get(str(fields.get("direction", "")).strip().lower())
    if direction is None:
        raise InvalidEntryError(f"unknown direction: {fields.get('direction')!r}")
    if "amount" not in fields or "ts" not in fields:
        raise InvalidEntryError("an entry needs an amount and a timestamp")
    amount = _decimal(fields["amount"], "amount")
    if amount < 0 and fields.get("reverses") is None:  # only a reversal cancels with a minus
        raise InvalidEntryError(f"amount is negative: {fields['amount']!r}")
    source = fields.get("source", "manual")
    if source not in _SOURCES:
        raise InvalidEntryError(f"unknown source: {source!r}")
    ref, reverses = fields.get("ref"), fields.get("reverses")
    extra: dict[str, Any] = {n: str(fields[n]) for n in _TEXT_FIELDS if fields.get(n) is not None}
    extra.update(_chain_fields(fields))
    try:
        return Entry(
            id=_entry_id(data, fields),
            ts=parse_ts(fields["ts"]),
            direction=direction,
            amount=amount,
            category=str(fields.get("category") or "Other"),
            tags=_text_tuple(fields.get("tags"), "tags"),
            flags=_text_tuple(fields.get("flags"), "flags"),
            source=cast(Source, source),
            ref=None if ref is None else str(ref),
            reverses=None if reverses is None else str(reverses),
            meta=tuple(fields["meta"].items()),
            **extra,
        )
    except TypeError as exc:
        raise InvalidEntryError(f"not an entry: {exc}") from None


def checkpoint_to_dict(checkpoint: Checkpoint) -> dict[str, Any]:
    """The JSON-able form of a checkpoint (``state`` passes through as given)."""
    out: dict[str, Any] = {
        "chain_id": checkpoint.chain_id,
        "block_number": checkpoint.block_number,
        "block_hash": checkpoint.block_hash,
        "wallets": list(checkpoint.wallets),
        "state": jsonable(dict(checkpoint.state)),
    }
    if checkpoint.updated_at is not None:
        out["updated_at"] = _iso(checkpoint.updated_at)
    return out


def checkpoint_from_dict(data: Mapping[str, Any]) -> Checkpoint:
    """A :class:`Checkpoint` from :func:`checkpoint_to_dict`'s output.

    Raises:
        InvalidEntryError: a field is missing or of the wrong type.
    """
    try:
        updated = data.get("updated_at")
        return Checkpoint(
            chain_id=_integer(data["chain_id"], "chain_id"),
            block_number=_integer(data["block_number"], "block_number"),
            block_hash=str(data["block_hash"]),
            wallets=_text_tuple(data.get("wallets"), "wallets"),
            updated_at=None if updated is None else parse_ts(updated),
            state=dict(data.get("state") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidEntryError(f"not a checkpoint: {exc}") from None


def statement_to_dict(statement: Statement) -> dict[str, Any]:
    """The JSON-able form of a statement; base-unit amounts as integer strings."""
    out: dict[str, Any] = {
        "chain_id": statement.chain_id,
        "wallet": statement.wallet,
        "asset": statement.asset,
        "asset_decimals": statement.asset_decimals,
        "agent": statement.agent,
        "from_block": statement.from_block,
        "to_block": statement.to_block,
    }
    out.update({name: str(getattr(statement, name)) for name in _STATEMENT_INTS})
    out["reconciled"] = statement.reconciled
    out["created_at"] = _iso(statement.created_at)
    return out


def statement_from_dict(data: Mapping[str, Any]) -> Statement:
    """A :class:`Statement` from :func:`statement_to_dict`'s output.

    Raises:
        InvalidEntryError: a field is missing or of the wrong type.
    """
    try:
        return Statement(
            chain_id=_integer(data["chain_id"], "chain_id"),
            wallet=str(data["wallet"]),
            asset=str(data["asset"]),
            asset_decimals=_integer(data.get("asset_decimals", 18), "asset_decimals"),
            agent=str(data.get("agent", "")),
            from_block=_integer(data["from_block"], "from_block"),
            to_block=_integer(data["to_block"], "to_block"),
            reconciled=bool(data["reconciled"]),
            created_at=parse_ts(data["created_at"]),
            **{name: _integer(data[name], name) for name in _STATEMENT_INTS},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidEntryError(f"not a statement: {exc}") from None


def _plain_amount(text: str) -> tuple[int, int] | None:
    whole, dot, frac = text.partition(".")
    if not whole.isdigit() or (dot and not frac.isdigit()) or len(whole) + len(frac) > 18:
        return None
    return int(whole + frac), -len(frac)


def plain_fields(
    data: Mapping[str, Any],
) -> tuple[datetime, str, str, str, tuple[int, int], str | None] | None:
    """The fields an index needs from a plain manual entry, or None to use the full path.

    A fast path for the common line (every value a string, no tags, meta or chain
    fields, a plain decimal amount of at most 18 digits). It accepts exactly
    what :func:`entry_from_dict` accepts for such a line, and returns None for
    anything else, valid or not, so the caller falls back to the full decoder.

    Returns:
        ``(ts, direction, category, agent, (mantissa, exponent), ref)`` or None.
    """
    if not data.keys() <= _PLAIN_KEYS or not all(type(v) is str for v in data.values()):
        return None
    direction, ts, amount = data.get("direction"), data.get("ts"), data.get("amount")
    if direction not in _PLAIN_DIRECTIONS or ts is None or amount is None or "id" not in data:
        return None
    if data.get("source", "manual") not in _SOURCES or not data["id"]:
        return None
    parts = _plain_amount(amount)
    if parts is None:
        return None
    try:
        when = datetime.fromisoformat(ts)
    except ValueError:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    category = data.get("category") or "Other"
    return when, direction, category, data.get("agent", ""), parts, data.get("ref")
