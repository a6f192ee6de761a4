"""The handful of contract calls this package makes, encoded and decoded by hand.

Only fixed selectors and static types: no ABI JSON needed, no contract objects.
"""

from __future__ import annotations

from eth_abi.abi import decode, encode
from eth_abi.exceptions import DecodingError

from aoineco_ledger.errors import ChainError

__all__ = [
    "BALANCE_OF",
    "DECIMALS",
    "LATEST_ROUND_DATA",
    "SYMBOL",
    "TRANSFER_TOPIC",
    "balance_of_data",
    "decode_round",
    "decode_string",
    "decode_uint",
]

DECIMALS = bytes.fromhex("313ce567")
SYMBOL = bytes.fromhex("95d89b41")
BALANCE_OF = bytes.fromhex("70a08231")
LATEST_ROUND_DATA = bytes.fromhex("feaf968c")
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
"""``Transfer(address,address,uint256)``."""


def balance_of_data(owner: str) -> bytes:
    """Call data for ``balanceOf(owner)``."""
    return BALANCE_OF + encode(["address"], [owner])


def decode_uint(data: bytes, *, what: str) -> int:
    """A single uint256 return value.

    Raises:
        ChainError: the return data is not one word.
    """
    if len(data) < 32:
        raise ChainError(f"{what} returned {len(data)} bytes, not a uint256")
    value: int = decode(["uint256"], data[:32])[0]
    return value


def decode_string(data: bytes) -> str | None:
    """A string return value (or a bytes32 one, as some old tokens do); None if neither."""
    try:
        text: str = decode(["string"], data)[0]
        return text
    except (DecodingError, OverflowError, UnicodeDecodeError):
        if len(data) == 32:
            return data.rstrip(b"\0").decode("utf-8", "replace") or None
        return None


def decode_round(data: bytes) -> tuple[int, int, int, int, int]:
    """``latestRoundData()``: (roundId, answer, startedAt, updatedAt, answeredInRound).

    Raises:
        ChainError: the return data is too short.
    """
    if len(data) < 160:
        raise ChainError(f"latestRoundData() returned {len(data)} bytes, expected 160")
    values = decode(["uint80", "int256", "uint256", "uint256", "uint80"], data[:160])
    round_id, answer, started, updated, answered = (int(v) for v in values)
    return round_id, answer, started, updated, answered
