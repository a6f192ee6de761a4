"""Unannounced ETH in one call: ``trace_filter`` over a poll, instead of a bisection per inflow.

Where the endpoint offers ``trace_filter`` (anvil, reth, erigon, nethermind),
one call with ``toAddress`` = the wallets whose ETH is unexplained returns
every call that moved value to them in the range, top-level or internal, with
its block and transaction. The probe scanner takes what it returns for a
wallet only when it adds up, to the wei, to what the snapshots left
unexplained; a wallet whose traces do not add up (ETH that arrives without a
call: a withdrawal, a priority fee to a block producer; a call under a reverted
one that the filter returns without its parent) is bisected as before.

An endpoint that refuses a range ("block range too large, currently limited
to 300": anvil) has its limit learnt, and the range is asked in pieces, all in
one batch; when more pieces would be needed than a bisection would read, the
bisection is cheaper and is used instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from aoineco_ledger.chains.rpc import RpcClient
from aoineco_ledger.chains.rpc._errors import LogRangeRefusedError
from aoineco_ledger.chains.scanning._probe_calls import (
    is_missing_state,
    is_unsupported,
    trace_filter_request,
)
from aoineco_ledger.errors import RpcError

__all__ = ["TraceFilter", "bisection_cost", "trace_target"]

_LIMIT = re.compile(r"limited to (?:a )?([\d,]+)", re.IGNORECASE)


def bisection_cost(wallets: int, blocks: int) -> int:
    """Reads a bisection needs at least to find one inflow per wallet in ``blocks`` blocks."""
    return wallets * max(1, math.ceil(math.log2(max(2, blocks))))


def trace_target(trace: Any) -> str | None:
    """The address a parity-style trace moves value to (lower case), if any."""
    action = trace.get("action") or {}
    if trace.get("type") == "call":
        return str(action.get("to") or "").lower() or None
    if trace.get("type") == "suicide":
        return str(action.get("refundAddress") or "").lower() or None
    return None


class TraceFilter:
    """Asks ``trace_filter`` for the calls to some wallets, learning what the endpoint takes."""

    def __init__(self, client: RpcClient, *, enabled: bool | None) -> None:
        """Args:
        client: the chain's RPC client.
        enabled: True/False, or None to find out on first use.
        """
        self.client = client
        self.enabled = enabled
        self.max_range: int | None = None

    def pieces(self, low: int, high: int) -> list[tuple[int, int]]:
        """Blocks ``low..high`` in ranges the endpoint takes (as far as known)."""
        size = self.max_range or (high - low + 1)
        return [(start, min(high, start + size - 1)) for start in range(low, high + 1, size)]

    def traces(
        self, low: int, high: int, wallets: Sequence[str], *, budget: int
    ) -> list[Any] | None:
        """Every trace of a call to ``wallets`` in blocks ``low..high``.

        None when the endpoint has no ``trace_filter`` (found out once), has no
        traces that old, or would need more than ``budget`` calls for the range.

        Raises:
            RpcError: the chain could not be read.
        """
        if self.enabled is False or not wallets or high < low:
            return None
        while True:
            pieces = self.pieces(low, high)
            if len(pieces) > budget:
                return None
            try:
                answers = self.client.call_many(
                    "trace_filter", [trace_filter_request(a, b, wallets) for a, b in pieces]
                )
            except LogRangeRefusedError as exc:
                if not self._shrink(exc, max(b - a + 1 for a, b in pieces)):
                    return None
                continue
            except RpcError as exc:
                if is_missing_state(exc):
                    return None
                if self.enabled is None and is_unsupported(exc):
                    self.enabled = False
                    return None
                raise
            self.enabled = True
            return [trace for answer in answers for trace in answer or ()]

    def _shrink(self, exc: LogRangeRefusedError, size: int) -> bool:
        """Learn a smaller range from a refusal; False when one block is refused."""
        if size <= 1:
            return False
        match = _LIMIT.search(exc.detail)
        limit = int(match.group(1).replace(",", "")) if match else 0
        self.max_range = limit if 0 < limit < size else max(1, size // 2)
        return True
