"""ERC-20 ``Transfer`` logs for a whole squad, one ``eth_getLogs`` per range and direction.

All watched wallets go in one OR list in the topic position (topic1 for
transfers out, topic2 for transfers in), all allow-listed tokens in the
``address`` list. When an endpoint refuses a range, the range is split: at the
endpoint's hint when the hint is a real, smaller range, else in halves. The
smaller size is then used for the rest of the scan. An error is never read
as "no logs": a single block that is still refused raises.

A node behind a load balancer that has not seen a block answers ``[]`` for it
rather than an error. :func:`bloom_may_match` reads a block's ``logsBloom`` so
the scanner can ask again, by block hash (which such a node refuses), for the
blocks that may hold a squad transfer but came back without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from eth_utils.crypto import keccak

from aoineco_ledger.chains._abi import TRANSFER_TOPIC
from aoineco_ledger.chains.rpc._endpoint import Request
from aoineco_ledger.chains.rpc._errors import LogRangeRefusedError, range_hint
from aoineco_ledger.errors import RangeTooLargeError

if TYPE_CHECKING:
    from aoineco_ledger.chains.rpc import RpcClient

__all__ = [
    "LogQuery",
    "bloom_mask",
    "bloom_may_match",
    "fetch_transfer_logs",
    "logs_request",
    "transfer_topics",
]

TOPICS_PER_CALL = 500
"""Geth and Erigon accept up to 1,000 OR entries in a topic; stay well below."""


@dataclass(slots=True)
class LogQuery:
    """One scan's log fetching state (the learnt range size survives between calls)."""

    client: RpcClient
    tokens: Sequence[str]
    max_range: int | None = None
    calls: int = 0
    splits: int = 0

    def filter_for(self, low: int, high: int, topics: list[Any]) -> dict[str, Any]:
        """The ``eth_getLogs`` filter of this query's contracts over ``low..high``."""
        return {"fromBlock": low, "toBlock": high, "address": list(self.tokens), "topics": topics}

    def fits(self, low: int, high: int) -> bool:
        """Whether ``low..high`` is one request (within the range learnt so far)."""
        return self.max_range is None or high - low + 1 <= self.max_range

    def _chunks(self, low: int, high: int) -> list[tuple[int, int]]:
        size = self.max_range or (high - low + 1)
        return [(start, min(high, start + size - 1)) for start in range(low, high + 1, size)]

    def _split(self, exc: LogRangeRefusedError, low: int, high: int) -> list[tuple[int, int]]:
        if low == high:
            raise RangeTooLargeError(
                f"{exc} (even a single block, {low}, is refused: cannot split further)",
                url=exc.url,
                code=exc.code,
            ) from None
        self.splits += 1
        hint = range_hint(exc.detail, from_block=low)
        if hint is not None and hint[0] == low and low <= hint[1] < high:
            cut = hint[1]
        else:  # no hint, or one that repeats (or widens) the refused range
            cut = low + (high - low) // 2
        self.max_range = cut - low + 1
        return [(low, cut), (cut + 1, high)]

    def fetch(self, low: int, high: int, topics: list[Any]) -> list[Any]:
        """Every log matching ``topics`` in blocks ``low..high``, splitting refused ranges.

        Raises:
            RangeTooLargeError: a single block is refused.
            RpcError: the chain could not be read.
        """
        pending = self._chunks(low, high)[::-1]
        found: list[Any] = []
        while pending:
            start, end = pending.pop()
            try:
                self.calls += 1
                found.extend(self.client.get_logs(self.filter_for(start, end, topics)))
            except LogRangeRefusedError as exc:
                pending.extend(self._split(exc, start, end)[::-1])
        return found


def fetch_transfer_logs(
    query: LogQuery,
    *,
    low: int,
    high: int,
    wallet_topics: Sequence[str],
    direction: Literal["in", "out"],
) -> list[Any]:
    """Transfer logs of the allow-listed tokens from (``out``) or to (``in``) the wallets.

    Raises:
        RangeTooLargeError: a single block is refused.
        RpcError: the chain could not be read.
    """
    if not query.tokens or not wallet_topics or high < low:
        return []
    logs: list[Any] = []
    for topics in transfer_topics(wallet_topics, direction):
        logs.extend(query.fetch(low, high, topics))
    return logs


def transfer_topics(
    wallet_topics: Sequence[str], direction: Literal["in", "out"]
) -> list[list[Any]]:
    """The ``topics`` filters of Transfers from (``out``) or to (``in``) the wallets.

    One filter per :data:`TOPICS_PER_CALL` wallets (the OR list a node accepts).
    """
    filters: list[list[Any]] = []
    for start in range(0, len(wallet_topics), TOPICS_PER_CALL):
        chunk = list(wallet_topics[start : start + TOPICS_PER_CALL])
        filters.append(
            [TRANSFER_TOPIC, chunk] if direction == "out" else [TRANSFER_TOPIC, None, chunk]
        )
    return filters


def bloom_mask(value: str) -> int:
    """The three ``logsBloom`` bits (as an int) an address or topic (0x hex) sets."""
    digest = keccak(hexstr=value)
    mask = 0
    for i in (0, 2, 4):
        mask |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return mask


def bloom_may_match(
    bloom: bytes | str, *, tokens: Sequence[int], topic: int, wallets: Sequence[int]
) -> bool:
    """Whether a block's bloom may hold a Transfer of an allow-listed token naming a wallet.

    Args:
        bloom: the block's ``logsBloom`` (bytes or 0x hex).
        tokens: :func:`bloom_mask` of each allow-listed token address.
        topic: the mask of the Transfer topic.
        wallets: the masks of each watched wallet's topic.
    """
    value = int(bloom, 16) if isinstance(bloom, str) else int.from_bytes(bloom, "big")

    def has(mask: int) -> bool:
        return value & mask == mask

    return has(topic) and any(map(has, tokens)) and any(map(has, wallets))


def logs_request(log_filter: Mapping[str, Any]) -> Request:
    """``eth_getLogs(filter)`` as a request for a batch (see ``RpcClient.call_many``).

    A refused range raises :class:`LogRangeRefusedError` for the whole batch; the
    caller asks again through :meth:`LogQuery.fetch`, which splits it.
    """
    return lambda w3: w3.eth.get_logs(dict(log_filter))  # type: ignore[arg-type]
