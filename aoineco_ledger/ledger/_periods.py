"""Periods: named windows of time, evaluated in the ledger's timezone.

Calendar periods (``today``, ``this-week``, ``this-month`` ...) start at local
midnight in the ledger timezone and are DST-correct: a day in
``America/New_York`` in March is 23 hours long, and the window says so. Weeks are
ISO weeks, starting on Monday. Rolling periods (``last-24h``, ``last-7d``,
``last-30d``) end now. (Seed v1 used rolling windows for ``today``, ``this-week``,
``this-month`` and ``this-year``; this module does not.)

Every function here takes ``now``; none reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aoineco_ledger.errors import InvalidPeriodError

__all__ = [
    "BUDGET_PERIODS",
    "PERIOD_NAMES",
    "Window",
    "budget_window",
    "get_timezone",
    "resolve_period",
    "to_utc",
]

PERIOD_NAMES: tuple[str, ...] = (
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "this-year",
    "all",
    "last-24h",
    "last-7d",
    "last-30d",
)
"""The period names :func:`resolve_period` understands."""

BUDGET_PERIODS: tuple[str, ...] = ("daily", "weekly", "monthly", "yearly", "total")
"""The periods a budget may reset on."""

_ROLLING = {
    "last-24h": timedelta(hours=24),
    "last-7d": timedelta(days=7),
    "last-30d": timedelta(days=30),
}


@dataclass(frozen=True, slots=True)
class Window:
    """A span of time: ``since`` inclusive, ``until`` exclusive; ``None`` is open.

    Both ends are timezone-aware UTC datetimes.
    """

    since: datetime | None = None
    until: datetime | None = None

    def __contains__(self, ts: object) -> bool:
        if not isinstance(ts, datetime):
            return False
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)


def get_timezone(name: str | tzinfo) -> tzinfo:
    """The ``tzinfo`` for an IANA name such as ``Europe/Berlin`` (or a tzinfo as is).

    Raises:
        InvalidPeriodError: the name is not a known timezone.
    """
    if isinstance(name, tzinfo):
        return name
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidPeriodError(f"unknown timezone {name!r}") from None


def to_utc(value: datetime | date | str, tz: tzinfo) -> datetime:
    """An aware UTC datetime from loose input; naive values are local to ``tz``.

    A bare date (or ``YYYY-MM-DD`` string) means local midnight of that day.

    Raises:
        InvalidPeriodError: a string that is not ISO 8601.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidPeriodError(f"not an ISO 8601 date or time: {value!r}") from None
    if not isinstance(value, datetime):
        return _local_midnight(value, tz)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant a local day starts, in UTC (fold=0 handles a skipped midnight)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _day_window(day: date, tz: tzinfo, days: int = 1) -> Window:
    return Window(_local_midnight(day, tz), _local_midnight(day + timedelta(days=days), tz))


def _month_start(year: int, month: int) -> date:
    """First day of a month, normalising ``month`` outside 1..12."""
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _month_window(year: int, month: int, tz: tzinfo) -> Window:
    start = _month_start(year, month)
    end = _month_start(year, month + 1)
    return Window(_local_midnight(start, tz), _local_midnight(end, tz))


def _year_window(year: int, tz: tzinfo) -> Window:
    return Window(_local_midnight(date(year, 1, 1), tz), _local_midnight(date(year + 1, 1, 1), tz))


def _named_window(name: str, now: datetime, tz: tzinfo) -> Window:
    """The window of one period name at ``now``."""
    if name in _ROLLING:
        return Window(now.astimezone(UTC) - _ROLLING[name], None)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    windows = {
        "all": lambda: Window(),
        "today": lambda: _day_window(today, tz),
        "yesterday": lambda: _day_window(today - timedelta(days=1), tz),
        "this-week": lambda: _day_window(monday, tz, 7),
        "last-week": lambda: _day_window(monday - timedelta(days=7), tz, 7),
        "this-month": lambda: _month_window(today.year, today.month, tz),
        "last-month": lambda: _month_window(today.year, today.month - 1, tz),
        "this-year": lambda: _year_window(today.year, tz),
    }
    build = windows.get(name)
    if build is None:
        raise InvalidPeriodError(f"unknown period {name!r}; known: {', '.join(PERIOD_NAMES)}")
    return build()


def resolve_period(
    name: str | None,
    *,
    now: datetime,
    tz: str | tzinfo = "UTC",
    since: datetime | date | str | None = None,
    until: datetime | date | str | None = None,
) -> Window:
    """The window a period name (optionally narrowed by ``since``/``until``) covers.

    Args:
        name: one of :data:`PERIOD_NAMES`, or ``None`` (the same as ``all``).
        now: the current instant (aware).
        tz: the ledger timezone, an IANA name or a tzinfo.
        since: inclusive start; naive values and dates are local to ``tz``.
        until: exclusive end; same rules.

    Returns:
        The window, in UTC; explicit bounds narrow a named period.

    Raises:
        InvalidPeriodError: an unknown name or timezone, a malformed bound, or a
            window that ends before it starts.
    """
    zone = get_timezone(tz)
    window = _named_window(name or "all", now, zone)
    start, end = window.since, window.until
    if since is not None:
        bound = to_utc(since, zone)
        start = bound if start is None else max(start, bound)
    if until is not None:
        bound = to_utc(until, zone)
        end = bound if end is None else min(end, bound)
    if start is not None and end is not None and end < start:
        raise InvalidPeriodError(f"the window ends ({end.isoformat()}) before it starts")
    return Window(start, end)


def budget_window(period: str, ts: datetime, tz: str | tzinfo = "UTC") -> tuple[Window, str]:
    """The budget period containing ``ts``, and a key naming it.

    Keys: ``2026-02-13`` (daily), ``2026-W07`` (weekly, ISO), ``2026-02``
    (monthly), ``2026`` (yearly), ``total``.

    Raises:
        InvalidPeriodError: ``period`` is not one of :data:`BUDGET_PERIODS`.
    """
    zone = get_timezone(tz)
    local = ts.astimezone(zone).date()
    if period == "daily":
        return _day_window(local, zone), local.isoformat()
    if period == "weekly":
        iso = local.isocalendar()
        monday = local - timedelta(days=local.weekday())
        return _day_window(monday, zone, 7), f"{iso.year}-W{iso.week:02d}"
    if period == "monthly":
        return _month_window(local.year, local.month, zone), f"{local.year}-{local.month:02d}"
    if period == "yearly":
        return _year_window(local.year, zone), str(local.year)
    if period == "total":
        return Window(), "total"
    raise InvalidPeriodError(
        f"unknown budget period {period!r}; known: {', '.join(BUDGET_PERIODS)}"
    )
