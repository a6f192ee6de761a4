"""Ledger commands: ``log``, ``metrics``, ``report``, ``agents``, ``budget``, ``export``.

Examples::

    aoineco-ledger log api 0.0042 --provider Google --model gemini-3-flash --tokens 150000 \\
        --agent oracle
    aoineco-ledger budget set --category API/LLM --limit 3.00 --period daily
    aoineco-ledger metrics
    aoineco-ledger report --period this-month --json
    aoineco-ledger export --format csv --period last-month --output feb.csv

A spend a budget blocks exits 1 and writes nothing (``--force`` records it, flagged).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from aoineco_ledger.cli._common import (
    CliError,
    add_store_options,
    amount_arg,
    emit,
    open_ledger,
    warn_problems,
)
from aoineco_ledger.cli._gas import chain_arg, tx_hash_arg
from aoineco_ledger.cli._log_input import check_log_options, default_gas_ref
from aoineco_ledger.ledger import (
    BUDGET_PERIODS,
    EXPORT_FORMATS,
    PERIOD_NAMES,
    AgentCost,
    Budget,
    BudgetStatus,
    Entry,
    Summary,
)
from aoineco_ledger.ledger._codec import entry_to_dict
from aoineco_ledger.ledger._money import format_number, format_usd

__all__ = ["COMMANDS", "register"]

COMMANDS = frozenset({"log", "metrics", "report", "agents", "budget", "export"})
"""The top-level commands this group registers."""


def register(subparsers: Any) -> None:
    """Add the ledger commands to the top-level parser's subcommands."""
    _register_log(subparsers)
    metrics = subparsers.add_parser("metrics", help="print the $7 Bootstrap metrics")
    add_store_options(metrics)
    metrics.set_defaults(handler=run_metrics)
    report = subparsers.add_parser("report", help="summary of a period")
    _period_options(report)
    add_store_options(report)
    report.set_defaults(handler=run_report)
    agents = subparsers.add_parser("agents", help="expenses per agent")
    _period_options(agents, explicit=False)
    add_store_options(agents)
    agents.set_defaults(handler=run_agents)
    _register_budget(subparsers)
    _register_export(subparsers)


def period_arg(text: str) -> str:
    """argparse type for ``--period``: a period name (checked before any store is opened)."""
    if text not in PERIOD_NAMES:
        shown = repr(text) if text else "an empty name"
        raise argparse.ArgumentTypeError(
            f"unknown period {shown}; use one of {', '.join(PERIOD_NAMES)}"
        )
    return text


def _period_options(parser: argparse.ArgumentParser, *, explicit: bool = True) -> None:
    parser.add_argument(
        "--period",
        default="all",
        type=period_arg,
        metavar="P",
        help=f"one of {', '.join(PERIOD_NAMES)} (default all)",
    )
    if explicit:
        parser.add_argument("--since", metavar="TIME", help="inclusive start, ISO 8601")
        parser.add_argument("--until", metavar="TIME", help="exclusive end, ISO 8601")


# -- log ---------------------------------------------------------------------


def _register_log(subparsers: Any) -> None:
    log = subparsers.add_parser("log", help="record an expense, revenue, API cost or gas fee")
    kinds = log.add_subparsers(dest="log_kind", metavar="{expense,revenue,api,gas}")
    kinds.required = True
    expense = kinds.add_parser("expense", help="record an expense")
    expense.add_argument("--vendor", default="", help="who was paid")
    expense.add_argument("--category", default="Other", help="expense category (default Other)")
    revenue = kinds.add_parser("revenue", help="record revenue")
    revenue.add_argument("--source", default="", help="who paid")
    revenue.add_argument("--category", default="Revenue/Gig", help="default Revenue/Gig")
    api = kinds.add_parser("api", help="record an LLM API cost (API/LLM)")
    api.add_argument("--provider", required=True, help="e.g. Google, Anthropic")
    api.add_argument("--model", default="", help="e.g. gemini-3-flash")
    api.add_argument("--tokens", type=int, default=0, help="tokens used")
    gas = kinds.add_parser("gas", help="record a gas fee (Gas/Blockchain)")
    gas.add_argument(
        "--chain", default="base", type=chain_arg, help="chain name or id (default base)"
    )
    gas.add_argument(
        "--tx-hash",
        type=tx_hash_arg,
        help="transaction hash (0x + 64 hex); the ref defaults to gas:CHAIN:HASH, so logging "
        "the same fee again is not booked twice",
    )
    for parser, kind in ((expense, "expense"), (revenue, "revenue"), (api, "api"), (gas, "gas")):
        parser.add_argument("amount", type=amount_arg, help="USD, e.g. 0.0042")
        parser.add_argument("--agent", default="", help="the squad member")
        parser.add_argument("--ref", help="idempotency key: a repeat writes nothing")
        if kind in ("expense", "revenue"):
            parser.add_argument("--description", default="", help="free text")
            parser.add_argument("--tag", action="append", default=[], help="a label (repeat)")
            parser.add_argument("--ts", metavar="TIME", help="when (ISO 8601; default now)")
        if kind != "revenue":
            parser.add_argument("--force", action="store_true", help="record past a budget")
        add_store_options(parser)
        parser.set_defaults(handler=run_log, log_kind=kind)


