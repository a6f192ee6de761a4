"""The ledger commands of ``aoineco-ledger``: in-process via main(), and one real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import runpy
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from aoineco_ledger.cli import main
from aoineco_ledger.ledger import AoinecoLedger

SEED_BLOCK_FIRST = "💰 Seed Amount: $7.00"


@pytest.fixture(name="store")
def _store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A JSONL ledger directory, also the default (so no test touches ~/.openclaw)."""
    directory = tmp_path / "ledger"
    monkeypatch.setenv("AOINECO_LEDGER_DIR", str(directory))
    monkeypatch.delenv("AOINECO_CONFIG", raising=False)
    return f"jsonl://{directory}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def seed_entries(capsys: pytest.CaptureFixture[str], store: str) -> None:
    for argv in (
        ["log", "api", "0.0042", "--provider", "Google", "--model", "gemini", "--agent", "oracle"],
        ["log", "api", "0.0180", "--provider", "Anthropic", "--agent", "ceo"],
        ["log", "api", "0.0008", "--provider", "Google", "--agent", "blue-sound"],
        ["log", "gas", "0.0003", "--tx-hash", "0x" + "abc1" * 16, "--agent", "blue-sound"],
        ["log", "revenue", "0.01", "--source", "MoltLaunch", "--agent", "oracle"],
        ["log", "revenue", "0.005", "--source", "Meteora", "--category", "Revenue/DeFi"],
    ):
        assert run(capsys, *argv, "--store", store)[0] == 0


