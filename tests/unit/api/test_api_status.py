"""Reading the daemon's chain status provider."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from aoineco_ledger.api import ChainStatus
from aoineco_ledger.api._status import read_chains_status, scrub_error


class TestReadChainsStatus:
    def test_no_provider_gives_nothing(self) -> None:
        """Without a provider there is no live status."""
        assert read_chains_status(None) == {}

    def test_reads_mappings(self) -> None:
        """A mapping's known keys become a ChainStatus; unknown keys are ignored."""
        found = read_chains_status(lambda: [{"chain_id": 8453, "head_block": 7, "extra": 1}])
        assert found == {8453: ChainStatus(chain_id=8453, head_block=7)}

    def test_reads_objects_by_attribute(self) -> None:
        """Any object with the attribute names works."""
        record = SimpleNamespace(chain_id="10", chain="optimism", rpc_calls=3)
        assert read_chains_status(lambda: [record])[10].rpc_calls == 3

    def test_makes_naive_and_epoch_times_aware(self) -> None:
        """Naive datetimes are taken as UTC and numbers as epoch seconds."""
        found = read_chains_status(
            lambda: [{"chain_id": 1, "last_success_at": 0, "started_at": datetime(2026, 1, 1)}]
        )[1]
        assert (found.last_success_at, found.started_at) == (
            datetime(1970, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
        )

    def test_a_failing_provider_gives_nothing(self) -> None:
        """A provider that raises is reported as no status, not an error."""

        def broken() -> list[object]:
            raise RuntimeError("daemon bug")

        assert read_chains_status(broken) == {}

    def test_scrubs_urls_from_errors(self) -> None:
        """An error message never carries an RPC URL out."""
        found = read_chains_status(
            lambda: [{"chain_id": 1, "last_error": "timeout at https://rpc.example/v2/KEY"}]
        )
        assert found[1].last_error == "timeout at <url>"


class TestScrubError:
    def test_keeps_text_without_urls(self) -> None:
        """A message with no URL is unchanged."""
        assert scrub_error("rate limited") == "rate limited"

    def test_scrubs_websocket_urls(self) -> None:
        """wss:// endpoints are URLs too."""
        assert scrub_error("closed: wss://node:8546/secret") == "closed: <url>"
