"""RPC cost of the two scanners over a simulated Base day on anvil.

    .venv/bin/python bench/rpc_bench.py            # 43,200 blocks (slow: anvil mines O(n^2))
    .venv/bin/python bench/rpc_bench.py --blocks 7200
    .venv/bin/python bench/rpc_bench.py --quick    # 2,400 blocks, 10 and 100 wallets

A chain of ``--blocks`` blocks is mined in bulk (``anvil_mine``), with
``--txs-per-wallet`` transactions per wallet per *day* spread over it at random
(ETH out and in, USDC out and in, ETH forwarded by a contract), scaled to the
stretch's length so the density per block is a Base day's. Both scanners then
read it in 60 s polls (30 Base blocks) through a loopback proxy that counts
JSON-RPC calls (batch elements), HTTP requests and response bytes. The probe
scanner reads every poll; the block scanner a sample of ``--sample`` polls,
scaled to all polls. Counts are scaled to a 43,200-block day when the stretch
is shorter (said in the output). anvil blocks are tiny, so bytes are also given
as Base-equivalent: every full block read at the fixture block's size (226 KB,
``tests/fixtures/mainnet/blocks``), every header at that block's size without its
transactions' bodies.

The Multicall3 path runs against a stand-in with the same ABI
(``tests/evm_contracts/multicall.vy``, compiled from its file: the bench
imports nothing from ``tests/``). This script is not a test; it prints a table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aoineco_ledger.chains import (  # noqa: E402 - after the path is set
    BlockScanner,
    ProbeScanner,
    RpcClient,
    StaticPrice,
    TokenSpec,
)

ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
CONTRACTS = ROOT / "tests" / "evm_contracts"
FIXTURE_BLOCK = (
    ROOT / "tests" / "fixtures" / "mainnet" / "blocks" / "base-8453_b22155737_full-txs.json"
)
DAY = 43_200
POLL = 30
ETH = 10**18


# -- a counting proxy ------------------------------------------------------------


@dataclass
class Counts:
    """What went through the proxy."""

    calls: int = 0
    http: int = 0
    bytes: int = 0
    full_blocks: int = 0
    headers: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)

    def add(self, body: Any, size: int) -> None:
        items = body if isinstance(body, list) else [body]
        self.http += 1
        self.bytes += size
        for item in items:
            method = str(item.get("method"))
            self.calls += 1
            self.methods[method] = self.methods.get(method, 0) + 1
            if method == "eth_getBlockByNumber":
                full = bool(item.get("params", [None, False])[1])
                self.full_blocks += full
                self.headers += not full


class Proxy:
    """Forwards JSON-RPC to anvil over loopback and counts it."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.counts = Counts()
        self._lock = threading.Lock()
        self._local = threading.local()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                session = getattr(proxy._local, "session", None) or requests.Session()
                proxy._local.session = session
                answer = session.post(
                    proxy.upstream,
                    data=raw,
                    headers={"Content-Type": "application/json"},
                    timeout=600,
                ).content
                with proxy._lock:
                    proxy.counts.add(json.loads(raw), len(answer))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self) -> Counts:
        """The counts so far, starting afresh."""
        with self._lock:
            counts, self.counts = self.counts, Counts()
        return counts

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- anvil and the simulated day --------------------------------------------------


class Node:
    """An anvil process with many funded accounts, keeping all states in memory."""

    def __init__(self, accounts: int) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        args = [str(ANVIL), "--port", str(port), "--silent", "--accounts", str(accounts)]
        args += ["--balance", "100000", "--prune-history", "200000"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.session = requests.Session()
        self._nonces: dict[str, int] = {}
        for _ in range(600):
            try:
                self.rpc("eth_chainId")
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("anvil did not start")

    def rpc(self, method: str, *params: Any) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        answer = self.session.post(self.url, json=body, timeout=3600).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        calls = [
            (m, [{**p[0], "nonce": self.nonce(p[0]["from"])}] if m == "eth_sendTransaction" else p)
            for m, p in calls
        ]
        body = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
        ]
        answers = self.session.post(self.url, json=body, timeout=3600).json()
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"batch: {errors[0]}")
        return [a["result"] for a in sorted(answers, key=lambda a: a["id"])]

    def nonce(self, sender: str) -> str:
        """The next nonce of ``sender``, counted here (batched sends must not race)."""
        if sender not in self._nonces:
            self._nonces[sender] = int(self.rpc("eth_getTransactionCount", sender, "pending"), 16)
        self._nonces[sender] += 1
        return hex(self._nonces[sender] - 1)

    def mine(self, blocks: int) -> None:
        while blocks > 0:
            step = min(blocks, 1000)
            self.rpc("anvil_mine", hex(step))
            blocks -= step

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def _compile(name: str) -> tuple[list[Any], str]:
    import vyper  # late: it pins its own decimal context

    out = vyper.compile_code(
        (CONTRACTS / f"{name}.vy").read_text(), output_formats=["abi", "bytecode"]
    )
    return out["abi"], out["bytecode"]


