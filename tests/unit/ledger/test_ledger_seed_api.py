"""The seed's API: Quick Start verbatim, the seed's method names, arguments and shapes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from aoineco_ledger.errors import BudgetExceeded
from aoineco_ledger.ledger import AoinecoLedger, default_ledger_dir
from aoineco_ledger.testing import FrozenClock

# The seed's Quick Start, character for character.
QUICK_START = """\
from ledger_engine import AoinecoLedger
ledger = AoinecoLedger()
# Log API cost
ledger.log_api_cost(0.0042, "Google", "gemini-3-flash", tokens_used=150000, agent="oracle")
# Log gas fee
ledger.log_gas(0.0003, chain="base", tx_hash="0xabc123", agent="blue-sound")
# Log revenue
ledger.log_revenue(0.01, "MoltLaunch", "Tier-1 Intel Report", category="Revenue/Gig")
# Set budget
ledger.set_budget("API/LLM", limit=3.00, period="daily")
# Check $7 Bootstrap metrics
metrics = ledger.get_bootstrap_metrics()
"""


@pytest.fixture(name="ledger_dir")
def _ledger_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "ledger"
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(target))
    return target


@pytest.fixture(name="seed")
def _seed(ledger_dir: Path, clock: FrozenClock) -> AoinecoLedger:
    return AoinecoLedger(str(ledger_dir), clock=clock)


class TestQuickStart:
    def test_runs_verbatim(self, ledger_dir: Path) -> None:
        """The seed's Quick Start runs as written and leaves its files in the ledger dir."""
        namespace: dict[str, object] = {}
        exec(compile(QUICK_START, "quick_start.py", "exec"), namespace)
        metrics = namespace["metrics"]
        assert metrics["💰 Seed Amount"] == "$7.00"  # type: ignore[index]
        assert metrics["📉 Total Expenses"] == "$0.0045"  # type: ignore[index]
        assert (ledger_dir / "transactions.jsonl").exists()
        budgets = AoinecoLedger().budgets()
        assert [b.id for b in budgets] == ["daily:API/LLM:*"]


class TestDefaultDir:
    def test_aoineco_ledger_dir_first(self) -> None:
        """$AOINECO_LEDGER_DIR wins over $OPENCLAW_WORKSPACE."""
        env = {"AOINECO_LEDGER_DIR": "/a", "OPENCLAW_WORKSPACE": "/b"}
        assert default_ledger_dir(env) == Path("/a")

    def test_openclaw_workspace(self) -> None:
        """Else the seed's $OPENCLAW_WORKSPACE/ledger."""
        assert default_ledger_dir({"OPENCLAW_WORKSPACE": "/b"}) == Path("/b/ledger")

    def test_home_fallback(self) -> None:
        """Else ~/.openclaw/workspace/ledger."""
        assert default_ledger_dir({}) == Path.home() / ".openclaw/workspace/ledger"

    def test_reads_process_environment(self, ledger_dir: Path) -> None:
        """Without an argument the process environment is read."""
        assert default_ledger_dir() == ledger_dir
        assert AoinecoLedger().ledger_dir == str(ledger_dir)


