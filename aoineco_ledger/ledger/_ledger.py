"""The :class:`Ledger`: one object that records, enforces budgets, and reports.

It wires the pure pieces (entries, budgets, periods, metrics, reports, export)
to one :class:`Store` and one clock. Every aggregate comes from
``store.totals()``, which backends keep as running rollups, so reports cost
O(groups) however long the ledger grows.

Settings the ledger keeps in the store: ``created_at`` (set on first open),
``seed_amount``, ``timezone`` and custom ``categories``. Arguments given to the
constructor win for that object and are written only where the store has none.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Self, TextIO

from aoineco_ledger.errors import InvalidEntryError, LedgerError, StoreError
from aoineco_ledger.ledger._budgets import (
    DEFAULT_WARN_AT,
    Alert,
    Authorization,
    Budget,
    BudgetStatus,
    authorize_spend,
    budget_status,
)
from aoineco_ledger.ledger._categories import Category, CategoryKind, CategoryRegistry
from aoineco_ledger.ledger._codec import parse_ts
from aoineco_ledger.ledger._entries import DIRECTIONS, new_entry
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._export import EXPORT_FORMATS, write_entries
from aoineco_ledger.ledger._guard import append_observed, append_spend
from aoineco_ledger.ledger._metrics import DEFAULT_SEED, BootstrapMetrics, bootstrap_metrics
from aoineco_ledger.ledger._money import ZERO, to_usd
from aoineco_ledger.ledger._periods import Window, get_timezone, resolve_period, to_utc
from aoineco_ledger.ledger._reports import (
    AgentCost,
    CategoryCost,
    Summary,
    agent_costs,
    category_costs,
    summarize,
)
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    EntryFilter,
    Statement,
    Store,
    Totals,
)
from aoineco_ledger.typing import Direction

__all__ = ["AlertSink", "Clock", "Ledger"]

log = logging.getLogger("aoineco_ledger")

Clock = Callable[[], datetime]
"""Returns the current instant, timezone-aware."""

AlertSink = Callable[[Alert], None]
"""Receives every budget alert once it is durable."""

TimeInput = datetime | date | str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """A squad's ledger over one store.

    Args:
        store: where entries live (see :func:`~aoineco_ledger.ledger.store.open_store`).
        timezone: IANA name periods are evaluated in; default the stored one, else UTC.
        seed_amount: the Bootstrap seed; default the stored one, else $7.00.
        clock: returns now (aware); injected so tests need not sleep.
        alert_sinks: callables that receive every :class:`Alert`.

    Raises:
        InvalidPeriodError: an unknown timezone.
        InvalidAmountError: a malformed seed amount.
        StoreError: the store's settings cannot be read or written.
    """

    def __init__(
        self,
        store: Store,
        *,
        timezone: str | None = None,
        seed_amount: object = None,
        clock: Clock | None = None,
        alert_sinks: Iterable[AlertSink] = (),
    ) -> None:
        self.store = store
        self._clock = clock or _utc_now
        self._sinks: list[AlertSink] = list(alert_sinks)
        settings = self._init_settings(timezone=timezone, seed_amount=seed_amount)
        self._tz_name = str(timezone or settings.get("timezone") or "UTC")
        get_timezone(self._tz_name)
        seed = seed_amount if seed_amount is not None else settings.get("seed_amount", DEFAULT_SEED)
        self._seed = to_usd(str(seed) if isinstance(seed, float) else seed)
        self._created_at = _settings_time(settings.get("created_at"))
        self.categories = CategoryRegistry.from_settings(settings.get("categories"))

    @classmethod
    def open(cls, url_or_dir: str | None = None, *, read_only: bool = False, **kw: Any) -> Ledger:
        """Open the ledger at a store URL or directory (default: the seed's directory).

        With ``read_only``, nothing is created or written and a missing store is refused.

        Raises:
            StoreError: the URL is unknown or the store cannot be opened.
        """
        from aoineco_ledger.ledger._seed import default_ledger_dir
        from aoineco_ledger.ledger.store import open_store

        target = url_or_dir if url_or_dir is not None else str(default_ledger_dir())
        return cls(open_store(target, read_only=read_only), **kw)

    def _init_settings(self, *, timezone: str | None, seed_amount: object) -> dict[str, Any]:
        """Load settings, writing ``created_at`` (and given defaults) the first time."""
        if timezone is not None:
            get_timezone(timezone)
        if seed_amount is not None:
            to_usd(seed_amount)
        if getattr(self.store, "read_only", False):
            return self.store.load_settings()
        with self.store.write_lock():
            settings = self.store.load_settings()
            missing = {
                "created_at": self._now().isoformat(),
                "timezone": timezone,
                "seed_amount": None if seed_amount is None else str(seed_amount),
            }
            updates = {k: v for k, v in missing.items() if v is not None and k not in settings}
            if updates:
                settings.update(updates)
                self.store.save_settings(settings)
        return settings

    # -- properties ----------------------------------------------------------

    @property
    def timezone(self) -> str:
        """The timezone periods and budgets are evaluated in."""
        return self._tz_name

    @property
    def seed_amount(self) -> Decimal:
        """The Bootstrap seed (USD)."""
        return self._seed

    @property
    def created_at(self) -> datetime | None:
        """When this ledger was first opened (aware UTC), as the store remembers it."""
        return self._created_at

    @property
    def url(self) -> str:
        """The store's URL (secrets masked)."""
        return self.store.url

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # -- writing -------------------------------------------------------------

    def record(
        self,
        *,
        direction: str,
        amount: object,
        category: str,
        agent: str = "",
        vendor: str = "",
        description: str = "",
        ts: TimeInput | None = None,
        ref: str | None = None,
        force: bool = False,
        tags: Iterable[str] = (),
        meta: Mapping[str, object] | None = None,
        source: str = "manual",
        **fields: Any,
    ) -> Entry:
        """Validate and append one entry; budgets apply to expenses.

        A second call with the same ``ref`` writes nothing and returns the first entry.

        Args:
            direction: ``expense``, ``revenue`` or ``transfer``.
            amount: USD (Decimal, int, numeric str or float), ``>= 0``.
            category: a known category of the matching kind.
            agent: the squad member responsible.
            vendor: who was paid, or who paid.
            description: free text.
            ts: when it happened (default now; naive values are in the ledger timezone).
            ref: idempotency key.
            force: record even past a budget (flagged ``over-budget``, ``forced``).
            tags: free-form labels.
            meta: string pairs kept with the entry.
            source: ``manual``, ``chain`` or ``import``.
            **fields: other :class:`Entry` fields (account, context, chain fields ...).

        Returns:
            The stored entry (or the earlier one with the same ``ref``).

        Raises:
            InvalidEntryError: bad input (see :func:`new_entry`); nothing written.
            BudgetExceeded: a budget would go past its limit; nothing written.
            StoreError: the store failed.
        """
        self._refresh_categories(category)
        entry = new_entry(
            direction=direction,
            amount=amount,
            category=category,
            ts=self._now() if ts is None else to_utc(ts, get_timezone(self._tz_name)),
            categories=self.categories,
            agent=agent,
            vendor=vendor,
            description=description,
            ref=ref,
            tags=tags,
            meta=meta,
            source=source,
            **fields,
        )
        outcome = append_spend(
            self.store, entry, load_budgets=self._load_budgets, tz=self._tz_name, force=force
        )
        self._deliver(outcome.alerts)
        return outcome.result.entries[0]

    def expense(self, amount: object, *, category: str = "Other", **fields: Any) -> Entry:
        """Record an expense (see :meth:`record`)."""
        return self.record(direction="expense", amount=amount, category=category, **fields)

    def revenue(self, amount: object, *, category: str = "Revenue/Gig", **fields: Any) -> Entry:
        """Record revenue (see :meth:`record`)."""
        return self.record(direction="revenue", amount=amount, category=category, **fields)

    def transfer(self, amount: object, *, category: str = "Transfer", **fields: Any) -> Entry:
        """Record money moved between the squad's own accounts (see :meth:`record`)."""
        return self.record(direction="transfer", amount=amount, category=category, **fields)

    def record_observed(
        self,
        entries: Iterable[Entry],
        *,
        checkpoint: Checkpoint | None = None,
        statements: Iterable[Statement] = (),
    ) -> AppendResult:
        """Append entries observed on chain: never blocked, flagged past a budget.

        Raises:
            StoreError: the store failed; nothing of this call is written.
        """
        outcome = append_observed(
            self.store,
            list(entries),
            load_budgets=self._load_budgets,
            tz=self._tz_name,
            checkpoint=checkpoint,
            statements=tuple(statements),
        )
        self._deliver(outcome.alerts)
        return outcome.result

    # -- budgets -------------------------------------------------------------

    def set_budget(
        self,
        category: str | None = None,
        limit: object = None,
        period: str = "monthly",
        agent: str | None = None,
        warn_at: object = DEFAULT_WARN_AT,
        *,
        warn_threshold: object = None,
    ) -> Budget:
        """Set (or replace) the budget of a scope and period.

        Args:
            category: the category to limit; None or ``""`` for all spend.
            limit: USD, > 0.
            period: ``daily``, ``weekly``, ``monthly``, ``yearly`` or ``total``.
            agent: the agent to limit; None or ``""`` for every agent.
            warn_at: fraction of the limit that raises a warning (default 0.8).
            warn_threshold: the seed's name for ``warn_at``.

        Returns:
            The stored budget.

        Raises:
            InvalidAmountError: the limit is missing, not a number, or <= 0.
            InvalidEntryError: a bad ``warn_at`` or a non-expense category.
            UnknownCategoryError: an unknown category.
            InvalidPeriodError: an unknown period.
        """
        if limit is None:
            raise InvalidEntryError("a budget needs a limit")
        self._refresh_categories(category)
        budget = Budget.create(
            limit=limit,
            period=period,
            category=category,
            agent=agent,
            warn_at=warn_threshold if warn_threshold is not None else warn_at,
            categories=self.categories,
        )
        with self.store.write_lock():
            kept = [b for b in self._load_budgets() if b.id != budget.id]
            self.store.save_budgets([b.as_dict() for b in (*kept, budget)])
        return budget

    def remove_budget(self, budget_id: str) -> bool:
        """Remove a budget by id; True if there was one."""
        with self.store.write_lock():
            budgets = self._load_budgets()
            kept = [b for b in budgets if b.id != budget_id]
            if len(kept) == len(budgets):
                return False
            self.store.save_budgets([b.as_dict() for b in kept])
        return True

    def budgets(self) -> list[Budget]:
        """Every budget, as stored.

        Raises:
            StoreError: a stored budget is malformed.
        """
        return self._load_budgets()

    def budget_status(self) -> list[BudgetStatus]:
        """Where every budget stands in its current period."""
        now = self._now()
        return [
            budget_status(self.store, b, ts=now, tz=self._tz_name) for b in self._load_budgets()
        ]

    def authorize(
        self, amount: object, *, category: str | None = None, agent: str | None = None
    ) -> Authorization:
        """Would spending ``amount`` now be allowed? Writes nothing.

        ``category`` and ``agent`` left out mean "not said": only budgets that do
        not name a category (or agent) then apply.

        Raises:
            InvalidAmountError: a bad amount.
            UnknownCategoryError: an unknown category.
            InvalidEntryError: a category that is not an expense category.
        """
        usd = to_usd(amount)
        if usd < ZERO:
            raise InvalidEntryError(f"amount must not be negative, got {amount!r}")
        if category is not None:
            self._refresh_categories(category)
            self.categories.require(category, direction="expense")
        return authorize_spend(
            self.store,
            self._load_budgets(),
            amount=usd,
            category=category,
            agent=agent or None,
            ts=self._now(),
            tz=self._tz_name,
        )

    def _load_budgets(self) -> list[Budget]:
        budgets = []
        for raw in self.store.load_budgets():
            try:
                budgets.append(Budget.from_dict(raw))
            except LedgerError as exc:
                raise StoreError(f"stored budget {raw!r} is invalid: {exc}") from None
        return budgets

    # -- alerts --------------------------------------------------------------

    def add_alert_sink(self, sink: AlertSink) -> None:
        """Deliver every future alert to ``sink`` too."""
        self._sinks.append(sink)

    def _deliver(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            log.warning(
                "%s", alert.message, extra={"budget_id": alert.budget.id, "alert": alert.kind}
            )
            for sink in self._sinks:
                try:
                    sink(alert)
                except Exception:  # a broken sink must not undo a durable write
                    log.exception("alert sink %r failed", sink)

    # -- categories ----------------------------------------------------------

    def add_category(self, name: str, kind: CategoryKind) -> Category:
        """Register a custom category (kept in the store's settings).

        Raises:
            InvalidEntryError: a bad name or kind, or the name exists with another kind.
        """
        category = Category(name, kind)
        with self.store.write_lock():
            settings = self.store.load_settings()
            registry = CategoryRegistry.from_settings(settings.get("categories"))
            if registry.add(category):
                settings["categories"] = [c.as_dict() for c in registry.custom()]
                self.store.save_settings(settings)
        self.categories = registry
        return category

    def _refresh_categories(self, name: str | None) -> None:
        """Re-read custom categories when ``name`` is new here (another process added it)."""
        if name and name not in self.categories:
            stored = self.store.load_settings().get("categories")
            self.categories = CategoryRegistry.from_settings(stored)

    # -- reading -------------------------------------------------------------

    def window(
        self,
        period: str | None = "all",
        *,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
    ) -> Window:
        """The UTC window a period (narrowed by ``since``/``until``) covers now.

        Raises:
            InvalidPeriodError: an unknown period or a bad bound.
        """
        return resolve_period(period, now=self._now(), tz=self._tz_name, since=since, until=until)

    def totals(
        self,
        period: str = "all",
        *,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
    ) -> Totals:
        """Sums and counts of a period at the ``(direction, category, agent)`` grain.

        The raw material of every report, for programs (and the ``/metrics`` scrape)
        that want their own breakdown.

        Raises:
            InvalidPeriodError: an unknown period or a bad bound.
        """
        window = self.window(period, since=since, until=until)
        return self.store.totals(EntryFilter(since=window.since, until=window.until))

    def summary(
        self,
        period: str = "all",
        *,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
    ) -> Summary:
        """Totals of a period: expenses, revenue, net, API cost, top categories and agents."""
        window = self.window(period, since=since, until=until)
        totals = self.store.totals(EntryFilter(since=window.since, until=window.until))
        return summarize(totals, period=period, window=window)

    def agent_costs(self, period: str = "all") -> dict[str, AgentCost]:
        """Expenses per agent in a period, the biggest spender first."""
        window = self.window(period)
        return agent_costs(self.store.totals(EntryFilter(since=window.since, until=window.until)))

    def category_costs(self, period: str = "all") -> dict[str, CategoryCost]:
        """Expenses per category in a period, the largest first."""
        window = self.window(period)
        totals = self.store.totals(EntryFilter(since=window.since, until=window.until))
        return category_costs(totals)

    def bootstrap_metrics(self) -> BootstrapMetrics:
        """The seed's $7 Bootstrap metrics over the whole ledger (O(groups))."""
        return bootstrap_metrics(
            self.store.totals(EntryFilter()),
            seed_amount=self._seed,
            created_at=self._created_at,
            now=self._now(),
        )

    def entries(
        self,
        *,
        period: str | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        agent: str | None = None,
        category: str | None = None,
        direction: str | None = None,
        newest_first: bool = False,
        limit: int | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> Iterator[Entry]:
        """Entries matching every filter given, ordered by ``(ts, id)``.

        Raises:
            InvalidPeriodError: an unknown period or bad bound.
            InvalidEntryError: an unknown direction.
        """
        return self.store.query(
            self._filter(period, since, until, agent, category, direction),
            newest_first=newest_first,
            limit=limit,
            before=before,
        )

    def _filter(
        self,
        period: str | None,
        since: TimeInput | None,
        until: TimeInput | None,
        agent: str | None,
        category: str | None,
        direction: str | None,
    ) -> EntryFilter:
        if direction is not None and direction not in DIRECTIONS:
            raise InvalidEntryError(
                f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}"
            )
        window = self.window(period, since=since, until=until)
        checked: Direction | None = direction  # type: ignore[assignment]
        return EntryFilter(
            since=window.since,
            until=window.until,
            agent=agent,
            category=category,
            direction=checked,
        )

    def export(
        self,
        fmt: str,
        out: TextIO,
        *,
        period: str | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        agent: str | None = None,
        category: str | None = None,
        direction: str | None = None,
    ) -> int:
        """Stream matching entries to ``out`` as CSV (formula-safe), JSON or JSONL; returns count.

        Raises:
            InvalidEntryError: an unknown format or direction (before writing anything).
            InvalidPeriodError: an unknown period.
            OSError: writing failed.
        """
        if fmt not in EXPORT_FORMATS:
            write_entries((), fmt, out)
        query = self._filter(period, since, until, agent, category, direction)
        return write_entries(self.store.query(query), fmt, out)

    def reconciliation(self) -> list[Statement]:
        """The newest balance statement per chain, wallet and asset."""
        return self.store.latest_statements()

    def checkpoints(self) -> list[Checkpoint]:
        """The reconciler's latest checkpoint of every chain."""
        return self.store.checkpoints()

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.store.url!r}, timezone={self._tz_name!r})"


def _settings_time(value: object) -> datetime | None:
    """``created_at`` as settings keep it: ISO text, or seed v1 epoch seconds."""
    if value is None:
        return None
    if isinstance(value, float):
        value = Decimal(str(value))
    try:
        return parse_ts(value)
    except InvalidEntryError:
        log.warning("ignoring unreadable created_at setting %r", value)
        return None