def _deploy(node: Node, sender: str, name: str, *args: Any) -> Any:
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(node.url))
    abi, bytecode = _compile(name)
    tx = w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args).transact({"from": sender})
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return w3.eth.contract(address=address, abi=abi)


@dataclass
class Day:
    """The simulated stretch: where it starts and ends, who plays, what is deployed."""

    node: Node
    start: int
    end: int
    wallets: list[str]
    token: str
    multicall: str
    transactions: int
    seconds: float
    failed: int = 0


def build_day(blocks: int, wallets: int, per_day: int, seed: int) -> Day:
    """Mine ``blocks`` blocks with ``per_day * blocks / DAY`` transactions per wallet."""
    node = Node(wallets + 6)
    began = time.monotonic()
    from web3 import Web3

    accounts = [Web3.to_checksum_address(a) for a in node.rpc("eth_accounts")]
    deployer, outsiders, squad = accounts[0], accounts[1:6], accounts[6 : 6 + wallets]
    token = _deploy(node, deployer, "token", "USD Coin", "USDC", 6)
    forwarder = _deploy(node, deployer, "forwarder")
    multicall = _deploy(node, deployer, "multicall")
    mints = [
        (
            "eth_sendTransaction",
            [
                {
                    "from": deployer,
                    "to": token.address,
                    "data": token.functions.mint(w, 10**15)._encode_transaction_data(),
                }
            ],
        )
        for w in [*squad, *outsiders]
    ]
    # One by one: anvil's automine left some of a batch of sends in its pool.
    _mined(node, [node.batch([mint])[0] for mint in mints])
    rng = random.Random(seed)
    start = int(node.rpc("eth_blockNumber"), 16)
    count = max(1, round(wallets * per_day * blocks / DAY))
    kinds = ["eth-out"] * 8 + ["eth-in"] * 8 + ["usdc-out"] * 4 + ["usdc-in"] * 3 + ["forward"]
    plan: dict[int, list[tuple[str, str, str]]] = {}
    for _ in range(count):
        at = rng.randint(1, blocks - 1)
        plan.setdefault(at, []).append(
            (rng.choice(kinds), rng.choice(squad), rng.choice(outsiders))
        )
    node.rpc("evm_setAutomine", False)
    hashes: list[str] = []
    for at in sorted(plan):
        node.mine(start + at - 1 - int(node.rpc("eth_blockNumber"), 16))
        calls = [
            _tx(kind, wallet, other, token, forwarder, rng) for kind, wallet, other in plan[at]
        ]
        hashes += node.batch(calls)
        node.rpc("anvil_mine", "0x1")
    node.mine(start + blocks - int(node.rpc("eth_blockNumber"), 16))
    node.rpc("evm_setAutomine", True)
    end = int(node.rpc("eth_blockNumber"), 16)
    # A history whose transfers reverted would measure an idle squad: count them.
    receipts = node.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    failed = sum(1 for r in receipts if r is None or int(r["status"], 16) != 1)
    return Day(
        node,
        start,
        end,
        squad,
        token.address,
        multicall.address,
        len(hashes),
        time.monotonic() - began,
        failed,
    )


def _mined(node: Node, hashes: list[str], timeout: float = 60.0) -> None:
    """Wait until every one of ``hashes`` is mined, and succeeded.

    Switching automine off before they are mined would leave some in anvil's
    pool, and the history built on them (transfers of minted USDC) would revert.
    """
    deadline = time.monotonic() + timeout
    while True:
        receipts = node.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
        if all(r is not None for r in receipts):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"anvil did not mine {sum(r is None for r in receipts)} setup txs")
        time.sleep(0.05)
    if any(int(r["status"], 16) != 1 for r in receipts):
        raise SystemExit("a setup transaction of the simulated day reverted")


