"""What every command group shares: store options, opening the ledger, printing.

``--config FILE`` (or ``$AOINECO_CONFIG``) and the ``AOINECO_`` variables give
the configuration's ``[ledger]`` (store, seed amount, time zone, custom
categories); ``--store URL`` wins over its store, the rest still applies. With
no store named anywhere, the seed's default directory is used
(``$AOINECO_LEDGER_DIR``, else ``$OPENCLAW_WORKSPACE/ledger``, else
``~/.openclaw/workspace/ledger``). ``--json`` prints machine-readable output with
money as decimal strings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aoineco_ledger.errors import InvalidAmountError
from aoineco_ledger.ledger import AoinecoLedger, Category, Ledger, default_ledger_dir, to_usd
from aoineco_ledger.ledger._money import decimal_text
from aoineco_ledger.ledger.store.jsonl import LEDGER_FILES

if TYPE_CHECKING:
    from aoineco_ledger.config import AppConfig

__all__ = [
    "CliError",
    "add_store_options",
    "amount_arg",
    "emit",
    "jsonable",
    "load_settings",
    "open_ledger",
    "refuse_file_store",
    "store_arg",
    "store_exists",
    "warn_problems",
]


class CliError(Exception):
    """A command cannot do what was asked; ``main`` prints one line and exits ``code``.

    Args:
        message: the one line to print (without the program name).
        code: the exit status (1 refused or failed, 2 usage).
    """

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def store_arg(text: str) -> str:
    """argparse type for a store URL or directory: not empty (that is not "the default")."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "the store URL is empty; give jsonl:///DIR, sqlite:///PATH, postgresql://... "
            "or a directory (or leave the option out for the default ledger)"
        )
    return text


