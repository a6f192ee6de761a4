"""The systemd notification protocol, spoken without a library: ``READY=1`` and ``WATCHDOG=1``.

Under ``Type=notify`` systemd hands the service the name of a datagram socket in
``$NOTIFY_SOCKET`` and waits for ``READY=1`` before it calls the start done; with
``WatchdogSec=`` it sets ``$WATCHDOG_USEC`` and restarts the service when no
``WATCHDOG=1`` arrives in time. The protocol is one ``AF_UNIX`` datagram of
newline-separated ``KEY=VALUE`` lines, so the standard library is all it takes.
A name starting with ``@`` is in Linux's abstract namespace (a leading NUL byte).

Outside systemd both functions do nothing, so the daemon calls them unconditionally::

    notify("READY=1")                       # once every chain's job is scheduled
    interval = watchdog_interval()          # None unless WatchdogSec= is set
    if interval is not None:
        ...                                 # notify("WATCHDOG=1") every interval / 2
    notify("STOPPING=1")                    # on SIGTERM, before the last cycle ends

Neither function raises: a supervisor that has gone away must never stop the
reconciler. ``notify`` reports whether the datagram was sent.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

__all__ = ["NOTIFY_SOCKET_ENV", "notify", "notify_socket_address", "watchdog_interval"]

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
"""The environment variable systemd names its notification socket in."""

_SEND_TIMEOUT_SECONDS = 2.0


def notify_socket_address(environ: Mapping[str, str] | None = None) -> str | bytes | None:
    """The address to send notifications to, or None when there is none.

    Args:
        environ: the environment to read; None means ``os.environ``.

    Returns:
        A filesystem path (``str``), an abstract-namespace name (``bytes``
        starting with a NUL byte, from ``@name``), or None when
        ``$NOTIFY_SOCKET`` is unset, empty or of a kind this module does not
        speak (systemd 254's ``vsock:`` addresses).
    """
    env = os.environ if environ is None else environ
    name = env.get(NOTIFY_SOCKET_ENV, "")
    if name.startswith("/"):
        return name
    if name.startswith("@") and len(name) > 1:
        return b"\0" + name[1:].encode()
    return None


def notify(state: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """Send one state string to the service manager (``READY=1``, ``WATCHDOG=1``, ...).

    Args:
        state: one or more ``KEY=VALUE`` lines, separated by newlines.
        environ: the environment to read; None means ``os.environ``.

    Returns:
        True when the datagram was sent; False when there is no notification
        socket (not run by systemd) or sending failed (the manager is gone, or
        the socket refuses): the caller carries on either way.
    """
    address = notify_socket_address(environ)
    if address is None or not state:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(_SEND_TIMEOUT_SECONDS)
            sock.sendto(state.encode(), address)
    except OSError:
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """The watchdog timeout systemd expects pings within, in seconds, or None.

    systemd's advice is to ping at half this interval.

    Args:
        environ: the environment to read; None means ``os.environ``.

    Returns:
        ``$WATCHDOG_USEC`` in seconds; None when it is unset, not a positive
        integer, or meant for another process (``$WATCHDOG_PID`` set and not
        this process's id).
    """
    env = os.environ if environ is None else environ
    pid = env.get("WATCHDOG_PID", "").strip()
    if pid and pid != str(os.getpid()):
        return None
    usec = env.get("WATCHDOG_USEC", "").strip()
    if not usec.isdigit() or int(usec) == 0:
        return None
    return int(usec) / 1_000_000
