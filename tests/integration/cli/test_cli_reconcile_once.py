"""``reconcile --once`` on anvil, as a process: the store it books into, the alerts it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aoineco_ledger.ledger import Ledger
from tests._support.anvil import Anvil, _anvil, _anvil_clean

__all__ = ["_anvil", "_anvil_clean"]

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

ROOT = Path(__file__).resolve().parents[3]
VENDOR = "0x2222222222222222222222222222222222222222"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AOINECO_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "aoineco_ledger", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(name="config")
def _config(anvil_clean: Anvil, tmp_path: Path) -> Path:
    """A squad of one anvil account that has just paid a vendor, past a tiny gas budget."""
    wallet = anvil_clean.rpc("eth_accounts")[0]
    start = int(anvil_clean.rpc("eth_blockNumber"), 16)
    anvil_clean.rpc("eth_sendTransaction", {"from": wallet, "to": VENDOR, "value": hex(10**15)})
    anvil_clean.rpc("anvil_mine", "0x1")
    path = tmp_path / "squad.toml"
    path.write_text(
        f'[ledger]\nstore = "jsonl://{tmp_path / "configured"}"\n\n'
        '[log]\nlevel = "info"\n\n'
        f'[[chains]]\nname = "anvil"\nrpc_urls = ["{anvil_clean.url}"]\n'
        f'price_usd = "2000"\nstart_block = {start}\nfinality = 0\n\n'
        f'[[agents]]\nname = "oracle"\nwallets = ["{wallet}"]\n\n'
        '[[budgets]]\ncategory = "Gas/Blockchain"\nlimit = "0.000001"\nperiod = "daily"\n',
        encoding="utf-8",
    )
    return path


class TestReconcileOnce:
    def test_books_into_the_store_option(self, config: Path, tmp_path: Path) -> None:
        """--store wins over [ledger] store: the entries are there, the configured store unmade."""
        given = tmp_path / "given"
        done = _cli("reconcile", "--once", "--config", str(config), "--store", f"jsonl://{given}")
        assert done.returncode in (0, 3), done.stderr
        with Ledger.open(f"jsonl://{given}") as ledger:
            categories = {e.category for e in ledger.entries()}
        assert "Gas/Blockchain" in categories
        assert not (tmp_path / "configured").exists()

    def test_an_exceeded_budget_is_printed(self, config: Path) -> None:
        """Chain gas past a budget prints the alert line on stderr, as log does."""
        done = _cli("reconcile", "--once", "--config", str(config))
        assert done.returncode in (0, 3), done.stderr
        alerts = [line for line in done.stderr.splitlines() if "BUDGET EXCEEDED" in line]
        assert len(alerts) == 1 and "Gas/Blockchain" in alerts[0], done.stderr

    def test_a_start_block_ahead_of_the_chain_is_said(self, config: Path, tmp_path: Path) -> None:
        """start_block beyond the head: exit 0, nothing booked, and a line saying it waits."""
        ahead = tmp_path / "ahead.toml"
        text = config.read_text(encoding="utf-8")
        head = text.split("start_block = ")[1].split("\n")[0]
        ahead.write_text(text.replace(f"start_block = {head}", "start_block = 1000000"), "utf-8")
        store = tmp_path / "waiting"
        done = _cli("reconcile", "--once", "--config", str(ahead), "--store", f"jsonl://{store}")
        assert done.returncode == 0, done.stderr
        assert "waiting: start_block 1000000 is beyond the chain's block" in done.stdout
        with Ledger.open(f"jsonl://{store}") as ledger:
            assert list(ledger.entries()) == [] and list(ledger.reconciliation()) == []
