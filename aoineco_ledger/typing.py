"""Shared type aliases and chain primitives, converted once at the boundary.

Standard library only, so every layer (``ledger/`` included) may import it.
"""

from __future__ import annotations

from typing import Literal, NewType

__all__ = [
    "Address",
    "BlockNumber",
    "ChainId",
    "Direction",
    "Source",
    "TxHash",
    "Wei",
]

Address = NewType("Address", str)
"""A 20-byte account address in EIP-55 checksum form (``0xAbC...``)."""

TxHash = NewType("TxHash", str)
"""A 32-byte transaction hash, lowercase ``0x``-prefixed hex."""

BlockNumber = NewType("BlockNumber", int)
"""A block height."""

ChainId = NewType("ChainId", int)
"""An EIP-155 chain id (Base is 8453)."""

Wei = int
"""Native-coin base units. Always an ``int``; never a float, never a 64-bit column."""

Direction = Literal["expense", "revenue", "transfer"]
"""Which way money moved, from the squad's point of view."""

Source = Literal["manual", "chain", "import"]
"""Who wrote an entry: a person or agent, the reconciler, or an import."""
