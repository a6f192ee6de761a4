"""SIGKILL the daemon at random moments, restart it: the ledger ends exactly right every time.

Each run starts the real daemon (``aoineco-ledger daemon``) on a fresh JSONL
ledger over the squad's history, one block per committed chunk, kills it with
SIGKILL after a random 0.2-2 s (while importing, mid-scan, mid-append, or
idle), and restarts it; once the restarted daemon (which waits for the dead
one's chain lease to expire) has booked the whole history it gets SIGTERM. The final ledger must
equal the fault-free ledger entry for entry, and every statement reconcile.

The runs' processes are forked from a preloaded ``forkserver`` (importing web3
costs ~2 s of CPU, twenty times over); one more run uses plain
``python -m aoineco_ledger`` subprocesses from start to finish. The random
moments come from a seeded generator whose seed is printed (set
``AOINECO_CRASH_SEED`` to replay one).

The JSONL files the daemon wrote are then cut at random byte offsets: opening
keeps every complete line and sets the torn tail aside, and a cut through the
checkpoint log only makes the daemon scan a few blocks again, adding nothing
twice.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store.jsonl import RECONCILER, TRANSACTIONS
from tests._support.anvil import Anvil
from tests.integration.reliability._squad import (
    History,
    LedgerRow,
    build_history,
    cli,
    config_toml,
    fast_client,
    ledger_rows,
    open_rows,
    run_until_done,
    service_for,
    squad_config,
)

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

RUNS = 20
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(name="rng", scope="module")
def _rng() -> random.Random:
    """The seeded generator of kill moments (the seed is printed, and can be given)."""
    seed = int(os.environ.get("AOINECO_CRASH_SEED") or random.SystemRandom().randrange(10**6))
    print(f"crash test seed: AOINECO_CRASH_SEED={seed}")
    return random.Random(seed)


@pytest.fixture(name="history", scope="module")
def _history(node: Anvil) -> History:
    """The squad's history on this module's anvil."""
    return build_history(node.url)


@pytest.fixture(name="reference", scope="module")
def _reference(history: History) -> set[LedgerRow]:
    """The fault-free ledger's rows."""
    config = squad_config(history, store="memory://", rpc_urls=[history.url])
    service = service_for(config, fast_client([history.url]))
    run_until_done(service)
    return ledger_rows(service.ledger)


