"""Benchmark the JSONL ledger: durable appends, open, and bootstrap metrics.

Prints one table per ledger size (10k, 100k, 1M entries; ``--quick``: 1k, 10k)
with the store's figures next to a plain re-read-and-sum baseline (what the
seed engine did on every call: read every line, parse it, add it up).

The big files are written directly as JSONL lines in the store's own format
(the setup is not what is measured). Run: ``python bench/ledger_bench.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Context, Decimal
from pathlib import Path

from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import EntryFilter
from aoineco_ledger.ledger.store.jsonl import JsonlStore

_EXACT = Context(prec=100)
_AGENTS = ["oracle", "blue-sound", "nova", "echo", "atlas", "iris", "sol", "vega", "kite"]
_EXPENSES = ["API/LLM", "API/Services", "Gas/Blockchain", "Infrastructure", "Tools"]
_REVENUES = ["Revenue/Gig", "Revenue/Tips", "Revenue/DeFi"]
_START = datetime(2025, 3, 1, tzinfo=UTC)
_SPAN_S = 365 * 24 * 3600


def _lines(count: int, seed: int = 7) -> list[str]:
    """``count`` JSONL lines in the store's format, in time order over one year."""
    rng = random.Random(seed)
    step = _SPAN_S / count
    out = []
    for i in range(count):
        ts = (_START + timedelta(seconds=i * step)).isoformat()
        revenue = rng.random() < 0.1
        category = rng.choice(_REVENUES if revenue else _EXPENSES)
        amount = f"{rng.randint(1, 99999) / 10 ** rng.randint(2, 6):f}".rstrip("0").rstrip(".")
        out.append(
            f'{{"id":"{uuid.UUID(int=rng.getrandbits(128)).hex}","ts":"{ts}",'
            f'"direction":"{"revenue" if revenue else "expense"}","amount":"{amount}",'
            f'"currency":"USD","category":"{category}","agent":"{rng.choice(_AGENTS)}",'
            f'"vendor":"bench","description":"call {i}","source":"manual"}}'
        )
    return out


def _write_ledger(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "transactions.jsonl").open("w", encoding="utf-8") as out:
        for start in range(0, count, 100_000):
            out.write("\n".join(_lines(min(100_000, count - start), seed=start)) + "\n")
        out.flush()
        os.fsync(out.fileno())  # else the first timed fsync pays for writing the whole setup


def baseline_metrics(path: Path) -> tuple[Decimal, Decimal, Decimal, int]:
    """The seed's way: read every line, parse it, sum revenue, expenses and API/LLM."""
    revenue = expenses = api = Decimal(0)
    count = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line, parse_float=Decimal)
            amount = Decimal(record["amount"])
            count += 1
            if record["direction"] == "revenue":
                revenue = _EXACT.add(revenue, amount)
            elif record["direction"] == "expense":
                expenses = _EXACT.add(expenses, amount)
                if record["category"] == "API/LLM":
                    api = _EXACT.add(api, amount)
    return revenue, expenses, api, count


