"""Budgets in the config follow the ledger's own rules, so what config check passes, runs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aoineco_ledger.cli import main
from aoineco_ledger.config import AppConfig, format_validation_error
from aoineco_ledger.errors import LedgerError
from aoineco_ledger.ledger import Ledger

URL = "https://base.example/v2/SECRETKEY"
TINY = "0.0000000000000000000000000000000000000001"


def _message(**sections: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        AppConfig(**sections)
    return format_validation_error(caught.value)


def _write(tmp_path: Path, budget: str) -> Path:
    path = tmp_path / "a.toml"
    path.write_text(
        f'[ledger]\nstore = "memory://"\n\n[[chains]]\nname = "base"\nrpc_urls = ["{URL}"]\n\n'
        f"[[budgets]]\n{budget}\n",
        encoding="utf-8",
    )
    return path


class TestBudgetLimits:
    @pytest.mark.parametrize("limit", ["0", "1e400", TINY])
    def test_what_the_ledger_refuses_config_refuses(self, limit: str) -> None:
        """A limit set_budget would refuse is refused by the config too, at its key."""
        with Ledger.open("memory://") as ledger, pytest.raises(LedgerError) as ledger_error:
            ledger.set_budget(limit=limit)
        message = _message(budgets=[{"limit": limit}])
        assert message == f"budgets[0].limit: {ledger_error.value}"

    def test_zero_limit_names_the_rule(self) -> None:
        """Zero gets the ledger's wording, with the value as the user wrote it."""
        message = _message(budgets=[{"limit": "0"}])
        assert message == "budgets[0].limit: a budget limit must be greater than 0, got '0'"

    def test_good_limit_is_exact(self) -> None:
        """A float limit goes through str() and stays exact."""
        assert AppConfig(budgets=[{"limit": 0.1}]).budgets[0].limit == Decimal("0.1")

    @pytest.mark.parametrize("warn_at", ["0", "1.5", "1e400"])
    def test_bad_warn_at(self, warn_at: str) -> None:
        """warn_at outside (0, 1] is refused at its key."""
        message = _message(budgets=[{"limit": "5", "warn_at": warn_at}])
        assert message.startswith("budgets[0].warn_at: ")

    def test_huge_seed_amount(self) -> None:
        """A seed amount the ledger would refuse is refused at its key."""
        message = _message(ledger={"seed_amount": "1e400"})
        assert message == "ledger.seed_amount: amount '1e400' is too large"


class TestBudgetCommands:
    @pytest.mark.parametrize("command", [["config", "check"], ["reconcile", "--once", "--config"]])
    def test_zero_limit_exits_1_with_one_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
    ) -> None:
        """config check and reconcile --once both refuse a zero limit: exit 1, one keyed line."""
        path = _write(tmp_path, 'limit = "0"')
        assert main([*command, str(path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "budgets[0].limit: a budget limit must be greater than 0" in err[0]


class TestBudgetAgents:
    def test_unknown_agent_is_refused(self) -> None:
        """A budget on an agent not under [[agents]] is refused, naming the key and the agents."""
        agents = [{"name": "oracle"}, {"name": "scout"}]
        message = _message(agents=agents, budgets=[{"agent": "oracel", "limit": "5"}])
        assert message == (
            "budgets[0].agent: 'oracel' is not an agent under [[agents]] (known: oracle, scout)"
        )

    def test_known_agent_is_accepted(self) -> None:
        """A budget on a configured agent is fine."""
        config = AppConfig(agents=[{"name": "oracle"}], budgets=[{"agent": "oracle", "limit": "5"}])
        assert config.budgets[0].agent == "oracle"

    def test_any_agent_without_agents_section(self) -> None:
        """With no [[agents]] at all, a budget may name any agent (hand-logged entries)."""
        config = AppConfig(budgets=[{"agent": "anyone", "limit": "5"}])
        assert config.budgets[0].agent == "anyone"
