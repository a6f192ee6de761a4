"""``aoineco-ledger demo``: the reconciler filling a ledger, with nothing to set up.

An in-process eth-tester chain gets a USDC-like token, an ETH/USD feed and a
squad of three agents (oracle, blue-sound, scout). Between rounds of activity
(gas, income in ETH and USDC, a payment to an API vendor, a squad-internal
transfer, a reverted transaction, a look-alike token airdrop, ETH paid through
a contract) the daemon's real cycle runs, exactly as the service runs it. At
the end: the seed's bootstrap metrics, a table per agent, and every wallet's
reconciliation statement. The ledger goes to a temporary directory unless
``--store`` names one.

The command line also serves the read-only metrics API on loopback while the
demo runs (``api``, wired at the edge because the API sits above this layer),
asks it once, and prints ``curl`` lines; the server stops with the demo, or
with ``--serve`` (``hold``) stays up until Ctrl-C.
"""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from aoineco_ledger.chains import RpcClient, get_chain
from aoineco_ledger.config import AppConfig, mask_password
from aoineco_ledger.daemon._demo_chain import DemoChain
from aoineco_ledger.daemon._logging import configure_logging
from aoineco_ledger.daemon._report import agent_table, statement_table
from aoineco_ledger.daemon._service import Service, build, open_ledger
from aoineco_ledger.errors import ConfigError
from aoineco_ledger.ledger import Ledger

__all__ = ["DemoApi", "demo_config", "run_demo"]

ETH = 10**18
USDC = 10**6
SQUAD = ("oracle", "blue-sound", "scout")


class DemoApi(Protocol):
    """What the demo needs of a running API server (an ``api.ServerHandle``)."""

    url: str

    def stop(self, timeout: float = ...) -> None:
        """Stop serving."""
        ...


ApiStarter = Callable[[AppConfig, Service], DemoApi]
"""Starts the API over the demo's ledger (given the config and the service)."""


def demo_config(
    *, store: str, wallets: list[str], vendor: str, token: str, feed: str, start_block: int
) -> AppConfig:
    """The demo's configuration, as a user would write it in TOML."""
    return AppConfig(
        ledger={"store": store, "seed_amount": "7.00"},
        chains=[
            {
                "name": "eth-tester",
                "rpc_urls": ["http://127.0.0.1:1"],  # unused: the in-process node is injected
                "finality": "latest",
                "start_block": start_block,
                "price_feed": feed,
                "price_usd": "3000",
                "scan": "probe",  # finds the ETH a contract forwards; a block scan cannot
                "tokens": [{"symbol": "USDC", "address": token, "decimals": 6, "price_usd": "1"}],
            }
        ],
        agents=[
            {"name": "oracle", "wallets": [wallets[0]]},
            {"name": "blue-sound", "wallets": [wallets[1]], "revenue_category": "Revenue/Music"},
            {"name": "scout", "wallets": [wallets[2]]},
        ],
        counterparties=[
            {"name": "x402 facilitator", "address": vendor, "category": "API/Services"}
        ],
        budgets=[{"category": "Gas/Blockchain", "limit": "0.25", "period": "daily"}],
    )


