"""``aoineco-ledger demo``: the whole story on eth-tester, well under a minute."""

from __future__ import annotations

import contextlib
import io
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.daemon._demo import run_demo
from aoineco_ledger.daemon._logging import reset_logging
from aoineco_ledger.errors import ConfigError
from aoineco_ledger.ledger import Ledger

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(name="demo", scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, float]:
    store = f"jsonl://{tmp_path_factory.mktemp('demo') / 'ledger'}"
    out = io.StringIO()
    started = time.monotonic()
    try:
        with contextlib.redirect_stdout(out):
            assert main(["demo", "--store", store]) == 0  # as `make demo` runs it
    finally:
        reset_logging()
    return store, out.getvalue(), time.monotonic() - started


class TestDemo:
    def test_prints_metrics_agents_and_statements(self, demo: tuple[str, str, float]) -> None:
        """The demo ends with the seed's metrics block, the agent table and the statements."""
        _, out, seconds = demo
        assert "💰 Seed Amount: $7.00" in out and "🧠 IPD:" in out
        assert all(agent in out for agent in ("oracle", "blue-sound", "scout"))
        assert "reconciled" in out and "Every balance is explained to the wei" in out
        assert seconds < 60

    def test_statements_name_the_chain(self, demo: tuple[str, str, float]) -> None:
        """The reconciliation table says eth-tester, not the chain's 15-digit id."""
        _, out, _ = demo
        table = out.split("Reconciliation", 1)[1]
        assert "eth-tester  oracle" in table and "131277322940537" not in table

    def test_serves_the_api_during_the_demo(self, demo: tuple[str, str, float]) -> None:
        """The demo serves the API on loopback, shows its answer and prints curl lines for it."""
        _, out, _ = demo
        url = re.search(r"metrics API \(read-only, loopback\): (http://127\.0\.0\.1:\d+)", out)
        assert url is not None
        assert "answered GET /v1/chains: eth-tester at block" in out
        assert f"curl -s {url.group(1)}/metrics" in out

    def test_ledger_filled_itself(self, demo: tuple[str, str, float]) -> None:
        """The demo's ledger holds its chain entries; the look-alike token is nowhere."""
        store, _, _ = demo
        with Ledger.open(store) as ledger:
            entries = list(ledger.entries())
            statements = ledger.reconciliation()
        assert {e.category for e in entries} >= {"Gas/Blockchain", "Revenue/Gig", "Transfer"}
        assert any("reverted" in e.flags for e in entries)
        assert [e for e in entries if e.asset == "USDC" and (e.asset_amount or 0) >= 10**9] == []
        assert all(s.reconciled for s in statements)
        forwarded = [e for e in entries if e.ref and ":internal-in:" in e.ref]
        assert [(e.agent, e.direction, e.asset_amount) for e in forwarded] == [
            ("scout", "revenue", 10**15)
        ]

    def test_refuses_a_store_with_demo_history(self, demo: tuple[str, str, float]) -> None:
        """Running the demo again into the same store is refused with a clear error."""
        store, _, _ = demo
        with pytest.raises(ConfigError, match="already holds entries"):
            run_demo(store=store, out=io.StringIO())
        reset_logging()


class TestDemoServe:
    def test_serve_keeps_the_api_up_until_sigint(self) -> None:
        """With --serve the API answers after the report; Ctrl-C stops it and the demo exits 0."""
        child = subprocess.Popen(
            [sys.executable, "-m", "aoineco_ledger", "demo", "--serve"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            lines = iter(child.stdout.readline, "")
            curl = next(line for line in lines if "curl -s" in line and "/v1/chains" not in line)
            url = curl.split("curl -s ", 1)[1].split("/v1/", 1)[0].strip()
            body = httpx.get(f"{url}/v1/chains", timeout=30).json()
            assert [c["chain"] for c in body["chains"]] == ["eth-tester"]
        finally:
            child.send_signal(signal.SIGINT)
            child.communicate(timeout=60)
        assert child.returncode == 0
