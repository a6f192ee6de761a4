"""Small pure parts of the daemon: refs, chunk planning, job defaults, log scrubbing, tables."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import (
    SecretScrubber,
    configure_logging,
    internal_ref,
    job_defaults,
    lease_seconds,
    parse_ref,
    plan_range,
    reset_logging,
    secrets_of,
    tx_ref,
    units,
)
from aoineco_ledger.ledger.store.base import Checkpoint

TX = "0x" + "ab" * 32


def _at(block: int) -> Checkpoint:
    return Checkpoint(chain_id=1, block_number=block, block_hash="0x0")


class TestRefs:
    def test_tx_ref_round_trip(self) -> None:
        """A log ref comes apart into its chain, tx, kind and log index."""
        parts = parse_ref(tx_ref(8453, TX.upper().replace("0X", "0x"), "token-in", 7))
        assert parts is not None
        assert (parts.chain_id, parts.tx_hash, parts.kind, parts.log_index) == (
            8453,
            TX,
            "token-in",
            7,
        )

    def test_block_internal_ref(self) -> None:
        """The block-level internal-in ref names block and wallet."""
        ref = internal_ref(10, "0xAbC", block_number=5, tx_hash=None)
        parts = parse_ref(ref)
        assert ref == "evm:10:block:5:internal-in:0xAbC"
        assert parts is not None and (parts.block_number, parts.wallet) == (5, "0xAbC")

    def test_not_a_chain_ref(self) -> None:
        """Manual refs and garbage are not chain refs."""
        assert parse_ref("invoice-42") is None and parse_ref("evm:x:y") is None

    def test_unknown_kind_refused(self) -> None:
        """Only the DESIGN.md kinds make tx refs."""
        with pytest.raises(ValueError, match="not a transaction ref kind"):
            tx_ref(1, TX, "airdrop")


class TestPlanRange:
    def test_first_run_from_start_block(self) -> None:
        """A new chain starts at start_block, one bounded chunk at a time."""
        assert plan_range(checkpoint=None, target=100, start_block=10, max_blocks=25) == (10, 35)

    def test_first_run_latest_is_empty_chunk(self) -> None:
        """start_block = latest opens at the target with an empty chunk."""
        assert plan_range(checkpoint=None, target=100, start_block="latest", max_blocks=5) == (
            100,
            100,
        )

    def test_start_beyond_target_waits(self) -> None:
        """A start block above the target books nothing yet (not an opening at the head)."""
        assert plan_range(checkpoint=None, target=0, start_block=7, max_blocks=5) is None
        assert plan_range(checkpoint=None, target=6, start_block=7, max_blocks=5) is None
        assert plan_range(checkpoint=None, target=7, start_block=7, max_blocks=5) == (7, 7)

    def test_continues_from_checkpoint(self) -> None:
        """Later chunks start at the checkpoint and stop at the target."""
        assert plan_range(checkpoint=_at(90), target=100, start_block=0, max_blocks=25) == (90, 100)

    def test_up_to_date(self) -> None:
        """Nothing to do when the target is not past the checkpoint."""
        assert plan_range(checkpoint=_at(100), target=100, start_block=0, max_blocks=5) is None


class TestSchedule:
    def test_job_defaults(self) -> None:
        """Coalesce, one instance per chain, and a grace time of at least a minute."""
        assert job_defaults(1) == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
        assert job_defaults(30)["misfire_grace_time"] == 300

    def test_lease_outlives_polls(self) -> None:
        """A lease lasts three polls, at least ten seconds."""
        assert (lease_seconds(1), lease_seconds(30)) == (10.0, 90.0)


class TestLogging:
    def test_scrubber_masks_secret_urls(self) -> None:
        """A secret URL inside any string value is replaced by its masked form."""
        scrub = SecretScrubber(["https://h.example/v2/KEY"])
        event = scrub(
            None, "info", {"event": "x", "error": "cannot reach https://h.example/v2/KEY"}
        )
        assert event["error"] == "cannot reach https://h.example/***"

    def test_secrets_of_config(self) -> None:
        """RPC URLs that hide something, and the API token, are the secrets."""
        config = AppConfig(
            chains=[{"name": "base", "rpc_urls": ["https://h/v2/K", "http://127.0.0.1:8545"]}],
            api={"token": "t0k"},
        )
        assert secrets_of(config) == ["https://h/v2/K", "t0k"]

    def test_json_lines_with_standard_fields(self) -> None:
        """Off a terminal, each event is one JSON line with event, level and timestamp."""
        out = io.StringIO()
        configure_logging(level="info", fmt="json", stream=out, secrets=["sekrit"])
        structlog.get_logger().info("cycle", chain="base", block=7, note="sekrit inside")
        line = json.loads(out.getvalue().strip())
        assert (line["event"], line["level"], line["chain"], line["block"]) == (
            "cycle",
            "info",
            "base",
            7,
        )
        assert "timestamp" in line and line["note"] == "*** inside"

    def test_level_filters(self) -> None:
        """Below the configured level nothing is written."""
        out = io.StringIO()
        configure_logging(level="warning", fmt="json", stream=out)
        structlog.get_logger().info("quiet")
        assert out.getvalue() == ""


class TestUnits:
    def test_exact_whole_units(self) -> None:
        """Base units print as exact whole units."""
        assert (units(1_500_000, 6), units(-(10**15), 18), units(5, 0)) == ("1.5", "-0.001", "5")


@pytest.fixture(autouse=True, name="clean_logging")
def _clean_logging() -> Iterator[None]:
    yield None
    reset_logging()
