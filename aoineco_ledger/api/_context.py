"""What every route handler needs, kept on ``app.state.context``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    """The ledger, the daemon's status provider, the metrics registry and a clock."""

    ledger: Ledger
    chains_status: ChainsStatusProvider | None
    registry: CollectorRegistry
    clock: Callable[[], datetime]


def get_context(request: Request) -> ApiContext:
    """The context of the app serving ``request`` (a FastAPI dependency)."""
    context: ApiContext = request.app.state.context
    return context
