"""The read-only metrics HTTP API: the ledger for dashboards, Prometheus and agents.

Build an app with :func:`make_app`, serve it with :func:`serve` (foreground) or
:func:`start_in_thread` (embedded in the daemon). Every answer comes from a
public ``Ledger`` method; see ``README.md`` in this package for the map.
"""

from __future__ import annotations

from aoineco_ledger.api._app import make_app
from aoineco_ledger.api._metrics import LedgerCollector, render_metrics
from aoineco_ledger.api._server import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ServerHandle,
    serve,
    start_in_thread,
)
from aoineco_ledger.api._status import ChainsStatusProvider, ChainStatus

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ChainStatus",
    "ChainsStatusProvider",
    "LedgerCollector",
    "ServerHandle",
    "make_app",
    "render_metrics",
    "serve",
    "start_in_thread",
]
