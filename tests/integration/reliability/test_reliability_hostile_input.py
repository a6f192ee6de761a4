"""Hostile values on the command line and the HTTP API: a clear refusal or a right entry.

Command lines run in real processes: most are forked from a preloaded
``forkserver`` (the same ``main`` that ``python -m aoineco_ledger`` runs, without
paying web3's import time forty times), and a few go through ``python -m
aoineco_ledger`` itself. A refusal is one line on stderr, exit code 1 or 2, no
traceback and nothing written; anything accepted must come back exactly. The
API runs on a live uvicorn server on loopback and never answers 500.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.context import ForkServerContext
from pathlib import Path

import httpx
import pytest

from aoineco_ledger.api import make_app, start_in_thread
from aoineco_ledger.ledger import Ledger
from tests.integration.reliability._squad import cli_captured

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[3]
UNICODE_AGENT = "エージェント🤖-ñ"
LONG = "x" * 100_000
LONGEST_TEXT = "y" * 4_000
"""The longest free text an entry takes (a description); one more is refused."""
"""A 100,000-character value (under the kernel's 128 KiB limit for one argument)."""

REFUSED = {
    "amount 1e400": ["log", "expense", "1e400"],
    "amount -0.01": ["log", "expense", "-0.01"],
    "amount NaN": ["log", "expense", "NaN"],
    "amount sNaN": ["log", "expense", "sNaN"],
    "amount Infinity": ["log", "revenue", "Infinity", "--category", "Revenue/Gig"],
    "amount empty": ["log", "expense", ""],
    "amount 1e-400": ["log", "expense", "1e-400"],
    "amount hex": ["log", "expense", "0x10"],
    "amount long": ["log", "expense", "9" * 5000],
    "bad time": ["log", "expense", "1", "--ts", "not-a-time"],
    "long category": ["log", "expense", "1", "--category", LONG],
    "unicode category": ["log", "expense", "1", "--category", "Ωmega/∞"],
    "budget NaN": ["budget", "set", "--limit", "NaN", "--category", "Tools"],
    "budget negative": ["budget", "set", "--limit", "-5", "--category", "Tools"],
    "budget 1e400": ["budget", "set", "--limit", "1e400"],
    "warn-at NaN": ["budget", "set", "--limit", "5", "--warn-at", "NaN"],
    "long period": ["report", "--period", LONG],
    "since NaN": ["report", "--since", "NaN"],
}
"""Command lines that must be refused (each gets ``--store``)."""


@pytest.fixture(name="forks", scope="module")
def _forks() -> ForkServerContext:
    """A forkserver with the command line imported."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["aoineco_ledger.cli", "tests.integration.reliability._squad"])
    return context


def _run(forks: ForkServerContext, tmp: Path, argv: list[str]) -> tuple[int, str, str]:
    out, err = tmp / "out.txt", tmp / "err.txt"
    process = forks.Process(target=cli_captured, args=(argv, str(out), str(err)))
    process.start()
    process.join(timeout=60)
    assert process.exitcode is not None, "the command did not finish"
    return process.exitcode, out.read_text("utf-8"), err.read_text("utf-8")


def _count(store: str) -> int:
    with Ledger.open(store) as ledger:
        return ledger.store.count()


class TestRefusedCommandLines:
    @pytest.mark.parametrize("name", sorted(REFUSED))
    def test_refused_with_one_line_and_nothing_written(
        self, name: str, forks: ForkServerContext, tmp_path: Path
    ) -> None:
        """Exit 1 or 2, one ``aoineco-ledger: error:`` line, no traceback, no entry, no budget."""
        store = f"jsonl://{tmp_path}/ledger"
        code, _, err = _run(forks, tmp_path, [*REFUSED[name], "--store", store])
        assert code in (1, 2), (code, err[-300:])
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("aoineco-ledger: error:"), err[-300:]
        assert "Traceback" not in err and len(err) < 2000
        if Path(tmp_path, "ledger").exists():
            assert _count(store) == 0
            with Ledger.open(store) as ledger:
                assert ledger.budgets() == []


class TestAcceptedCommandLines:
    def test_unicode_agent_round_trips_exactly(
        self, forks: ForkServerContext, tmp_path: Path
    ) -> None:
        """A unicode agent name is stored, reported and exported exactly."""
        store = f"jsonl://{tmp_path}/ledger"
        code, _, err = _run(
            forks,
            tmp_path,
            ["log", "expense", "0.0042", "--agent", UNICODE_AGENT, "--store", store],
        )
        assert code == 0, err
        code, out, _ = _run(forks, tmp_path, ["agents", "--json", "--store", store])
        assert code == 0 and UNICODE_AGENT in json.dumps(json.loads(out), ensure_ascii=False)
        with Ledger.open(store) as ledger:
            (entry,) = ledger.entries()
            assert (entry.agent, str(entry.amount)) == (UNICODE_AGENT, "0.0042")

    def test_longest_description_is_kept_whole(
        self, forks: ForkServerContext, tmp_path: Path
    ) -> None:
        """A 4,000-character description is one whole entry, read back unchanged."""
        store = f"jsonl://{tmp_path}/ledger"
        argv = [
            "log", "expense", "1", "--description", LONGEST_TEXT, "--agent", "a", "--store", store
        ]  # fmt: skip
        code, _, err = _run(forks, tmp_path, argv)
        assert code == 0, err[-300:]
        with Ledger.open(store) as ledger:
            (entry,) = ledger.entries()
            assert entry.description == LONGEST_TEXT and not ledger.store.problems()

    def test_longer_description_is_refused_and_nothing_written(
        self, forks: ForkServerContext, tmp_path: Path
    ) -> None:
        """100,000 characters: one line naming the limit, exit 2, no entry."""
        store = f"jsonl://{tmp_path}/ledger"
        argv = ["log", "expense", "1", "--description", LONG, "--agent", "a", "--store", store]
        code, _, err = _run(forks, tmp_path, argv)
        assert code == 2 and "at most 4,000" in err and len(err.strip().splitlines()) == 1
        if (tmp_path / "ledger").exists():
            with Ledger.open(store) as ledger:
                assert list(ledger.entries()) == []


class TestPythonDashM:
    def test_nan_amount_through_python_dash_m(self, tmp_path: Path) -> None:
        """``python -m aoineco_ledger log expense NaN``: exit 2, one line, nothing written."""
        store = f"jsonl://{tmp_path}/ledger"
        done = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", "log", "expense", "NaN", "--store", store],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr

    def test_unicode_agent_through_python_dash_m(self, tmp_path: Path) -> None:
        """``python -m aoineco_ledger log expense`` with a unicode agent: a right entry."""
        store = f"jsonl://{tmp_path}/ledger"
        argv = ["log", "expense", "0.5", "--agent", UNICODE_AGENT, "--json", "--store", store]
        done = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", *argv],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert UNICODE_AGENT in done.stdout


@pytest.fixture(name="api", scope="module")
def _api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A live API on loopback over a ledger with unicode and the longest values it takes."""
    ledger = Ledger.open(f"jsonl://{tmp_path_factory.mktemp('api')}/ledger")
    ledger.expense(amount="0.25", category="API/LLM", agent=UNICODE_AGENT, description=LONGEST_TEXT)
    ledger.revenue(amount="1.5", category="Revenue/Gig", agent="oracle")
    handle = start_in_thread(make_app(ledger), "127.0.0.1", 0)
    try:
        with httpx.Client(base_url=handle.url, timeout=30) as client:
            yield client
    finally:
        handle.stop()
        ledger.close()


HOSTILE_QUERIES = [
    ("/v1/entries", {"limit": "NaN"}),
    ("/v1/entries", {"limit": "-1"}),
    ("/v1/entries", {"limit": "1e400"}),
    ("/v1/entries", {"limit": str(10**40)}),
    ("/v1/entries", {"agent": LONG[:20_000]}),
    ("/v1/entries", {"category": "Ωmega/∞"}),
    ("/v1/entries", {"since": "NaN"}),
    ("/v1/entries", {"until": "9" * 400}),
    ("/v1/entries", {"period": LONG[:5000]}),
    ("/v1/summary", {"period": "nan"}),
    ("/v1/summary", {"since": "-1e400"}),
    ("/v1/agents", {"period": "\u0000"}),
    ("/v1/budgets/check", {"amount": "1e400"}),
    ("/v1/budgets/check", {"amount": "0.1", "agent": LONG[:20_000]}),
    ("/v1/budgets/check", {"amount": "-0", "category": "API/LLM"}),
    ("/v1/budgets/check", {"amount": "NaN", "category": "\u202eevil"}),
]


class TestHostileApi:
    @pytest.mark.parametrize(("path", "params"), HOSTILE_QUERIES)
    def test_never_a_server_error(
        self, api: httpx.Client, path: str, params: dict[str, str]
    ) -> None:
        """Hostile query values get a JSON answer, 2xx or 4xx, never a 500."""
        response = api.get(path, params=params)
        assert response.status_code < 500, response.text[:300]
        assert isinstance(response.json(), dict)

    def test_unicode_agent_filter_finds_the_entry(self, api: httpx.Client) -> None:
        """Filtering by a unicode agent finds its entry, with the long description whole."""
        response = api.get("/v1/entries", params={"agent": UNICODE_AGENT})
        assert response.status_code == 200
        (item,) = response.json()["entries"]
        assert (item["agent"], item["amount"], len(item["description"])) == (
            UNICODE_AGENT,
            "0.25",
            len(LONGEST_TEXT),
        )
