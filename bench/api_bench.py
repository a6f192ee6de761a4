"""Benchmark the metrics API: requests per second and latency at 100k entries.

Builds a JSONL ledger of ``--entries`` entries (default 100,000; written as
JSONL lines in the store's own format, so the setup is not what is measured),
serves it with ``aoineco_ledger.api`` under uvicorn in a separate process (one
worker, loopback), and drives it with a bounded thread pool of keep-alive httpx
clients. Prints one table: per route, requests, requests per second, and
p50/p90/p99 latency.

Run: ``python bench/api_bench.py`` (``--quick`` for 10k entries and fewer requests).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from aoineco_ledger.ledger import new_entry
from aoineco_ledger.ledger._codec import entry_to_dict

AGENTS = ["oracle", "blue-sound", "nova", "echo", "atlas", "iris", "sol", "vega", "kite"]
EXPENSES = ["API/LLM", "API/Services", "Gas/Blockchain", "Infrastructure", "Tools"]
REVENUES = ["Revenue/Gig", "Revenue/Tips", "Revenue/DeFi"]
ROUTES = [
    "/healthz",  # the framework's own cost: no ledger work at all
    "/v1/metrics/bootstrap",
    "/metrics",
    "/v1/summary?period=this-month",
    "/v1/entries",
]
SERVER = """
import sys, threading
from aoineco_ledger.api import make_app, start_in_thread
from aoineco_ledger.ledger import Ledger
ledger = Ledger.open(sys.argv[1])
handle = start_in_thread(make_app(ledger), "127.0.0.1", 0)  # no access log
print(handle.url, flush=True)
threading.Event().wait()
"""


def write_ledger(directory: Path, count: int, *, seed: int = 7) -> None:
    """``count`` entries over the last year, plus three budgets."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / count
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "transactions.jsonl").open("w", encoding="utf-8") as out:
        for i in range(count):
            revenue = rng.random() < 0.1
            entry = new_entry(
                direction="revenue" if revenue else "expense",
                amount=f"{rng.randint(1, 99999)}E-{rng.randint(2, 6)}",
                category=rng.choice(REVENUES if revenue else EXPENSES),
                ts=start + i * step,
                agent=rng.choice(AGENTS),
                description=f"call {i}",
            )
            out.write(json.dumps(entry_to_dict(entry), separators=(",", ":")) + "\n")
    budgets = [
        {"id": "daily:API/LLM:*", "category": "API/LLM", "limit": "3", "period": "daily"},
        {"id": "monthly:*:oracle", "agent": "oracle", "limit": "50", "period": "monthly"},
        {"id": "total:*:*", "limit": "10000", "period": "total"},
    ]
    (directory / "budgets.json").write_text(json.dumps(budgets))


@contextmanager
def server(url: str) -> Iterator[str]:
    """Serve the ledger at ``url`` in a child process; yields the base URL."""
    child = subprocess.Popen(
        [sys.executable, "-c", SERVER, url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert child.stdout is not None
        base = child.stdout.readline().decode().strip()
        if not base.startswith("http://"):
            raise RuntimeError("the API server did not start")
        yield base
    finally:
        child.terminate()
        child.wait(10)


def drive(base: str, path: str, *, requests: int, workers: int) -> tuple[float, list[float]]:
    """Send ``requests`` GETs with ``workers`` keep-alive clients; (seconds, latencies)."""
    per_worker = requests // workers

    def work(_: int) -> list[float]:
        latencies = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(per_worker):
                began = time.perf_counter()
                response = client.get(path)
                latencies.append(time.perf_counter() - began)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, range(workers)))
    return time.perf_counter() - began, [x for r in results for x in r]


def _ms(latencies: list[float], q: int) -> str:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return f"{cuts[q - 1] * 1000:8.1f}"


def main() -> None:
    """Build, serve, drive, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000, help="per route")
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients")
    parser.add_argument("--quick", action="store_true", help="10k entries, 400 requests")
    args = parser.parse_args()
    if args.quick:
        args.entries, args.requests = 10_000, 400
    where = Path(tempfile.mkdtemp(prefix="aoineco-api-bench-"))
    try:
        began = time.perf_counter()
        write_ledger(where / "ledger", args.entries)
        print(f"wrote {args.entries:,} entries in {time.perf_counter() - began:.1f} s")
        with server(f"jsonl://{where / 'ledger'}") as base:
            for path in ROUTES:  # warm up: the index is built and pages are cached
                httpx.get(base + path, timeout=120).raise_for_status()
            print(
                f"\nAPI at {args.entries:,} entries (jsonl), one uvicorn worker, "
                f"{args.workers} keep-alive clients, loopback; "
                f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            )
            print(f"{'route':32} {'requests':>8} {'req/s':>8}", end="")
            print(f" {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
            for path in ROUTES:
                seconds, latencies = drive(base, path, requests=args.requests, workers=args.workers)
                print(
                    f"{path:32} {len(latencies):8d} {len(latencies) / seconds:8.0f} "
                    f"{_ms(latencies, 50)} {_ms(latencies, 90)} {_ms(latencies, 99)}"
                )
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
