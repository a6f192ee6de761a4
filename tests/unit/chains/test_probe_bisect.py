"""The probe scanner's bisection, as pure functions over a list-backed oracle."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aoineco_ledger.chains.scanning._bisect import (
    Cumulative,
    NotMonotonicError,
    Segment,
    Step,
    find_steps,
    nonces_by_block,
)


class Oracle:
    """Values per key and block from plain lists; remembers every round it was asked."""

    def __init__(self, histories: dict[str, list[int]]) -> None:
        self.histories = histories
        self.rounds: list[list[tuple[str, int]]] = []

    def read(self, points: Sequence[tuple[str, int]]) -> list[int]:
        self.rounds.append(list(points))
        return [self.histories[key][block] for key, block in points]

    @property
    def reads(self) -> int:
        return sum(len(r) for r in self.rounds)

    def segment(self, key: str, low: int, high: int) -> Segment[str]:
        values = self.histories[key]
        return Segment(key, low, high, values[low], values[high])


def _history(length: int, steps: dict[int, int], start: int = 0) -> list[int]:
    """A non-decreasing history of ``length + 1`` values growing by ``steps[block]``."""
    values, current = [], start
    for block in range(length + 1):
        current += steps.get(block, 0)
        values.append(current)
    return values


def _true_steps(key: str, values: list[int], low: int, high: int) -> list[Step[str]]:
    return [
        Step(key, b, values[b - 1], values[b])
        for b in range(low + 1, high + 1)
        if values[b] != values[b - 1]
    ]


class TestFindSteps:
    def test_finds_a_single_step(self) -> None:
        """One nonce step in 1,000 blocks is found at its block."""
        oracle = Oracle({"a": _history(1000, {637: 1})})
        assert find_steps([oracle.segment("a", 0, 1000)], oracle.read) == [Step("a", 637, 0, 1)]

    def test_a_single_step_costs_log2_reads(self) -> None:
        """Finding one step in R blocks takes ceil(log2 R) reads."""
        oracle = Oracle({"a": _history(1000, {1: 1})})
        find_steps([oracle.segment("a", 0, 1000)], oracle.read)
        assert oracle.reads <= math.ceil(math.log2(1000))

    def test_no_change_costs_nothing(self) -> None:
        """A segment whose ends agree is never read."""
        oracle = Oracle({"a": _history(1000, {})})
        assert find_steps([oracle.segment("a", 0, 1000)], oracle.read) == []
        assert oracle.rounds == []

    def test_a_step_of_two_is_one_block(self) -> None:
        """Two transactions in one block are one step of two."""
        oracle = Oracle({"a": _history(64, {20: 2})})
        assert find_steps([oracle.segment("a", 0, 64)], oracle.read) == [Step("a", 20, 0, 2)]

    def test_step_at_the_range_edges(self) -> None:
        """Steps in the first and in the last block of the range are found."""
        oracle = Oracle({"a": _history(50, {11: 1, 50: 3})})
        steps = find_steps([oracle.segment("a", 10, 50)], oracle.read)
        assert [(s.block, s.delta) for s in steps] == [(11, 1), (50, 3)]

    def test_every_key_shares_each_round(self) -> None:
        """Three wallets' searches go in the same rounds: one read call per level."""
        histories = {k: _history(256, {b: 1}) for k, b in (("a", 3), ("b", 100), ("c", 255))}
        oracle = Oracle(histories)
        find_steps([oracle.segment(k, 0, 256) for k in histories], oracle.read)
        assert len(oracle.rounds) == 8
        assert all(len(r) == 3 for r in oracle.rounds)

    def test_decreasing_value_is_refused(self) -> None:
        """A value below the one at the segment's start raises NotMonotonicError naming the key."""
        oracle = Oracle({"a": [0, 5, 1, 1, 3]})
        with pytest.raises(NotMonotonicError) as caught:
            find_steps([Segment("a", 0, 4, 0, 3)], oracle.read)
        assert caught.value.key == "a"

    def test_end_below_start_is_refused(self) -> None:
        """A segment that ends lower than it starts is refused before any read."""
        oracle = Oracle({"a": [0, 0]})
        with pytest.raises(NotMonotonicError):
            find_steps([Segment("a", 0, 1, 2, 1)], oracle.read)
        assert oracle.rounds == []

    def test_empty_segment_is_an_error(self) -> None:
        """A segment with low >= high is a programming error."""
        with pytest.raises(ValueError, match="empty"):
            find_steps([Segment("a", 5, 5, 0, 1)], Oracle({}).read)

    @settings(max_examples=60, deadline=None)
    @given(
        length=st.integers(min_value=1, max_value=5000),
        data=st.data(),
    )
    def test_steps_equal_the_true_change_points(self, length: int, data: st.DataObject) -> None:
        """For any non-decreasing history, the steps are exactly its change points."""
        blocks = data.draw(st.lists(st.integers(1, length), max_size=8, unique=True))
        sizes = data.draw(
            st.lists(st.integers(1, 10**18), min_size=len(blocks), max_size=len(blocks))
        )
        values = _history(length, dict(zip(blocks, sizes, strict=True)), start=7)
        oracle = Oracle({"w": values})
        steps = find_steps([oracle.segment("w", 0, length)], oracle.read)
        assert steps == _true_steps("w", values, 0, length)
        assert oracle.reads <= max(1, len(blocks)) * math.ceil(math.log2(length + 1))


class TestNoncesByBlock:
    def test_each_nonce_gets_its_block(self) -> None:
        """Steps 3->4 at 10 and 4->6 at 12 give nonces 3, 4, 5 in blocks 10, 12, 12."""
        steps = [Step("a", 10, 3, 4), Step("a", 12, 4, 6)]
        assert nonces_by_block(steps) == {"a": [(3, 10), (4, 12), (5, 12)]}


class TestCumulative:
    def test_sums_changes_up_to_a_block(self) -> None:
        """upto(x) adds every change at a block <= x, negative ones too."""
        running = Cumulative([(5, -3), (2, 10), (5, 1)])
        assert [running.upto(b) for b in (1, 2, 4, 5, 9)] == [0, 10, 10, 8, 8]

    def test_at_is_one_blocks_change(self) -> None:
        """at(x) is the net change in block x alone."""
        assert Cumulative([(5, -3), (5, 1)]).at(5) == -2

    def test_empty_is_zero(self) -> None:
        """No changes: zero everywhere."""
        assert Cumulative().upto(10**9) == 0
