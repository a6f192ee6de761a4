"""Test doubles for code that uses Aoineco Ledger, shipped as public API.

- :class:`InMemoryStore`: a complete :class:`~aoineco_ledger.ledger.store.base.Store`
  that lives in the process (``Ledger(InMemoryStore(), clock=...)``).
- :func:`capture_logs`: structlog's context manager that collects log events
  as dicts, re-exported so tests need one import.
- :class:`FrozenClock`: a clock you move by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from structlog.testing import capture_logs

from aoineco_ledger.ledger.store.memory import InMemoryStore

__all__ = ["FrozenClock", "InMemoryStore", "capture_logs"]


class FrozenClock:
    """A clock that says the same instant until told otherwise.

    Args:
        now: the starting instant (aware; naive means UTC).
    """

    def __init__(self, now: datetime | None = None) -> None:
        start = now or datetime(2026, 2, 13, 12, 0, tzinfo=UTC)
        self.now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``); returns the new now."""
        self.now += delta if delta is not None else timedelta(**kwargs)
        return self.now

    def set(self, now: datetime) -> None:
        """Jump to ``now``."""
        self.now = now
