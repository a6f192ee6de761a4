"""Four writer processes on one SQL store: budgets hold, rollups stay exact."""

from __future__ import annotations

import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest

from aoineco_ledger.ledger.store.sql import SqlStore
from tests._support.postgres import postgres_url_fixture  # noqa: F401 - fixture
from tests.unit.ledger.store._sql_support import DIALECTS, spend_within, sql_url_for

pytestmark = pytest.mark.integration

_WRITERS, _ATTEMPTS, _LIMIT = 4, 15, 37


@pytest.fixture(name="sql_url", params=DIALECTS)
def _sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return sql_url_for(request, request.param, tmp_path)


def _race(url: str) -> list[str]:
    SqlStore.from_url(url).close()  # the schema exists before the race starts
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(_WRITERS), ctx.Queue()
    procs = [
        ctx.Process(target=spend_within, args=(url, _ATTEMPTS, str(_LIMIT), start, results))
        for _ in range(_WRITERS)
    ]
    for p in procs:
        p.start()
    won = [w for _ in procs for w in results.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return won


class TestConcurrentWriters:
    def test_exactly_the_allowed_spends_win(self, sql_url: str) -> None:
        """60 racing $1 spends under a $37 limit: exactly 37 are written, all distinct."""
        won = _race(sql_url)
        with SqlStore.from_url(sql_url) as store:
            ids = sorted(e.id for e in store.query())
            totals = store.totals()
        assert (len(won), sorted(won)) == (_LIMIT, ids)
        assert totals.groups[("expense", "API/LLM", "oracle")] == (Decimal(_LIMIT), _LIMIT)
