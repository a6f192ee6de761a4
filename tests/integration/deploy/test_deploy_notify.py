"""``Type=notify``: a real daemon tells a real notification socket it is ready and alive."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._support.anvil import Anvil
from tests._support.deploy import StartDaemon, squad_config

pytestmark = [pytest.mark.integration, pytest.mark.anvil]


class Notifications:
    """A datagram socket standing in for systemd's, and what arrived on it."""

    def __init__(self, sock: socket.socket, name: str) -> None:
        self.sock = sock
        self.name = name

    def receive_until(self, wanted: str, timeout: float = 60) -> list[str]:
        """Every state received until one line equals ``wanted`` (fails after ``timeout``)."""
        received: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
            if wanted in received[-1].splitlines():
                return received
        pytest.fail(f"{wanted} did not arrive in {timeout}s (got {received})")


@pytest.fixture(name="socket_file")
def _socket_file(tmp_path: Path) -> Iterator[Notifications]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify.sock"))
        yield Notifications(sock, str(tmp_path / "notify.sock"))


@pytest.fixture(name="abstract_socket")
def _abstract_socket() -> Iterator[Notifications]:
    name = f"aoineco-notify-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        yield Notifications(sock, "@" + name)


class TestReady:
    def test_ready_once_the_chain_job_is_scheduled(
        self,
        anvil_clean: Anvil,
        tmp_path: Path,
        socket_file: Notifications,
        start_daemon: StartDaemon,
    ) -> None:
        """READY=1 arrives on a socket file, after the daemon logged its start."""
        daemon = start_daemon(
            squad_config(tmp_path, [anvil_clean.url]), NOTIFY_SOCKET=socket_file.name
        )
        assert socket_file.receive_until("READY=1") == ["READY=1"]
        # Written before READY=1; the pipe may deliver it a moment after the datagram.
        daemon.wait_for(lambda line: '"daemon_started"' in line, timeout=10)

    def test_ready_reaches_an_abstract_socket(
        self,
        anvil_clean: Anvil,
        tmp_path: Path,
        abstract_socket: Notifications,
        start_daemon: StartDaemon,
    ) -> None:
        """``NOTIFY_SOCKET=@name`` (abstract namespace) gets READY=1 too."""
        start_daemon(squad_config(tmp_path, [anvil_clean.url]), NOTIFY_SOCKET=abstract_socket.name)
        assert "READY=1" in abstract_socket.receive_until("READY=1")

    def test_sigterm_sends_stopping_and_exits_zero(
        self,
        anvil_clean: Anvil,
        tmp_path: Path,
        socket_file: Notifications,
        start_daemon: StartDaemon,
    ) -> None:
        """On SIGTERM the daemon says STOPPING=1 and exits 0, as the unit expects."""
        daemon = start_daemon(
            squad_config(tmp_path, [anvil_clean.url]), NOTIFY_SOCKET=socket_file.name
        )
        socket_file.receive_until("READY=1")
        daemon.wait_for(lambda line: '"event": "cycle"' in line)
        assert daemon.stop() == 0
        assert "STOPPING=1" in socket_file.receive_until("STOPPING=1", timeout=5)


class TestWatchdog:
    def test_pings_when_watchdog_usec_is_set(
        self,
        anvil_clean: Anvil,
        tmp_path: Path,
        socket_file: Notifications,
        start_daemon: StartDaemon,
    ) -> None:
        """With ``WATCHDOG_USEC`` set, WATCHDOG=1 keeps coming after READY=1."""
        start_daemon(
            squad_config(tmp_path, [anvil_clean.url]),
            NOTIFY_SOCKET=socket_file.name,
            WATCHDOG_USEC="1000000",
        )
        received = socket_file.receive_until("READY=1")
        received += socket_file.receive_until("WATCHDOG=1", timeout=10)
        received += socket_file.receive_until("WATCHDOG=1", timeout=10)
        assert received.count("WATCHDOG=1") >= 2

    def test_no_pings_without_watchdog_usec(
        self,
        anvil_clean: Anvil,
        tmp_path: Path,
        socket_file: Notifications,
        start_daemon: StartDaemon,
    ) -> None:
        """Without ``WATCHDOG_USEC`` only READY=1 arrives while the daemon runs."""
        daemon = start_daemon(
            squad_config(tmp_path, [anvil_clean.url]), NOTIFY_SOCKET=socket_file.name
        )
        socket_file.receive_until("READY=1")
        daemon.wait_for(lambda line: '"event": "cycle"' in line)
        time.sleep(1.5)
        socket_file.sock.settimeout(0.1)
        extra = []
        try:
            while True:
                extra.append(socket_file.sock.recv(4096).decode())
        except TimeoutError:
            pass
        assert "WATCHDOG=1" not in extra
