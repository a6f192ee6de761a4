"""End to end on anvil over HTTP: the daemon as a real process, killed and restarted.

A squad of three agents does 60+ blocks of scripted activity (income in ETH and
USDC, payments, a squad-internal transfer, a reverted transaction, a spam
airdrop, ETH forwarded by a contract). The daemon runs as
``python -m aoineco_ledger daemon``, is SIGKILLed in the middle of its catch-up,
restarted, and stopped with SIGTERM. The ledger must end with exactly the
expected entries, every statement reconciled except the one wallet a contract
paid (its difference is exactly what was forwarded), and nothing doubled.
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

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store.base import Checkpoint
from tests._support.anvil import ANVIL_BIN, Anvil, free_port, start_anvil
from tests._support.requirements import missing
from tests.integration.daemon._script import CHAIN_ID, Squad

pytestmark = [pytest.mark.integration, pytest.mark.anvil, pytest.mark.slow]

CONFIRMATIONS = 2
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(name="node", scope="module")
def _node() -> Iterator[Anvil]:
    """A private anvil node for this module (the daemon sees all of its state)."""
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="squad", scope="module")
def _squad(node: Anvil) -> Squad:
    return Squad.deploy(Web3(Web3.HTTPProvider(node.url)))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AOINECO_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "aoineco_ledger", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def _daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "aoineco_ledger", "daemon", "--config", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _checkpoint(store: str) -> Checkpoint | None:
    with Ledger.open(store) as ledger:
        return ledger.store.checkpoint(CHAIN_ID)


def _wait(what: str, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _reached(store: str, block: int) -> Callable[[], bool]:
    def check() -> bool:
        found = _checkpoint(store)
        return found is not None and found.block_number >= block

    return check


@pytest.fixture(name="run", scope="module")
def _run(node: Anvil, squad: Squad, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The whole story, once: activity, daemon, SIGKILL, more activity, restart, SIGTERM."""
    tmp = tmp_path_factory.mktemp("daemon-e2e")
    store = f"jsonl://{tmp / 'ledger'}"
    start = squad.w3.eth.block_number
    config = squad.write_config(
        tmp / "aoineco.toml",
        store=store,
        url=node.url,
        start_block=start,
        poll_seconds=1,
        finality=CONFIRMATIONS,
        max_blocks_per_cycle=5,
        # The block scanner on purpose: it cannot see forwarded ETH, and this story shows
        # that difference exactly. The probe scanner (the default) books it: test_demo.py.
        scan='"blocks"',
    )
    log = tmp / "daemon.log"
    squad.run(27)
    first = _daemon(config, log)
    _wait("the first chunks", _reached(store, start + 10))
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = _checkpoint(store)
    squad.run(36)
    node.rpc("anvil_mine", hex(CONFIRMATIONS))
    last = squad.w3.eth.block_number - CONFIRMATIONS
    second = _daemon(config, log)
    _wait("the catch-up after the restart", _reached(store, last), timeout=90)
    second.send_signal(signal.SIGTERM)
    code = second.wait(timeout=30)
    return {"store": store, "config": config, "log": log, "code": code, "killed_at": killed_at}


class TestDaemonEndToEnd:
    def test_sigterm_exits_zero(self, run: dict[str, object]) -> None:
        """SIGTERM lets the cycle finish and the process exit 0."""
        assert run["code"] == 0, Path(str(run["log"])).read_text()[-3000:]

    def test_killed_before_the_end(self, run: dict[str, object], squad: Squad) -> None:
        """The SIGKILL left blocks for the restarted daemon to catch up."""
        killed_at = run["killed_at"]
        assert isinstance(killed_at, Checkpoint)
        assert killed_at.block_number < squad.w3.eth.block_number - CONFIRMATIONS

    def test_exactly_the_expected_entries(self, run: dict[str, object], squad: Squad) -> None:
        """Every expected entry is there once: amount, category, agent, tx hash and direction."""
        with Ledger.open(str(run["store"])) as ledger:
            entries = [e for e in ledger.entries() if e.source == "chain"]
        refs = Counter(e.ref for e in entries)
        assert [r for r, n in refs.items() if n > 1] == []
        by_ref = {e.ref: e for e in entries}
        assert set(by_ref) == {x.ref for x in squad.expected}
        for want in squad.expected:
            got = by_ref[want.ref]
            assert (got.direction, got.category, got.agent, got.tx_hash) == (
                want.direction,
                want.category,
                want.agent,
                want.tx_hash,
            ), want.ref
            assert (got.asset_amount, got.amount) == (want.asset_amount, want.amount), want.ref

    def test_reverted_transaction_flagged(self, run: dict[str, object]) -> None:
        """The reverted transactions' gas entries carry the reverted flag."""
        with Ledger.open(str(run["store"])) as ledger:
            gas = [e for e in ledger.entries(agent="scout") if e.category == "Gas/Blockchain"]
        assert any("reverted" in e.flags for e in gas)

    def test_statements_reconcile_except_forwarded(
        self, run: dict[str, object], squad: Squad
    ) -> None:
        """All wallets reconcile but scout's ETH, whose difference is exactly what was forwarded."""
        with Ledger.open(str(run["store"])) as ledger:
            statements = {(s.agent, s.asset): s for s in ledger.reconciliation()}
        assert len(statements) == 6
        scout = statements.pop(("scout", "ETH"))
        assert scout.difference == squad.forwarded > 0
        assert all(s.reconciled for s in statements.values()), statements

    def test_second_reconcile_adds_nothing(self, run: dict[str, object]) -> None:
        """reconcile --once after the daemon adds nothing; a difference remains, so exit 3."""
        with Ledger.open(str(run["store"])) as ledger:
            before = ledger.store.count()
        done = _cli("reconcile", "--once", "--json", "--config", str(run["config"]))
        assert done.returncode == 3, done.stderr
        with Ledger.open(str(run["store"])) as ledger:
            assert ledger.store.count() == before

    def test_logs_summarise_each_cycle(self, run: dict[str, object]) -> None:
        """Off a terminal the daemon logs JSON lines, one summary line per cycle."""
        lines = Path(str(run["log"])).read_text().splitlines()
        assert any('"event": "cycle"' in line for line in lines)


class TestReconcileOnce:
    def test_all_reconciled_exits_zero(self, node: Anvil, squad: Squad, tmp_path: Path) -> None:
        """A squad without the wallet a contract paid reconciles fully: exit 0."""
        config_text = squad.config(
            store=f"jsonl://{tmp_path / 'ledger'}", url=node.url, start_block=1, finality=0
        )
        without_scout = config_text.replace(
            f'[[agents]]\nname = "scout"\nwallets = ["{squad.scout}"]', ""
        )
        path = tmp_path / "aoineco.toml"
        path.write_text(without_scout, encoding="utf-8")
        done = _cli("reconcile", "--once", "--config", str(path))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "reconciled" in done.stdout

    def test_unreachable_rpc_exits_one(self, squad: Squad, tmp_path: Path) -> None:
        """A closed loopback port: exit 1 and one masked error line."""
        url = f"http://127.0.0.1:{free_port()}/v2/S3CRETS3CRET"
        path = squad.write_config(
            tmp_path / "aoineco.toml", store=f"jsonl://{tmp_path / 'l'}", url=url, start_block=0
        )
        done = _cli("reconcile", "--once", "--config", str(path))
        assert done.returncode == 1
        errors = done.stderr.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("aoineco-ledger: error: chain anvil:")
        assert "S3CRETS3CRET" not in done.stderr + done.stdout
