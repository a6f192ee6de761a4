"""Periods: calendar windows in the ledger timezone, DST-correct; rolling windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aoineco_ledger.errors import InvalidPeriodError
from aoineco_ledger.ledger import PERIOD_NAMES, Window, resolve_period
from aoineco_ledger.ledger._periods import budget_window, get_timezone, to_utc

NOW = datetime(2026, 2, 13, 12, 0, tzinfo=UTC)  # a Friday
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class TestNamedPeriodsUtc:
    @pytest.mark.parametrize(
        ("name", "since", "until"),
        [
            ("today", utc(2026, 2, 13), utc(2026, 2, 14)),
            ("yesterday", utc(2026, 2, 12), utc(2026, 2, 13)),
            ("this-week", utc(2026, 2, 9), utc(2026, 2, 16)),
            ("last-week", utc(2026, 2, 2), utc(2026, 2, 9)),
            ("this-month", utc(2026, 2, 1), utc(2026, 3, 1)),
            ("last-month", utc(2026, 1, 1), utc(2026, 2, 1)),
            ("this-year", utc(2026, 1, 1), utc(2027, 1, 1)),
        ],
    )
    def test_calendar_windows(self, name: str, since: datetime, until: datetime) -> None:
        """Each calendar period starts at midnight and weeks start on Monday."""
        assert resolve_period(name, now=NOW) == Window(since, until)

    @pytest.mark.parametrize(
        ("name", "delta"),
        [
            ("last-24h", timedelta(hours=24)),
            ("last-7d", timedelta(days=7)),
            ("last-30d", timedelta(days=30)),
        ],
    )
    def test_rolling_windows(self, name: str, delta: timedelta) -> None:
        """Rolling periods end now and reach back a fixed span."""
        assert resolve_period(name, now=NOW) == Window(NOW - delta, None)

    def test_all_and_none(self) -> None:
        """``all`` and no name are unbounded."""
        assert resolve_period("all", now=NOW) == Window()
        assert resolve_period(None, now=NOW) == Window()

    def test_last_month_in_january(self) -> None:
        """last-month in January is December of the year before."""
        window = resolve_period("last-month", now=utc(2026, 1, 5))
        assert window == Window(utc(2025, 12, 1), utc(2026, 1, 1))

    def test_every_name_resolves(self) -> None:
        """Every advertised name resolves."""
        for name in PERIOD_NAMES:
            resolve_period(name, now=NOW, tz="Asia/Tokyo")

    def test_unknown_period(self) -> None:
        """An unknown name is an InvalidPeriodError listing the known ones."""
        with pytest.raises(InvalidPeriodError, match="this-month"):
            resolve_period("this-decade", now=NOW)


class TestTimezones:
    def test_today_in_tokyo(self) -> None:
        """Local midnight in Tokyo is 15:00 UTC the day before."""
        window = resolve_period("today", now=NOW, tz="Asia/Tokyo")
        assert window == Window(utc(2026, 2, 12, 15), utc(2026, 2, 13, 15))

    def test_spring_forward_day_is_23_hours(self) -> None:
        """2026-03-08 in New York is 23 hours long."""
        now = datetime(2026, 3, 8, 12, tzinfo=NY)
        window = resolve_period("today", now=now, tz="America/New_York")
        assert window.since == utc(2026, 3, 8, 5)
        assert window.until == utc(2026, 3, 9, 4)

    def test_fall_back_day_is_25_hours(self) -> None:
        """2026-10-25 in Berlin is 25 hours long."""
        now = datetime(2026, 10, 25, 12, tzinfo=BERLIN)
        window = resolve_period("today", now=now, tz="Europe/Berlin")
        assert window.until - window.since == timedelta(hours=25)  # type: ignore[operator]

    def test_month_across_dst(self) -> None:
        """March in Berlin starts at UTC+1 and ends at UTC+2."""
        window = resolve_period("this-month", now=utc(2026, 3, 15), tz="Europe/Berlin")
        assert window == Window(utc(2026, 2, 28, 23), utc(2026, 3, 31, 22))

    def test_unknown_timezone(self) -> None:
        """A timezone that does not exist is an InvalidPeriodError."""
        with pytest.raises(InvalidPeriodError, match="Mars/Olympus"):
            resolve_period("today", now=NOW, tz="Mars/Olympus")

    def test_get_timezone_passes_tzinfo_through(self) -> None:
        """A tzinfo is returned as is; ``utc`` in any case is UTC."""
        assert get_timezone(NY) is NY
        assert get_timezone("utc") is UTC

    @given(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
        st.sampled_from(["America/New_York", "Europe/Berlin"]),
        st.sampled_from(["today", "this-week", "this-month", "this-year"]),
    )
    def test_window_contains_now_and_starts_at_local_midnight(
        self, naive: datetime, zone: str, name: str
    ) -> None:
        """Any instant lies in its own period, which starts at a local midnight."""
        now = naive.replace(tzinfo=UTC)
        window = resolve_period(name, now=now, tz=zone)
        assert now in window
        local_start = window.since.astimezone(ZoneInfo(zone))  # type: ignore[union-attr]
        assert (local_start.hour, local_start.minute) == (0, 0)

    @given(
        st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
        st.sampled_from(["America/New_York", "Europe/Berlin"]),
    )
    def test_consecutive_days_abut(self, day: date, zone: str) -> None:
        """Yesterday ends exactly where today starts, DST or not."""
        tz = ZoneInfo(zone)
        now = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        today = resolve_period("today", now=now, tz=zone)
        yesterday = resolve_period("yesterday", now=now, tz=zone)
        assert yesterday.until == today.since
        assert timedelta(hours=23) <= today.until - today.since <= timedelta(hours=25)  # type: ignore[operator]


class TestBounds:
    def test_since_until_narrow_a_period(self) -> None:
        """Explicit bounds narrow a named window."""
        window = resolve_period("this-month", now=NOW, since="2026-02-10", until=utc(2026, 3, 5))
        assert window == Window(utc(2026, 2, 10), utc(2026, 3, 1))

    def test_explicit_window_only(self) -> None:
        """Without a name, since/until alone make the window."""
        window = resolve_period(None, now=NOW, since=date(2026, 1, 1))
        assert window == Window(utc(2026, 1, 1), None)

    def test_naive_bound_is_local(self) -> None:
        """A naive bound is in the ledger timezone."""
        window = resolve_period(None, now=NOW, tz="Europe/Berlin", since=datetime(2026, 2, 1))
        assert window.since == utc(2026, 1, 31, 23)

    def test_until_before_since(self) -> None:
        """A window that ends before it starts is refused."""
        with pytest.raises(InvalidPeriodError, match="before it starts"):
            resolve_period(None, now=NOW, since="2026-02-10", until="2026-02-01")

    def test_malformed_bound(self) -> None:
        """A bound that is not ISO 8601 is refused."""
        with pytest.raises(InvalidPeriodError, match="ISO 8601"):
            to_utc("last tuesday", UTC)

    def test_contains_rejects_non_datetimes(self) -> None:
        """Only datetimes can be in a window."""
        assert "2026-02-13" not in Window()


class TestBudgetWindows:
    @pytest.mark.parametrize(
        ("period", "key", "since"),
        [
            ("daily", "2026-02-13", utc(2026, 2, 13)),
            ("weekly", "2026-W07", utc(2026, 2, 9)),
            ("monthly", "2026-02", utc(2026, 2, 1)),
            ("yearly", "2026", utc(2026, 1, 1)),
            ("total", "total", None),
        ],
    )
    def test_keys_and_starts(self, period: str, key: str, since: datetime | None) -> None:
        """Each budget period has a key naming it and starts where expected."""
        window, got = budget_window(period, NOW)
        assert (got, window.since) == (key, since)

    def test_iso_week_of_new_year(self) -> None:
        """2027-01-01 (a Friday) is in ISO week 2026-W53."""
        _, key = budget_window("weekly", utc(2027, 1, 1, 12))
        assert key == "2026-W53"

    def test_daily_in_local_time(self) -> None:
        """A budget day is the local day: 23:30 UTC is already tomorrow in Berlin."""
        _, key = budget_window("daily", utc(2026, 2, 13, 23, 30), "Europe/Berlin")
        assert key == "2026-02-14"

    def test_unknown_budget_period(self) -> None:
        """An unknown budget period is an InvalidPeriodError."""
        with pytest.raises(InvalidPeriodError, match="fortnightly"):
            budget_window("fortnightly", NOW)
