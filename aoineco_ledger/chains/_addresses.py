"""Addresses, converted once at the boundary.

Input may be lowercase, uppercase or EIP-55 mixed case; a mixed-case address
whose checksum is wrong is refused (it is usually a typo, and money sent to a
typo is gone). Output is always the EIP-55 checksum form, so two spellings of
one address compare equal after :func:`to_address`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from eth_utils.crypto import keccak

from aoineco_ledger.errors import InvalidAddressError
from aoineco_ledger.typing import Address

__all__ = ["ZERO_ADDRESS", "address_topic", "same_address", "to_address", "to_addresses"]

_HEX40 = re.compile(r"^0x[0-9a-fA-F]{40}$")

ZERO_ADDRESS = Address("0x0000000000000000000000000000000000000000")
"""The zero address (mints come from it, burns go to it)."""


def _checksum(lower_hex40: str) -> str:
    digest = keccak(text=lower_hex40).hex()
    chars = (c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(lower_hex40))
    return "0x" + "".join(chars)


def to_address(value: object) -> Address:
    """Validate an address and return its EIP-55 checksum form.

    Args:
        value: a ``0x``-prefixed 40-hex-digit string (any case) or 20 raw bytes.

    Returns:
        The checksummed address.

    Raises:
        InvalidAddressError: not an address, or mixed case with a wrong checksum.
    """
    if isinstance(value, bytes | bytearray) and len(value) == 20:
        return Address(_checksum(bytes(value).hex()))
    if not isinstance(value, str):
        raise InvalidAddressError(f"not an address: {value!r} (expected a 0x-prefixed hex string)")
    text = value.strip()
    if not _HEX40.match(text):
        raise InvalidAddressError(
            f"not an address: {value!r} (expected 0x followed by 40 hex digits)"
        )
    body = text[2:]
    checksummed = _checksum(body.lower())
    mixed = body != body.lower() and body != body.upper()
    if mixed and checksummed[2:] != body:
        raise InvalidAddressError(
            f"bad EIP-55 checksum in address {text}: the checksum is wrong "
            f"(did you mean {checksummed}? check for a typo before using it)"
        )
    return Address(checksummed)


def to_addresses(values: Iterable[object]) -> tuple[Address, ...]:
    """Validate many addresses; duplicates (in any spelling) are dropped, order kept.

    Raises:
        InvalidAddressError: any of them is not a valid address.
    """
    seen: dict[str, Address] = {}
    for value in values:
        address = to_address(value)
        seen.setdefault(address.lower(), address)
    return tuple(seen.values())


def same_address(left: str | None, right: str | None) -> bool:
    """Compare two addresses case-insensitively (None equals only None)."""
    if left is None or right is None:
        return left is right
    return left.lower() == right.lower()


def address_topic(address: str) -> str:
    """The 32-byte, lowercase, left-padded log topic of an address."""
    return "0x" + "0" * 24 + to_address(address)[2:].lower()
