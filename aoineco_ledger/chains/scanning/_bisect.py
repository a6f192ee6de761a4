"""Finding the blocks where a non-decreasing per-wallet number changed, by bisection.

The probe scanner knows a number at both ends of a block range (a nonce, or a
wallet's "unexplained" balance) and wants the blocks where it stepped up. When
the number can only grow, a segment whose two ends agree holds no step, so
only segments with a difference are split; each split costs one read per
segment. Every round asks for the midpoints of *all* open segments of *all*
wallets in one call of ``read`` (the scanner makes that one JSON-RPC batch).
For ``k`` steps in a range of ``R`` blocks that is about ``k * log2(R)``
values in ``log2(R)`` rounds.

Pure code: ``read`` is the only way out, so the tests hand in a list.
"""

from __future__ import annotations

import bisect as _bisect
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from aoineco_ledger.errors import ChainError

__all__ = [
    "Cumulative",
    "NotMonotonicError",
    "Segment",
    "Step",
    "find_steps",
    "nonces_by_block",
]

K = TypeVar("K", bound=Hashable)

Reader = Callable[[Sequence[tuple[K, int]]], Sequence[int]]
"""Values at ``(key, block)`` points, in the order asked."""


class NotMonotonicError(ChainError):
    """The number went down inside a segment: the bisection's assumption does not hold.

    Attributes:
        key: whose number it was.
        low: the segment's first block (value known there).
        high: the segment's last block.
    """

    def __init__(self, message: str, *, key: object, low: int, high: int) -> None:
        super().__init__(message)
        self.key = key
        self.low = low
        self.high = high


@dataclass(frozen=True, slots=True)
class Segment(Generic[K]):
    """Blocks ``(low, high]`` of one key, with the value known at ``low`` and at ``high``."""

    key: K
    low: int
    high: int
    at_low: int
    at_high: int


@dataclass(frozen=True, slots=True)
class Step(Generic[K]):
    """The value of ``key`` went from ``before`` (at ``block - 1``) to ``after`` at ``block``."""

    key: K
    block: int
    before: int
    after: int

    @property
    def delta(self) -> int:
        """How much it grew in this block."""
        return self.after - self.before


def _check(segment: Segment[K], value: int, where: int) -> None:
    if not segment.at_low <= value <= segment.at_high:
        raise NotMonotonicError(
            f"value of {segment.key!r} at block {where} is {value}, outside "
            f"{segment.at_low}..{segment.at_high} known at {segment.low} and {segment.high}",
            key=segment.key,
            low=segment.low,
            high=segment.high,
        )


def _halves(segment: Segment[K], mid: int, value: int) -> list[Segment[K]]:
    out: list[Segment[K]] = []
    if value != segment.at_low:
        out.append(Segment(segment.key, segment.low, mid, segment.at_low, value))
    if value != segment.at_high:
        out.append(Segment(segment.key, mid, segment.high, value, segment.at_high))
    return out


def find_steps(segments: Iterable[Segment[K]], read: Reader[K]) -> list[Step[K]]:
    """Every block where a key's non-decreasing value grew, inside the given segments.

    Args:
        segments: one or more segments per key (``low < high``), ends known.
        read: values at a batch of ``(key, block)`` points; called once per round.

    Returns:
        The steps, ordered by block (keys in the order their segments came).

    Raises:
        NotMonotonicError: a value was lower than one before it.
        ValueError: a segment is empty or backwards.
    """
    pending: list[Segment[K]] = []
    for segment in segments:
        if segment.high <= segment.low:
            raise ValueError(f"segment ({segment.low}, {segment.high}] is empty")
        _check(segment, segment.at_high, segment.high)
        if segment.at_high != segment.at_low:
            pending.append(segment)
    steps: list[Step[K]] = []
    while pending:
        wide = [s for s in pending if s.high - s.low > 1]
        steps.extend(
            Step(s.key, s.high, s.at_low, s.at_high) for s in pending if s.high == s.low + 1
        )
        if not wide:
            break
        points = [(s.key, (s.low + s.high) // 2) for s in wide]
        values = list(read(points))
        if len(values) != len(points):
            raise ValueError(f"read returned {len(values)} values for {len(points)} points")
        pending = []
        for segment, (_, mid), value in zip(wide, points, values, strict=True):
            _check(segment, value, mid)
            pending.extend(_halves(segment, mid, value))
    return sorted(steps, key=lambda step: step.block)


def nonces_by_block(steps: Iterable[Step[K]]) -> dict[K, list[tuple[int, int]]]:
    """``(nonce, block)`` pairs per key from nonce steps (a step of 2 is two transactions)."""
    out: dict[K, list[tuple[int, int]]] = {}
    for step in steps:
        out.setdefault(step.key, []).extend((n, step.block) for n in range(step.before, step.after))
    return out


class Cumulative:
    """A running sum of per-block changes: ``upto(x)`` adds every change at a block <= x."""

    def __init__(self, changes: Iterable[tuple[int, int]] = ()) -> None:
        """Args:
        changes: ``(block, amount)`` pairs, in any order (amounts may be negative).
        """
        totals: dict[int, int] = {}
        for block, amount in changes:
            totals[block] = totals.get(block, 0) + amount
        self._blocks = sorted(totals)
        self._sums: list[int] = []
        running = 0
        for block in self._blocks:
            running += totals[block]
            self._sums.append(running)

    def upto(self, block: int) -> int:
        """The sum of all changes at blocks ``<= block``."""
        index = _bisect.bisect_right(self._blocks, block)
        return self._sums[index - 1] if index else 0

    def at(self, block: int) -> int:
        """The sum of the changes at exactly ``block``."""
        return self.upto(block) - self.upto(block - 1)
