"""Fixtures for the chains integration tests: anvil, a misbehaving proxy in front of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._support.anvil import Anvil, _anvil, _anvil_clean
from tests._support.rpc_server import MisbehavingRpcServer

__all__ = ["_anvil", "_anvil_clean", "_proxy", "_proxy_server"]


@pytest.fixture(name="proxy_server", scope="session")
def _proxy_server(anvil: Anvil) -> Iterator[MisbehavingRpcServer]:
    """One misbehaving loopback server in front of the session's anvil."""
    server = MisbehavingRpcServer(anvil.url).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="proxy")
def _proxy(proxy_server: MisbehavingRpcServer, anvil_clean: Anvil) -> MisbehavingRpcServer:
    """The proxy, behaving and with fresh counts, over a chain reverted after the test."""
    proxy_server.reset()
    return proxy_server