def _log_one(ledger: Any, args: argparse.Namespace) -> Entry:
    kind = args.log_kind
    if kind == "api":
        return ledger.log_api_cost(  # type: ignore[no-any-return]
            args.amount,
            args.provider,
            args.model,
            tokens_used=args.tokens,
            agent=args.agent,
            ref=args.ref,
            force=args.force,
        )
    if kind == "gas":
        return ledger.log_gas(  # type: ignore[no-any-return]
            args.amount,
            chain=args.chain,
            tx_hash=args.tx_hash or "",
            agent=args.agent,
            ref=args.ref,
            force=args.force,
        )
    common = {
        "description": args.description,
        "category": args.category,
        "agent": args.agent,
        "tags": args.tag,
        "ref": args.ref,
        "ts": args.ts,
    }
    if kind == "revenue":
        return ledger.log_revenue(args.amount, args.source, **common)  # type: ignore[no-any-return]
    return ledger.log_expense(  # type: ignore[no-any-return]
        args.amount, args.vendor, force=args.force, **common
    )


_KIND_CATEGORY = {"api": "API/LLM", "gas": "Gas/Blockchain"}


def _describe(entry: Entry) -> str:
    return (
        f"{entry.direction} {format_usd(entry.amount)} {entry.category}"
        f"{' by ' + entry.agent if entry.agent else ''} (id {entry.id})"
    )


def _same_request(entry: Entry, args: argparse.Namespace) -> bool:
    """Whether the stored ``entry`` is what this ``log`` command asks to record."""
    direction = "revenue" if args.log_kind == "revenue" else "expense"
    category = _KIND_CATEGORY.get(args.log_kind) or args.category
    return (entry.direction, entry.amount, entry.category, entry.agent) == (
        direction,
        args.amount,
        category,
        args.agent,
    )


def run_log(args: argparse.Namespace) -> int:
    """Record one entry; exit 1 (nothing written) when a budget blocks it.

    Input it refuses writes nothing, and creates no ledger where there was none:
    the options are checked first, and a store that does not exist yet is only
    created once the entry has been recorded in an in-memory rehearsal.

    A ``--ref`` that is already stored writes nothing: the same request says
    "already recorded" (exit 0), a different one is refused (exit 1). ``log gas
    --tx-hash`` has a default ref (:func:`default_gas_ref`).
    """
    check_log_options(args)
    derived = default_gas_ref(args)
    if derived is not None:
        args.ref = derived
    with open_ledger(args, rehearse=lambda ledger: _log_one(ledger, args)) as ledger:
        earlier = ledger.store.get_by_ref(args.ref) if args.ref else None
        entry = _log_one(ledger, args)
    if earlier is not None and entry.id == earlier.id:
        if not _same_request(entry, args):
            origin = " (from --chain and --tx-hash)" if derived else ""
            raise CliError(
                f"ref {args.ref}{origin} already names a different entry ({_describe(entry)}); "
                "nothing written",
                1,
            )
        emit(
            args,
            {**entry_to_dict(entry), "already_recorded": True},
            f"already recorded (ref {args.ref}): {_describe(entry)}",
        )
        return 0
    flags = f" [{', '.join(entry.flags)}]" if entry.flags else ""
    emit(args, entry_to_dict(entry), f"recorded {_describe(entry)}{flags}")
    return 0


# -- reading -----------------------------------------------------------------


