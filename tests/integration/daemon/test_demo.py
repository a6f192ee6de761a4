"""``aoineco-ledger demo``: the whole story on eth-tester, well under a minute."""

from __future__ import annotations

import io
import time

import pytest

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
        assert run_demo(store=store, out=out) == 0
    finally:
        reset_logging()
    return store, out.getvalue(), time.monotonic() - started


class TestDemo:
    def test_prints_metrics_agents_and_statements(self, demo: tuple[str, str, float]) -> None:
        """The demo ends with the seed's metrics block, the agent table and the statements."""
        _, out, seconds = demo
        assert "💰 Seed Amount: $7.00" in out and "🧠 IPD:" in out
        assert all(agent in out for agent in ("oracle", "blue-sound", "scout"))
        assert "reconciled" in out and "DIFFERENCE" in out
        assert seconds < 60

    def test_ledger_filled_itself(self, demo: tuple[str, str, float]) -> None:
        """The demo's ledger holds its chain entries; the look-alike token is nowhere."""
        store, _, _ = demo
        with Ledger.open(store) as ledger:
            entries = list(ledger.entries())
            statements = ledger.reconciliation()
        assert {e.category for e in entries} >= {"Gas/Blockchain", "Revenue/Gig", "Transfer"}
        assert any("reverted" in e.flags for e in entries)
        assert [e for e in entries if e.asset == "USDC" and (e.asset_amount or 0) >= 10**9] == []
        differences = [s for s in statements if not s.reconciled]
        assert [(s.agent, s.asset, s.difference) for s in differences] == [("scout", "ETH", 10**15)]

    def test_refuses_a_store_with_demo_history(self, demo: tuple[str, str, float]) -> None:
        """Running the demo again into the same store is refused with a clear error."""
        store, _, _ = demo
        with pytest.raises(ConfigError, match="earlier demo"):
            run_demo(store=store, out=io.StringIO())
        reset_logging()
