"""A small squad history on anvil, the daemon's config for it, and ledger comparison.

Every reliability test books the same kind of history: a client pays oracle in
ETH and USDC, oracle pays a vendor (ETH and USDC) and tops scout up (a squad
transfer), scout sends a reverted transaction, a look-alike USDC airdrops both
wallets, and two outsiders trade with each other. The fault-free run of the
daemon's own cycle is the reference every faulty run must equal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from web3 import Web3

from aoineco_ledger.chains import BlockScanner, ProbeScanner, RetryPolicy, RpcClient
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import ChainRun, Service, build
from aoineco_ledger.ledger import Entry, Ledger
from tests._support.contracts import deploy

__all__ = [
    "ANVIL_CHAIN_ID",
    "ETH",
    "FAST",
    "SCANNERS",
    "History",
    "LedgerRow",
    "build_history",
    "cli",
    "cli_captured",
    "config_toml",
    "fast_client",
    "ledger_rows",
    "open_rows",
    "play",
    "rows_of",
    "run_until_done",
    "scanner_in_use",
    "send",
    "service_for",
    "squad_config",
    "transact",
]

ETH = 10**18
ANVIL_CHAIN_ID = 31337

SCANNERS = ("probe", "blocks")
"""The scanners the fault, hostile-chain and reorg suites each run with."""

scanner_in_use: list[str] = []
"""The ``scan`` every config of this module gets while a test runs (empty: the default).

Set by the ``scan`` fixture of the reliability conftest, so that one suite body
runs once per scanner without threading the choice through every helper.
"""

FAST = RetryPolicy(
    attempts=3, base_delay=0.01, max_delay=0.05, jitter=0.0, max_retry_after=0.5, timeout=0.5
)
"""Retry policy for tests: tiny backoffs and a half-second timeout."""

LedgerRow = tuple[str | None, Decimal, str, str, str, str | None]
"""``(ref, amount, category, agent, direction, tx_hash)``: what two ledgers must share."""


@dataclass
class History:
    """Who is who on the chain, and the blocks the squad's history spans."""

    w3: Web3
    url: str
    deployer: str
    oracle: str
    scout: str
    client: str
    vendor: str
    outsider: str
    usdc: Any
    spam: Any
    feed: Any
    reverter: Any
    start: int
    end: int = 0


def send(w3: Web3, sender: str, to: str, value: int) -> str:
    """Send ETH and wait for it; returns the tx hash (0x hex)."""
    tx_hash = w3.eth.send_transaction({"from": sender, "to": to, "value": value})  # type: ignore[typeddict-item]
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def transact(w3: Web3, call: Any, sender: str, **extra: Any) -> str:
    """Send a contract call and wait for it; returns the tx hash."""
    tx_hash = call.transact({"from": sender, **extra})
    w3.eth.wait_for_transaction_receipt(tx_hash)
    return "0x" + bytes(tx_hash).hex()


def build_history(url: str, *, activity: bool = True) -> History:
    """Deploy the contracts, fund the squad, then (optionally) play the squad's history."""
    w3 = Web3(Web3.HTTPProvider(url))
    deployer, oracle, scout, client, vendor, outsider = list(w3.eth.accounts)[:6]
    usdc = deploy(w3, "token", "USD Coin", "USDC", 6, sender=deployer)
    spam = deploy(w3, "spam_token", "USDC", 6, sender=deployer)
    feed = deploy(w3, "price_feed", 8, 3_000_00000000, sender=deployer)
    reverter = deploy(w3, "reverter", sender=deployer)
    transact(w3, usdc.functions.mint(oracle, 50_000_000), deployer)
    transact(w3, usdc.functions.mint(client, 90_000_000), deployer)
    history = History(
        w3,
        url,
        deployer,
        oracle,
        scout,
        client,
        vendor,
        outsider,
        usdc,
        spam,
        feed,
        reverter,
        start=w3.eth.block_number,
    )
    if activity:
        play(history)
    history.end = w3.eth.block_number
    return history


