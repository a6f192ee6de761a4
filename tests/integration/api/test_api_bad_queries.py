"""Bad query values give 422 with a clear message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests._support.api import Served

pytestmark = pytest.mark.integration


def _problem(served: Served, path: str, **params: Any) -> dict[str, Any]:
    response = served.client.get(path, params=params)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["detail"]
    return detail  # type: ignore[no-any-return]


class TestUnprocessable:
    @pytest.mark.parametrize("path", ["/v1/summary", "/v1/agents", "/v1/categories", "/v1/entries"])
    def test_an_unknown_period(self, served: Served, path: str) -> None:
        """An unknown period names the parameter and the periods there are."""
        detail = _problem(served, path, period="fortnight")
        assert detail["loc"] == ["query", "period"]
        assert "this-month" in detail["msg"]

    @pytest.mark.parametrize("limit", ["-1", "0", "1001", "ten", "1.5"])
    def test_a_bad_limit(self, served: Served, limit: str) -> None:
        """A negative, zero, huge or non-integer page size is refused."""
        assert _problem(served, "/v1/entries", limit=limit)["loc"] == ["query", "limit"]

    @pytest.mark.parametrize("cursor", ["garbage!", "W10", "eyJ0cyI6MX0", "x" * 300])
    def test_a_malformed_cursor(self, served: Served, cursor: str) -> None:
        """A cursor this API did not give out is refused and says so."""
        detail = _problem(served, "/v1/entries", cursor=cursor)
        assert (detail["loc"], "next_cursor" in detail["msg"]) == (["query", "cursor"], True)

    def test_an_unknown_direction(self, served: Served) -> None:
        """Only expense, revenue and transfer are directions."""
        assert _problem(served, "/v1/entries", direction="sideways")["loc"] == [
            "query",
            "direction",
        ]

    @pytest.mark.parametrize(
        "amount", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", "1e400", "1E2", "abc", ""]
    )
    def test_a_bad_amount(self, served: Served, amount: str) -> None:
        """NaN, infinities, negatives, exponents and words are refused."""
        detail = _problem(served, "/v1/budgets/check", amount=amount)
        assert (detail["loc"], "decimal" in detail["msg"]) == (["query", "amount"], True)

    def test_a_missing_amount(self, served: Served) -> None:
        """The budget check needs an amount."""
        assert _problem(served, "/v1/budgets/check")["loc"] == ["query", "amount"]

    def test_an_unknown_category_in_a_check(self, served: Served) -> None:
        """Asking about a category the ledger does not know is the client's mistake."""
        detail = _problem(served, "/v1/budgets/check", amount="1", category="Nope/Never")
        assert (detail["loc"], "Nope/Never" in detail["msg"]) == (["query", "category"], True)

    def test_a_revenue_category_in_a_check(self, served: Served) -> None:
        """A spend cannot go into a revenue category."""
        detail = _problem(served, "/v1/budgets/check", amount="1", category="Revenue/Gig")
        assert detail["loc"] == ["query", "category"]
