"""Field-level parsing for the configuration: addresses, money, URLs, chain names.

Each parser takes the loose value a TOML file or an environment variable gives
and returns the rich one, or raises ``ValueError`` with a message that reads
well after the key it belongs to (``agents[1].wallets[0]: ...``). None of them
ever puts a secret into a message.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import SplitResult, urlsplit

from eth_utils.address import to_checksum_address

from aoineco_ledger._masking import mask_password, mask_url
from aoineco_ledger.errors import LedgerError
from aoineco_ledger.ledger import to_usd
from aoineco_ledger.typing import Address

__all__ = [
    "KNOWN_CHAIN_IDS",
    "chain_id_for",
    "mask_password",
    "mask_url",
    "parse_address",
    "parse_money",
    "parse_rpc_url",
]

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")

KNOWN_CHAIN_IDS: dict[str, int] = {
    "ethereum": 1,
    "mainnet": 1,
    "optimism": 10,
    "op": 10,
    "op-mainnet": 10,
    "bnb": 56,
    "bsc": 56,
    "polygon": 137,
    "base": 8453,
    "anvil": 31337,
    "arbitrum": 42161,
    "arbitrum-one": 42161,
    "base-sepolia": 84532,
}
"""Chain names the config understands without a ``chain_id`` (DESIGN.md's list, plus anvil).

Used when the chains layer's registry cannot be imported; the registry wins when it can.
"""


def chain_id_for(name: str) -> int | None:
    """The chain id a chain name stands for, or None when the name is unknown.

    Asks the chains layer's registry first (``aoineco_ledger.chains.get_chain``)
    and falls back to :data:`KNOWN_CHAIN_IDS`.
    """
    key = name.strip().lower()
    try:
        from aoineco_ledger.chains import get_chain  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return KNOWN_CHAIN_IDS.get(key)
    try:
        return int(get_chain(key).chain_id)
    except (LedgerError, LookupError, ValueError):
        return KNOWN_CHAIN_IDS.get(key)


def parse_address(value: object) -> Address:
    """Validate an address and return its EIP-55 checksum form.

    Lowercase (or uppercase) hex is accepted and normalised; mixed case must
    carry a correct checksum, since a wrong one is most likely a typo.

    Raises:
        ValueError: not ``0x`` + 40 hex digits, or a wrong checksum.
    """
    if not isinstance(value, str):
        raise ValueError("an address must be a string like 0xAbC... (40 hex digits)")
    text = value.strip()
    if not _HEX40.match(text):
        raise ValueError(f"not an address: {text!r} (expected 0x followed by 40 hex digits)")
    body = text[2:]
    checksummed = to_checksum_address(text.lower())
    if body not in (body.lower(), body.upper()) and checksummed != text:
        raise ValueError(
            f"the EIP-55 checksum of {text} is wrong (mixed case that does not match): "
            "most likely a typo; check the address, or write it in lowercase to skip the check"
        )
    return Address(checksummed)


def parse_money(value: object, *, allow_negative: bool = False) -> Decimal:
    """Parse a USD amount exactly: a decimal string, an int, or a float via ``str()``.

    Raises:
        ValueError: a bool, not a number, NaN or infinite, negative, or out of the
            ledger's bounds (:func:`aoineco_ledger.ledger.to_usd` decides).
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('expected an amount such as "7.00"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    if amount < 0 and not allow_negative:
        raise ValueError(f"must not be negative (got {value})")
    try:
        return to_usd(value)  # the ledger's own bounds (not absurdly large or finely divided)
    except LedgerError as exc:
        raise ValueError(str(exc)) from None


def parse_rpc_url(value: object) -> str:
    """Check that an RPC endpoint is an http:// or https:// URL with a host.

    WebSocket endpoints (``ws://``, ``wss://``) are refused here rather than at
    the first cycle: the RPC client speaks JSON-RPC over HTTP only
    (``chains/rpc/_transport.py`` is an ``HTTPProvider``). The message never
    contains the URL itself: it may carry an API key (a bad port is shown as
    ``scheme://host:port/***``).

    Raises:
        ValueError: not a string, not such a URL, or a port outside 1-65535.
    """
    if not isinstance(value, str):
        raise ValueError("an RPC URL must be a string")
    text = value.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError("not a valid URL (value hidden: it may hold a key)") from None
    if parts.scheme in ("ws", "wss"):
        raise ValueError(
            f"{parts.scheme}:// is not supported: only http:// and https:// RPC URLs are "
            "(use the provider's HTTPS endpoint)"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "not an http:// or https:// URL with a host (value hidden: it may hold a key)"
        )
    _check_port(parts)
    return text


def _check_port(parts: SplitResult) -> None:
    """A port, when given, is a number from 1 to 65535 (the URL is shown masked)."""
    try:
        port = parts.port
    except ValueError:  # not a number, or past 65535
        port = -1
    if port is not None and not 1 <= port <= 65535:
        shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/***"
        raise ValueError(f"the port of {shown} is not a number from 1 to 65535")
