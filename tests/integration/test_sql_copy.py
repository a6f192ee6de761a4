"""A ledger copied jsonl -> sqlite -> postgresql -> jsonl keeps every entry and metric."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from aoineco_ledger.ledger import Ledger
from aoineco_ledger.ledger._copy import copy_ledger
from aoineco_ledger.ledger.store import open_store
from aoineco_ledger.testing import FrozenClock
from tests._support.postgres import postgres_url_fixture  # noqa: F401 - fixture
from tests.unit.ledger._copy_support import NOW, populate, snapshot

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


def _jsonl_source(directory: Path) -> str:
    url = f"jsonl://{directory}"
    with open_store(url) as store:
        populate(Ledger(store, clock=FrozenClock(NOW)))
    return url


class TestRoundTrip:
    def test_jsonl_sqlite_postgresql_jsonl_keeps_everything(
        self, tmp_path: Path, postgres_url: str
    ) -> None:
        """Every hop keeps entries, totals, budgets, settings, state and the metrics block."""
        urls = [
            _jsonl_source(tmp_path / "a"),
            f"sqlite:///{tmp_path / 'b.db'}",
            postgres_url,
            f"jsonl://{tmp_path / 'c'}",
        ]
        stores = [open_store(u) for u in urls]
        try:
            for source, target in pairwise(stores):
                copy_ledger(source, target)
            shots = [snapshot(s) for s in stores]
        finally:
            for s in stores:
                s.close()
        assert all(shot == shots[0] for shot in shots[1:])
        assert len(shots[0].entries) > 40

    def test_second_round_adds_nothing_anywhere(self, tmp_path: Path, postgres_url: str) -> None:
        """Copying the same ledger again into each store adds no entry."""
        source = open_store(_jsonl_source(tmp_path / "a"))
        targets = [open_store(f"sqlite:///{tmp_path / 'b.db'}"), open_store(postgres_url)]
        try:
            for t in targets:
                copy_ledger(source, t)
            again = [copy_ledger(source, t).entries_added for t in targets]
            counts = [t.count() for t in targets]
            expected = source.count()
        finally:
            for s in [source, *targets]:
                s.close()
        assert again == [0, 0]
        assert counts == [expected] * 2


class TestCommand:
    def test_copy_command_prints_counts_as_json(self, tmp_path: Path, postgres_url: str) -> None:
        """``aoineco-ledger copy --json`` copies and reports what it moved."""
        source = _jsonl_source(tmp_path / "a")
        args = ["copy", "--from", source, "--to", postgres_url, "--json"]
        done = subprocess.run(
            [sys.executable, "-m", "aoineco_ledger", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        with open_store(source) as store:
            expected = store.count()
        assert (report["entries_read"], report["entries_added"]) == (expected, expected)
