"""RPC trouble shows in the chain's health: failed calls are counted, every endpoint is named."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from structlog.testing import capture_logs

from aoineco_ledger.api import make_app, start_in_thread
from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import Service, build
from aoineco_ledger.ledger import Ledger

WALLET = "0x1111111111111111111111111111111111111111"
CYCLES = 8


class _NotFound(BaseHTTPRequestHandler):
    """A provider URL with a wrong path: every request gets HTTP 404."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the service's view, not the server's."""


@pytest.fixture(name="urls")
def _urls() -> Iterator[list[str]]:
    """Two loopback endpoints answering 404, with a key in the path to see it masked."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _NotFound) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    yield [f"http://127.0.0.1:{s.server_address[1]}/v2/K3Y{i}SECRET" for i, s in enumerate(servers)]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(name="service")
def _service(urls: list[str]) -> Iterator[Service]:
    config = AppConfig(
        chains=[{"name": "anvil", "rpc_urls": urls, "start_block": 0}],
        agents=[{"name": "oracle", "wallets": [WALLET]}],
    )
    service = build(config, ledger=Ledger.open("memory://"))
    yield service
    service.close()


class TestRpcErrors:
    def test_failed_cycles_count_rpc_errors(self, service: Service) -> None:
        """Every 404 is a failed call: rpc_errors grows with each failed cycle."""
        seen = []
        for _ in range(CYCLES):
            assert service.run_chain(service.cycles[0], log_errors=False).failed
            seen.append(service.chains_status()[0]["rpc_errors"])
        assert seen[0] >= 2  # both endpoints failed in the first cycle
        assert all(later > earlier for earlier, later in itertools.pairwise(seen))

    def test_api_reports_the_errors(self, service: Service) -> None:
        """/v1/chains shows the counted errors of the failed cycles."""
        for _ in range(CYCLES):
            service.run_chain(service.cycles[0], log_errors=False)
        app = make_app(Ledger.open("memory://"), chains_status=service.chains_status)
        with start_in_thread(app, "127.0.0.1", 0) as server:
            chain = httpx.get(f"{server.url}/v1/chains", timeout=10).json()["chains"][0]
        assert chain["rpc_errors"] == service.chains_status()[0]["rpc_errors"] >= CYCLES
        assert chain["rpc_errors"] <= chain["rpc_calls"]


class TestUnreachable:
    def test_names_every_endpoint_masked(self, service: Service, urls: list[str]) -> None:
        """rpc_unreachable names both endpoints, their keys masked."""
        with capture_logs() as logs:
            service.verify_chains()
        [line] = [e for e in logs if e["event"] == "rpc_unreachable"]
        ports = [url.split(":")[2].split("/")[0] for url in urls]
        configured = ", ".join(f"http://127.0.0.1:{p}/***" for p in ports)
        assert line["error"].endswith(f"(configured: {configured})")
        assert "SECRET" not in str(line)
