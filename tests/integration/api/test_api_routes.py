"""Every route, over real ledgers, through a live uvicorn server on loopback.

Each answer is checked against the public ``Ledger`` method it comes from (the
parity rule), compared as exact Decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests._support.api import WALLET, WALLET_B, Served

pytestmark = pytest.mark.integration


def _get(served: Served, path: str, **params: Any) -> Any:
    response = served.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _decimals(mapping: dict[str, Any]) -> dict[str, Decimal]:
    return {key: Decimal(value) for key, value in mapping.items()}


class TestHealth:
    def test_healthz_says_ok(self, served: Served) -> None:
        """/healthz answers while the process is up."""
        assert _get(served, "/healthz") == {"status": "ok"}

    def test_readyz_is_ready_when_the_store_answers(self, served: Served) -> None:
        """Without a chain status provider, readiness is the store answering."""
        assert _get(served, "/readyz") == {"ready": True, "store": True, "chains": []}


class TestBootstrap:
    def test_matches_the_ledger(self, served: Served) -> None:
        """Every field equals ``Ledger.bootstrap_metrics().as_dict()``."""
        body = _get(served, "/v1/metrics/bootstrap")
        expected = served.ledger.bootstrap_metrics().as_dict()
        assert body["entry_count"] == expected.pop("entry_count")
        expected.pop("as_of")
        assert {k: Decimal(body[k]) for k in expected} == expected

    def test_money_is_a_decimal_string(self, served: Served) -> None:
        """Amounts travel as exact decimal strings, never JSON numbers."""
        body = _get(served, "/v1/metrics/bootstrap")
        assert isinstance(body["total_expenses"], str)
        assert Decimal(body["total_expenses"]) == served.ledger.summary().total_expenses


class TestSummary:
    @pytest.mark.parametrize("period", ["all", "today", "last-7d", "this-month", "last-month"])
    def test_matches_the_ledger(self, served: Served, period: str) -> None:
        """The summary of each period equals ``Ledger.summary(period)``."""
        body = _get(served, "/v1/summary", period=period)
        expected = served.ledger.summary(period)
        assert Decimal(body["total_expenses"]) == expected.total_expenses
        assert Decimal(body["net"]) == expected.net
        assert body["transaction_count"] == expected.transaction_count
        assert _decimals(body["top_agents"]) == dict(expected.top_agents)

    def test_a_period_narrows_the_totals(self, served: Served) -> None:
        """Today's spend leaves out the older entries."""
        today = _get(served, "/v1/summary", period="today")
        everything = _get(served, "/v1/summary")
        assert Decimal(today["total_expenses"]) < Decimal(everything["total_expenses"])


class TestAgents:
    def test_matches_the_ledger(self, served: Served) -> None:
        """Agents and their totals equal ``Ledger.agent_costs()``, in its order."""
        body = _get(served, "/v1/agents")
        expected = served.ledger.agent_costs()
        assert [a["agent"] for a in body["agents"]] == list(expected)
        assert [Decimal(a["total"]) for a in body["agents"]] == [c.total for c in expected.values()]

    def test_per_category_breakdown(self, served: Served) -> None:
        """Each agent carries its spend per category."""
        body = _get(served, "/v1/agents", period="last-7d")
        oracle = next(a for a in body["agents"] if a["agent"] == "oracle")
        expected = served.ledger.agent_costs("last-7d")["oracle"]
        assert _decimals(oracle["categories"]) == dict(expected.categories)


class TestCategories:
    def test_lists_the_registry_with_kinds(self, served: Served) -> None:
        """Every registered category is listed with its kind."""
        body = _get(served, "/v1/categories")
        expected = {c.name: c.kind for c in served.ledger.categories.values()}
        assert {c["category"]: c["kind"] for c in body["categories"]} == expected

    def test_costs_match_the_ledger(self, served: Served) -> None:
        """Costs equal ``Ledger.category_costs(period)``."""
        body = _get(served, "/v1/categories", period="this-month")
        expected = served.ledger.category_costs("this-month")
        assert {c["category"]: Decimal(c["total"]) for c in body["costs"]} == {
            name: cost.total for name, cost in expected.items()
        }


