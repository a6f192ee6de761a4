"""A real anvil node on a free loopback port, and pytest fixtures around it.

The binary comes from npm (``make install``) at ``node_modules/.bin/anvil``
relative to the repository root. Without it, tests skip with a reason, or fail
when ``AOINECO_REQUIRE_ANVIL=1`` (CI). One node serves the session; each test
that uses :func:`_anvil_clean` runs between an ``evm_snapshot`` and an
``evm_revert``, so tests never see each other's chain state.

Use from a ``conftest.py``::

    from tests._support.anvil import _anvil, _anvil_clean  # noqa: F401
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests._support.requirements import missing

__all__ = [
    "ANVIL_BIN",
    "Anvil",
    "_anvil",
    "_anvil_clean",
    "free_port",
    "private_anvil",
    "start_anvil",
]

ANVIL_BIN = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "anvil"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Anvil:
    """A running anvil process."""

    process: subprocess.Popen[bytes]
    port: int
    chain_id: int
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        """Its HTTP JSON-RPC URL."""
        return f"http://127.0.0.1:{self.port}"

    def rpc(self, method: str, *params: Any) -> Any:
        """Call a JSON-RPC method directly (``evm_snapshot``, ``anvil_setBalance``, ...)."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        answer = self.session.post(self.url, json=body, timeout=10).json()
        if "error" in answer:
            raise RuntimeError(f"anvil {method}: {answer['error']}")
        return answer["result"]

    def snapshot(self) -> str:
        """Take an ``evm_snapshot``; returns its id."""
        snap: str = self.rpc("evm_snapshot")
        return snap

    def revert(self, snapshot_id: str) -> None:
        """Go back to a snapshot (and drop it)."""
        self.rpc("evm_revert", snapshot_id)

    def stop(self) -> None:
        """Terminate the process (and wait for it)."""
        self.session.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _wait_ready(anvil: Anvil, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if anvil.process.poll() is not None:
            return False
        with contextlib.suppress(requests.RequestException, ValueError, RuntimeError):
            anvil.rpc("eth_chainId")
            return True
        time.sleep(0.05)
    return False


def start_anvil(*, chain_id: int = 31337, extra_args: tuple[str, ...] = ()) -> Anvil:
    """Start anvil on a free port and wait until it answers.

    Raises:
        FileNotFoundError: the binary is not installed.
        RuntimeError: it did not start (after three ports).
    """
    if not ANVIL_BIN.exists():
        raise FileNotFoundError(f"{ANVIL_BIN} not found (run make install)")
    for _ in range(3):
        port = free_port()
        command = [str(ANVIL_BIN), "--port", str(port), "--silent", "--chain-id", str(chain_id)]
        process = subprocess.Popen(
            [*command, *extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        anvil = Anvil(process=process, port=port, chain_id=chain_id)
        if _wait_ready(anvil, timeout=15):
            return anvil
        anvil.stop()
    raise RuntimeError("anvil did not start on a free port (tried three)")


def private_anvil() -> Iterator[Anvil]:
    """A fresh anvil for one fixture's scope (skip, or fail in CI, when not installed).

    Use it as the body of a fixture: ``yield from private_anvil()``.
    """
    if not ANVIL_BIN.exists():
        missing("ANVIL", f"anvil binary not found at {ANVIL_BIN}; run `make install`")
    node = start_anvil()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(name="anvil", scope="session")
def _anvil() -> Iterator[Anvil]:
    """One anvil node for the session (skip, or fail in CI, when it is not installed)."""
    yield from private_anvil()


@pytest.fixture(name="anvil_clean")
def _anvil_clean(anvil: Anvil) -> Iterator[Anvil]:
    """The session's anvil, reverted to its state before the test when the test ends."""
    snapshot = anvil.snapshot()
    try:
        yield anvil
    finally:
        anvil.revert(snapshot)