class _Demo:
    """The demo's state: the chain, its contracts, the squad's wallets, the service."""

    def __init__(self, chain: DemoChain, store: str, out: TextIO) -> None:
        self.chain, self.out = chain, out
        self.funder = chain.accounts[0]
        self.client, self.vendor = chain.new_wallet("a client"), chain.new_wallet("x402")
        self.wallets = [chain.new_wallet(name) for name in SQUAD]
        self.usdc = chain.deploy("demo_token", "Demo USD Coin", "USDC")
        self.lookalike = chain.deploy("demo_token", "USD Coin Airdrop", "USDC")
        self.feed = chain.deploy("demo_feed", 3000 * 10**8)
        self.splitter = chain.deploy("demo_splitter")
        self._fund()
        config = demo_config(
            store=store,
            wallets=self.wallets,
            vendor=self.vendor,
            token=str(self.usdc.address),
            feed=str(self.feed.address),
            start_block=chain.block,
        )
        spec = get_chain("eth-tester")
        ledger = open_ledger(config)
        if ledger.store.checkpoint(spec.chain_id) is not None:
            ledger.close()
            raise ConfigError(
                f"--store {store}: this ledger already holds an earlier demo chain's history; "
                "give the demo a new store (or none, for a temporary one)"
            )
        client = RpcClient(chain=spec, web3=chain.w3)
        self.config = config
        self.service: Service = build(config, ledger=ledger, clients={spec.chain_id: client})

    def _fund(self) -> None:
        """Before history starts: each agent gets ETH and oracle some USDC (opening balances)."""
        for wallet in (*self.wallets, self.client):
            self.chain.send(self.funder, wallet, ETH // 20)
        self.chain.call(self.usdc, "mint", self.wallets[0], 20 * USDC, sender=self.funder)

    def say(self, text: str) -> None:
        print(text, file=self.out)

    def cycle(self) -> None:
        for run in self.service.run_once():
            r = run.result
            if r is None:
                self.say(f"   cycle failed: {run.error}")
                continue
            if r.status == "up-to-date":
                self.say(f"   daemon cycle: up to date at block {r.to_block}, nothing added")
                continue
            start = "start" if r.from_block is None else r.from_block
            self.say(
                f"   daemon cycle: blocks {start}..{r.to_block}: {r.entries_added} new entries, "
                f"{len(r.statements)} statements, {len(r.differences)} with a difference"
            )

    def rounds(self) -> list[tuple[str, Callable[[], object]]]:
        """The squad's activity, in order; the daemon runs after every third."""
        oracle, blue, scout = self.wallets
        c, usdc = self.chain, self.usdc
        return [
            (
                "a client pays oracle 0.004 ETH for an intel report",
                lambda: c.send(self.client, oracle, 4 * ETH // 1000),
            ),
            (
                "oracle pays the x402 facilitator 1.50 USDC for API calls",
                lambda: c.call(usdc, "transfer", self.vendor, 1_500_000, sender=oracle),
            ),
            ("a listener tips blue-sound 3 USDC", self._tip),
            (
                "oracle tops scout up with 0.002 ETH (squad-internal: a transfer)",
                lambda: c.send(oracle, scout, 2 * ETH // 1000),
            ),
            (
                "scout tries to pay 5 USDC it does not have (reverts; the gas is spent)",
                lambda: c.call(usdc, "transfer", self.vendor, 5 * USDC, sender=scout, gas=100_000),
            ),
            (
                "ETH/USD moves to 3,100 on the feed",
                lambda: c.call(self.feed, "update", 3100 * 10**8, sender=self.funder),
            ),
            (
                "a look-alike 'USDC' is airdropped to blue-sound (not allow-listed: ignored)",
                lambda: c.call(self.lookalike, "mint", blue, 1000 * USDC, sender=self.funder),
            ),
            (
                "a client pays scout 0.001 ETH through a contract (no tx of scout's shows it)",
                lambda: c.call(self.splitter, "pay", scout, sender=self.client, value=ETH // 1000),
            ),
            (
                "blue-sound passes 1 USDC to oracle (squad-internal)",
                lambda: c.call(usdc, "transfer", oracle, USDC, sender=blue),
            ),
        ]

    def _tip(self) -> None:
        self.chain.call(self.usdc, "mint", self.client, 3 * USDC, sender=self.funder)
        self.chain.call(self.usdc, "transfer", self.wallets[1], 3 * USDC, sender=self.client)


def run_demo(
    *,
    store: str | None = None,
    out: TextIO,
    api: ApiStarter | None = None,
    hold: Callable[[], object] | None = None,
) -> int:
    """Run the demo, printing as it goes; returns 0.

    Args:
        store: keep the ledger here (a store URL or directory); default a temp dir.
        out: where to print.
        api: starts the read-only API over the demo's ledger; None serves nothing.
        hold: called after the report while the API still serves (``--serve``
            waits for Ctrl-C); None stops at once.

    Raises:
        ConfigError: ``store`` already holds entries (refused before anything runs).
        ImportError: eth-tester or vyper is missing (the message says how to install).
    """
    started = time.monotonic()
    if store is not None:
        _refuse_used_store(store)
    configure_logging(level="warning", fmt="console")
    with tempfile.TemporaryDirectory(prefix="aoineco-demo-") as tmp:
        target = store or f"jsonl://{Path(tmp) / 'ledger'}"
        print(f"Aoineco Ledger demo: an in-process chain, a squad of {len(SQUAD)}", file=out)
        print(f"   ledger: {target}", file=out)
        demo = _Demo(DemoChain.start(), target, out)
        server = api(demo.config, demo.service) if api is not None else None
        try:
            _story(demo, server)
            _report(demo, started)
            if server is not None:
                _try_the_api(demo, server.url, held=hold is not None)
            if hold is not None and server is not None:
                hold()
        finally:
            if server is not None:
                server.stop()
            demo.service.close()
    return 0


def _refuse_used_store(store: str) -> None:
    """Refuse, before anything runs, a ``--store`` that already holds entries.

    The demo books a made-up chain's history; written into a real ledger it
    would mix fake spend and revenue with the real ones.

    Raises:
        ConfigError: the store holds at least one entry.
        StoreError: the store cannot be opened.
    """
    with Ledger.open(store) as ledger:
        used = next(iter(ledger.entries(limit=1)), None) is not None
    if used:
        raise ConfigError(
            f"--store {mask_password(store)}: this ledger already holds entries and the demo "
            "would add a made-up chain's history to them; give the demo a new store "
            "(or none, for a temporary one)"
        )


def _story(demo: _Demo, server: DemoApi | None) -> None:
    demo.say("   squad: " + ", ".join(f"{a} {w}" for a, w in zip(SQUAD, demo.wallets, strict=True)))
    if server is not None:
        demo.say(f"   metrics API (read-only, loopback): {server.url}")
    demo.say("1. first cycle: opening balances at the start block")
    demo.cycle()
    for number, (what, act) in enumerate(demo.rounds(), start=2):
        demo.say(f"{number}. {what}")
        act()
        if number % 3 == 1:
            demo.cycle()
    demo.say("11. one more cycle: nothing new happened, so nothing is added")
    demo.cycle()


def _report(demo: _Demo, started: float) -> None:
    ledger = demo.service.ledger
    demo.say("\nBootstrap metrics")
    demo.say(str(ledger.bootstrap_metrics()))
    demo.say("\nPer agent")
    demo.say(agent_table(ledger))
    demo.say("\nReconciliation (base units shown as whole ETH / USDC)")
    demo.say(statement_table(ledger.reconciliation(), names=demo.config.chain_names()))
    if all(s.reconciled for s in ledger.reconciliation()):
        demo.say(
            "\nEvery balance is explained to the wei. The 0.001 ETH a contract forwarded to scout"
            "\nhas no transaction of scout's: the probe scanner found it by bisecting scout's"
            "\nbalance and booked it as internal-in revenue (a block scan would show it as a"
            '\nDIFFERENCE; run with a config of scan = "blocks" to compare).'
        )
    demo.say(f"\nDone in {time.monotonic() - started:.1f} s.")


def _try_the_api(demo: _Demo, url: str, *, held: bool) -> None:
    """Ask the API once (so the demo shows it answers), then print lines to paste."""
    with urllib.request.urlopen(f"{url}/v1/chains", timeout=10) as response:
        chains = json.load(response)["chains"]
    seen = ", ".join(f"{c['chain']} at block {c['checkpoint_block']}" for c in chains)
    demo.say(f"\nThe metrics API answered GET /v1/chains: {seen}")
    if held:
        demo.say("It stays up until Ctrl-C; try:")
    else:
        demo.say("It stopped with the demo; `aoineco-ledger demo --serve` keeps it up. Then:")
    for path in ("/v1/metrics/bootstrap", "/v1/agents", "/v1/reconciliation", "/metrics"):
        demo.say(f"   curl -s {url}{path}")