class TestLog:
    def test_log_expense_prints_the_entry(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """log expense records and says what it recorded."""
        code, out, _ = run(
            capsys,
            "log",
            "expense",
            "1.50",
            "--vendor",
            "Hetzner",
            "--category",
            "Infrastructure",
            "--agent",
            "ceo",
            "--tag",
            "vps",
            "--store",
            store,
        )
        assert code == 0
        assert out.startswith("recorded expense $1.5000 Infrastructure by ceo (id ")

    def test_log_json(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """--json prints the stored entry with money as a decimal string."""
        code, out, _ = run(
            capsys, "log", "revenue", "0.1", "--source", "x", "--json", "--store", store
        )
        data = json.loads(out)
        assert (code, data["amount"], data["vendor"], data["direction"]) == (
            0,
            "0.1",
            "x",
            "revenue",
        )

    def test_ref_is_idempotent(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """Two log calls with one --ref write one entry."""
        for _ in range(2):
            run(capsys, "log", "gas", "0.01", "--ref", "tx-1", "--store", store)
        assert AoinecoLedger(store.removeprefix("jsonl://")).get_status()["total_transactions"] == 1

    def test_blocked_spend_exits_1_and_writes_nothing(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """A spend a budget blocks exits 1 with one line on stderr; --force records it."""
        run(capsys, "budget", "set", "--category", "API/LLM", "--limit", "0.01", "--store", store)
        code, out, err = run(capsys, "log", "api", "0.02", "--provider", "p", "--store", store)
        assert (code, out) == (1, "")
        assert err.startswith("aoineco-ledger: error: budget daily") is False
        assert err.count("\n") == 1 and "would be exceeded" in err
        code, out, _ = run(
            capsys, "log", "api", "0.02", "--provider", "p", "--force", "--store", store
        )
        assert code == 0 and "[over-budget, forced]" in out

    @pytest.mark.parametrize("amount", ["-1", "abc", "NaN", "inf"])
    def test_bad_amount_is_usage_error(
        self, capsys: pytest.CaptureFixture[str], store: str, amount: str
    ) -> None:
        """Bad amounts exit 2 with one line on stderr."""
        code, _, err = run(capsys, "log", "expense", amount, "--store", store)
        assert code == 2
        assert err.count("\n") == 1 and err.startswith("aoineco-ledger: error:")

    def test_unknown_category_is_usage_error(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """An unknown category or revenue into an expense category exits 2, nothing written."""
        assert run(capsys, "log", "expense", "1", "--category", "Snacks", "--store", store)[0] == 2
        assert run(capsys, "log", "revenue", "1", "--category", "Tools", "--store", store)[0] == 2
        assert not list(AoinecoLedger(store.removeprefix("jsonl://")).entries())


class TestReading:
    def test_metrics_prints_the_seed_block(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """metrics prints the seed's block; with the seed's six entries, its numbers."""
        seed_entries(capsys, store)
        code, out, _ = run(capsys, "metrics", "--store", store)
        assert code == 0
        lines = out.splitlines()
        assert lines[0] == SEED_BLOCK_FIRST
        assert lines[-2:] == ["⏱️ Runway: 300 days", "🧠 IPD: 257.5 ops/$"]

    def test_metrics_json(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """metrics --json has typed values as decimal strings."""
        seed_entries(capsys, store)
        data = json.loads(run(capsys, "metrics", "--json", "--store", store)[1])
        assert (data["total_expenses"], data["net_profit"], data["entry_count"]) == (
            "0.0233",
            "-0.0083",
            6,
        )

    def test_report(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """report --period summarises; --json has the seed's keys."""
        seed_entries(capsys, store)
        code, out, _ = run(capsys, "report", "--period", "this-month", "--store", store)
        assert code == 0 and "Expenses:     $0.0233" in out
        data = json.loads(run(capsys, "report", "--period", "today", "--json", "--store", store)[1])
        assert (data["api_cost"], data["transaction_count"]) == ("0.023", 6)

    def test_unknown_period(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """An unknown period exits 2 with one line."""
        code, _, err = run(capsys, "report", "--period", "someday", "--store", store)
        assert code == 2 and "unknown period" in err and err.count("\n") == 1

    def test_agents(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """agents lists spend per agent, biggest first."""
        seed_entries(capsys, store)
        code, out, _ = run(capsys, "agents", "--store", store)
        assert code == 0 and out.splitlines()[1].startswith("ceo")
        data = json.loads(run(capsys, "agents", "--json", "--store", store)[1])
        assert data["blue-sound"] == {
            "total": "0.0011",
            "count": 2,
            "categories": {"API/LLM": "0.0008", "Gas/Blockchain": "0.0003"},
        }

    def test_agents_empty(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """No expenses says so."""
        AoinecoLedger(store).close()
        assert "no expenses" in run(capsys, "agents", "--store", store)[1]


class TestBudget:
    def test_set_list_status_remove(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """budget set, list, status and remove work together."""
        code, out, _ = run(
            capsys,
            "budget",
            "set",
            "--category",
            "API/LLM",
            "--limit",
            "0.005",
            "--period",
            "daily",
            "--store",
            store,
        )
        assert code == 0 and "$0.005" in out
        run(capsys, "log", "api", "0.0042", "--provider", "p", "--store", store)
        listed = json.loads(run(capsys, "budget", "list", "--json", "--store", store)[1])
        assert [b["id"] for b in listed] == ["daily:API/LLM:*"]
        status = json.loads(run(capsys, "budget", "status", "--json", "--store", store)[1])
        assert (status[0]["state"], status[0]["percent"]) == ("warning", "84.0")
        assert "warning" in run(capsys, "budget", "status", "--store", store)[1]
        assert run(capsys, "budget", "remove", "daily:API/LLM:*", "--store", store)[0] == 0
        assert run(capsys, "budget", "remove", "daily:API/LLM:*", "--store", store)[0] == 1
        assert run(capsys, "budget", "list", "--store", store)[1] == "no budgets\n"
        assert run(capsys, "budget", "status", "--store", store)[1] == "no budgets\n"

    def test_check(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """budget check answers with the exit status and writes nothing."""
        run(
            capsys,
            "budget",
            "set",
            "--limit",
            "1",
            "--agent",
            "oracle",
            "--warn-at",
            "0.5",
            "--store",
            store,
        )
        assert run(capsys, "budget", "check", "1", "--agent", "oracle", "--store", store)[0] == 0
        code, out, _ = run(capsys, "budget", "check", "2", "--agent", "oracle", "--store", store)
        assert code == 1 and out.startswith("refused:")

    def test_bad_limit(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """A zero limit exits 2."""
        assert run(capsys, "budget", "set", "--limit", "0", "--store", store)[0] == 2


class TestExport:
    def test_csv_to_stdout(self, capsys: pytest.CaptureFixture[str], store: str) -> None:
        """export --format csv streams to stdout with filters."""
        seed_entries(capsys, store)
        code, out, _ = run(
            capsys, "export", "--format", "csv", "--agent", "blue-sound", "--store", store
        )
        rows = list(csv.DictReader(io.StringIO(out)))
        assert code == 0 and sorted(r["amount"] for r in rows) == ["0.0003", "0.0008"]

    def test_jsonl_to_file(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """--output writes the file whole and reports the count on stderr."""
        seed_entries(capsys, store)
        target = tmp_path / "out.jsonl"
        code, _, err = run(
            capsys,
            "export",
            "--format",
            "jsonl",
            "--direction",
            "revenue",
            "--period",
            "this-year",
            "--output",
            str(target),
            "--store",
            store,
        )
        assert code == 0 and "exported 2 entries" in err
        assert len(target.read_text().splitlines()) == 2
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    def test_output_dir_missing(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """An unwritable --output exits 1 with one line."""
        AoinecoLedger(store).close()
        code, _, err = run(
            capsys,
            "export",
            "--format",
            "json",
            "--output",
            str(tmp_path / "no" / "such.json"),
            "--store",
            store,
        )
        assert code == 1 and err.startswith("aoineco-ledger: error: cannot write")

    def test_failed_export_leaves_no_file(
        self, capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
    ) -> None:
        """A failing export (bad period) leaves neither the file nor a temporary."""
        target = tmp_path / "x.csv"
        code = run(
            capsys,
            "export",
            "--format",
            "csv",
            "--period",
            "nope",
            "--output",
            str(target),
            "--store",
            store,
        )[0]
        assert code == 2 and list(tmp_path.iterdir()) == []


class TestOptions:
    def test_default_store_is_the_seed_dir(
        self, capsys: pytest.CaptureFixture[str], store: str
    ) -> None:
        """Without --store the default ledger directory is used."""
        run(capsys, "log", "expense", "1")
        data = json.loads(run(capsys, "report", "--json", "--store", store)[1])
        assert data["transaction_count"] == 1

    def test_config_file(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--config reads [ledger] store, seed and timezone, and custom categories."""
        monkeypatch.delenv("AOINECO_CONFIG", raising=False)
        config = tmp_path / "c.toml"
        config.write_text(
            f'[ledger]\nstore = "jsonl://{tmp_path / "cfg"}"\nseed_amount = "10"\n'
            'timezone = "Europe/Berlin"\n\n[[categories]]\nname = "Compute"\nkind = "expense"\n'
        )
        assert (
            run(capsys, "log", "expense", "1", "--category", "Compute", "--config", str(config))[0]
            == 0
        )
        out = run(capsys, "metrics", "--config", str(config))[1]
        assert out.splitlines()[0] == "💰 Seed Amount: $10.00"
        assert (tmp_path / "cfg" / "transactions.jsonl").exists()

    def test_config_from_environment(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """$AOINECO_CONFIG is used when neither --store nor --config is given."""
        config = tmp_path / "c.toml"
        config.write_text(f'[ledger]\nstore = "jsonl://{tmp_path / "env"}"\n')
        monkeypatch.setenv("AOINECO_CONFIG", str(config))
        assert run(capsys, "log", "expense", "1")[0] == 0
        assert (tmp_path / "env" / "transactions.jsonl").exists()

    def test_bad_config(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A broken config is one line on stderr and a non-zero exit."""
        monkeypatch.delenv("AOINECO_CONFIG", raising=False)
        config = tmp_path / "bad.toml"
        config.write_text("[ledger]\nseed_amount = 'lots'\n")
        code, _, err = run(capsys, "metrics", "--config", str(config))
        assert code == 1 and err.count("\n") == 1 and "seed_amount" in err

    def test_unknown_store_scheme(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown store URL exits 1 with one line."""
        code, _, err = run(capsys, "metrics", "--store", "redis://x")
        assert code == 1 and "unknown store URL scheme" in err

    def test_usage_errors(self, capsys: pytest.CaptureFixture[str]) -> None:
        """No command, an unknown command or a missing argument exit 2; --help exits 0."""
        assert run(capsys)[0] == 2
        code, _, err = run(capsys, "frobnicate")
        assert code == 2 and err.count("\n") == 1
        assert run(capsys, "log")[0] == 2
        assert run(capsys, "--help")[0] == 0


class TestModuleEntry:
    def test_runpy_main(
        self, capsys: pytest.CaptureFixture[str], store: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``python -m aoineco_ledger`` exits with main's status."""
        AoinecoLedger(store).close()
        monkeypatch.setattr(sys, "argv", ["aoineco_ledger", "report", "--store", store])
        with pytest.raises(SystemExit) as exited:
            runpy.run_module("aoineco_ledger", run_name="__main__")
        assert exited.value.code == 0
        assert capsys.readouterr().out.startswith("Period: all")


@pytest.mark.integration
class TestSubprocess:
    def test_python_dash_m(self, tmp_path: Path) -> None:
        """python -m aoineco_ledger runs: log, then metrics, in fresh processes."""
        env = {**os.environ, "AOINECO_LEDGER_DIR": str(tmp_path / "l")}
        env.pop("AOINECO_CONFIG", None)
        logged = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "log", "api", "0.0042", "--provider", "G"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert logged.returncode == 0, logged.stderr
        shown = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "metrics"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert shown.returncode == 0
        assert "📉 Total Expenses: $0.0042" in shown.stdout.splitlines()

    def test_refusal_in_a_real_process(self, tmp_path: Path) -> None:
        """A blocked spend exits 1 with one stderr line and no traceback."""
        env = {**os.environ, "AOINECO_LEDGER_DIR": str(tmp_path / "l")}
        env.pop("AOINECO_CONFIG", None)
        base = [sys.executable, "-m", "aoineco_ledger"]
        subprocess.run(
            [*base, "budget", "set", "--limit", "1"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        done = subprocess.run(
            [*base, "log", "expense", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr

    def test_processes_racing_for_the_last_dollar(self, tmp_path: Path) -> None:
        """Four processes each try to spend 0.60 of a 1.00 budget: exactly one succeeds."""
        env = {**os.environ, "AOINECO_LEDGER_DIR": str(tmp_path / "l")}
        env.pop("AOINECO_CONFIG", None)
        base = [sys.executable, "-m", "aoineco_ledger"]
        subprocess.run(
            [*base, "budget", "set", "--limit", "1.00", "--period", "total"],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        racers = [
            subprocess.Popen(
                [*base, "log", "expense", "0.60", "--agent", f"a{i}"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(4)
        ]
        codes = sorted(p.wait(timeout=60) for p in racers)
        assert codes == [0, 1, 1, 1]
        assert AoinecoLedger(tmp_path / "l").get_summary()["total_expenses"] == Decimal("0.60")
