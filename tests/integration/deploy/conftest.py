"""Fixtures for the deploy integration tests: real daemons, stopped after each test.

Helpers (configs, the :class:`~tests._support.deploy.Daemon` wrapper) live in
``tests/_support/deploy.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._support.anvil import _anvil, _anvil_clean  # noqa: F401
from tests._support.deploy import Daemon, StartDaemon, clean_env


@pytest.fixture(name="start_daemon")
def _start_daemon() -> Iterator[StartDaemon]:
    """Start daemons for one test (``start_daemon(config, **env)``); all stopped after it."""
    started: list[Daemon] = []

    def start(config: Path, **env: str) -> Daemon:
        daemon = Daemon(config, clean_env(**env))
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
