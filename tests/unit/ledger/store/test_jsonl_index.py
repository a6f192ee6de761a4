"""The JSONL index: rollup windows agree with a plain sum, whatever the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aoineco_ledger.ledger.store._jsonl_index import EntryIndex, to_us

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_EXACT = Context(prec=200)
_HOUR_US = 3_600_000_000

_rows = st.lists(
    st.tuples(
        st.integers(min_value=-90 * 24, max_value=90 * 24),  # hour offset: +-90 days
        st.integers(min_value=0, max_value=_HOUR_US - 1),
        st.sampled_from(["oracle", "nova", "blue-sound"]),
        st.decimals(min_value=0, max_value=10**6, places=8, allow_nan=False, allow_infinity=False),
    ),
    max_size=60,
)
_bound = st.one_of(st.none(), st.integers(min_value=-100 * 24 * 3600, max_value=100 * 24 * 3600))


def _build(rows: list[tuple[int, int, str, Decimal]]) -> EntryIndex:
    index = EntryIndex()
    for n, (hour, micros, agent, amount) in enumerate(rows):
        index.add(
            ts_us=to_us(T0) + hour * _HOUR_US + micros,
            key=("expense", "API/LLM", agent),
            amount=amount,
            place=(None, None),
            offset=n,
            length=1,
        )
    return index


class TestWindows:
    @settings(max_examples=150, deadline=None)
    @given(rows=_rows, lo=_bound, hi=_bound, agent=st.sampled_from([None, "nova"]))
    def test_window_totals_equal_a_plain_sum(
        self,
        rows: list[tuple[int, int, str, Decimal]],
        lo: int | None,
        hi: int | None,
        agent: str | None,
    ) -> None:
        """Sums and counts over any window (seconds from T0) equal summing the rows."""
        index = _build(rows)
        lo_us = None if lo is None else to_us(T0) + lo * 1_000_000
        hi_us = None if hi is None else to_us(T0) + hi * 1_000_000
        keys = index.key_filter(direction=None, category=None, agent=agent)
        got = index.totals(lo_us, hi_us, keys, None)
        picked = [
            amount
            for hour, micros, who, amount in rows
            if (lo_us is None or to_us(T0) + hour * _HOUR_US + micros >= lo_us)
            and (hi_us is None or to_us(T0) + hour * _HOUR_US + micros < hi_us)
            and (agent is None or who == agent)
        ]
        total = want = Decimal(0)
        for amount, _ in got.groups.values():
            total = _EXACT.add(total, amount)
        for amount in picked:
            want = _EXACT.add(want, amount)
        assert (got.count, total) == (len(picked), want)

    def test_sum_keeps_the_finest_exponent(self) -> None:
        """0.0042 + 0.003 reads back as 0.0072, as Decimal addition would write it."""
        index = _build([(0, 0, "nova", Decimal("0.0042")), (1, 0, "nova", Decimal("0.003"))])
        ((total, _),) = index.totals(None, None, None, None).groups.values()
        assert str(total) == "0.0072"

    def test_back_dated_row_is_found_by_window(self) -> None:
        """A row appended out of time order still falls in the right window."""
        index = _build([(10, 0, "nova", Decimal(1)), (2, 0, "nova", Decimal(2))])
        rows = list(index.rows(to_us(T0), to_us(T0 + timedelta(hours=5)), None, None))
        assert rows == [1]

    def test_bulk_load_sorts_once(self) -> None:
        """Rows added in bulk out of order come back in time order."""
        index = EntryIndex()
        with index.bulk():
            for n, hour in enumerate([5, 1, 3]):
                index.add(
                    ts_us=to_us(T0) + hour * _HOUR_US,
                    key=("expense", "API/LLM", ""),
                    amount=Decimal(1),
                    place=(None, None),
                    offset=n,
                    length=1,
                )
        assert list(index.rows(None, None, None, None)) == [1, 2, 0]
