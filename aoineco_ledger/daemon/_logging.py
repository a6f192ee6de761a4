"""structlog, configured once by the command line: JSON lines off a terminal, colours on one.

Every event carries ``event``, ``level`` and ``timestamp`` (ISO-8601 UTC), plus
``chain`` (the name) and ``chain_id``, ``agent``, ``wallet``, ``block`` and ``tx_hash`` where
they apply; a cycle binds ``chain`` and ``chain_id`` for every line it logs.
A last processor masks any secret the configuration holds (RPC URLs, the API
token) wherever it would appear, so a key never reaches a log even by accident.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO
from urllib.parse import urlsplit

import structlog
from structlog.typing import Processor

from aoineco_ledger.config import AppConfig, mask_url

__all__ = ["SecretScrubber", "configure_logging", "reset_logging", "secrets_of"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}


class SecretScrubber:
    """A structlog processor replacing each known secret by its masked form.

    Args:
        secrets: the secret strings (RPC URLs, tokens) to hide.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        pairs = {pair for s in set(secrets) if s for pair in _pairs_of(s)}
        self._pairs = sorted(pairs, key=lambda p: -len(p[0]))

    def __call__(
        self, logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Scrub every string value (and strings inside lists) of the event."""
        if not self._pairs:
            return event_dict
        for key, value in event_dict.items():
            event_dict[key] = self._scrub(value)
        return event_dict

    def text(self, value: str) -> str:
        """``value`` with every known secret masked."""
        scrubbed: str = self._scrub(value)
        return scrubbed

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret, masked in self._pairs:
                value = value.replace(secret, masked)
            return value
        if isinstance(value, list | tuple):
            return type(value)(self._scrub(v) for v in value)
        return value


def _pairs_of(secret: str) -> list[tuple[str, str]]:
    """A secret and its mask; for a URL also its path and query alone, as urllib3 logs them."""
    pairs = [(secret, _masked(secret))]
    parts = urlsplit(secret)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    if parts.netloc and tail not in ("", "/"):
        pairs.append((tail, "/***"))
    return pairs


def _masked(secret: str) -> str:
    masked = mask_url(secret)
    return masked if masked != secret else "***"


def secrets_of(config: AppConfig) -> list[str]:
    """The secret strings of a configuration (RPC URLs that hide something, the API token)."""
    found = [
        url.get_secret_value()
        for chain in config.chains
        for url in chain.rpc_urls
        if mask_url(url.get_secret_value()) != url.get_secret_value()
    ]
    if config.api.token is not None:
        found.append(config.api.token.get_secret_value())
    return found


def configure_logging(
    *,
    level: str = "info",
    fmt: str = "auto",
    stream: TextIO | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Configure structlog for the whole process (call once, at the program's edge).

    Args:
        level: ``debug``, ``info``, ``warning`` or ``error``.
        fmt: ``json``, ``console``, or ``auto`` (console on a terminal, else JSON).
        stream: where lines go (default stderr).
        secrets: strings never to print (see :func:`secrets_of`).
    """
    out = stream if stream is not None else sys.stderr
    console = fmt == "console" or (fmt == "auto" and out.isatty())
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if console
        else structlog.processors.JSONRenderer(sort_keys=False)
    )
    # The console renderer formats exceptions itself (and warns when they arrive pre-formatted).
    exceptions: list[Processor] = [] if console else [structlog.processors.format_exc_info]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    tail: list[Processor] = [*exceptions, SecretScrubber(secrets), renderer]
    numeric = _LEVELS.get(level, logging.ERROR)
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    _route_stdlib(out, numeric, shared, tail)


class _NotAlerts(logging.Filter):
    """Drop the ledger's own alert records: the daemon's sink logs them with chain fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not hasattr(record, "alert")


def _http_request(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """uvicorn's access line (``client - "GET /path HTTP/1.1" 200``) as fields of one event.

    Other records' ``%`` arguments are already in their message: dropped.
    """
    args = event_dict.pop("positional_args", ())
    record = event_dict.get("_record")
    if record is None or record.name != "uvicorn.access" or len(args) != 5:
        return event_dict
    client, verb, path, _, status = args
    event_dict.update(event="http_request", method=verb, path=path, status=status, client=client)
    return event_dict


def _drop_color_message(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """uvicorn adds a terminal-coloured copy of its message as an extra; one copy is enough."""
    event_dict.pop("color_message", None)
    return event_dict


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our root handler (so configuring twice replaces it instead of adding another)."""


def _route_stdlib(out: TextIO, level: int, shared: list[Processor], tail: list[Processor]) -> None:
    """Send stdlib logging (the ledger core, web3, APScheduler) through the same renderer."""
    handler = _Handler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *shared,
                structlog.stdlib.ExtraAdder(),
                _drop_color_message,
                _http_request,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
            pass_foreign_args=True,  # for _http_request
        )
    )
    handler.addFilter(_NotAlerts())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler's misses and skips are counted and logged by our listeners: errors only.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def reset_logging() -> None:
    """Undo :func:`configure_logging` (structlog defaults, our stdlib handler removed)."""
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
