"""``aoineco-ledger config example | check FILE``: start a config, and see what one means.

``example`` prints the annotated example the package ships (the same text as
``deploy/config.example.toml``). ``check`` loads a file exactly as the daemon
would (environment overrides included) and prints the effective configuration
with every secret masked, as TOML (or JSON with ``--json``); an invalid file
gives the one-line error naming the key, and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from aoineco_ledger.config import example_config, load_config

__all__ = ["register", "render_toml"]


def register(subparsers: Any) -> None:
    """Add ``config example`` and ``config check FILE``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "config",
        help="print an example configuration, or check one",
        description="Print the annotated example configuration, or check a file.",
    )
    commands = parser.add_subparsers(dest="config_command", metavar="{example,check}")
    commands.required = True
    example = commands.add_parser("example", help="print the annotated example config (TOML)")
    example.set_defaults(handler=run_example)
    check = commands.add_parser(
        "check",
        help="validate a config file and print the effective config, secrets masked",
        description=(
            "Load FILE as the daemon would (AOINECO_ environment overrides included) and "
            "print the effective configuration with RPC keys and tokens masked."
        ),
    )
    check.add_argument("file", metavar="FILE", help="the TOML configuration file")
    check.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    check.set_defaults(handler=run_check)


def run_example(args: argparse.Namespace) -> int:
    """Print the example configuration."""
    sys.stdout.write(example_config())
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Validate ``args.file`` and print the effective configuration, masked.

    Raises:
        ConfigError: the file is missing or invalid (the message names the key).
    """
    data = load_config(args.file).masked()
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        sys.stdout.write(f"# {args.file}: valid; effective configuration, secrets masked\n")
        sys.stdout.write(render_toml(data))
    return 0


def render_toml(data: Mapping[str, Any]) -> str:
    """A small TOML rendering of plain config data (tables, arrays of tables, scalars).

    Keys whose value is None are left out: TOML has no null, and unset means default.
    """
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines).lstrip("\n") + "\n"


def _table(lines: list[str], path: tuple[str, ...], data: Mapping[str, Any]) -> None:
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, Mapping) or _is_tables(value):
            nested.append((key, value))
        elif value is not None:
            lines.append(f"{key} = {_value(value)}")
    for key, value in nested:
        where = (*path, key)
        if isinstance(value, Mapping):
            lines.extend(["", f"[{'.'.join(where)}]"])
            _table(lines, where, value)
            continue
        for item in value:
            lines.extend(["", f"[[{'.'.join(where)}]]"])
            _table(lines, where, item)


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
