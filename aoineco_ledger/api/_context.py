"""What every route handler needs, kept on ``app.state.context``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import Request
from prometheus_client import CollectorRegistry

from aoineco_ledger.api._status import ChainsStatusProvider

if TYPE_CHECKING:
    from aoineco_ledger.ledger import Ledger

__all__ = ["ApiContext", "get_context"]


@dataclass(frozen=True, slots=True)
class ApiContext:
    """The ledger, the daemon's status provider, the metrics registry, a clock, chain names."""

    ledger: Ledger
    chains_status: ChainsStatusProvider | None
    registry: CollectorRegistry
    clock: Callable[[], datetime]
    chain_names: Mapping[int, str] = field(default_factory=dict)


def get_context(request: Request) -> ApiContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    context: ApiContext = request.app.state.context
    return context