def _timed(fn: Callable[[], object], *, repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _entry(i: int) -> Entry:
    return Entry(
        id=uuid.uuid4().hex,
        ts=datetime.now(UTC),
        direction="expense",
        amount=Decimal("0.0042"),
        category="API/LLM",
        agent=_AGENTS[i % len(_AGENTS)],
        vendor="bench",
    )


def append_rates(directory: Path, *, singles: int, batches: int, batch: int) -> tuple[float, float]:
    """Durable appends per second: one entry per fsync, then ``batch`` entries per fsync."""
    with JsonlStore(directory) as store:
        start = time.perf_counter()
        for i in range(singles):
            store.append([_entry(i)])
        single_rate = singles / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(batches):
            store.append([_entry(i) for i in range(batch)])
        grouped_rate = batches * batch / (time.perf_counter() - start)
    return single_rate, grouped_rate


def raw_fsync_rate(directory: Path, count: int) -> float:
    """write + fsync of a 250-byte line per call on a bare file: the disk's own ceiling."""
    path = directory / "fsync-probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        start = time.perf_counter()
        for _ in range(count):
            os.write(fd, b"x" * 249 + b"\n")
            os.fsync(fd)
        return count / (time.perf_counter() - start)
    finally:
        os.close(fd)
        path.unlink()


def _bootstrap(store: JsonlStore) -> Callable[[], object] | None:
    try:
        from aoineco_ledger.ledger import Ledger
    except ImportError:
        return None
    ledger = Ledger(store)
    return ledger.bootstrap_metrics


def bench_size(root: Path, count: int, *, appends: int) -> dict[str, str]:
    """Every figure for one ledger size."""
    directory = root / f"ledger-{count}"
    _write_ledger(directory, count)
    path = directory / "transactions.jsonl"
    base = _timed(lambda: baseline_metrics(path), repeat=1 if count >= 10**6 else 3)
    rss = _rss_mb()
    start = time.perf_counter()
    store = JsonlStore(directory)
    opened = time.perf_counter() - start
    rss = _rss_mb() - rss
    store.close()
    start = time.perf_counter()
    store = JsonlStore(directory)
    reopened = time.perf_counter() - start
    totals = _timed(store.totals, repeat=200)
    month = EntryFilter(since=_START + timedelta(days=200), until=_START + timedelta(days=231))
    start = time.perf_counter()
    store.totals(month)
    first_window = time.perf_counter() - start
    window = _timed(lambda: store.totals(month), repeat=50)
    day = EntryFilter(since=_START + timedelta(days=300, hours=5, minutes=17))
    budget = _timed(lambda: store.totals(day), repeat=50)
    metrics = _bootstrap(store)
    boot = _timed(metrics, repeat=200) if metrics is not None else float("nan")
    check = baseline_metrics(path)[3] == store.count()
    store.close()
    raw = raw_fsync_rate(directory, appends)
    single, grouped = append_rates(directory, singles=appends, batches=20, batch=100)
    shutil.rmtree(directory)
    return {
        "entries": f"{count:,}",
        "open s": f"{opened:.2f}",
        "reopen s": f"{reopened:.2f}",
        "1st window s": f"{first_window:.2f}",
        "index MB": f"{rss:.0f}",
        "totals() ms": f"{totals * 1e3:.3f}",
        "bootstrap ms": f"{boot * 1e3:.3f}",
        "month ms": f"{window * 1e3:.3f}",
        "since-edge ms": f"{budget * 1e3:.3f}",
        "baseline ms": f"{base * 1e3:.0f}",
        "speedup": f"{base / (boot if boot == boot else totals):,.0f}x",
        "raw fsync/s": f"{raw:,.0f}",
        "append/s 1": f"{single:,.0f}",
        "append/s x100": f"{grouped:,.0f}",
        "same count": "yes" if check else "NO",
    }


def _print_table(rows: list[dict[str, str]]) -> None:
    headers = list(rows[0])
    widths = [max(len(h), *(len(r[h]) for r in rows)) for h in headers]
    print(" | ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[h].rjust(w) for h, w in zip(headers, widths, strict=True)))


def main() -> None:
    """Parse arguments, run every size, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k entries only")
    parser.add_argument("--dir", help="where to build the ledgers (default: a temp dir)")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    root = Path(args.dir or tempfile.mkdtemp(prefix="ledger-bench-"))
    try:
        rows = [bench_size(root, n, appends=200 if args.quick else 1000) for n in sizes]
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    print(f"JSONL store, {os.cpu_count()} CPUs, files under {root}")
    _print_table(rows)
    print(
        "open: index built from the JSONL (and its snapshot saved); reopen: from the snapshot"
        " (index.snapshot, saved once 50k entries are new); 1st window: first time-window"
        " totals after reopen (loads the hourly rollups); totals(): all-time groups; bootstrap:"
        " Ledger.bootstrap_metrics(); month: a 31-day window; since-edge: a window starting"
        " mid-hour; baseline: re-read and re-sum the whole file; speedup: baseline/bootstrap;"
        " raw fsync/s: write+fsync on a bare file (the disk's ceiling, measured just before);"
        " append/s: each append fsync'd before it returns (1 entry, or 100 per call)."
    )


if __name__ == "__main__":
    main()