def _tx(
    kind: str, wallet: str, other: str, token: Any, forwarder: Any, rng: random.Random
) -> tuple[str, list[Any]]:
    value = rng.randint(10**12, 10**16)
    if kind == "eth-out":
        tx = {"from": wallet, "to": other, "value": hex(value)}
    elif kind == "eth-in":
        tx = {"from": other, "to": wallet, "value": hex(value)}
    elif kind == "usdc-out":
        tx = {
            "from": wallet,
            "to": token.address,
            "data": token.functions.transfer(other, value % 10**9)._encode_transaction_data(),
        }
    elif kind == "usdc-in":
        tx = {
            "from": other,
            "to": token.address,
            "data": token.functions.transfer(wallet, value % 10**9)._encode_transaction_data(),
        }
    else:
        data = forwarder.functions.forward(wallet)._encode_transaction_data()
        tx = {"from": other, "to": forwarder.address, "value": hex(value), "data": data}
    return "eth_sendTransaction", [{**tx, "gas": hex(120_000)}]


# -- measuring -----------------------------------------------------------------------


@dataclass
class Row:
    scanner: str
    wallets: int
    polls: int
    calls: float
    http: float
    bytes: float
    base_bytes: float
    events: int = 0
    event_calls: float = 0.0
    note: str = ""
    methods: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


def _sizes() -> tuple[int, int]:
    """(full block, header with transaction hashes) of the fixture Base block, in bytes."""
    block = json.loads(FIXTURE_BLOCK.read_text())
    block = block.get("result", block)
    full = len(json.dumps({"jsonrpc": "2.0", "id": 1, "result": block}))
    header = dict(
        block, transactions=[t["hash"] if isinstance(t, dict) else t for t in block["transactions"]]
    )
    return full, len(json.dumps({"jsonrpc": "2.0", "id": 1, "result": header}))


def _base_bytes(counts: Counts, full: int, header: int) -> float:
    # anvil's blocks count at Base size (on top of their own few bytes); the rest as measured
    return counts.bytes + counts.full_blocks * full + counts.headers * header


def _token(day: Day) -> list[TokenSpec]:
    return [TokenSpec(day.token, "USDC", 6, StaticPrice("1"))]


def measure_probe(day: Day, proxy: Proxy, wallets: int, mode: str, sizes: tuple[int, int]) -> Row:
    client = RpcClient([proxy.url], chain="anvil", max_batch=1000)
    probe = ProbeScanner(
        client,
        tokens=_token(day),
        native_price=StaticPrice("3000"),
        multicall=day.multicall,
        mode=mode,
    )  # type: ignore[arg-type]
    watched = day.wallets[:wallets]
    proxy.take()
    edges = [*list(range(day.start, day.end, POLL)), day.end]
    for low, high in itertools.pairwise(edges):
        probe.scan(
            from_block=low,
            to_block=high,
            wallets=watched,
            opening_for=watched if low == day.start else (),
        )
    counts = proxy.take()
    polls = len(edges) - 1
    # an idle poll's cost, measured: mine 30 empty blocks and poll once more
    day.node.mine(POLL)
    probe.scan(from_block=day.end, to_block=day.end + POLL, wallets=watched)
    idle = proxy.take()
    stats = probe.stats
    events = stats.located_transactions + stats.located_inflows
    extra = counts.calls - polls * idle.calls
    return Row(
        f"probe/{mode}",
        wallets,
        polls,
        counts.calls,
        counts.http,
        counts.bytes,
        _base_bytes(counts, *sizes),
        events,
        extra / events if events else 0.0,
        note=f"idle poll {idle.calls} calls",
        methods=counts.methods,
        stats={k: v for k, v in stats.as_dict().items() if v},
    )


def measure_blocks(
    day: Day, proxy: Proxy, wallets: int, sample: int, sizes: tuple[int, int]
) -> Row:
    client = RpcClient([proxy.url], chain="anvil", max_batch=100)
    scanner = BlockScanner(client, tokens=_token(day), native_price=StaticPrice("3000"))
    watched = day.wallets[:wallets]
    edges = list(range(day.start, day.end, POLL))
    polls = len(edges)
    picked = sorted(random.Random(1).sample(edges, min(sample, polls)))
    proxy.take()
    for low in picked:
        scanner.scan(from_block=low, to_block=min(low + POLL, day.end), wallets=watched)
    counts = proxy.take()
    scale = polls / len(picked)
    return Row(
        "blocks",
        wallets,
        polls,
        counts.calls * scale,
        counts.http * scale,
        counts.bytes * scale,
        _base_bytes(counts, *sizes) * scale,
        note=f"{len(picked)} polls sampled",
    )