class TestLogCalls:
    def test_log_api_cost(self, seed: AoinecoLedger) -> None:
        """log_api_cost files API/LLM with the seed's description, tags and token meta."""
        entry = seed.log_api_cost(
            0.0042, "Google", "gemini-3-flash", tokens_used=150000, agent="oracle"
        )
        assert (entry.category, entry.vendor, entry.amount) == (
            "API/LLM",
            "Google",
            Decimal("0.0042"),
        )
        assert entry.description == "gemini-3-flash — 150,000 tokens"
        assert entry.tags == ("api", "llm", "gemini-3-flash")
        assert dict(entry.meta) == {"model": "gemini-3-flash", "tokens_used": "150000"}

    def test_log_api_cost_without_model(self, seed: AoinecoLedger) -> None:
        """Without a model the description is empty and tokens still kept."""
        entry = seed.log_api_cost("0.01", "OpenAI", tokens_used=10)
        assert (entry.description, entry.tags, dict(entry.meta)) == (
            "",
            ("api", "llm"),
            {"tokens_used": "10"},
        )

    def test_log_api_cost_without_tokens(self, seed: AoinecoLedger) -> None:
        """Without a token count the description is the model alone, not '0 tokens'."""
        entry = seed.log_api_cost("0.01", "Google", "gemini-3-flash")
        assert entry.description == "gemini-3-flash"

    def test_log_gas(self, seed: AoinecoLedger) -> None:
        """log_gas files Gas/Blockchain with the chain and tx hash."""
        entry = seed.log_gas(0.0003, chain="base", tx_hash="0xabc123def4567890ff", agent="b")
        assert (entry.category, entry.vendor, entry.chain, entry.tx_hash) == (
            "Gas/Blockchain",
            "Gas (base)",
            "base",
            "0xabc123def4567890ff",
        )
        assert entry.description == "tx: 0xabc123def45678..."

    def test_log_expense_and_revenue_positional(self, seed: AoinecoLedger) -> None:
        """The seed's positional arguments work; revenue's source is the vendor."""
        expense = seed.log_expense(1, "Hetzner", "VPS", "Infrastructure", "ceo")
        revenue = seed.log_revenue("0.5", "MoltLaunch", "gig", "Revenue/Tips", "oracle")
        assert (expense.category, expense.agent) == ("Infrastructure", "ceo")
        assert (revenue.vendor, revenue.direction, revenue.category) == (
            "MoltLaunch",
            "revenue",
            "Revenue/Tips",
        )

    def test_ref_on_every_log_call(self, seed: AoinecoLedger) -> None:
        """Every log call takes ref=; a repeat writes nothing."""
        calls = [
            lambda: seed.log_expense(1, "v", ref="r1"),
            lambda: seed.log_revenue(1, "s", ref="r2"),
            lambda: seed.log_api_cost(1, "p", ref="r3"),
            lambda: seed.log_gas(1, ref="r4"),
        ]
        for call in calls:
            assert call() == call()
        assert seed.get_status()["total_transactions"] == 4

    def test_budget_blocks_and_force(self, seed: AoinecoLedger) -> None:
        """The seed promised blocking at 100%: now it does; force overrides."""
        seed.set_budget("API/LLM", limit=0.01, period="daily")
        seed.log_api_cost(0.01, "Google")
        with pytest.raises(BudgetExceeded):
            seed.log_api_cost(0.001, "Google")
        assert seed.log_gas(5, force=True).flags == ()
        forced = seed.log_api_cost(0.001, "Google", force=True)
        assert forced.flags == ("over-budget", "forced")


class TestReports:
    def test_get_summary_shape(self, seed: AoinecoLedger) -> None:
        """get_summary gives the seed's keys with Decimal amounts."""
        seed.log_api_cost(0.0042, "Google", agent="oracle")
        seed.log_revenue(0.01, "MoltLaunch", "r")
        summary = seed.get_summary("this-month")
        assert summary["period"] == "this-month"
        assert summary["net"] == Decimal("0.0058")
        assert summary["top_agents"] == {"oracle": Decimal("0.0042")}

    def test_get_agent_costs_shape(self, seed: AoinecoLedger) -> None:
        """get_agent_costs gives total, count, categories per agent."""
        seed.log_api_cost(0.0042, "Google", agent="oracle")
        seed.log_gas(0.0003)
        assert seed.get_agent_costs() == {
            "oracle": {
                "total": Decimal("0.0042"),
                "count": 1,
                "categories": {"API/LLM": Decimal("0.0042")},
            },
            "unattributed": {
                "total": Decimal("0.0003"),
                "count": 1,
                "categories": {"Gas/Blockchain": Decimal("0.0003")},
            },
        }

    def test_exports_as_text(self, seed: AoinecoLedger) -> None:
        """export_csv and export_json return text; JSON amounts are exact strings."""
        seed.log_api_cost(0.0042, "Google")
        assert seed.export_csv().splitlines()[1].split(",")[3] == "0.0042"
        assert json.loads(seed.export_json("today"))[0]["amount"] == "0.0042"

    def test_get_status(self, seed: AoinecoLedger, ledger_dir: Path) -> None:
        """get_status has the seed's keys."""
        seed.set_budget("Tools", limit=1)
        status = seed.get_status()
        assert status["ledger_dir"] == str(ledger_dir)
        assert status["budgets_set"] == 1
        assert status["seed_amount"] == Decimal("7.00")
        assert "API/LLM" in status["categories"]

    def test_reopen_keeps_everything(
        self, seed: AoinecoLedger, ledger_dir: Path, clock: FrozenClock
    ) -> None:
        """A new AoinecoLedger on the same dir sees the entries and budgets."""
        seed.log_api_cost(0.0042, "Google")
        seed.set_budget("API/LLM", limit=3, period="daily")
        seed.close()
        again = AoinecoLedger(ledger_dir, clock=clock)
        assert again.get_summary()["total_expenses"] == Decimal("0.0042")
        assert len(again.budgets()) == 1
