"""Time buckets of the rollups, and how a window splits into them. Pure.

Grains: ``a`` (all time, bucket 0), ``m`` (UTC month, ``year * 12 + month - 1``),
``d`` (UTC day, the date's proleptic ordinal) and ``h`` (UTC hour,
``ordinal * 24 + hour``). Every bucket number is positive, so ``-1`` and
``2**62`` serve as open ends.

A window ``[since, until)`` becomes: whole months in the middle, whole days and
hours towards the edges, and at most two sub-hour *raw* ranges at the very
edges, which are read from the entries themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["GRAINS", "WindowPlan", "bucket_of", "buckets_of", "plan_window"]

GRAINS = ("a", "m", "d", "h")
"""Every grain an entry is rolled up into."""

_OPEN_LOW = -1
_OPEN_HIGH = 2**62


def bucket_of(grain: str, ts: datetime) -> int:
    """The bucket of ``ts`` (aware) at ``grain``."""
    u = ts.astimezone(UTC)
    if grain == "h":
        return u.toordinal() * 24 + u.hour
    if grain == "d":
        return u.toordinal()
    if grain == "m":
        return u.year * 12 + u.month - 1
    return 0


def buckets_of(ts: datetime) -> tuple[int, int, int, int]:
    """The buckets of ``ts`` (aware) at every grain, in :data:`GRAINS` order."""
    u = ts if ts.tzinfo is UTC else ts.astimezone(UTC)
    day = u.toordinal()
    return 0, u.year * 12 + u.month - 1, day, day * 24 + u.hour


def _floor(grain: str, ts: datetime) -> datetime:
    if grain == "h":
        return ts.replace(minute=0, second=0, microsecond=0)
    if grain == "d":
        return ts.replace(hour=0, minute=0, second=0, microsecond=0)
    return ts.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _ceil(grain: str, ts: datetime) -> datetime:
    start = _floor(grain, ts)
    if start == ts:
        return ts
    if grain == "h":
        return start + timedelta(hours=1)
    if grain == "d":
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """Where the totals of a window come from.

    Attributes:
        raw: ``[lo, hi)`` ranges to read from ``entries``; None is an open end.
        rolled: ``(grain, lo_bucket, hi_bucket)`` ranges to read from ``rollups``.
    """

    raw: tuple[tuple[datetime | None, datetime | None], ...]
    rolled: tuple[tuple[str, int, int], ...]


class _Builder:
    def __init__(self) -> None:
        self.raw: list[tuple[datetime | None, datetime | None]] = []
        self.rolled: list[tuple[str, int, int]] = []

    def emit(self, level: str | None, lo: datetime | None, hi: datetime | None) -> None:
        if level is None:
            self.raw.append((lo, hi))
            return
        lo_b = _OPEN_LOW if lo is None else bucket_of(level, lo)
        hi_b = _OPEN_HIGH if hi is None else bucket_of(level, hi)
        self.rolled.append((level, lo_b, hi_b))

    def plan(self) -> WindowPlan:
        return WindowPlan(tuple(self.raw), tuple(self.rolled))


def plan_window(since: datetime | None, until: datetime | None) -> WindowPlan:
    """Split ``[since, until)`` (aware datetimes, None = open) into buckets and edges.

    Returns:
        The plan; its ranges are disjoint and together cover exactly the window.
    """
    if since is None and until is None:
        return WindowPlan((), (("a", 0, 1),))
    lo = None if since is None else since.astimezone(UTC)
    hi = None if until is None else until.astimezone(UTC)
    try:
        return _plan(lo, hi)
    except OverflowError:  # a bound near year 9999: read the entries, slowly but right
        return WindowPlan(((lo, hi),), ())


def _plan(lo: datetime | None, hi: datetime | None) -> WindowPlan:
    out = _Builder()
    finer: str | None = None
    for grain in ("h", "d", "m"):
        clo = None if lo is None else _ceil(grain, lo)
        chi = None if hi is None else _floor(grain, hi)
        if clo is not None and chi is not None and clo >= chi:
            out.emit(finer, lo, hi)
            return out.plan()
        if lo is not None and clo is not None and lo < clo:
            out.emit(finer, lo, clo)
        if hi is not None and chi is not None and chi < hi:
            out.emit(finer, chi, hi)
        lo, hi, finer = clo, chi, grain
    out.emit("m", lo, hi)
    return out.plan()
