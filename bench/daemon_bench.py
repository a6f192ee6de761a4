"""Benchmark the reconciler daemon against local anvil nodes: cycle time, memory, catch-up.

Three scenarios, each with the daemon's real cycle (``build`` + ``run_once``) on
a JSONL ledger, talking HTTP JSON-RPC to anvil on loopback:

- **200 wallets, one chain**: before each cycle one payment lands on a random
  squad wallet (ETH or an allow-listed token), so every cycle scans a block,
  reads 200 wallets' two balances and writes 400 statements. The cycles run in
  a spawned process that imports only what the daemon does (the bench itself
  compiles contracts with vyper), so its RSS is the daemon's. Cycle time
  (median, p95) and resident memory (``VmRSS`` from ``/proc/self/status``)
  over 1,000 cycles (``--quick``: 100); memory must stay flat (goal < 80 MiB).
- **5 chains at once**, each on its own anvil node, the same 20 wallets on
  each (an address is one account on every EVM chain): one ``run_once`` books
  all five.
- **Catch-up**: a checkpoint 10,000 blocks behind the head (with payments
  spread over them); blocks per second until up to date (goal >= 500).

Run: ``python bench/daemon_bench.py`` (``--quick`` for 100 cycles).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web3 import Web3

from aoineco_ledger.chains import RpcClient, chain_from_config
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import Service, build, configure_logging
from tests._support.anvil import Anvil, start_anvil
from tests._support.contracts import deploy

MIB = 1024 * 1024


def rss_mib() -> float:
    """This process's resident memory, MiB (``VmRSS`` in ``/proc/self/status``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / MIB
    raise RuntimeError("no VmRSS in /proc/self/status")


@dataclass(frozen=True)
class Chain:
    """One anvil node's URL and the squad on it (plain data: it goes to a child process)."""

    url: str
    chain_id: int
    name: str
    funder: str
    wallets: tuple[str, ...]
    token: str


def pay(w3: Web3, chain: Chain, rng: random.Random) -> None:
    """One payment from outside to a random squad wallet, ETH or USDC (one new block)."""
    to = rng.choice(chain.wallets)
    if rng.random() < 0.5:
        tx: dict[str, Any] = {"from": chain.funder, "to": to, "value": 10**15}
    else:  # transfer(address,uint256), encoded by hand: no contract tooling in the child
        data = "0xa9059cbb" + to[2:].lower().rjust(64, "0") + f"{1000:064x}"
        tx = {"from": chain.funder, "to": chain.token, "data": data}
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(tx))  # type: ignore[arg-type]


def _squad(wallets: int, seed: int) -> tuple[str, ...]:
    rng = random.Random(seed)
    return tuple(Web3.to_checksum_address(f"0x{rng.getrandbits(160):040x}") for _ in range(wallets))


def _start(
    index: int, squad: tuple[str, ...], *, keep_states: int | None = None
) -> tuple[Anvil, Chain]:
    chain_id = 31337 if index == 0 else 900_000 + index
    extra = () if keep_states is None else ("--prune-history", str(keep_states))
    node = start_anvil(chain_id=chain_id, extra_args=extra)
    w3 = Web3(Web3.HTTPProvider(node.url))
    funder = w3.eth.accounts[0]
    token = deploy(w3, "token", "USD Coin", "USDC", 6, sender=funder)
    token.functions.mint(funder, 10**15).transact({"from": funder})
    return node, Chain(node.url, chain_id, f"local{index}", funder, squad, str(token.address))


def _config(chains: Sequence[Chain], store: str, starts: Sequence[int]) -> AppConfig:
    sections = [
        {
            "name": chain.name,
            "chain_id": chain.chain_id,
            "rpc_urls": [chain.url],
            "finality": "latest",
            "start_block": start,
            "native_symbol": "ETH",
            "price_usd": "3000",
            "tokens": [{"symbol": "USDC", "address": chain.token, "decimals": 6, "price_usd": "1"}],
        }
        for chain, start in zip(chains, starts, strict=True)
    ]
    # An address is the same account on every EVM chain: each chain watches them all.
    agents = [{"name": f"agent{i}", "wallets": [w]} for i, w in enumerate(chains[0].wallets)]
    return AppConfig(
        ledger={"store": store}, chains=sections, agents=agents, log={"level": "error"}
    )


def _service(chains: Sequence[Chain], store: str, starts: Sequence[int]) -> Service:
    config = _config(chains, store, starts)
    clients = {
        c.chain_id: RpcClient(
            [c.url],
            chain=chain_from_config(
                chain_id=c.chain_id, name=c.name, native_symbol="ETH", finality="latest"
            ),
        )
        for c in chains
    }
    return build(config, clients=clients)


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    cycles: int
    median_ms: float
    p95_ms: float
    rss_start: float
    rss_end: float
    rss_max: float
    note: str = ""