class TestEntries:
    def test_newest_first_like_the_ledger(self, served: Served) -> None:
        """The first page is ``Ledger.entries(newest_first=True)``'s first entries."""
        body = _get(served, "/v1/entries", limit=5)
        expected = list(served.ledger.entries(newest_first=True, limit=5))
        assert [e["id"] for e in body["entries"]] == [e.id for e in expected]

    def test_pages_cover_every_entry_once(self, served: Served) -> None:
        """Following next_cursor visits every entry exactly once, in order."""
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 4}
        while True:
            body = _get(served, "/v1/entries", **params)
            seen += [e["id"] for e in body["entries"]]
            if body["next_cursor"] is None:
                break
            params["cursor"] = body["next_cursor"]
        assert seen == [e.id for e in served.ledger.entries(newest_first=True)]

    def test_the_last_page_has_no_cursor(self, served: Served) -> None:
        """A page that holds everything says there is no next page."""
        body = _get(served, "/v1/entries", limit=1000)
        assert body["next_cursor"] is None

    @pytest.mark.parametrize(
        "filters",
        [
            {"agent": "oracle"},
            {"category": "API/LLM"},
            {"direction": "revenue"},
            {"period": "today", "agent": "scout"},
        ],
    )
    def test_filters_match_the_ledger(self, served: Served, filters: dict[str, str]) -> None:
        """Each filter selects what ``Ledger.entries`` selects with it."""
        body = _get(served, "/v1/entries", **filters)
        expected = served.ledger.entries(newest_first=True, **filters)  # type: ignore[arg-type]
        assert [e["id"] for e in body["entries"]] == [e.id for e in expected]

    def test_chain_fields_travel_as_strings(self, served: Served) -> None:
        """Base units and prices are strings; block numbers stay integers."""
        body = _get(served, "/v1/entries", category="Gas/Blockchain")
        (entry,) = body["entries"]
        assert (entry["asset_amount"], entry["l1_fee_wei"], entry["price_usd"]) == (
            str(10**14 + 1),
            "1",
            "3000",
        )
        assert entry["block_number"] == 100


class TestBudgets:
    def test_matches_the_ledger(self, served: Served) -> None:
        """Spent, limit, percent and state equal ``Ledger.budget_status()``."""
        body = _get(served, "/v1/budgets")
        expected = {s.budget.id: s for s in served.ledger.budget_status()}
        got = {b["id"]: b for b in body["budgets"]}
        assert got.keys() == expected.keys()
        for budget_id, status in expected.items():
            answer = got[budget_id]
            assert (Decimal(answer["spent"]), Decimal(answer["limit"])) == (
                status.spent,
                status.limit,
            )
            assert (Decimal(answer["percent"]), answer["state"]) == (status.percent, status.state)

    def test_check_allows_a_spend_within_the_limit(self, served: Served) -> None:
        """A small spend is allowed, like ``Ledger.authorize``."""
        body = _get(served, "/v1/budgets/check", amount="0.0001", category="API/LLM")
        assert body["allowed"] is served.ledger.authorize("0.0001", category="API/LLM").allowed
        assert body["allowed"] is True

    def test_check_blocks_a_spend_past_the_limit(self, served: Served) -> None:
        """A spend past the daily API/LLM budget is refused, naming the budget."""
        body = _get(served, "/v1/budgets/check", amount="0.5", category="API/LLM", agent="x")
        assert body["allowed"] is False
        assert [b["id"] for b in body["blocking"]] == [
            s.budget.id for s in served.ledger.authorize("0.5", category="API/LLM").blocking
        ]

    def test_check_writes_nothing(self, served: Served) -> None:
        """Asking leaves the ledger as it was."""
        before = served.ledger.store.count()
        _get(served, "/v1/budgets/check", amount="0.5", category="API/LLM")
        assert served.ledger.store.count() == before


class TestReconciliation:
    def test_latest_statement_per_wallet_and_asset(self, served: Served) -> None:
        """Only the newest statement of each wallet and asset is listed."""
        body = _get(served, "/v1/reconciliation")
        got = {(s["wallet"], s["asset"]): s["to_block"] for s in body["statements"]}
        assert got == {(WALLET, "ETH"): 100, (WALLET_B, "ETH"): 100}

    def test_reports_a_difference(self, served: Served) -> None:
        """A statement off by any wei makes the whole answer unreconciled."""
        body = _get(served, "/v1/reconciliation")
        differences = {s["wallet"]: s["difference"] for s in body["statements"]}
        assert (body["reconciled"], differences[WALLET_B]) == (False, "-3")

    def test_matches_the_ledger(self, served: Served) -> None:
        """Statements equal ``Ledger.reconciliation()``, base units as strings."""
        body = _get(served, "/v1/reconciliation")
        expected = {
            (s.wallet, s.asset): str(s.onchain_closing) for s in served.ledger.reconciliation()
        }
        assert {
            (s["wallet"], s["asset"]): s["onchain_closing"] for s in body["statements"]
        } == expected


class TestChains:
    def test_reports_what_the_checkpoints_know(self, served: Served) -> None:
        """Without a daemon the checkpoint is there and the live fields are null."""
        (chain,) = _get(served, "/v1/chains")["chains"]
        (checkpoint,) = served.ledger.checkpoints()
        assert (chain["chain_id"], chain["checkpoint_block"], chain["wallets"]) == (
            checkpoint.chain_id,
            checkpoint.block_number,
            list(checkpoint.wallets),
        )
        assert (chain["head_block"], chain["lag_blocks"], chain["last_error"]) == (None, None, None)

    def test_is_not_live_without_a_daemon(self, served: Served) -> None:
        """The answer says no daemon supplied live status."""
        assert _get(served, "/v1/chains")["live"] is False
