"""The ``aoineco-ledger`` command line (also ``python -m aoineco_ledger``).

Command groups live in ``_<group>.py`` modules listed in :data:`_GROUPS`; each
has ``register(subparsers)`` and sets a ``handler(args) -> int`` on its parsers.
Only groups whose module exists are loaded, so a partial install still runs.

Exit codes: 0 done; 1 refused or failed (a blocked spend, a store error); 2 usage
(bad arguments, an invalid amount, category or period); 3 reconciled with a
difference remaining. Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from aoineco_ledger.cli._common import CliError
from aoineco_ledger.errors import InvalidEntryError, InvalidPeriodError, LedgerError

__all__ = ["PROG", "build_parser", "main"]

PROG = "aoineco-ledger"
"""The program name in usage lines and error messages."""

_GROUPS = (
    "aoineco_ledger.cli._ledger",
    "aoineco_ledger.cli._daemon",
    "aoineco_ledger.cli._stores",
    "aoineco_ledger.cli._configcmd",
    "aoineco_ledger.cli._api",
)

# Mistakes in what the user typed are usage errors, whichever layer finds them.
_USAGE_ERRORS = (InvalidEntryError, InvalidPeriodError)


# What argparse must take as a (negative) value rather than an option: argparse
# itself only knows -5 and -.5, so `log expense -inf` or `-1e3` was "unknown option".
_NEGATIVE_NUMBER = re.compile(
    r"^-(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|s?nan)$",
    re.IGNORECASE | re.ASCII,
)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2.

    Negative-looking numbers (``-inf``, ``-1e3``) are values, so an amount gets
    the ledger's own message ("must be a finite number", "must not be negative").
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {_short(message)} (see {self.prog} --help)\n")


def _groups_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The groups to load: only the ledger group for a ledger command.

    The other groups import web3, the scheduler and the web framework, which
    costs seconds; an agent logging a cost should not wait for them.
    """
    from aoineco_ledger.cli._ledger import COMMANDS

    if argv and argv[0] in COMMANDS:
        return (_GROUPS[0],)
    return _GROUPS


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser, with the command groups ``argv`` needs registered.

    Args:
        argv: the arguments about to be parsed; None registers every group.
    """
    parser = _Parser(
        prog=PROG,
        description="A financial ledger for AI-agent squads, with an on-chain reconciler.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _groups_for(argv):
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(subparsers)
    return parser


def _short(message: str, limit: int = 600) -> str:
    """One line, and not a 100 KB one when the bad value itself was that long."""
    text = " ".join(message.split())
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} [... {len(text) - 2 * half} characters ...] {text[-half:]}"


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {_short(message)}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status.

    Args:
        argv: the arguments (default ``sys.argv[1:]``).

    Returns:
        0 done, 1 refused or failed, 2 usage error, 3 reconciled with a difference.
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # argparse's --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except CliError as exc:
        return _fail(exc.message, exc.code)
    except _USAGE_ERRORS as exc:
        return _fail(str(exc), 2)
    except LedgerError as exc:
        return _fail(str(exc), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 0
