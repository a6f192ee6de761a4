"""``aoineco_ledger.daemon._sdnotify``: real datagrams to real AF_UNIX sockets."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aoineco_ledger.daemon._sdnotify import notify, notify_socket_address, watchdog_interval


@pytest.fixture(name="listener")
def _listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket bound to a file, as systemd's notification socket is."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(5)
        yield sock, str(path)


@pytest.fixture(name="abstract_listener")
def _abstract_listener() -> Iterator[tuple[socket.socket, str]]:
    """A datagram socket in the abstract namespace, named ``@...`` in ``$NOTIFY_SOCKET``."""
    name = f"aoineco-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(5)
        yield sock, "@" + name


class TestNotify:
    def test_sends_ready_to_a_socket_file(self, listener: tuple[socket.socket, str]) -> None:
        """``READY=1`` arrives as one datagram at the path ``$NOTIFY_SOCKET`` names."""
        sock, path = listener
        assert notify("READY=1", environ={"NOTIFY_SOCKET": path}) is True
        assert sock.recv(4096) == b"READY=1"

    def test_sends_to_an_abstract_socket(
        self, abstract_listener: tuple[socket.socket, str]
    ) -> None:
        """A name starting with ``@`` reaches the abstract-namespace socket."""
        sock, name = abstract_listener
        assert notify("WATCHDOG=1", environ={"NOTIFY_SOCKET": name}) is True
        assert sock.recv(4096) == b"WATCHDOG=1"

    def test_several_lines_travel_in_one_datagram(
        self, listener: tuple[socket.socket, str]
    ) -> None:
        """A multi-line state is one datagram, as the protocol wants."""
        sock, path = listener
        notify("READY=1\nSTATUS=reconciling 1 chain", environ={"NOTIFY_SOCKET": path})
        assert sock.recv(4096) == b"READY=1\nSTATUS=reconciling 1 chain"

    def test_without_a_socket_it_does_nothing(self) -> None:
        """Outside systemd (no ``$NOTIFY_SOCKET``) it returns False and sends nothing."""
        assert notify("READY=1", environ={}) is False

    def test_a_vanished_socket_is_not_an_error(self, tmp_path: Path) -> None:
        """A socket path nobody listens on gives False, never an exception."""
        environ = {"NOTIFY_SOCKET": str(tmp_path / "gone.sock")}
        assert notify("READY=1", environ=environ) is False

    def test_an_unsupported_address_kind_is_ignored(self) -> None:
        """systemd 254's ``vsock:`` addresses are not spoken: False, no exception."""
        assert notify("READY=1", environ={"NOTIFY_SOCKET": "vsock:2:1234"}) is False

    def test_reads_the_process_environment_by_default(
        self, listener: tuple[socket.socket, str]
    ) -> None:
        """A child process given ``$NOTIFY_SOCKET`` reaches the socket with no arguments."""
        sock, path = listener
        code = "from aoineco_ledger.daemon._sdnotify import notify; notify('READY=1')"
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "NOTIFY_SOCKET": path},
            check=True,
            timeout=60,
        )
        assert sock.recv(4096) == b"READY=1"


class TestNotifySocketAddress:
    def test_abstract_name_gets_a_leading_nul(self) -> None:
        """``@name`` becomes the bytes ``\\0name``."""
        assert notify_socket_address({"NOTIFY_SOCKET": "@x/y"}) == b"\0x/y"

    def test_a_bare_at_sign_is_no_address(self) -> None:
        """``@`` alone names nothing."""
        assert notify_socket_address({"NOTIFY_SOCKET": "@"}) is None


class TestWatchdogInterval:
    def test_converts_microseconds_to_seconds(self) -> None:
        """``WATCHDOG_USEC=120000000`` is 120 seconds."""
        assert watchdog_interval({"WATCHDOG_USEC": "120000000"}) == 120.0

    def test_unset_means_no_watchdog(self) -> None:
        """Without ``WATCHDOG_USEC`` there is nothing to ping."""
        assert watchdog_interval({}) is None

    def test_another_process_watchdog_is_not_ours(self) -> None:
        """``WATCHDOG_PID`` naming another process means the watchdog is not for us."""
        other = str(os.getpid() + 1)
        assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": other}) is None

    def test_our_own_pid_keeps_the_watchdog(self) -> None:
        """``WATCHDOG_PID`` equal to this process keeps the interval."""
        environ = {"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}
        assert watchdog_interval(environ) == 0.5

    @pytest.mark.parametrize("value", ["0", "-5", "soon", ""])
    def test_nonsense_means_no_watchdog(self, value: str) -> None:
        """Zero, negative or non-numeric values disable the watchdog rather than fail."""
        assert watchdog_interval({"WATCHDOG_USEC": value}) is None
