"""The daemon's logs as journald or a container engine gets them: JSON lines on a pipe.

One daemon run on anvil sees a squad transaction (gas over a tiny budget) and an
unexplained balance change, and its whole output is kept for the tests below.
Two short runs check that the level comes from the config and the environment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aoineco_ledger.ledger import Ledger
from tests._support.anvil import Anvil
from tests._support.deploy import BLUE, ORACLE, OUTSIDER, Daemon, clean_env, squad_config

pytestmark = [pytest.mark.integration, pytest.mark.anvil]

TINY_BUDGET = """
[[budgets]]
category = "Gas/Blockchain"
limit = "0.000001"
period = "daily"
"""


@dataclass(frozen=True)
class Run:
    """What one daemon run wrote, and what happened on chain meanwhile."""

    code: int
    lines: list[str]
    stdout: str
    tx_hash: str

    def events(self) -> list[dict[str, Any]]:
        """Every line, parsed as JSON."""
        return [json.loads(line) for line in self.lines]

    def named(self, event: str) -> list[dict[str, Any]]:
        """The events called ``event``."""
        return [e for e in self.events() if e["event"] == event]


def _has(event: str) -> Any:
    return lambda line: f'"event": "{event}"' in line


def _added(line: str) -> bool:
    return '"event": "cycle"' in line and json.loads(line)["added"] > 0


def _wait_for_checkpoint(ledger_dir: Path, timeout: float = 60) -> None:
    """Wait until the daemon has committed its first chunk to the JSONL ledger."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ledger_dir.exists():
            with Ledger.open(f"jsonl://{ledger_dir}") as ledger:
                if ledger.checkpoints():
                    return
        time.sleep(0.2)
    pytest.fail(f"no checkpoint in {ledger_dir} after {timeout} s")


@pytest.fixture(name="run", scope="module")
def _run(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Run the daemon at info level through a transaction and a balance surprise."""
    snapshot = anvil.snapshot()
    config = squad_config(tmp_path_factory.mktemp("logs"), [anvil.url], extra=TINY_BUDGET)
    daemon = Daemon(config, clean_env())
    try:
        daemon.wait_for(_has("cycle"))
        tx_hash = anvil.rpc(
            "eth_sendTransaction", {"from": ORACLE, "to": OUTSIDER, "value": hex(10**17)}
        )
        daemon.wait_for(_added)
        daemon.wait_for(_has("budget_alert"))
        anvil.rpc("anvil_setBalance", BLUE, hex(5 * 10**18))
        anvil.rpc("evm_mine")
        daemon.wait_for(_has("balance_difference"))
        code = daemon.stop()
        yield Run(code, list(daemon.lines), daemon.stdout, str(tx_hash))
    finally:
        daemon.stop()
        anvil.revert(snapshot)


class TestLines:
    def test_every_line_is_one_json_object(self, run: Run) -> None:
        """Each line of output on a pipe parses as one JSON object."""
        assert run.lines and all(isinstance(json.loads(line), dict) for line in run.lines)

    def test_every_line_has_event_level_and_timestamp(self, run: Run) -> None:
        """``event``, ``level`` and an ISO-8601 UTC ``timestamp`` are on every line."""
        for event in run.events():
            assert {"event", "level", "timestamp"} <= event.keys(), event
            assert event["timestamp"].endswith("Z"), event

    def test_nothing_goes_to_stdout(self, run: Run) -> None:
        """Logs go to stderr only; stdout stays empty for the daemon."""
        assert (run.stdout, run.code) == ("", 0)


class TestFields:
    def test_one_cycle_line_per_run(self, run: Run) -> None:
        """Each scheduled run ends in exactly one ``cycle`` (or ``cycle_failed``) line."""
        stopped = run.named("daemon_stopped")
        assert len(stopped) == 1
        ends = run.named("cycle") + run.named("cycle_failed") + run.named("cycle_crashed")
        assert len(ends) == stopped[0]["runs"]

    def test_cycle_line_names_chain_and_block(self, run: Run) -> None:
        """The per-cycle summary carries ``chain`` and the ``block`` it reached."""
        cycle = next(e for e in run.named("cycle") if e["added"] > 0)
        assert cycle["chain"] == "anvil" and isinstance(cycle["block"], int)

    def test_budget_alert_names_agent_chain_and_tx_hash(self, run: Run) -> None:
        """A budget alert for on-chain gas names its agent, chain and transaction."""
        alert = run.named("budget_alert")[0]
        assert (alert["agent"], alert["chain"], alert["tx_hash"].lower()) == (
            "oracle",
            "anvil",
            run.tx_hash.lower(),
        )

    def test_balance_difference_names_agent_wallet_and_block(self, run: Run) -> None:
        """An unexplained balance change names the chain, agent, wallet and block."""
        difference = run.named("balance_difference")[0]
        assert (difference["chain"], difference["agent"], difference["wallet"].lower()) == (
            "anvil",
            "blue-sound",
            BLUE.lower(),
        )
        assert isinstance(difference["block"], int)

    def test_info_level_hides_debug(self, run: Run) -> None:
        """At ``[log] level = "info"`` no debug line is written."""
        assert {e["level"] for e in run.events()} <= {"info", "warning", "error"}


class TestLevel:
    def test_environment_sets_debug(self, anvil_clean: Anvil, tmp_path: Path) -> None:
        """``AOINECO_LOG__LEVEL=debug`` overrides the file's info: debug lines appear."""
        daemon = Daemon(
            squad_config(tmp_path, [anvil_clean.url]), clean_env(AOINECO_LOG__LEVEL="debug")
        )
        try:
            daemon.wait_for(_has("chunk_committed"))
        finally:
            daemon.stop()
        assert any(json.loads(line)["level"] == "debug" for line in daemon.lines)

    def test_config_sets_warning(self, anvil_clean: Anvil, tmp_path: Path) -> None:
        """At ``[log] level = "warning"`` only warnings and errors are written."""
        config = squad_config(tmp_path, [anvil_clean.url], log_level="warning")
        daemon = Daemon(config, clean_env())
        try:
            _wait_for_checkpoint(tmp_path / "ledger")  # the first cycle (silent at this level)
            # ETH taken with no transaction: a difference for either scanner (ETH that
            # arrives without one the probe books as internal-in, and warns of nothing).
            balance = int(anvil_clean.rpc("eth_getBalance", BLUE, "latest"), 16)
            anvil_clean.rpc("anvil_setBalance", BLUE, hex(balance - 10**18))
            anvil_clean.rpc("evm_mine")
            daemon.wait_for(_has("balance_difference"))
        finally:
            daemon.stop()
        assert {json.loads(line)["level"] for line in daemon.lines} <= {"warning", "error"}
