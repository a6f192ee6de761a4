"""``aoineco-ledger api``: serve the read-only metrics HTTP API on its own.

The command opens the ledger and serves it; it never starts a scheduler, so
running it under several workers, or beside the daemon, cannot double anything.
Host, port and token come from ``[api]`` in the configuration (or the
``AOINECO_API__*`` environment); ``--host`` and ``--port`` override them. It
binds 127.0.0.1 unless told otherwise. It logs as the daemon does (``[log]``:
JSON lines off a terminal): ``api_started`` with the URL, then one
``http_request`` line per request. Chains are named as ``[[chains]]`` names them.
"""

from __future__ import annotations

import argparse
from typing import Any

import structlog

from aoineco_ledger.api import DEFAULT_HOST, DEFAULT_PORT, make_app, serve
from aoineco_ledger.cli._common import CliError, add_store_options, open_ledger
from aoineco_ledger.config import load_config
from aoineco_ledger.daemon import configure_logging, secrets_of

__all__ = ["register"]

log = structlog.get_logger("aoineco_ledger.cli")


def register(subparsers: Any) -> None:
    """Add the ``api`` command to the top-level parser's subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "api",
        help="serve the read-only metrics HTTP API",
        description=(
            "Serve the ledger over HTTP: JSON under /v1/, Prometheus text at /metrics, "
            "/healthz and /readyz. Read-only; never starts the reconciler."
        ),
    )
    add_store_options(parser, json_flag=False)
    parser.add_argument("--host", help=f"interface to bind (default [api] host, {DEFAULT_HOST})")
    parser.add_argument(
        "--port", type=int, help=f"port to bind (default [api] port, {DEFAULT_PORT}; 0 = any)"
    )
    parser.set_defaults(handler=run_api)


def _announce(url: str) -> None:
    log.info("api_started", url=url)


def run_api(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM.

    Returns:
        0 after a clean shutdown.

    Raises:
        ConfigError: the configuration is invalid.
        CliError: the address cannot be bound.
    """
    config = load_config(args.config)
    configure_logging(level=config.log.level, fmt=config.log.format, secrets=secrets_of(config))
    api = config.api
    host = args.host or api.host
    port = api.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise CliError(f"--port must be between 0 and 65535 (got {port})", 2)
    token = api.token.get_secret_value() if api.token is not None else None
    with open_ledger(args) as ledger:
        app = make_app(ledger, token=token or None, chain_names=config.chain_names())
        try:
            serve(app, host, port, announce=_announce)
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from exc
    return 0
