"""``aoineco-ledger reconcile --status`` and the usage rules of the daemon commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger.store.base import Checkpoint, Statement

WALLET = "0x1111111111111111111111111111111111111111"


def _statement(difference: int) -> Statement:
    return Statement(
        chain_id=8453,
        wallet=WALLET,
        asset="ETH",
        agent="oracle",
        from_block=10,
        to_block=20,
        opening=10**18,
        inflow=5,
        outflow=0,
        fees=2,
        expected_closing=10**18 + 3,
        onchain_closing=10**18 + 3 + difference,
        difference=difference,
        reconciled=difference == 0,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.fixture(name="store")
def _store(tmp_path: Path) -> str:
    return f"jsonl://{tmp_path / 'ledger'}"


def _commit(store: str, statement: Statement) -> None:
    with Ledger.open(store) as ledger:
        checkpoint = Checkpoint(chain_id=8453, block_number=20, block_hash="0x1")
        ledger.record_observed([], checkpoint=checkpoint, statements=[statement])


class TestStatus:
    def test_empty_store(self, store: str, capsys: pytest.CaptureFixture[str]) -> None:
        """Before the first cycle there is nothing to show, and that is said."""
        Ledger.open(store).close()
        assert main(["reconcile", "--status", "--store", store]) == 0
        assert "no statements yet" in capsys.readouterr().out

    def test_reads_without_creating(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--status on a mistyped store path says so and creates nothing (read-only open)."""
        missing = tmp_path / "typo"
        assert main(["reconcile", "--status", "--store", f"jsonl://{missing}"]) == 1
        assert "no ledger at" in capsys.readouterr().err
        assert not missing.exists()

    def test_json_statement(self, store: str, capsys: pytest.CaptureFixture[str]) -> None:
        """--json shows the latest statement with base units as strings."""
        _commit(store, _statement(0))
        assert main(["reconcile", "--status", "--json", "--store", store]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["reconciled"] is True
        assert data["statements"][0]["opening"] == str(10**18)

    def test_difference_is_shown(self, store: str, capsys: pytest.CaptureFixture[str]) -> None:
        """A difference is shown in whole units with the word DIFFERENCE."""
        _commit(store, _statement(10**15))
        assert main(["reconcile", "--status", "--store", store]) == 0
        out = capsys.readouterr().out
        assert "DIFFERENCE" in out and "0.001" in out


class TestUsage:
    def test_once_needs_chains(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """reconcile --once without any configured chain is a usage error (2)."""
        config = tmp_path / "empty.toml"
        config.write_text('[ledger]\nstore = "memory://"\n', encoding="utf-8")
        assert main(["reconcile", "--once", "--config", str(config)]) == 2
        assert "no [[chains]] configured" in capsys.readouterr().err

    def test_once_and_status_exclusive(self) -> None:
        """--once and --status together is a usage error."""
        assert main(["reconcile", "--once", "--status"]) == 2


class TestDemoStore:
    def test_refuses_a_store_with_entries(
        self, store: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """demo --store on a ledger with real entries: exit 1, one line, nothing written."""
        with Ledger.open(store) as ledger:
            ledger.expense(amount="2.50", category="API/LLM", agent="oracle")
        files = [p for p in Path(store.removeprefix("jsonl://")).rglob("*") if p.is_file()]
        before = [p.read_bytes() for p in files]
        assert main(["demo", "--store", store, "--no-api"]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and "already holds entries" in err[0]
        assert [p.read_bytes() for p in files] == before
        assert [p for p in Path(store.removeprefix("jsonl://")).rglob("*") if p.is_file()] == files