def run_metrics(args: argparse.Namespace) -> int:
    """Print the Bootstrap metrics: the seed's block, or the typed values as JSON."""
    with open_ledger(args, read_only=True) as ledger:
        metrics = ledger.get_bootstrap_metrics()
        problems = warn_problems(ledger)
    emit(args, {**metrics.as_dict(), "problems": problems}, str(metrics))
    return 0


def _summary_text(summary: Summary) -> str:
    since = summary.since.isoformat() if summary.since else "the beginning"
    until = summary.until.isoformat() if summary.until else "now"
    lines = [
        f"Period: {summary.period} ({since} .. {until})",
        f"  Expenses:     {format_usd(summary.total_expenses)}",
        f"  Revenue:      {format_usd(summary.total_revenue)}",
        f"  Net:          {format_usd(summary.net)}",
        f"  API/LLM:      {format_usd(summary.api_cost)}",
        f"  Transfers:    {format_usd(summary.total_transfers)}",
        f"  Entries:      {summary.transaction_count}",
    ]
    for title, ranked in (("categories", summary.top_categories), ("agents", summary.top_agents)):
        if ranked:
            lines.append(f"Top {title}:")
            lines.extend(f"  {name:<20} {format_usd(total)}" for name, total in ranked.items())
    return "\n".join(lines)


def run_report(args: argparse.Namespace) -> int:
    """Summarise a period."""
    with open_ledger(args, read_only=True) as ledger:
        summary = ledger.summary(args.period, since=args.since, until=args.until)
        problems = warn_problems(ledger)
    emit(args, {**summary.as_dict(), "problems": problems}, _summary_text(summary))
    return 0


def _agents_text(costs: dict[str, AgentCost]) -> str:
    if not costs:
        return "no expenses in this period"
    lines = [f"{'agent':<20} {'total':>12} {'count':>6}  categories"]
    for name, cost in costs.items():
        parts = ", ".join(f"{c} {format_usd(v)}" for c, v in cost.categories.items())
        lines.append(f"{name:<20} {format_usd(cost.total):>12} {cost.count:>6}  {parts}")
    return "\n".join(lines)


def run_agents(args: argparse.Namespace) -> int:
    """Expenses per agent."""
    with open_ledger(args, read_only=True) as ledger:
        costs = ledger.agent_costs(args.period)
        warn_problems(ledger)
    emit(args, {name: cost.as_dict() for name, cost in costs.items()}, _agents_text(costs))
    return 0


# -- budget ------------------------------------------------------------------


def _register_budget(subparsers: Any) -> None:
    budget = subparsers.add_parser("budget", help="set, list and check budgets")
    actions = budget.add_subparsers(dest="budget_action", metavar="{set,list,status,remove,check}")
    actions.required = True
    put = actions.add_parser("set", help="set or replace a budget")
    put.add_argument("--limit", type=amount_arg, required=True, help="USD, > 0")
    put.add_argument("--category", help="the category to limit (default: all spend)")
    put.add_argument("--agent", help="the agent to limit (default: every agent)")
    put.add_argument("--period", default="monthly", choices=BUDGET_PERIODS)
    put.add_argument("--warn-at", type=amount_arg, default=None, help="fraction (default 0.8)")
    put.set_defaults(handler=run_budget_set)
    listing = actions.add_parser("list", help="the budgets")
    listing.set_defaults(handler=run_budget_list)
    status = actions.add_parser("status", help="where every budget stands this period")
    status.set_defaults(handler=run_budget_status)
    remove = actions.add_parser("remove", help="remove a budget by id")
    remove.add_argument("budget_id", metavar="ID", help="e.g. daily:API/LLM:*")
    remove.set_defaults(handler=run_budget_remove)
    check = actions.add_parser("check", help="may this be spent now? exit 0 yes, 1 no")
    check.add_argument("amount", type=amount_arg)
    check.add_argument("--category")
    check.add_argument("--agent")
    check.set_defaults(handler=run_budget_check)
    for parser in (put, listing, status, remove, check):
        add_store_options(parser)


def _exact_usd(value: Decimal) -> str:
    """A limit as the user set it, at least to the cent: ``$3.00``, ``$0.005``."""
    return format_usd(value, max(2, -min(0, int(value.as_tuple().exponent))))


def _budget_line(budget: Budget) -> str:
    return (
        f"{budget.id:<32} {budget.scope:<28} {budget.period:<8} "
        f"{_exact_usd(budget.limit):>10}  warn at {format_number(budget.warn_at * 100, 0)}%"
    )


