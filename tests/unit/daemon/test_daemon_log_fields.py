"""Log lines name the chain by its configured name; money in them is short; tables say names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from structlog.testing import capture_logs

from aoineco_ledger.config import AppConfig
from aoineco_ledger.daemon import Scheduler, Service, build
from aoineco_ledger.daemon._report import chain_label, usd_text
from aoineco_ledger.ledger import Ledger

BASE = 8453
JOB = f"chain:{BASE}"
AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(name="service")
def _service() -> Iterator[Service]:
    """A service for a chain named ``main`` (Base's id), its RPC unreachable on purpose."""
    config = AppConfig(
        chains=[{"name": "main", "chain_id": BASE, "rpc_urls": ["http://127.0.0.1:1"]}]
    )
    service = build(config, ledger=Ledger.open("memory://"))
    yield service
    service.close()


class TestSchedulerEvents:
    @pytest.mark.parametrize(
        ("event", "name"),
        [
            (JobExecutionEvent(EVENT_JOB_MISSED, JOB, "default", AT), "run_missed"),
            (JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, JOB, "default", [AT]), "run_skipped"),
            (JobExecutionEvent(EVENT_JOB_ERROR, JOB, "default", AT, ValueError("x")), "job_error"),
            (JobSubmissionEvent(EVENT_JOB_SUBMITTED, JOB, "default", [AT]), "run_late"),
        ],
    )
    def test_event_names_the_chain(self, service: Service, event: JobEvent, name: str) -> None:
        """Missed, skipped, late and failed runs carry the chain's name and its id."""
        scheduler = Scheduler(service, clock=lambda: datetime(2026, 1, 2, tzinfo=UTC))
        with capture_logs() as logs:
            scheduler._on_event(event)
        assert [(e["event"], e["chain"], e["chain_id"]) for e in logs] == [(name, "main", BASE)]


class TestStartup:
    def test_unreachable_rpc_names_the_chain(self, service: Service) -> None:
        """rpc_unreachable says which chain, by name and id."""
        with capture_logs() as logs:
            service.verify_chains()
        assert [(e["event"], e["chain"], e["chain_id"]) for e in logs] == [
            ("rpc_unreachable", "main", BASE)
        ]


class TestLogMoney:
    def test_six_places_at_most(self) -> None:
        """A long stored amount is logged rounded half-up to six places, zeros dropped."""
        assert usd_text(Decimal("0.21630600000000000000000000")) == "0.216306"
        assert usd_text(Decimal("0.0000004999")) == "0"
        assert usd_text(Decimal("1.2345675")) == "1.234568"

    def test_whole_and_negative(self) -> None:
        """Whole dollars lose the point; a reversal's negative amount keeps its sign."""
        assert (usd_text(Decimal("7.00")), usd_text(Decimal("-0.25"))) == ("7", "-0.25")


class TestChainLabel:
    def test_configured_name_first(self) -> None:
        """A configured name wins over the registry's."""
        assert chain_label(BASE, {BASE: "main"}) == "main"

    def test_registry_then_id(self) -> None:
        """Without a configured name: the registry's name, else the id itself."""
        assert (chain_label(131277322940537), chain_label(999_999_991)) == (
            "eth-tester",
            "999999991",
        )