def _cycles_child(chains: list[Chain], store: str, count: int, seed: int, out: Any) -> None:
    """In a fresh process (only the daemon's imports): pay, cycle, measure; put a Row."""
    configure_logging(level="error", fmt="json")
    rng = random.Random(seed)
    w3s = [Web3(Web3.HTTPProvider(chain.url)) for chain in chains]
    service = _service(chains, store, [w3.eth.block_number for w3 in w3s])
    times: list[float] = []
    samples: list[float] = []
    for i in range(count + 10):
        for w3, chain in zip(w3s, chains, strict=True):
            pay(w3, chain, rng)
        started = time.perf_counter()
        runs = service.run_once()
        elapsed = time.perf_counter() - started
        failed = [r.error for r in runs if r.error]
        if failed:
            raise RuntimeError(f"cycle {i} failed: {failed[0]}")
        if i >= 10:  # the first cycles open files and warm caches
            times.append(elapsed)
            if i % 10 == 0 or i == count + 9:
                gc.collect()
                samples.append(rss_mib())
    ordered = sorted(times)
    note = f"{len(service.statements())} statements per cycle"
    service.close()
    out.put(
        Row(
            scenario="",
            cycles=count,
            median_ms=statistics.median(times) * 1000,
            p95_ms=ordered[int(0.95 * (len(ordered) - 1))] * 1000,
            rss_start=samples[0],
            rss_end=samples[-1],
            rss_max=max(samples),
            note=note,
        )
    )


def _cycles(chains: list[Chain], store: str, count: int, seed: int) -> Row:
    """Run :func:`_cycles_child` in a spawned process, so RSS is the daemon's alone."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_cycles_child, args=(chains, store, count, seed, queue))
    child.start()
    try:
        row: Row = queue.get(timeout=3600)
    finally:
        child.join(timeout=60)
    return row


def bench_wallets(count: int, tmp: Path, rng: random.Random) -> Row:
    """200 wallets on one chain, ``count`` cycles."""
    node, chain = _start(0, _squad(200, rng.randrange(10**6)))
    try:
        row = _cycles([chain], f"jsonl://{tmp}/wallets", count, rng.randrange(10**6))
    finally:
        node.stop()
    row.scenario = "200 wallets, 1 chain"
    return row


def bench_chains(count: int, tmp: Path, rng: random.Random) -> Row:
    """5 chains on 5 anvil nodes, the same 20 wallets on each, ``count`` cycles."""
    squad = _squad(20, rng.randrange(10**6))
    started = [_start(i, squad) for i in range(5)]
    try:
        row = _cycles([c for _, c in started], f"jsonl://{tmp}/chains", count, rng.randrange(10**6))
    finally:
        for node, _ in started:
            node.stop()
    row.scenario, row.note = "5 chains x 20 wallets", row.note + " (all five chains)"
    return row


def bench_catch_up(tmp: Path, rng: random.Random, behind: int = 10_000) -> tuple[float, float, int]:
    """Blocks per second from a checkpoint ``behind`` blocks back; (seconds, rate, entries)."""
    # anvil keeps old states (for the balances at every chunk's end) only when told to,
    # an archive node in effect; mining 10,000 blocks is setup, not what is measured.
    node, chain = _start(0, _squad(10, rng.randrange(10**6)), keep_states=2 * behind)
    try:
        w3 = Web3(Web3.HTTPProvider(chain.url))
        start = w3.eth.block_number
        for _payment in range(20):  # payments spread over the 10,000 blocks
            pay(w3, chain, rng)
            for step in range(5):  # anvil mines 100 blocks at once far faster than 500
                node.rpc("anvil_mine", hex(100 if step < 4 else behind // 20 - 401))
        head = w3.eth.block_number
        service = _service([chain], f"jsonl://{tmp}/catch-up", [start])
        service.ledger.record_observed([])  # open the files before the clock starts
        started = time.perf_counter()
        runs = service.run_once()
        seconds = time.perf_counter() - started
        if runs[0].error:
            raise RuntimeError(runs[0].error)
        entries = service.ledger.store.count()
        service.close()
    finally:
        node.stop()
    return seconds, (head - start) / seconds, entries


def _import_rss_child(out: Any) -> None:
    gc.collect()
    out.put(rss_mib())


def _import_rss() -> float:
    """RSS of a fresh process that has imported the daemon and nothing else."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_import_rss_child, args=(queue,))
    child.start()
    value: float = queue.get(timeout=120)
    child.join()
    return value


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    """Run the three scenarios and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 cycles instead of 1,000")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    cycles = 100 if args.quick else 1000
    configure_logging(level="error", fmt="json")
    print(f"RSS of a process importing the daemon (web3 is most of it): {_import_rss():.1f} MiB")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="aoineco-daemon-bench-") as tmp:
        _say(f"200 wallets, {cycles} cycles ...")
        rows = [bench_wallets(cycles, Path(tmp), rng)]
        _say(f"5 chains, {max(20, cycles // 5)} cycles ...")
        rows.append(bench_chains(max(20, cycles // 5), Path(tmp), rng))
        _say("catch-up from 10,000 blocks behind ...")
        seconds, rate, entries = bench_catch_up(Path(tmp), rng)
    print(f"daemon bench ({'quick, ' if args.quick else ''}seed {args.seed}, local anvil, JSONL)")
    header = f"{'scenario':<24}{'cycles':>7}{'median ms':>11}{'p95 ms':>9}"
    header += f"{'RSS start':>11}{'RSS end':>9}{'RSS max':>9}  note"
    print(header)
    for r in rows:
        print(
            f"{r.scenario:<24}{r.cycles:>7}{r.median_ms:>11.1f}{r.p95_ms:>9.1f}"
            f"{r.rss_start:>10.1f}M{r.rss_end:>8.1f}M{r.rss_max:>8.1f}M  {r.note}"
        )
    print(
        f"catch-up: 10,000 blocks in {seconds:.1f} s = {rate:,.0f} blocks/s "
        f"({entries} entries; goal >= 500 blocks/s)"
    )
    worst = max(r.rss_max for r in rows)
    print(f"memory: max RSS {worst:.1f} MiB (goal < 80 MiB)")


if __name__ == "__main__":
    main()
