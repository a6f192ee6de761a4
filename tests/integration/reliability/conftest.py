"""Fixtures for the reliability suite: a private anvil per module, and its squad history.

Each module gets its own anvil node (reorg tests rewrite its chain, crash tests
kill processes that talk to it), so nothing here can disturb another suite's
shared node. Without anvil the tests skip, or fail when ``AOINECO_REQUIRE_ANVIL=1``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._support.anvil import Anvil, private_anvil
from tests.integration.reliability._squad import SCANNERS, scanner_in_use


@pytest.fixture(name="node", scope="module")
def _node() -> Iterator[Anvil]:
    """A fresh anvil for this module only."""
    yield from private_anvil()


@pytest.fixture(name="scan", params=SCANNERS, scope="module")
def _scan(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the requesting module once per scanner (``scan`` in every config it builds)."""
    name = str(request.param)
    scanner_in_use.append(name)
    try:
        yield name
    finally:
        scanner_in_use.remove(name)
