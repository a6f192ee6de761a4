"""The rollup buckets and window plans of the SQL store (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from aoineco_ledger.ledger.store.sql._buckets import bucket_of, plan_window

_MONTHS = 12


def _start(grain: str, bucket: int) -> datetime:
    if grain == "h":
        day = datetime.fromordinal(bucket // 24).replace(tzinfo=UTC)
        return day + timedelta(hours=bucket % 24)
    if grain == "d":
        return datetime.fromordinal(bucket).replace(tzinfo=UTC)
    return datetime(bucket // _MONTHS, bucket % _MONTHS + 1, 1, tzinfo=UTC)


def _covered(plan_since: datetime, plan_until: datetime) -> list[tuple[datetime, datetime]]:
    plan = plan_window(plan_since, plan_until)
    spans = [(lo, hi) for lo, hi in plan.raw if lo is not None and hi is not None]
    for grain, lo_b, hi_b in plan.rolled:
        spans.append((_start(grain, lo_b), _start(grain, hi_b)))
    return sorted(spans)


_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


class TestBuckets:
    def test_hour_day_month_numbers(self) -> None:
        """An instant's buckets are its UTC hour, day ordinal and month number."""
        ts = datetime(2026, 2, 13, 10, 59, 59, 999999, tzinfo=UTC)
        day = ts.date().toordinal()
        assert [bucket_of(g, ts) for g in "ahdm"] == [0, day * 24 + 10, day, 2026 * 12 + 1]

    def test_other_timezones_bucket_in_utc(self) -> None:
        """An instant given with an offset lands in its UTC hour."""
        local = datetime(2026, 2, 13, 0, 30, tzinfo=UTC).astimezone()
        assert bucket_of("h", local) == bucket_of("h", datetime(2026, 2, 13, 0, 30, tzinfo=UTC))


class TestPlanWindow:
    def test_open_window_reads_the_all_time_rollup(self) -> None:
        """No bounds: one all-time rollup row per group, no entries."""
        plan = plan_window(None, None)
        assert (plan.raw, plan.rolled) == ((), (("a", 0, 1),))

    def test_whole_month_is_one_bucket(self) -> None:
        """A calendar month is read from one month bucket."""
        plan = plan_window(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
        assert (plan.raw, plan.rolled) == ((), (("m", 2026 * 12 + 1, 2026 * 12 + 2),))

    def test_sub_hour_window_reads_entries_only(self) -> None:
        """A window inside one hour has no whole bucket: entries only."""
        lo, hi = datetime(2026, 2, 1, 10, 5, tzinfo=UTC), datetime(2026, 2, 1, 10, 50, tzinfo=UTC)
        plan = plan_window(lo, hi)
        assert (plan.raw, plan.rolled) == (((lo, hi),), ())

    def test_open_start_uses_open_bucket_range(self) -> None:
        """``until`` alone reads every month before it and the partial pieces after."""
        plan = plan_window(None, datetime(2026, 2, 3, 4, 30, tzinfo=UTC))
        assert plan.rolled[-1] == ("m", -1, 2026 * 12 + 1)
        assert plan.raw == ((datetime(2026, 2, 3, 4, tzinfo=UTC), plan.raw[0][1]),)

    @settings(max_examples=300, deadline=None)
    @given(a=_instants, b=_instants)
    def test_pieces_tile_the_window_exactly(self, a: datetime, b: datetime) -> None:
        """The plan's pieces are disjoint and together cover exactly [since, until)."""
        since, until = min(a, b), max(a, b)
        spans = [s for s in _covered(since, until) if s[0] < s[1]]
        if since == until:
            assert spans == []
            return
        assert spans[0][0] == since
        assert spans[-1][1] == until
        assert all(x[1] == y[0] for x, y in pairwise(spans))
