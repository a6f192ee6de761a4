"""Schemathesis against ``/openapi.json``: no 5xx, every answer matches its schema.

The operations are read from the app's own schema at collection time (it does
not depend on the ledger); the generated requests go to a live server on
loopback, over a populated JSONL ledger, behind a token. A bounded number of
cases per operation keeps the run short.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aoineco_ledger.api import make_app, start_in_thread
from aoineco_ledger.ledger import Ledger
from tests._support.api import open_ledger, populate

pytestmark = pytest.mark.integration

TOKEN = "schema-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 30

# A schema cannot say "a cursor this API gave out" or "a category the ledger
# knows": schema-valid values for these are still refused (422, documented), so
# the "valid data is accepted" check does not apply to these two operations.
SEMANTIC_VALIDATION = {"/v1/entries", "/v1/budgets/check"}


def _operations() -> list[Any]:
    with Ledger.open("memory://") as ledger:
        document = make_app(ledger, token=TOKEN).openapi()
    loaded = schemathesis.openapi.from_dict(document)
    return [result.ok() for result in loaded.get_all_operations()]  # type: ignore[union-attr]


OPERATIONS = _operations()


@pytest.fixture(name="base_url", scope="module")
def _base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ledger = open_ledger("jsonl", Path(tmp_path_factory.mktemp("api-schema")))
    populate(ledger)
    with start_in_thread(make_app(ledger, token=TOKEN), "127.0.0.1", 0) as handle:
        yield handle.url
    ledger.close()


class TestSchema:
    def test_served_schema_is_the_one_tested(self, base_url: str) -> None:
        """The live /openapi.json lists the operations tested below."""
        served = httpx.get(f"{base_url}/openapi.json", headers=AUTH).json()
        paths = {(method.upper(), path) for path, ops in served["paths"].items() for method in ops}
        assert paths == {(op.method.upper(), op.path) for op in OPERATIONS}

    @pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
    def test_operation_conforms(self, operation: Any, base_url: str) -> None:
        """Generated requests never get a 5xx, and every answer matches its schema."""
        excluded = [positive_data_acceptance] if operation.path in SEMANTIC_VALIDATION else []

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            case.call_and_validate(base_url=base_url, headers=AUTH, excluded_checks=excluded)

        check()

    @pytest.mark.parametrize(
        "operation", [op for op in OPERATIONS if op.query], ids=lambda op: op.label
    )
    def test_invalid_requests_are_refused(self, operation: Any, base_url: str) -> None:
        """Schema-invalid requests never get a 5xx.

        Only that: unknown query parameters are ignored on purpose (as most HTTP
        APIs do), so "every invalid request is refused" is not this API's rule.
        """

        @settings(
            max_examples=EXAMPLES // 2,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE))
        def check(case: Any) -> None:
            case.call_and_validate(base_url=base_url, headers=AUTH, checks=[not_a_server_error])

        check()
