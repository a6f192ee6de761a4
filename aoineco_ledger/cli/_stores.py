"""Store commands: ``migrate`` (apply the SQL schema migrations) and ``copy``.

``aoineco-ledger migrate --store sqlite:///ledger.db`` brings a SQL database to
this release's schema (opening one does the same for an empty database, so
this is for upgrades you want to run on purpose, e.g. before restarting a fleet
of daemon replicas). ``aoineco-ledger copy --from URL --to URL`` moves a whole
ledger between any two stores and prints what it moved; running it twice adds
nothing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from aoineco_ledger.cli._common import CliError, add_store_options, emit, load_settings, store_arg
from aoineco_ledger.ledger._copy import CopyResult, copy_ledger
from aoineco_ledger.ledger.store import SQL_SCHEMES, open_store

__all__ = ["register"]


def _scheme(url: str) -> str:
    head, sep, _ = url.partition("://")
    return head.split("+", 1)[0].lower() if sep else ""


def _store_url(args: argparse.Namespace) -> str:
    if args.store:
        return str(args.store)
    config = load_settings(args.config)
    if config is None or not config.ledger.store:
        where = f"{args.config} has no [ledger] store" if args.config else "no store given"
        raise CliError(
            f"migrate needs a store: {where}; give --store URL, --config FILE "
            "or AOINECO_LEDGER__STORE",
            2,
        )
    return config.ledger.store


def _run_migrate(args: argparse.Namespace) -> int:
    url = _store_url(args)
    if _scheme(url) not in SQL_SCHEMES:
        data = {"url": url, "before": None, "after": None, "applied": False}
        emit(args, data, f"{url}: not a SQL store; it has no schema to migrate")
        return 0
    from aoineco_ledger.ledger.store.sql import migrate

    done = migrate(url)
    data = {"url": done.url, "before": done.before, "after": done.after, "applied": done.applied}
    if done.applied:
        text = f"{done.url}: schema {done.before or '(empty)'} -> {done.after}"
    else:
        text = f"{done.url}: schema at {done.after}, nothing to do"
    emit(args, data, text)
    return 0


def _copy_text(result: CopyResult) -> str:
    lines = [
        f"copied {result.source} -> {result.target}",
        f"  entries      {result.entries_read} read, {result.entries_added} added "
        f"({result.target_count} in target)",
        f"  budgets      {result.budgets}",
        f"  settings     {result.settings}",
        f"  checkpoints  {result.checkpoints}",
        f"  statements   {result.statements}",
    ]
    if result.problems:
        lines.append(f"  set aside    {result.problems} unreadable source lines (not copied)")
    return "\n".join(lines)


def _run_copy(args: argparse.Namespace) -> int:
    if args.source == args.target:
        raise CliError("--from and --to name the same store", 2)
    source = open_store(args.source, read_only=True)  # a mistyped --from creates nothing
    try:
        target = open_store(args.target)
        try:
            result = copy_ledger(source, target, batch_size=args.batch_size)
        finally:
            target.close()
    finally:
        source.close()
    emit(args, result.as_dict(), _copy_text(result))
    if result.problems:
        print(
            f"aoineco-ledger: warning: {result.problems} source lines were set aside",
            file=sys.stderr,
        )
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(subparsers: Any) -> None:
    """Add ``migrate`` and ``copy`` to the command line."""
    mig = subparsers.add_parser(
        "migrate",
        help="apply the SQL schema migrations to a store",
        description="Bring a sqlite:// or postgresql:// store to this release's schema.",
    )
    add_store_options(mig)
    mig.set_defaults(handler=_run_migrate)

    cp = subparsers.add_parser(
        "copy",
        help="copy a whole ledger between two stores",
        description=(
            "Copy entries (ids, refs, timestamps kept), budgets, settings, checkpoints and "
            "statements from one store to another. Running it twice adds nothing."
        ),
    )
    cp.add_argument(
        "--from", dest="source", type=store_arg, required=True, metavar="URL", help="read this"
    )
    cp.add_argument(
        "--to", dest="target", type=store_arg, required=True, metavar="URL", help="write this"
    )
    cp.add_argument(
        "--batch-size",
        type=_positive,
        default=5000,
        metavar="N",
        help="entries per transaction (default 5000)",
    )
    cp.add_argument("--json", action="store_true", help="print JSON")
    cp.set_defaults(handler=_run_copy)
