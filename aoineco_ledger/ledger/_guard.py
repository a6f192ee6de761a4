"""Appending under budgets: the check and the write happen under one lock.

Two agents in two processes may both ask for a budget's last dollar. The store's
writer lock serialises them, and the budget check runs *inside* it (as the
``precheck`` of :meth:`Store.append`, which sees every append made before it),
so exactly one of them gets it and the other gets :class:`BudgetExceeded`.

Alerts are decided here and delivered by the caller once the write is durable:
``warning`` once per budget per period (:meth:`Store.mark_once`), ``exceeded``
for every entry that took a budget past its limit (forced, or seen on chain).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from aoineco_ledger.ledger._budgets import (
    Alert,
    Budget,
    BudgetStatus,
    authorize_spend,
    budget_status,
    exceeded_error,
)
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger._money import EXACT_CONTEXT, MONEY_CONTEXT, ZERO
from aoineco_ledger.ledger._periods import get_timezone
from aoineco_ledger.ledger.store.base import (
    AppendResult,
    Checkpoint,
    Statement,
    Store,
    StoreReader,
)

__all__ = ["FLAG_FORCED", "FLAG_OVER_BUDGET", "Outcome", "append_observed", "append_spend"]

FLAG_OVER_BUDGET = "over-budget"
"""Flag of an entry recorded although it took a budget past its limit."""

FLAG_FORCED = "forced"
"""Flag of an entry a caller recorded with ``force=True`` past a budget."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an append did, and the alerts to deliver now that it is durable."""

    result: AppendResult
    alerts: tuple[Alert, ...] = ()


def _crossings(
    status: BudgetStatus, before: Decimal, entry: Entry, mark_once: Callable[[str], bool]
) -> list[Alert]:
    """The alert (if any) that ``entry`` raises on one budget, spend ``before`` it."""
    budget = status.budget
    after = EXACT_CONTEXT.add(before, entry.amount)
    kind: str | None = None
    if after > budget.limit:
        kind = "exceeded"
    elif after >= MONEY_CONTEXT.multiply(budget.limit, budget.warn_at):
        kind = "warning"
    if kind is None:
        return []
    alert = Alert(
        kind="exceeded" if kind == "exceeded" else "warning",
        budget=budget,
        spent=after,
        limit=budget.limit,
        period_key=status.period_key,
        entry=entry,
    )
    if alert.kind == "warning" and not mark_once(alert.mark_key()):
        return []
    return [alert]


def append_spend(
    store: Store,
    entry: Entry,
    *,
    load_budgets: Callable[[], list[Budget]],
    tz: str,
    force: bool = False,
) -> Outcome:
    """Append one entry, enforcing budgets if it is an expense.

    Raises:
        BudgetExceeded: the expense would take a budget past its limit and
            ``force`` is False; nothing was written.
        StoreError: the store failed.
    """
    if entry.direction != "expense":
        return Outcome(store.append([entry]))
    zone = get_timezone(tz)
    with store.write_lock():
        if entry.ref is not None and (earlier := store.get_by_ref(entry.ref)) is not None:
            return Outcome(AppendResult(entries=(earlier,), added=0))
        budgets = load_budgets()

        def check(reader: StoreReader) -> Sequence[BudgetStatus]:
            answer = authorize_spend(
                reader,
                budgets,
                amount=entry.amount,
                category=entry.category,
                agent=entry.agent,
                ts=entry.ts,
                tz=zone,
            )
            if not answer.allowed and not force:
                raise exceeded_error(answer)
            return answer.statuses

        def precheck(reader: StoreReader) -> None:
            check(reader)

        statuses = check(store)
        if any(not s.allows(entry.amount) for s in statuses):
            entry = replace(entry, flags=(*entry.flags, FLAG_OVER_BUDGET, FLAG_FORCED))
        result = store.append([entry], precheck=None if force else precheck)
        alerts = [
            alert
            for status in statuses
            for alert in _crossings(status, status.spent, entry, store.mark_once)
        ]
    return Outcome(result, tuple(alerts))


def append_observed(
    store: Store,
    entries: Sequence[Entry],
    *,
    load_budgets: Callable[[], list[Budget]],
    tz: str,
    checkpoint: Checkpoint | None = None,
    statements: Sequence[Statement] = (),
) -> Outcome:
    """Append entries seen on chain: never blocked, flagged when over a budget.

    Raises:
        StoreError: the store failed.
    """
    zone = get_timezone(tz)
    with store.write_lock():
        budgets = load_budgets()
        statuses: dict[tuple[str, str], BudgetStatus] = {}
        extra: dict[tuple[str, str], Decimal] = {}
        seen: set[str] = set()
        prepared: list[Entry] = []
        pending: list[Alert] = []
        for entry in entries:
            if entry.direction != "expense" or _already(store, entry, seen):
                prepared.append(entry)
                continue
            over = False
            for budget in budgets:
                if not budget.applies_to(category=entry.category, agent=entry.agent):
                    continue
                status = budget_status(store, budget, ts=entry.ts, tz=zone)
                key = (budget.id, status.period_key)
                status = statuses.setdefault(key, status)
                before = EXACT_CONTEXT.add(status.spent, extra.get(key, ZERO))
                extra[key] = EXACT_CONTEXT.add(extra.get(key, ZERO), entry.amount)
                if EXACT_CONTEXT.add(before, entry.amount) > budget.limit:
                    over = True
                pending.extend(_crossings(status, before, entry, lambda _key: True))
            if over:
                entry = replace(entry, flags=(*entry.flags, FLAG_OVER_BUDGET))
                pending = [
                    replace(a, entry=entry) if a.entry.id == entry.id else a for a in pending
                ]
            prepared.append(entry)
        result = store.append(prepared, checkpoint=checkpoint, statements=statements)
        added = {e.id for e, p in zip(result.entries, prepared, strict=True) if e.id == p.id}
        alerts = [
            a
            for a in pending
            if a.entry.id in added and (a.kind == "exceeded" or store.mark_once(a.mark_key()))
        ]
    return Outcome(result, tuple(alerts))


def _already(store: StoreReader, entry: Entry, seen: set[str]) -> bool:
    """Whether ``entry``'s ref is stored already or repeats earlier in the batch."""
    if entry.ref is None:
        return False
    if entry.ref in seen or store.get_by_ref(entry.ref) is not None:
        return True
    seen.add(entry.ref)
    return False
