"""Two daemon replicas on one PostgreSQL against anvil: kill the active one, lose nothing.

Both replicas run ``python -m aoineco_ledger daemon`` with the same configuration
and the same PostgreSQL store. Only the holder of the lease ``chain:31337`` scans;
it is SIGKILLed in the middle of the catch-up, the other takes over when the
lease runs out, and the ledger ends with exactly the expected entries, none twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from web3 import Web3

from aoineco_ledger.ledger.store.sql import SqlStore
from tests._support.anvil import ANVIL_BIN, Anvil, start_anvil
from tests._support.postgres import create_schema, drop_schema, require_postgres
from tests._support.requirements import missing
from tests.integration.daemon._script import CHAIN_ID, Squad

pytestmark = [pytest.mark.integration, pytest.mark.anvil, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIRMATIONS = 2
LEASE = f"chain:{CHAIN_ID}"


@pytest.fixture(name="node", scope="module")
def _node() -> Iterator[Anvil]:
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="store_url", scope="module")
def _store_url() -> Iterator[str]:
    require_postgres()
    url = create_schema("replicas_test")
    yield url
    drop_schema("replicas_test")


def _replica(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AOINECO_CONFIG", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "aoineco_ledger", "daemon", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _wait(what: str, done: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _block(store: SqlStore) -> int:
    cp = store.checkpoint(CHAIN_ID)
    return -1 if cp is None else cp.block_number


def _holder_pid(store: SqlStore) -> int | None:
    held = store.lease_holder(LEASE)
    return None if held is None else int(held[0].split(":")[1])


@pytest.fixture(name="run", scope="module")
def _run(
    node: Anvil, store_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
    """Activity, two replicas, SIGKILL of the lease holder, more activity, SIGTERM."""
    tmp = tmp_path_factory.mktemp("replicas")
    squad = Squad.deploy(Web3(Web3.HTTPProvider(node.url)))
    start = squad.w3.eth.block_number
    config = squad.write_config(
        tmp / "aoineco.toml",
        store=store_url,
        url=node.url,
        start_block=start,
        poll_seconds=1,
        finality=CONFIRMATIONS,
        max_blocks_per_cycle=3,
    )
    squad.run(24)
    replicas = {
        p.pid: p for p in (_replica(config, tmp / "a.log"), _replica(config, tmp / "b.log"))
    }
    store = SqlStore.from_url(store_url)
    try:
        _wait("the first chunks", lambda: _block(store) >= start + 6, timeout=90)
        active = _holder_pid(store)
        assert active in replicas
        replicas[active].send_signal(signal.SIGKILL)
        replicas[active].wait(timeout=10)
        killed_at = _block(store)
        survivor = next(p for pid, p in replicas.items() if pid != active)
        squad.run(12)
        node.rpc("anvil_mine", hex(CONFIRMATIONS))
        last = squad.w3.eth.block_number - CONFIRMATIONS
        _wait("the survivor's catch-up", lambda: _block(store) >= last, timeout=120)
        took_over = _holder_pid(store) == survivor.pid
        survivor.send_signal(signal.SIGTERM)
        code = survivor.wait(timeout=30)
        yield {
            "squad": squad,
            "killed_at": killed_at,
            "last": last,
            "took_over": took_over,
            "code": code,
            "entries": [e for e in store.query() if e.source == "chain"],
            "logs": "".join(p.read_text() for p in (tmp / "a.log", tmp / "b.log")),
        }
    finally:
        for p in replicas.values():
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        store.close()


class TestReplicas:
    def test_the_kill_left_work_for_the_survivor(self, run: dict[str, object]) -> None:
        """The active replica died before the end; the other replica holds the lease at the end."""
        assert isinstance(run["killed_at"], int) and isinstance(run["last"], int)
        assert run["killed_at"] < run["last"]
        assert run["took_over"] is True

    def test_survivor_exits_zero_on_sigterm(self, run: dict[str, object]) -> None:
        """SIGTERM lets the survivor finish its chunk and exit 0."""
        assert run["code"] == 0, str(run["logs"])[-3000:]

    def test_ledger_complete_without_duplicates(self, run: dict[str, object]) -> None:
        """Every expected entry is there exactly once, however the two replicas interleaved."""
        squad = run["squad"]
        entries = run["entries"]
        assert isinstance(squad, Squad) and isinstance(entries, list)
        refs = Counter(e.ref for e in entries)
        assert [r for r, n in refs.items() if n > 1] == []
        assert set(refs) == {x.ref for x in squad.expected_by_probe}  # the default scanner
