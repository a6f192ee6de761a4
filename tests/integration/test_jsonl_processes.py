"""Real processes sharing one JSONL ledger directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aoineco_ledger.ledger.store.jsonl import JsonlStore

pytestmark = pytest.mark.integration

_WRITER = """
import sys, uuid
from datetime import UTC, datetime
from decimal import Decimal
from aoineco_ledger.ledger._entry import Entry
from aoineco_ledger.ledger.store.jsonl import JsonlStore

directory, agent, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = JsonlStore(directory)
print("ready", flush=True)
sys.stdin.readline()
for i in range(count):
    store.append([Entry(
        id=uuid.uuid4().hex, ts=datetime.now(UTC), direction="expense",
        amount=Decimal("0.001"), category="API/LLM", agent=agent, ref=f"{agent}:{i}",
    )])
store.close()
"""


def _start(directory: Path, agent: str, count: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(directory), agent, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


class TestTwoWriters:
    def test_two_processes_lose_nothing(self, tmp_path: Path) -> None:
        """Two processes appending 1,000 entries each leave 2,000 with distinct ids."""
        writers = [_start(tmp_path, agent, 1000) for agent in ("oracle", "nova")]
        for proc in writers:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in writers:
            proc.communicate(timeout=180)
            assert proc.returncode == 0
        lines = (tmp_path / "transactions.jsonl").read_text(encoding="utf-8").splitlines()
        ids = {json.loads(line)["id"] for line in lines}
        with JsonlStore(tmp_path) as store:
            per_agent = {k[2]: n for k, (_, n) in store.totals().groups.items()}
            assert (len(lines), len(ids), store.count()) == (2000, 2000, 2000)
            assert per_agent == {"oracle": 1000, "nova": 1000}
            assert store.problems() == ()