@pytest.fixture(name="forks", scope="module")
def _forks() -> ForkServerContext:
    """A forkserver with the package imported, so each daemon process starts at once."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["aoineco_ledger.cli", "aoineco_ledger.daemon", "tests.integration.reliability._squad"]
    )
    return context


@pytest.fixture(name="written", scope="module")
def _written(
    history: History, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, set[LedgerRow]]]:
    """A JSONL ledger the daemon wrote over the whole history, and its rows."""
    directory = tmp_path_factory.mktemp("written")
    store = f"jsonl://{directory}/ledger"
    config = squad_config(history, store=store, rpc_urls=[history.url], max_blocks=1)
    service = service_for(config, fast_client([history.url]))
    run_until_done(service)
    rows = ledger_rows(service.ledger)
    service.close()
    yield directory / "ledger", rows


def _config(history: History, directory: Path) -> tuple[Path, str]:
    directory.mkdir(parents=True, exist_ok=True)
    store = f"jsonl://{directory}/ledger"
    config = config_toml(
        history,
        directory / "aoineco.toml",
        store=store,
        rpc_urls=[history.url],
        max_blocks=1,
        poll_seconds=0.1,
    )
    return config, store


def _checkpoint_at(store: str) -> int:
    with Ledger.open(store) as ledger:
        checkpoint = ledger.store.checkpoint(31337)
        return -1 if checkpoint is None else checkpoint.block_number


def _wait_until_booked(stores: list[str], end: int, timeout: float = 90.0) -> None:
    """Wait until every ledger's checkpoint is at ``end`` (the restarted daemons' work)."""
    deadline = time.monotonic() + timeout
    waiting = list(stores)
    while waiting and time.monotonic() < deadline:
        waiting = [store for store in waiting if _checkpoint_at(store) < end]
        time.sleep(0.3)
    assert not waiting, f"{len(waiting)} ledgers never caught up: {waiting[:2]}"


class TestSigkill:
    def test_killed_and_restarted_daemon_books_the_same_ledger(
        self,
        forks: ForkServerContext,
        history: History,
        reference: set[LedgerRow],
        rng: random.Random,
        tmp_path: Path,
    ) -> None:
        """Twenty daemons, each killed at a random moment and restarted: twenty equal ledgers.

        The runs go side by side: a restarted daemon waits for the dead one's
        chain lease to expire (at least 10 s) before it takes the chain over.
        """
        runs = [_config(history, tmp_path / f"run{run}") for run in range(RUNS)]
        moments = sorted((rng.uniform(0.2, 2.0), run) for run in range(RUNS))
        started = time.monotonic()
        daemons = [_daemon(forks, config) for config, _ in runs]
        for moment, run in moments:
            time.sleep(max(0.0, started + moment - time.monotonic()))
            daemons[run].kill()
        for daemon in daemons:
            daemon.join()
            assert daemon.exitcode == -signal.SIGKILL
        cut_short = sum(_checkpoint_at(store) < history.end for _, store in runs)
        print(f"{cut_short} of {RUNS} daemons were killed before booking the whole history")
        assert cut_short > 0
        again = [_daemon(forks, config) for config, _ in runs]
        try:
            _wait_until_booked([store for _, store in runs], history.end)
        finally:
            for daemon in again:
                daemon.terminate()  # SIGTERM: finish the cycle in flight, exit 0
            for daemon in again:
                daemon.join(timeout=30)
        assert [d.exitcode for d in again] == [0] * RUNS
        for run, (_, store) in enumerate(runs):
            assert open_rows(store) == reference, f"run {run} differs"
            with Ledger.open(store) as ledger:
                assert all(s.reconciled for s in ledger.reconciliation()), f"run {run}"

    def test_killed_cli_subprocess_resumes_to_the_same_ledger(
        self, history: History, reference: set[LedgerRow], rng: random.Random, tmp_path: Path
    ) -> None:
        """The same with plain ``python -m aoineco_ledger daemon`` processes."""
        config, store = _config(history, tmp_path)
        ledger_file = tmp_path / "ledger" / TRANSACTIONS
        daemon = _subprocess(config)
        deadline = time.monotonic() + 60
        while not ledger_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.2, 2.0))
        daemon.send_signal(signal.SIGKILL)
        assert daemon.wait(timeout=10) == -signal.SIGKILL
        again = _subprocess(config)
        leases = tmp_path / "ledger" / "leases.json"
        try:
            while f":{again.pid}:" not in leases.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)  # the restarted daemon took the chain over (it is running)
            _wait_until_booked([store], history.end)
        finally:
            again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=30) == 0
        assert open_rows(store) == reference


def _daemon(forks: ForkServerContext, config: Path) -> BaseProcess:
    process = forks.Process(target=cli, args=(["daemon", "--config", str(config)],))
    process.start()
    return process


def _subprocess(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aoineco_ledger", "daemon", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _is_json(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _cut(source: Path, target: Path, name: str, at: int) -> bytes:
    """Copy the ledger directory and cut one of its files at byte ``at``; the file's bytes."""
    shutil.copytree(source, target)
    data = (source / name).read_bytes()
    os.truncate(target / name, at)
    return data


class TestTruncation:
    def test_cut_ledger_keeps_every_complete_entry(
        self, written: tuple[Path, set[LedgerRow]], rng: random.Random, tmp_path: Path
    ) -> None:
        """Cut anywhere, the daemon's ledger opens with every whole line and the rest set aside."""
        source, _ = written
        size = (source / TRANSACTIONS).stat().st_size
        for i in range(15):
            at = rng.randrange(size + 1)
            data = _cut(source, tmp_path / f"cut{i}", TRANSACTIONS, at)
            tail = data[:at].rsplit(b"\n", 1)[-1]
            complete = _is_json(tail)
            with Ledger.open(str(tmp_path / f"cut{i}")) as ledger:
                assert ledger.store.count() == data[:at].count(b"\n") + int(complete)
                torn = [p for p in ledger.store.problems() if "torn" in p.message]
                assert len(torn) == int(bool(tail) and not complete)
                assert all(p.line.encode() == tail for p in torn)

    def test_cut_checkpoint_log_rescans_and_adds_nothing_twice(
        self,
        history: History,
        written: tuple[Path, set[LedgerRow]],
        rng: random.Random,
        tmp_path: Path,
    ) -> None:
        """A torn checkpoint log loses only progress: the daemon scans again, same ledger."""
        source, rows = written
        size = (source / RECONCILER).stat().st_size
        for i in range(5):
            target = tmp_path / f"rec{i}"
            _cut(source, target, RECONCILER, rng.randrange(size // 2, size + 1))
            store = f"jsonl://{target}"
            config = squad_config(history, store=store, rpc_urls=[history.url], max_blocks=3)
            service = service_for(config, fast_client([history.url]))
            run_until_done(service)
            assert ledger_rows(service.ledger) == rows
            assert all(s.reconciled for s in service.ledger.reconciliation())
            service.close()
