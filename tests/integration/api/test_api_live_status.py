"""/v1/chains, /readyz and /metrics with the daemon's chain status provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from aoineco_ledger.api import ChainStatus, make_app, start_in_thread
from aoineco_ledger.ledger import Ledger
from tests._support.api import NOW, open_ledger, populate

pytestmark = pytest.mark.integration


class Daemon:
    """Stands in for the daemon's status provider: a list of records it hands out."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    def __call__(self) -> list[Any]:
        return list(self.records)


@pytest.fixture(name="ledger", scope="module")
def _ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    ledger = open_ledger("sqlite", Path(tmp_path_factory.mktemp("api-live")))
    populate(ledger)
    yield ledger
    ledger.close()


@pytest.fixture(name="daemon")
def _daemon() -> Daemon:
    return Daemon()


@pytest.fixture(name="client")
def _client(ledger: Ledger, daemon: Daemon) -> Iterator[httpx.Client]:
    app = make_app(ledger, chains_status=daemon, clock=lambda: NOW)
    with start_in_thread(app, "127.0.0.1", 0) as handle, httpx.Client(base_url=handle.url) as c:
        yield c


def _base(**fields: Any) -> ChainStatus:
    defaults: dict[str, Any] = {
        "chain_id": 8453,
        "chain": "base",
        "head_block": 112,
        "lag_seconds": 24.0,
        "poll_seconds": 30.0,
        "started_at": NOW - timedelta(hours=1),
        "last_success_at": NOW - timedelta(seconds=40),
        "last_cycle_seconds": 0.4,
        "rpc_calls": 90,
        "rpc_errors": 1,
    }
    return ChainStatus(**{**defaults, **fields})


class TestChains:
    def test_joins_checkpoint_and_live_status(self, client: httpx.Client, daemon: Daemon) -> None:
        """Head and lag come from the daemon, the checkpoint from the ledger."""
        daemon.records = [_base()]
        body = client.get("/v1/chains").json()
        (chain,) = body["chains"]
        assert (body["live"], chain["chain"], chain["checkpoint_block"]) == (True, "base", 100)
        assert (chain["head_block"], chain["lag_blocks"], chain["lag_seconds"]) == (112, 12, 24.0)

    def test_a_chain_without_checkpoint_yet(self, client: httpx.Client, daemon: Daemon) -> None:
        """A chain the daemon watches but has not checkpointed is listed with nulls."""
        daemon.records = [_base(), {"chain_id": 10, "chain": "optimism", "head_block": 5}]
        chains = {c["chain_id"]: c for c in client.get("/v1/chains").json()["chains"]}
        assert (chains[10]["checkpoint_block"], chains[10]["lag_blocks"]) == (None, None)

    def test_last_error_carries_no_url(self, client: httpx.Client, daemon: Daemon) -> None:
        """An RPC error is reported, but never the endpoint it came from."""
        daemon.records = [_base(last_error="HTTP 429 from https://base.example/v2/KEY123")]
        body = client.get("/v1/chains").text
        assert ("HTTP 429 from <url>" in body, "KEY123" in body, "base.example" in body) == (
            True,
            False,
            False,
        )

    def test_a_broken_provider_still_answers(self, client: httpx.Client, daemon: Daemon) -> None:
        """A provider returning junk gives the checkpoints alone, not a 500."""
        daemon.records = [{"chain_id": "not a number"}]
        response = client.get("/v1/chains")
        assert (response.status_code, response.json()["live"]) == (200, False)


class TestReadyz:
    def test_ready_when_every_chain_is_recent(self, client: httpx.Client, daemon: Daemon) -> None:
        """Every last good cycle younger than three poll intervals is ready."""
        daemon.records = [_base(), _base(chain_id=10, chain="optimism")]
        response = client.get("/readyz")
        assert (response.status_code, response.json()["ready"]) == (200, True)

    def test_not_ready_when_a_chain_is_stale(self, client: httpx.Client, daemon: Daemon) -> None:
        """A chain whose last good cycle is older than three polls makes it 503."""
        stale = NOW - timedelta(seconds=91)
        daemon.records = [_base(), _base(chain_id=10, last_success_at=stale)]
        response = client.get("/readyz")
        chains = {c["chain_id"]: c["ready"] for c in response.json()["chains"]}
        assert (response.status_code, chains) == (503, {8453: True, 10: False})

    def test_a_fresh_daemon_gets_three_polls_of_grace(
        self, client: httpx.Client, daemon: Daemon
    ) -> None:
        """Before its first cycle a chain counts from when the daemon started."""
        daemon.records = [_base(last_success_at=None, started_at=NOW - timedelta(seconds=60))]
        assert client.get("/readyz").status_code == 200

    def test_no_cycle_and_no_start_time_is_not_ready(
        self, client: httpx.Client, daemon: Daemon
    ) -> None:
        """A chain with nothing to go by is not ready, and says why."""
        daemon.records = [_base(last_success_at=None, started_at=None)]
        response = client.get("/readyz")
        (chain,) = response.json()["chains"]
        assert (response.status_code, chain["reason"]) == (503, "no cycle has finished")


class TestMetrics:
    def test_chain_lag_and_rpc_counters(self, client: httpx.Client, daemon: Daemon) -> None:
        """/metrics carries the daemon's lag and RPC counters at scrape time."""
        daemon.records = [_base()]
        text = client.get("/metrics").text
        assert 'aoineco_chain_lag_blocks{chain="base",chain_id="8453"} 12.0' in text
        assert 'aoineco_chain_rpc_calls_total{chain="base",chain_id="8453"} 90.0' in text

    def test_last_success_is_a_unix_timestamp(self, client: httpx.Client, daemon: Daemon) -> None:
        """The last good cycle is exposed as epoch seconds."""
        when: datetime = NOW - timedelta(seconds=40)
        daemon.records = [_base(last_success_at=when)]
        families = text_string_to_metric_families(client.get("/metrics").text)
        (family,) = [
            f for f in families if f.name == "aoineco_chain_last_success_timestamp_seconds"
        ]
        assert [s.value for s in family.samples] == [when.timestamp()]

    def test_content_type_is_prometheus_text(self, client: httpx.Client) -> None:
        """The exposition is Prometheus text format 0.0.4."""
        content_type = client.get("/metrics").headers["content-type"]
        assert content_type.startswith("text/plain; version=0.0.4")


class TestFreshness:
    @pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
    def test_sees_what_another_writer_appends(self, tmp_path: Path, kind: str) -> None:
        """An entry another ledger (process) appends shows in the next answer."""
        reader, writer = open_ledger(kind, tmp_path), open_ledger(kind, tmp_path)
        with start_in_thread(make_app(reader), "127.0.0.1", 0) as handle:
            before = httpx.get(f"{handle.url}/v1/metrics/bootstrap").json()["entry_count"]
            writer.expense("0.25", category="Tools", agent="nova")
            after = httpx.get(f"{handle.url}/v1/metrics/bootstrap").json()["entry_count"]
            scrape = httpx.get(f"{handle.url}/metrics").text
        writer.close()
        reader.close()
        assert (before, after) == (0, 1)
        assert 'aoineco_ledger_spend_usd{agent="nova",category="Tools"} 0.25' in scrape
