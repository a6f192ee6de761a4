"""Serving the app: in the foreground for ``aoineco-ledger api``, or in a thread.

The daemon has one concurrency model (a blocking scheduler in the main thread),
so it embeds the API as a uvicorn server in a background thread
(:func:`start_in_thread`); the stand-alone command runs it in the foreground
(:func:`serve`). The socket is bound before the thread starts, so a port that is
taken fails loudly in the caller, and ``port=0`` gives a free one.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ServerHandle", "serve", "start_in_thread"]

DEFAULT_HOST = "127.0.0.1"
"""Loopback only, unless configured otherwise."""

DEFAULT_PORT = 8787


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def serve(
    app: Any,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    announce: Callable[[str], object] | None = None,
) -> None:
    """Serve ``app`` with uvicorn in the foreground (main thread) until SIGINT or SIGTERM.

    Args:
        app: the ASGI app.
        host: interface to bind.
        port: port to bind (``0`` picks a free one).
        announce: called with the URL once the socket is bound.

    Raises:
        OSError: the address cannot be bound.
    """
    sock = _bind(host, port)
    if announce is not None:
        announce(_url(sock))
    # log_config=None: uvicorn's loggers propagate to the root logger, where the
    # command line's structlog setup renders them (one JSON line per request).
    config = uvicorn.Config(
        app, log_config=None, server_header=False, log_level="info", lifespan="off"
    )
    # Uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal
    # to the handler it found. Finding a quiet one makes a requested stop exit 0
    # (not "killed by SIGTERM", not a KeyboardInterrupt traceback).
    quiet = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in quiet.items():
            signal.signal(sig, handler)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """The signal already did its work: uvicorn has shut down."""


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class ServerHandle:
    """A uvicorn server running in a daemon thread.

    Attributes:
        url: where it listens, e.g. ``http://127.0.0.1:8787``.
    """

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self._server = server
        self._thread = thread
        self.url = url

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to finish the requests in flight and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    app: Any,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    startup_timeout: float = 10.0,
) -> ServerHandle:
    """Start serving ``app`` in a background thread and return once it accepts.

    Uvicorn's own logging configuration is left alone (``log_config=None``) so
    the embedding process keeps its structlog setup; access logs are off.

    Args:
        app: the ASGI app from :func:`aoineco_ledger.api.make_app`.
        host: interface to bind.
        port: port to bind; ``0`` picks a free one (read it from ``handle.url``).
        startup_timeout: seconds to wait for the server to start.

    Returns:
        A handle with ``.url`` and ``.stop()``.

    Raises:
        OSError: the address cannot be bound.
        RuntimeError: the server did not start in time.
    """
    sock = _bind(host, port)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, server_header=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="aoineco-api", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        server.should_exit = True
        thread.join(startup_timeout)
        sock.close()
        raise RuntimeError(f"the API server did not start on {host}:{port}")
    return ServerHandle(server, thread, _url(sock))