def add_store_options(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    """Add ``--store URL``, ``--config FILE`` and (unless told not to) ``--json``."""
    parser.add_argument(
        "--store",
        type=store_arg,
        metavar="URL",
        help="store URL (jsonl:///DIR, sqlite:///PATH, postgresql://..., memory://) or a directory",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML configuration whose [ledger] to use")
    if json_flag:
        parser.add_argument(
            "--json", action="store_true", help="print JSON (money as decimal strings)"
        )


# Variables that are never settings, checked here so that the common case (an agent
# with only AOINECO_LEDGER_DIR set) does not import the config layer (pydantic) at
# all. config._env.NON_CONFIG_NAMES is the full list; load_config skips those.
_NEVER_SETTINGS = frozenset({"AOINECO_CONFIG", "AOINECO_LEDGER_DIR"})


def load_settings(path: str | None, environ: Mapping[str, str] | None = None) -> AppConfig | None:
    """The configuration of ``path`` (else ``$AOINECO_CONFIG``) and the ``AOINECO_`` variables.

    None when there is neither a file nor any ``AOINECO_`` variable: then there
    is nothing to read. Otherwise the variables are applied (or refused, when
    mistyped) exactly as with a file, so they are never silently ignored.

    Raises:
        ConfigError: the file or a variable is invalid.
    """
    env = os.environ if environ is None else environ
    if path is None and not env.get("AOINECO_CONFIG") and not _setting_variables(env):
        return None
    from aoineco_ledger.config import load_config

    return load_config(path, environ=env)


def _setting_variables(environ: Mapping[str, str]) -> bool:
    return any(
        name.upper().startswith("AOINECO_") and name.upper() not in _NEVER_SETTINGS
        for name in environ
    )


def refuse_file_store(url: str) -> None:
    """Refuse a JSONL store URL that names a file (``.../transactions.jsonl``), not its directory.

    Raises:
        CliError: the path is an existing file; the message names the directory.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() not in ("jsonl", "file"):
        return
    path = Path(rest if sep else text).expanduser()
    if path.is_file():
        raise CliError(
            f"{text} is a file, not a ledger directory: a JSONL store is the directory "
            f"that holds it (--store {path.parent})"
        )


# open_store's scheme rule: one letter before ":" is a Windows drive, not a scheme.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")


def store_exists(target: str) -> bool:
    """Whether a ledger is at ``target`` already, so that opening it creates no files.

    The same rule as ``open_store(target, read_only=True)``'s "no ledger at ...":
    a JSONL directory holding none of the ledger files, or a missing SQLite file,
    does not exist yet. Any other store (``memory://``, a PostgreSQL database)
    counts as existing: opening it leaves nothing behind on this host.
    """
    text = target.strip()
    match = _SCHEME.match(text)
    scheme = match.group(1).lower() if match else ""
    rest = text[match.end() :] if match else text
    if scheme in ("", "jsonl", "file"):
        directory = Path(rest[2:] if match and rest.startswith("//") else rest).expanduser()
        return any((directory / name).is_file() for name in LEDGER_FILES)
    if scheme in ("sqlite", "sqlite+pysqlite"):
        path = rest[3:].split("?", 1)[0] if rest.startswith("///") else ""
        return path in ("", ":memory:") or Path(path).expanduser().is_file()
    return True


def open_ledger(
    args: argparse.Namespace,
    *,
    read_only: bool = False,
    rehearse: Callable[[Ledger], object] | None = None,
) -> AoinecoLedger:
    """The ledger the command's ``--store`` / ``--config`` options name.

    Args:
        args: the parsed command line.
        read_only: for reading commands: create nothing, open a JSONL directory
            read-only (so a read-only directory can be read), and refuse a store
            that does not exist with "no ledger at ...". Custom categories of
            the configuration are then known to this process only.
        rehearse: for a write: when the store does not exist yet (see
            :func:`store_exists`), first run this on an in-memory ledger of the
            same configuration, so that input it refuses creates no ledger.

    Raises:
        CliError: the store names a file of a JSONL ledger, not its directory.
        ConfigError: the configuration (file or ``AOINECO_`` variables) is invalid.
        StoreError: the store cannot be opened (or, read-only, does not exist).
        LedgerError: whatever ``rehearse`` raised; then nothing was created.
    """
    config = load_settings(getattr(args, "config", None))
    store = getattr(args, "store", None) or (config.ledger.store if config else None) or None
    if store:
        refuse_file_store(store)
    if rehearse is not None and not store_exists(store or str(default_ledger_dir())):
        with _configured_ledger("memory://", config, read_only=False) as rehearsal:
            rehearse(rehearsal)
    return _configured_ledger(store, config, read_only=read_only)


def _configured_ledger(
    store: str | None, config: AppConfig | None, *, read_only: bool
) -> AoinecoLedger:
    """Open ``store`` (None: the default directory) with ``config``'s ``[ledger]`` settings."""
    if config is None:
        return AoinecoLedger(store, read_only=read_only)
    options: dict[str, Any] = {"timezone": config.ledger.timezone}
    if config.ledger.seed_amount is not None:
        options["seed_amount"] = config.ledger.seed_amount
    ledger = AoinecoLedger(store, read_only=read_only, **options)
    for category in config.categories:
        if read_only:
            ledger.categories.add(Category(category.name, category.kind))
        else:
            ledger.add_category(category.name, category.kind)
    return ledger


def warn_problems(ledger: Ledger) -> int:
    """Print one warning line when the store set lines aside; returns how many.

    Lines that are not entries (``"amount": NaN``, a torn last line) never stop a
    ledger from being read, but a reading command must not hide them: totals
    leave them out.
    """
    problems = ledger.store.problems()
    if problems:
        sources = sorted({p.source.split(":", 1)[0] for p in problems})
        print(
            f"aoineco-ledger: warning: {len(problems)} line{'s' if len(problems) != 1 else ''} "
            f"of {ledger.store.url} {'were' if len(problems) != 1 else 'was'} set aside "
            f"(not counted): see {', '.join(sources)} there",
            file=sys.stderr,
        )
    return len(problems)


def amount_arg(text: str) -> Decimal:
    """argparse type for an amount: exact, finite, ``>= 0`` (else a usage error)."""
    try:
        value = to_usd(text)
    except InvalidAmountError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"amount must not be negative, got {text!r}")
    return value


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: Decimal as exact fixed-point text, times as ISO-8601."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "as_dict") and not isinstance(value, type):
        return jsonable(value.as_dict())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else ``text``."""
    if getattr(args, "json", False):
        json.dump(jsonable(data), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
