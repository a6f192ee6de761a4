"""Live API servers on loopback over real ledgers (memory, JSONL, SQLite).

Each backend gets one populated ledger and one uvicorn server per module; the
tests only read, so sharing them keeps the suite fast. Tests that need a
different app (a token, a chain status provider) start their own server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from aoineco_ledger.api import ServerHandle, make_app, start_in_thread
from aoineco_ledger.ledger import Ledger
from tests._support.api import BACKENDS, Served, open_ledger, populate


def _backend(kind: str) -> object:
    return pytest.param(kind, marks=pytest.mark.postgres) if kind == "postgresql" else kind


@pytest.fixture(name="served", scope="module", params=[_backend(k) for k in BACKENDS])
def _served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    kind: str = request.param
    ledger = open_ledger(kind, tmp_path_factory.mktemp(f"api-{kind}"))
    populate(ledger)
    handle = start_in_thread(make_app(ledger), "127.0.0.1", 0)
    with httpx.Client(base_url=handle.url, timeout=10) as client:
        yield Served(kind, ledger, handle, client)
    handle.stop()
    ledger.close()


StartServer = Callable[..., httpx.Client]


@pytest.fixture(name="start_server")
def _start_server() -> Iterator[StartServer]:
    """Start extra servers (own app options) for one test; all stopped after it."""
    handles: list[ServerHandle] = []
    clients: list[httpx.Client] = []

    def start(ledger: Ledger, **options: object) -> httpx.Client:
        handle = start_in_thread(make_app(ledger, **options), "127.0.0.1", 0)  # type: ignore[arg-type]
        handles.append(handle)
        client = httpx.Client(base_url=handle.url, timeout=10)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()
    for handle in handles:
        handle.stop()
