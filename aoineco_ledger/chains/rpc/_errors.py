"""Reading what an endpoint's error means: rate limit, range refusal, missing state.

Providers word these differently; the texts below are the ones seen in the
wild (see ``shared/fixtures/README.md``). JSON-RPC code -32005 is used both for
"rate limited" (Infura, many gateways) and for "too many results" (Infura's
``eth_getLogs`` cap), so the text decides before the code does.
"""

from __future__ import annotations

import re
from typing import Literal

from aoineco_ledger.errors import RangeTooLargeError, RpcError

__all__ = [
    "BatchUnsupportedError",
    "CallRevertedError",
    "ErrorKind",
    "LogRangeRefusedError",
    "RpcResponseError",
    "classify_rpc_error",
    "range_hint",
]

ErrorKind = Literal["rate-limit", "range", "state", "missing-block", "other"]

_RANGE_TEXTS = (
    "range too large",
    "block range",
    "exceeds max results",
    "exceed max results",
    "more than",
    "too many results",
    "limited to",
    "response size exceeded",
    "query exceeds",
    "range is too large",
    "max block range",
    "logs matched",
)
_RATE_TEXTS = ("rate limit", "too many requests", "rate-limit", "request limit", "capacity")
_STATE_TEXTS = (
    "missing trie node",
    "state not available",
    "historical state",
    "state is not available",
    "not an archive",
    "pruned",
    "state histories haven't been fully indexed",
)
_MISSING_BLOCK_TEXTS = ("unknown block", "header not found")
"""A node that has not seen the block yet (behind its load balancer's head)."""
_RATE_CODES = (-32005, -32029, 429)


def classify_rpc_error(code: int | None, message: str) -> ErrorKind:
    """What an endpoint's JSON-RPC error means, from its code and text."""
    text = message.lower()
    if any(marker in text for marker in _RATE_TEXTS):
        return "rate-limit"
    if any(marker in text for marker in _RANGE_TEXTS):
        return "range"
    if any(marker in text for marker in _STATE_TEXTS):
        return "state"
    if any(marker in text for marker in _MISSING_BLOCK_TEXTS):
        return "missing-block"
    return "rate-limit" if code in _RATE_CODES else "other"


_HINT_PATTERNS = (
    re.compile(r"\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]", re.IGNORECASE),
    re.compile(r"range\s+(0x[0-9a-f]+|\d+)\s*-\s*(0x[0-9a-f]+|\d+)", re.IGNORECASE),
    re.compile(r"from\s+(0x[0-9a-f]+|\d+)\s+to\s+(0x[0-9a-f]+|\d+)", re.IGNORECASE),
)
_LIMIT_PATTERN = re.compile(r"limited to (?:a )?([\d,]+)(?: block)? range", re.IGNORECASE)


def _number(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text.replace(",", ""))


def range_hint(message: str, *, from_block: int) -> tuple[int, int] | None:
    """The block range an error text suggests, when it suggests one.

    Understands ``retry with the range 100-200``, ``[0x64, 0xc8]`` and
    ``limited to 1024 block range`` (read as ``from_block .. from_block + 1023``).
    """
    for pattern in _HINT_PATTERNS:
        match = pattern.search(message)
        if match:
            return _number(match.group(1)), _number(match.group(2))
    limit = _LIMIT_PATTERN.search(message)
    if limit:
        size = _number(limit.group(1))
        if size > 0:
            return from_block, from_block + size - 1
    return None


class LogRangeRefusedError(RangeTooLargeError):
    """An endpoint refused an ``eth_getLogs`` range; ``detail`` is its own text.

    Attributes:
        detail: the endpoint's error message (no URL in it).
        from_block: the refused range's first block.
        to_block: the refused range's last block.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str = "",
        code: int | None = None,
        detail: str = "",
        from_block: int = 0,
        to_block: int = 0,
    ) -> None:
        super().__init__(message, url=url, code=code)
        self.detail = detail
        self.from_block = from_block
        self.to_block = to_block


class BatchUnsupportedError(RpcError):
    """The endpoint refused a JSON-RPC batch (then single calls are used instead)."""


class RpcResponseError(RpcError):
    """The endpoint answered, with a JSON-RPC error (asking another URL would not help)."""


class CallRevertedError(RpcResponseError):
    """An ``eth_call`` reverted."""