def catch_up(day: Day, proxy: Proxy, behind: int, wallets: int) -> list[tuple[str, int, float]]:
    out = []
    low = max(day.start, day.end - behind)
    for name in ("probe", "blocks"):
        client = RpcClient([proxy.url], chain="anvil", max_batch=100)
        tokens = _token(day)
        scanner: Any = (
            ProbeScanner(client, tokens=tokens, multicall=day.multicall)
            if name == "probe"
            else BlockScanner(client, tokens=tokens)
        )
        began = time.monotonic()
        scanner.scan(from_block=low, to_block=day.end, wallets=day.wallets[:wallets])
        out.append((name, day.end - low, time.monotonic() - began))
    return out


def _print(rows: list[Row], scale: float, blocks: int) -> None:
    print(f"\nper day of {DAY:,} Base blocks, 60 s polls")
    print(f"(measured over {blocks:,} blocks, scaled x{scale:.2f})")
    head = (
        f"{'scanner':16} {'wallets':>7} {'calls/day':>12} {'HTTP/day':>10} {'bytes/day':>12} "
        f"{'Base bytes/day':>15} {'events':>7} {'calls/event':>11}  note"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.scanner:16} {r.wallets:>7} {r.calls * scale:>12,.0f} {r.http * scale:>10,.0f} "
            f"{_mb(r.bytes * scale):>12} {_mb(r.base_bytes * scale):>15} {r.events * scale:>7,.0f} "
            f"{r.event_calls:>11.1f}  {r.note}"
        )


def _print_methods(rows: list[Row]) -> None:
    print("\nprobe calls by method, over the measured stretch (not scaled):")
    for r in rows:
        if r.methods:
            listed = ", ".join(
                f"{m} {n:,}" for m, n in sorted(r.methods.items(), key=lambda x: -x[1])
            )
            print(f"  {r.scanner} {r.wallets}: {listed}")
            print(f"    stats: {r.stats}")


def _mb(value: float) -> str:
    return f"{value / 1e9:.2f} GB" if value >= 1e9 else f"{value / 1e6:.2f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=DAY)
    parser.add_argument("--wallets", default="10,100,1000")
    parser.add_argument("--txs-per-wallet", type=int, default=24, help="per wallet per day")
    parser.add_argument("--sample", type=int, default=40, help="block-scanner polls measured")
    parser.add_argument("--behind", type=int, default=10_000, help="catch-up distance")
    parser.add_argument("--modes", default="thorough,standard,lean")
    parser.add_argument("--quick", action="store_true", help="2,400 blocks, 10 and 100 wallets")
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    if args.quick:
        args.blocks, args.wallets, args.sample, args.behind = 2_400, "10,100", 10, 2_000
    if not ANVIL.exists():
        raise SystemExit(f"anvil not found at {ANVIL}")
    counts = [int(n) for n in args.wallets.split(",")]
    day = build_day(args.blocks, max(counts), args.txs_per_wallet, args.seed)
    print(
        f"chain: {day.end - day.start:,} blocks, {day.transactions:,} transactions "
        f"({day.failed} reverted), "
        f"{len(day.wallets)} wallets, built in {day.seconds:.0f} s"
    )
    proxy = Proxy(day.node.url)
    sizes = _sizes()
    print(
        f"Base fixture block: {sizes[0]:,} bytes full, {sizes[1]:,} bytes as a header (tx hashes)"
    )
    print(
        f"block scanner, a real Base day at that size: {DAY} x {sizes[0]:,} B = "
        f"{_mb(DAY * sizes[0])} of blocks alone"
    )
    try:
        rows: list[Row] = []
        for wallets in counts:
            snap = day.node.rpc("evm_snapshot")
            for mode in args.modes.split(","):
                rows.append(measure_probe(day, proxy, wallets, mode, sizes))
                day.node.rpc("evm_revert", snap)
                snap = day.node.rpc("evm_snapshot")
            rows.append(measure_blocks(day, proxy, wallets, args.sample, sizes))
        _print(rows, DAY / max(1, day.end - day.start), day.end - day.start)
        _print_methods(rows)
        print(f"\ncatch-up from a checkpoint {args.behind:,} blocks behind ({counts[0]} wallets):")
        for name, blocks, seconds in catch_up(day, proxy, args.behind, counts[0]):
            rate = blocks / seconds
            print(f"  {name:7} {blocks:,} blocks in {seconds:.1f} s = {rate:,.0f} blocks/s")
    finally:
        proxy.stop()
        day.node.stop()


if __name__ == "__main__":
    main()
