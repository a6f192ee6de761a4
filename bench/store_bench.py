"""Benchmark the stores at scale: SQLite, PostgreSQL and, for comparison, JSONL.

For each store: load N entries (1M; ``--quick``: 100k) in 10,000-entry appends,
then measure durable single appends, grouped appends (100 entries per append),
the bootstrap metrics and this month's summary through a ``Ledger`` (median and
p99 over 200 calls), the time to open the store, and its size on disk. SQLite is
also measured with ``synchronous=NORMAL`` for the append rates.

PostgreSQL: a database ``aoineco_bench_<pid>`` is created on
``AOINECO_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``)
and dropped afterwards; the row is skipped when the server is unreachable.

Run: ``python bench/store_bench.py [--quick] [--only sqlite,postgresql,jsonl]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.base import Store

_AGENTS = ["oracle", "blue-sound", "nova", "echo", "atlas", "iris"]
_EXPENSES = ["API/LLM", "API/Services", "Gas/Blockchain", "Infrastructure", "Tools"]
_REVENUES = ["Revenue/Gig", "Revenue/Tips"]
_BATCH = 10_000
_CALLS = 200


def _entries(count: int, *, end: datetime, seed: int) -> Iterator[list[Entry]]:
    """``count`` entries spread over the year before ``end``, in batches, a third with refs."""
    rng = random.Random(seed)
    start = end - timedelta(days=365)
    step = 365 * 86400 / max(count, 1)
    batch: list[Entry] = []
    for i in range(count):
        revenue = rng.random() < 0.1
        batch.append(
            Entry(
                id=uuid.UUID(int=rng.getrandbits(128)).hex,
                ts=start + timedelta(seconds=i * step, microseconds=rng.randint(0, 999_999)),
                direction="revenue" if revenue else "expense",
                amount=Decimal(rng.randint(1, 9_999_999)).scaleb(-rng.randint(2, 8)),
                category=rng.choice(_REVENUES if revenue else _EXPENSES),
                agent=rng.choice(_AGENTS),
                vendor="bench",
                description=f"call {i}",
                ref=f"bench:{seed}:{i}" if i % 3 == 0 else None,
                source="chain" if i % 3 == 0 else "manual",
                asset_amount=rng.getrandbits(80) if i % 3 == 0 else None,
            )
        )
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _fresh(n: int, seed: int, now: datetime) -> list[Entry]:
    return [e for b in _entries(n, end=now, seed=seed) for e in b]


@dataclass
class Row:
    """One line of the result table."""

    name: str
    entries: int = 0
    bulk: float = 0.0
    single: float = 0.0
    grouped: float = 0.0
    metrics: tuple[float, float] = (0.0, 0.0)
    month: tuple[float, float] = (0.0, 0.0)
    open_ms: float = 0.0
    size_mb: float = 0.0
    notes: list[str] = field(default_factory=list)


def _latency(fn: Callable[[], object]) -> tuple[float, float]:
    fn()
    times = []
    for _ in range(_CALLS):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def _rate(count: int, fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return count / (time.perf_counter() - t)


def _appends(store: Store, now: datetime, *, single: int, groups: int) -> tuple[float, float]:
    ones = _fresh(single, 101, now)
    grouped = _fresh(groups * 100, 202, now)

    def one_by_one() -> None:
        for e in ones:
            store.append([e])

    def hundreds() -> None:
        for i in range(0, len(grouped), 100):
            store.append(grouped[i : i + 100])

    return _rate(len(ones), one_by_one), _rate(len(grouped), hundreds)


def _measure(
    name: str, opener: Callable[[], Store], size: Callable[[], int], n: int, quick: bool
) -> Row:
    now = datetime.now(UTC)
    row = Row(name, entries=n)
    store = opener()
    t = time.perf_counter()
    loaded = sum(store.append(batch).added for batch in _entries(n, end=now, seed=1))
    row.bulk = loaded / (time.perf_counter() - t)
    store.close()
    t = time.perf_counter()
    store = opener()
    row.open_ms = (time.perf_counter() - t) * 1000
    ledger = Ledger(store)
    row.metrics = _latency(ledger.bootstrap_metrics)
    row.month = _latency(lambda: ledger.summary("this-month"))
    row.single, row.grouped = _appends(store, now, single=300 if quick else 1000, groups=50)
    store.close()
    row.size_mb = size() / 1e6
    return row


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _sqlite(tmp: Path, n: int, quick: bool) -> list[Row]:
    from aoineco_ledger.ledger.store.sql import SqlStore

    path = tmp / "ledger.db"
    row = _measure(
        "sqlite (FULL)",
        lambda: SqlStore.from_url(f"sqlite:///{path}"),
        lambda: _dir_size(tmp),
        n,
        quick,
    )
    normal = Row("sqlite (NORMAL)", entries=n)
    with SqlStore.from_url(f"sqlite:///{path}?synchronous=NORMAL") as store:
        normal.single, normal.grouped = _appends(
            store, datetime.now(UTC), single=300 if quick else 1000, groups=50
        )
    normal.notes.append("append rates only")
    return [row, normal]


def _postgresql(n: int, quick: bool) -> list[Row]:
    import psycopg
    from sqlalchemy.engine import make_url

    from aoineco_ledger.ledger.store.sql import SqlStore

    server = make_url(
        os.environ.get("AOINECO_TEST_POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    ).set(drivername="postgresql")
    name = f"aoineco_bench_{os.getpid()}"
    admin = server.render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as e:
        print(f"postgresql skipped: {e}")
        return []
    url = server.set(database=name).render_as_string(hide_password=False)

    def size() -> int:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0

    try:
        return [_measure("postgresql", lambda: SqlStore.from_url(url), size, n, quick)]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _jsonl(tmp: Path, n: int, quick: bool) -> list[Row]:
    from aoineco_ledger.ledger.store.jsonl import JsonlStore

    path = tmp / "jsonl"
    return [_measure("jsonl", lambda: JsonlStore(path), lambda: _dir_size(path), n, quick)]


def _print(rows: list[Row]) -> None:
    head = (
        f"{'store':<16} {'entries':>9} {'bulk/s':>9} {'single/s':>9} {'grouped/s':>10} "
        f"{'metrics ms (med/p99)':>21} {'this-month ms (med/p99)':>24} {'open ms':>8} {'MB':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        if r.notes:
            print(
                f"{r.name:<16} {'':>9} {'':>9} {r.single:>9,.0f} {r.grouped:>10,.0f}"
                f"   ({', '.join(r.notes)})"
            )
            continue
        print(
            f"{r.name:<16} {r.entries:>9,} {r.bulk:>9,.0f} {r.single:>9,.0f} {r.grouped:>10,.0f} "
            f"{r.metrics[0]:>10.2f} / {r.metrics[1]:>8.2f} {r.month[0]:>12.2f} / {r.month[1]:>9.2f}"
            f" {r.open_ms:>8.1f} {r.size_mb:>8.1f}"
        )


def main() -> None:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k entries instead of 1M")
    parser.add_argument("--only", default="sqlite,postgresql,jsonl", help="comma-separated stores")
    args = parser.parse_args()
    n = 100_000 if args.quick else 1_000_000
    wanted = args.only.split(",")
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="aoineco-store-bench-"))
    try:
        if "sqlite" in wanted:
            (tmp / "sqlite").mkdir()
            rows += _sqlite(tmp / "sqlite", n, args.quick)
        if "postgresql" in wanted:
            rows += _postgresql(n, args.quick)
        if "jsonl" in wanted:
            rows += _jsonl(tmp, n, args.quick)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _print(rows)


if __name__ == "__main__":
    main()
