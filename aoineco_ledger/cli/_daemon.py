"""``aoineco-ledger daemon | reconcile --once | reconcile --status | demo``.

``daemon`` runs the reconciler on its schedule until SIGTERM/SIGINT (exit 0).
``reconcile --once`` runs one cycle of every configured chain and exits 0 when
every statement is reconciled, 3 when a difference remains, 1 when a chain
failed; ``--store`` books into that store instead of ``[ledger] store`` (the
rest of the configuration still applies), and a budget alert the cycle raises
is printed on stderr, as ``log`` prints it. ``reconcile --status`` prints the
latest statement of every wallet and asset. ``demo`` runs the whole thing on an
in-process chain, with the metrics API on loopback while it runs (``--serve``
keeps it up until Ctrl-C).
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog

from aoineco_ledger.cli._common import (
    CliError,
    add_store_options,
    emit,
    open_ledger,
    refuse_file_store,
)
from aoineco_ledger.config import CONFIG_ENV, AppConfig, load_config
from aoineco_ledger.daemon import (
    ChainRun,
    Scheduler,
    Service,
    build,
    configure_logging,
    secrets_of,
    statement_table,
)
from aoineco_ledger.daemon import open_ledger as open_ledger_for
from aoineco_ledger.errors import LedgerError
from aoineco_ledger.ledger import Alert
from aoineco_ledger.ledger.store.base import Statement

if TYPE_CHECKING:
    from aoineco_ledger.api import ServerHandle

__all__ = ["register"]

log = structlog.get_logger("aoineco_ledger.cli")

EXIT_DIFFERENCE = 3
DEMO_HOST = "127.0.0.1"


def register(subparsers: Any) -> None:
    """Add the ``daemon``, ``reconcile`` and ``demo`` commands."""
    daemon = subparsers.add_parser(
        "daemon",
        help="run the on-chain reconciler on its schedule",
        description="Watch the squad's wallets and book what happens on chain, until SIGTERM.",
    )
    daemon.add_argument("--config", metavar="FILE", help="TOML config (default $AOINECO_CONFIG)")
    daemon.set_defaults(handler=run_daemon)

    reconcile = subparsers.add_parser(
        "reconcile",
        help="run one reconcile cycle (--once) or show the statements (--status)",
        description=(
            "--once: one cycle of every chain; exit 0 all reconciled, 3 a difference "
            "remains, 1 a chain failed. --status: the latest statement per wallet and asset."
        ),
    )
    mode = reconcile.add_mutually_exclusive_group(required=True)
    mode.add_argument("--once", action="store_true", help="run one cycle of every chain")
    mode.add_argument("--status", action="store_true", help="print the latest statements")
    add_store_options(reconcile)
    reconcile.set_defaults(handler=run_reconcile)

    demo = subparsers.add_parser(
        "demo",
        help="watch the reconciler fill a ledger on an in-process chain",
        description="No external service: an eth-tester chain, a squad, the daemon's real cycle.",
    )
    demo.add_argument("--store", metavar="URL", help="keep the demo ledger here (default: temp)")
    api = demo.add_mutually_exclusive_group()
    api.add_argument(
        "--api-port",
        type=int,
        default=0,
        metavar="PORT",
        help="serve the read-only API on 127.0.0.1:PORT during the demo (default: a free port)",
    )
    api.add_argument("--no-api", action="store_true", help="do not serve the API")
    demo.add_argument(
        "--serve", action="store_true", help="keep the API up after the demo, until Ctrl-C"
    )
    demo.set_defaults(handler=run_demo)


def _config(args: argparse.Namespace) -> AppConfig:
    """The configuration with chains to run, and ``--store`` (when given) as its store.

    Raises:
        CliError: no chain is configured, or ``--store`` names a file.
        ConfigError: the configuration is invalid.
    """
    path = getattr(args, "config", None)
    config = load_config(path)
    if not config.chains:
        source = path or os.environ.get(CONFIG_ENV)
        if source:
            raise CliError(
                f"no [[chains]] configured in {source}: add a [[chains]] table "
                "(name, rpc_urls) to it",
                2,
            )
        raise CliError("no [[chains]] configured: give --config FILE (or AOINECO_CONFIG)", 2)
    store = getattr(args, "store", None)
    if not store:
        return config
    refuse_file_store(store)
    ledger = config.ledger.model_copy(update={"store": store})
    return config.model_copy(update={"ledger": ledger})


def _print_alert(alert: Alert) -> None:
    """A budget alert as ``log`` shows it: its one line on stderr."""
    print(alert.message, file=sys.stderr)


def run_daemon(args: argparse.Namespace) -> int:
    """Run the scheduler until a signal; 0 after a clean stop.

    Raises:
        ConfigError: the configuration is invalid.
        StoreError: the store cannot be opened.
    """
    early = _early_stop()  # a SIGTERM while starting up still means a clean exit 0
    config = _config(args)
    configure_logging(level=config.log.level, fmt=config.log.format, secrets=secrets_of(config))
    service = build(config)
    try:
        service.verify_chains()
    except LedgerError:
        service.close()
        raise
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.stop())
    if early.is_set():
        service.stop()
    api = _start_api(config, service) if config.api.enabled else None
    try:
        return Scheduler(service).run()
    finally:
        if api is not None:
            api.stop()


def _early_stop() -> threading.Event:
    """Until the scheduler installs its own handlers, SIGTERM/SIGINT only set this event."""
    requested = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: requested.set())
    return requested


def _start_api(
    config: AppConfig, service: Service, *, host: str | None = None, port: int | None = None
) -> ServerHandle:
    """Serve the read-only API from a thread, over its own ledger handle, with chain health.

    Args:
        config: the configuration (``[api]`` host, port and token).
        service: the running service (its chain health feeds ``/v1/chains``).
        host: bind here instead of ``[api] host``.
        port: bind here instead of ``[api] port`` (0: a free port).

    Raises:
        CliError: the address cannot be bound.
    """
    from aoineco_ledger.api import make_app, start_in_thread

    host = config.api.host if host is None else host
    port = config.api.port if port is None else port
    token = config.api.token.get_secret_value() if config.api.token is not None else None
    app = make_app(open_ledger_for(config), token=token, chains_status=service.chains_status)
    try:
        handle = start_in_thread(app, host, port)
    except OSError as exc:
        service.close()
        raise CliError(f"api: cannot listen on {host}:{port}: {exc}") from exc
    log.info("api_started", url=handle.url)
    return handle


def run_reconcile(args: argparse.Namespace) -> int:
    """``--once`` or ``--status`` (see the module docstring)."""
    return _once(args) if args.once else _status(args)


def _once(args: argparse.Namespace) -> int:
    config = _config(args)
    level = "error" if config.log.level in ("info", "debug") else config.log.level
    configure_logging(level=level, fmt=config.log.format, secrets=secrets_of(config))
    service = build(config)
    service.ledger.add_alert_sink(_print_alert)
    try:
        runs = [service.run_chain(cycle, log_errors=False) for cycle in service.cycles]
        statements = service.statements()
    finally:
        service.close()
    for run in runs:
        if run.failed:
            print(f"aoineco-ledger: error: chain {run.chain}: {run.error}", file=sys.stderr)
    code = 1 if any(r.failed for r in runs) else _statement_code(statements)
    data = {
        "chains": [_run_dict(r) for r in runs],
        "statements": [_statement_dict(s) for s in statements],
        "reconciled": code == 0,
        "exit_code": code,
    }
    emit(args, data, _once_text(runs, statements))
    return code


def _status(args: argparse.Namespace) -> int:
    with open_ledger(args, read_only=True) as ledger:
        statements = ledger.reconciliation()
    code = _statement_code(statements)
    data = {"statements": [_statement_dict(s) for s in statements], "reconciled": code == 0}
    names = load_config(args.config).chain_names() if args.config else None
    text = "no statements yet (run the daemon)"
    if statements:
        text = statement_table(statements, names=names)
    emit(args, data, text)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """Run the in-process demo (see :mod:`aoineco_ledger.daemon._demo`).

    The read-only API serves on 127.0.0.1 (``--api-port``, default a free port)
    unless ``--no-api``; ``--serve`` keeps it up after the report until Ctrl-C.

    Raises:
        CliError: a bad ``--api-port``, or the port cannot be bound.
    """
    from aoineco_ledger.daemon._demo import run_demo as demo

    if not 0 <= args.api_port <= 65535:
        raise CliError(f"--api-port must be between 0 and 65535 (got {args.api_port})", 2)
    if args.serve and args.no_api:
        raise CliError("--serve needs the API: drop --no-api", 2)
    api = None
    if not args.no_api:
        api = functools.partial(_start_api, host=DEMO_HOST, port=args.api_port)
    return demo(
        store=args.store, out=sys.stdout, api=api, hold=_until_signal if args.serve else None
    )


def _until_signal() -> None:
    """Wait for Ctrl-C (SIGINT) or SIGTERM, then return (a clean stop, exit 0)."""
    stop = _early_stop()
    while not stop.wait(0.5):
        pass


def _statement_code(statements: Sequence[Statement]) -> int:
    return 0 if all(s.reconciled for s in statements) else EXIT_DIFFERENCE


def _run_dict(run: ChainRun) -> dict[str, Any]:
    result = run.result
    out: dict[str, Any] = {"chain_id": run.chain_id, "chain": run.chain, "error": run.error}
    if result is not None:
        out.update(
            status=result.status,
            from_block=result.from_block,
            to_block=result.to_block,
            target=result.target,
            chunks=result.chunks,
            entries=result.entries_seen,
            added=result.entries_added,
            differences=len(result.differences),
            waiting=result.waiting,
        )
    else:
        out["status"] = "failed"
    return out


def _statement_dict(s: Statement) -> dict[str, Any]:
    """A statement as JSON: base units as strings (a wei sum overflows JSON numbers)."""
    return {
        "chain_id": s.chain_id,
        "wallet": s.wallet,
        "agent": s.agent,
        "asset": s.asset,
        "asset_decimals": s.asset_decimals,
        "from_block": s.from_block,
        "to_block": s.to_block,
        "opening": str(s.opening),
        "inflow": str(s.inflow),
        "outflow": str(s.outflow),
        "fees": str(s.fees),
        "expected_closing": str(s.expected_closing),
        "onchain_closing": str(s.onchain_closing),
        "difference": str(s.difference),
        "reconciled": s.reconciled,
        "created_at": s.created_at.isoformat(),
    }


def _once_text(runs: Sequence[ChainRun], statements: Sequence[Statement]) -> str:
    lines = []
    for run in runs:
        r = run.result
        if r is None:
            lines.append(f"{run.chain} ({run.chain_id}): failed")
            continue
        if r.status == "lease-held":
            lines.append(
                f"{run.chain} ({run.chain_id}): another process holds this chain's lease "
                "(a daemon or another reconcile); nothing done"
            )
            continue
        span = f"blocks {r.from_block if r.from_block is not None else '-'}..{r.to_block}"
        lines.append(
            f"{run.chain} ({run.chain_id}): {r.status}, {span} (target {r.target}), "
            f"{r.entries_added} new entries of {r.entries_seen} seen"
        )
        if r.waiting:
            lines.append(f"  waiting: {r.waiting}")
    if statements:
        lines.extend(["", statement_table(statements, names={r.chain_id: r.chain for r in runs})])
    return "\n".join(lines)