def play(h: History) -> None:
    """The squad's history: ten transactions, one per block."""
    w3 = h.w3
    send(w3, h.client, h.oracle, ETH // 100)
    send(w3, h.oracle, h.vendor, 2 * ETH // 1000)
    send(w3, h.oracle, h.scout, ETH // 1000)
    transact(w3, h.usdc.functions.transfer(h.scout, 5_000_000), h.client)
    transact(w3, h.usdc.functions.transfer(h.vendor, 1_500_000), h.oracle)
    transact(w3, h.reverter.functions.fail(), h.scout, value=ETH // 1000, gas=100_000)
    transact(w3, h.spam.functions.airdrop(h.client, [h.oracle, h.scout], 10**12), h.outsider)
    send(w3, h.outsider, h.client, ETH // 10)
    transact(w3, h.usdc.functions.transfer(h.oracle, 2_000_000), h.scout)
    send(w3, h.client, h.scout, 3 * ETH // 1000)


def squad_config(
    h: History,
    *,
    store: str,
    rpc_urls: Sequence[str],
    finality: str | int = "latest",
    max_blocks: int = 4,
    poll_seconds: float = 0.2,
    start_block: int | None = None,
) -> AppConfig:
    """The daemon's configuration for this squad, as a user would write it."""
    return AppConfig(
        **_config_data(h, store, rpc_urls, finality, max_blocks, poll_seconds, start_block)
    )


def _config_data(
    h: History,
    store: str,
    rpc_urls: Sequence[str],
    finality: str | int,
    max_blocks: int,
    poll_seconds: float,
    start_block: int | None,
) -> dict[str, Any]:
    scan = {"scan": scanner_in_use[-1]} if scanner_in_use else {}
    return {
        "ledger": {"store": store, "seed_amount": "7.00"},
        "chains": [
            {
                "name": "anvil",
                "chain_id": ANVIL_CHAIN_ID,
                **scan,
                "rpc_urls": list(rpc_urls),
                "finality": finality,
                "start_block": h.start if start_block is None else start_block,
                "poll_seconds": poll_seconds,
                "max_blocks_per_cycle": max_blocks,
                "price_feed": str(h.feed.address),
                "price_usd": "3000",
                "tokens": [
                    {
                        "symbol": "USDC",
                        "address": str(h.usdc.address),
                        "decimals": 6,
                        "price_usd": "1",
                    }
                ],
            }
        ],
        "agents": [
            {"name": "oracle", "wallets": [h.oracle]},
            {"name": "scout", "wallets": [h.scout], "revenue_category": "Revenue/Tips"},
        ],
        "counterparties": [{"name": "vendor", "address": h.vendor, "category": "API/Services"}],
        "log": {"level": "error", "format": "json"},
    }


def config_toml(h: History, path: Path, **kw: Any) -> Path:
    """Write the same configuration as TOML (for ``python -m aoineco_ledger`` subprocesses)."""
    data = _config_data(
        h,
        kw.pop("store"),
        kw.pop("rpc_urls"),
        kw.pop("finality", "latest"),
        kw.pop("max_blocks", 4),
        kw.pop("poll_seconds", 0.2),
        kw.pop("start_block", None),
    )
    path.write_text(_toml(data), encoding="utf-8")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section in ("ledger", "log"):
        lines.append(f"[{section}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in data[section].items())
    for table in ("chains", "agents", "counterparties"):
        for item in data[table]:
            lines.append(f"[[{table}]]")
            nested = {
                k: v
                for k, v in item.items()
                if isinstance(v, list) and v and isinstance(v[0], dict)
            }
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items() if k not in nested)
            for name, rows in nested.items():
                for row in rows:
                    lines.append(f"[[{table}.{name}]]")
                    lines.extend(f"{k} = {_toml_value(v)}" for k, v in row.items())
    return "\n".join(lines) + "\n"


def fast_client(urls: Iterable[str], *, policy: RetryPolicy = FAST) -> RpcClient:
    """An RPC client for the anvil chain with the test retry policy."""
    return RpcClient(list(urls), chain="anvil", policy=policy)


def service_for(config: AppConfig, client: RpcClient) -> Service:
    """The daemon's service from ``config``, on a given client (its scanner checked)."""
    service = build(config, clients={ANVIL_CHAIN_ID: client})
    if scanner_in_use:
        kind = {"probe": ProbeScanner, "blocks": BlockScanner}[scanner_in_use[-1]]
        assert all(isinstance(cycle.scanner, kind) for cycle in service.cycles)
    return service


def run_until_done(
    service: Service,
    *,
    max_runs: int = 30,
    pause: float = 0.0,
    between: Callable[[], None] | None = None,
) -> list[ChainRun]:
    """Run cycles until one finds nothing new to do; returns every run (failed ones too)."""
    runs: list[ChainRun] = []
    for _ in range(max_runs):
        run = service.run_once()[0]
        runs.append(run)
        if run.result is not None and run.result.status == "up-to-date":
            return runs
        if between is not None:
            between()
        time.sleep(pause)
    raise AssertionError(f"not up to date after {max_runs} cycles: {[r.error for r in runs][-3:]}")


def rows_of(entries: Iterable[Entry]) -> set[LedgerRow]:
    """The comparable rows of entries."""
    return {(e.ref, e.amount, e.category, e.agent, e.direction, e.tx_hash) for e in entries}


def ledger_rows(ledger: Ledger) -> set[LedgerRow]:
    """The comparable rows of every entry of a ledger."""
    return rows_of(ledger.entries())


def open_rows(store: str) -> set[LedgerRow]:
    """The comparable rows of the ledger at ``store`` (opened and closed again)."""
    with Ledger.open(store) as ledger:
        return ledger_rows(ledger)


def cli(argv: list[str]) -> None:
    """Run the command line in this process and exit with its code (a child process's target)."""
    from aoineco_ledger.cli import main

    sys.exit(main(argv))


def cli_captured(argv: list[str], out: str, err: str) -> None:
    """Like :func:`cli`, with stdout and stderr going to the files ``out`` and ``err``."""
    import os

    for fd, path in ((1, out), (2, err)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - the process's own
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    cli(argv)
