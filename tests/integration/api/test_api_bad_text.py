"""Text query values a store could not hold are a 422, never a 503."""

from __future__ import annotations

import pytest

from tests._support.api import Served

pytestmark = pytest.mark.integration


class TestUnstorableText:
    @pytest.mark.parametrize(
        ("path", "param"),
        [
            ("/v1/entries", "agent"),
            ("/v1/entries", "category"),
            ("/v1/budgets/check", "agent"),
            ("/v1/budgets/check", "category"),
        ],
    )
    def test_a_nul_character(self, served: Served, path: str, param: str) -> None:
        """A NUL in a text parameter is the client's mistake on every backend."""
        params = {param: "ora\x00cle"}
        if path == "/v1/budgets/check":
            params["amount"] = "1"
        response = served.client.get(path, params=params)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["query", param]