def run_budget_set(args: argparse.Namespace) -> int:
    """Set or replace a budget."""
    with open_ledger(args) as ledger:
        budget = ledger.set_budget(
            args.category,
            args.limit,
            args.period,
            args.agent,
            **({} if args.warn_at is None else {"warn_at": args.warn_at}),
        )
    emit(args, budget.as_dict(), "set " + _budget_line(budget))
    return 0


def run_budget_list(args: argparse.Namespace) -> int:
    """List the budgets."""
    with open_ledger(args, read_only=True) as ledger:
        budgets = ledger.budgets()
        warn_problems(ledger)
    text = "\n".join(_budget_line(b) for b in budgets) or "no budgets"
    emit(args, [b.as_dict() for b in budgets], text)
    return 0


def _status_line(status: BudgetStatus) -> str:
    return (
        f"{status.budget.id:<32} {status.period_key:<10} {format_usd(status.spent):>10} / "
        f"{_exact_usd(status.limit):<8} {format_number(status.percent, 1):>6}%  {status.state}"
    )


def run_budget_status(args: argparse.Namespace) -> int:
    """Where every budget stands in its current period."""
    with open_ledger(args, read_only=True) as ledger:
        statuses = ledger.budget_status()
        warn_problems(ledger)
    text = "\n".join(_status_line(s) for s in statuses) or "no budgets"
    emit(args, [s.as_dict() for s in statuses], text)
    return 0


def run_budget_remove(args: argparse.Namespace) -> int:
    """Remove a budget; exit 1 if there was none with that id."""
    with open_ledger(args) as ledger:
        removed = ledger.remove_budget(args.budget_id)
    if not removed:
        raise CliError(f"no budget with id {args.budget_id!r}", 1)
    emit(args, {"removed": args.budget_id}, f"removed {args.budget_id}")
    return 0


def run_budget_check(args: argparse.Namespace) -> int:
    """Answer "may I spend this?" without writing: exit 0 yes, 1 no."""
    with open_ledger(args, read_only=True) as ledger:
        answer = ledger.authorize(args.amount, category=args.category, agent=args.agent)
    if answer.allowed:
        text = f"allowed: {format_usd(answer.amount)}"
    else:
        text = "refused: " + "; ".join(_status_line(s) for s in answer.blocking)
    emit(args, answer.as_dict(), text)
    return 0 if answer.allowed else 1


# -- export ------------------------------------------------------------------


def _register_export(subparsers: Any) -> None:
    export = subparsers.add_parser("export", help="write entries as CSV, JSON or JSONL")
    export.add_argument("--format", required=True, choices=EXPORT_FORMATS, dest="fmt")
    export.add_argument(
        "--period", default=None, type=period_arg, metavar="P", help="a period name"
    )
    export.add_argument("--since", metavar="TIME", help="inclusive start, ISO 8601")
    export.add_argument("--until", metavar="TIME", help="exclusive end, ISO 8601")
    export.add_argument("--agent")
    export.add_argument("--category")
    export.add_argument("--direction", choices=("expense", "revenue", "transfer"))
    export.add_argument("--output", metavar="FILE", help="write here (default stdout)")
    add_store_options(export, json_flag=False)
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Stream entries to stdout or, all or nothing, to ``--output``."""
    filters = {
        "period": args.period,
        "since": args.since,
        "until": args.until,
        "agent": args.agent,
        "category": args.category,
        "direction": args.direction,
    }
    with open_ledger(args, read_only=True) as ledger:
        warn_problems(ledger)
        if args.output is None:
            ledger.export(args.fmt, sys.stdout, **filters)
            return 0
        count = _export_to_file(ledger, args.fmt, Path(args.output), filters)
    print(f"exported {count} entries to {args.output}", file=sys.stderr)
    return 0


def _export_to_file(ledger: Any, fmt: str, target: Path, filters: dict[str, Any]) -> int:
    """Write to a temporary file beside ``target`` and rename it into place.

    Raises:
        CliError: the output path cannot be written (a directory, a missing or
            read-only parent, a full disk); no temporary file is left behind.
    """
    if target.is_dir():
        raise CliError(f"cannot write {target}: it is a directory (give a file name)", 1)
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as exc:
        raise CliError(f"cannot write {target}: {exc.strerror or exc}", 1) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            count = int(ledger.export(fmt, out, **filters))
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise CliError(f"cannot write {target}: {exc.strerror or exc}", 1) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count
