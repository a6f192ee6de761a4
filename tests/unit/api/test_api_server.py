"""Serving in a background thread: the daemon's way to embed the API."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from aoineco_ledger.api import make_app, start_in_thread
from tests._support.api import open_ledger


class TestStartInThread:
    def test_port_zero_picks_a_free_port(self, tmp_path: Path) -> None:
        """The handle's URL names the port the OS chose, and it answers."""
        with start_in_thread(make_app(open_ledger("memory", tmp_path)), "127.0.0.1", 0) as h:
            assert httpx.get(f"{h.url}/healthz").json() == {"status": "ok"}

    def test_stop_ends_the_thread(self, tmp_path: Path) -> None:
        """After stop() the server thread is gone and the port refuses connections."""
        handle = start_in_thread(make_app(open_ledger("memory", tmp_path)), "127.0.0.1", 0)
        handle.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{handle.url}/healthz")
        assert handle.running is False

    def test_a_taken_port_raises_in_the_caller(self, tmp_path: Path) -> None:
        """Binding fails loudly where start_in_thread was called, not in a thread."""
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = taken.getsockname()[1]
            with pytest.raises(OSError):
                start_in_thread(make_app(open_ledger("memory", tmp_path)), "127.0.0.1", port)

    def test_two_apps_have_separate_registries(self, tmp_path: Path) -> None:
        """Each app gets a fresh registry, so two apps in one process never clash."""
        ledger = open_ledger("memory", tmp_path)
        first, second = make_app(ledger), make_app(ledger)
        assert first.state.context.registry is not second.state.context.registry
