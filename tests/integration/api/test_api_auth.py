"""The token rule: every route but /healthz needs ``Authorization: Bearer <token>``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aoineco_ledger.api import make_app, start_in_thread
from tests._support.api import open_ledger, populate

pytestmark = pytest.mark.integration

TOKEN = "s3cret-token"

GUARDED = [
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/v1/metrics/bootstrap",
    "/v1/summary",
    "/v1/agents",
    "/v1/categories",
    "/v1/entries",
    "/v1/budgets",
    "/v1/budgets/check?amount=0.1",
    "/v1/reconciliation",
    "/v1/chains",
    "/no/such/route",
]


@pytest.fixture(name="client", scope="module")
def _client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of one live server with a token (the rule does not depend on the store)."""
    ledger = open_ledger("jsonl", Path(tmp_path_factory.mktemp("api-token")))
    populate(ledger)
    handle = start_in_thread(make_app(ledger, token=TOKEN), "127.0.0.1", 0)
    with httpx.Client(base_url=handle.url, timeout=10) as client:
        yield client
    handle.stop()
    ledger.close()


class TestToken:
    def test_healthz_needs_no_token(self, client: httpx.Client) -> None:
        """/healthz answers without a token, so a supervisor can always probe it."""
        assert client.get("/healthz").status_code == 200

    @pytest.mark.parametrize("path", GUARDED)
    def test_refuses_without_a_token(self, client: httpx.Client, path: str) -> None:
        """Every other route answers 401 with a Bearer challenge."""
        response = client.get(path)
        assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")

    @pytest.mark.parametrize(
        "header", [f"Bearer {TOKEN}x", f"bearer {TOKEN}", TOKEN, f"Basic {TOKEN}", "Bearer"]
    )
    def test_refuses_a_wrong_token(self, client: httpx.Client, header: str) -> None:
        """A wrong token, scheme or spelling is refused like a missing one."""
        assert client.get("/v1/summary", headers={"Authorization": header}).status_code == 401

    @pytest.mark.parametrize("path", GUARDED[:-1])
    def test_serves_with_the_token(self, client: httpx.Client, path: str) -> None:
        """With the right token every route answers as without one."""
        response = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200, response.text

    def test_the_schema_documents_the_token(self, client: httpx.Client) -> None:
        """/openapi.json declares the bearer scheme, and /healthz as open."""
        schema = client.get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert schema["paths"]["/healthz"]["get"]["security"] == []

    def test_the_401_does_not_echo_the_token(self, client: httpx.Client) -> None:
        """A refused request's body never contains the expected token."""
        response = client.get("/v1/summary", headers={"Authorization": "Bearer nope"})
        assert TOKEN not in response.text

    def test_no_token_configured_means_open(self, tmp_path: Path) -> None:
        """Without a token the routes need no header."""
        handle = start_in_thread(make_app(open_ledger("memory", tmp_path)), "127.0.0.1", 0)
        with handle, httpx.Client(base_url=handle.url) as open_client:
            assert open_client.get("/v1/summary").status_code == 200
