"""What the daemon knows about its chains, as the API reads it.

The ledger knows each chain's checkpoint (``Ledger.checkpoints()``); only the
running daemon knows the head, the lag, the last cycle and the RPC counters. The
daemon hands :func:`aoineco_ledger.api.make_app` a *provider*: a callable taking
no arguments and returning one record per chain. A record may be a
:class:`ChainStatus`, any object with those attribute names, or a mapping with
those keys; :func:`read_chains_status` normalises them once, here, so the rest
of the API only ever sees :class:`ChainStatus`. Unknown keys are ignored and
missing ones are ``None``, so the daemon can grow its record without breaking us.

With no provider the API reports what the checkpoints know and ``null`` for the
rest. A provider that raises is reported as "no status" rather than a 500: the
ledger half of an answer is still worth giving.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import structlog

__all__ = [
    "ChainStatus",
    "ChainsStatusProvider",
    "chain_name",
    "read_chains_status",
    "scrub_error",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainStatus:
    """One chain's live state, as the daemon sees it.

    Attributes:
        chain_id: EIP-155 chain id.
        chain: the configured name (``base``).
        head_block: the newest block the RPC reported (the monotonic head).
        target_block: the block the next cycle scans up to (the finality target).
        lag_seconds: how far the checkpoint block's time is behind the head's.
        poll_seconds: the configured poll interval.
        started_at: when the daemon began watching this chain (aware UTC).
        last_success_at: when the last cycle finished without error (aware UTC).
        last_cycle_seconds: how long the last cycle took.
        cycles: cycles run since start.
        cycle_seconds_total: their total duration.
        last_error: the last cycle's error message, if it failed (URLs scrubbed).
        last_error_at: when that error happened.
        rpc_calls: JSON-RPC calls made since start.
        rpc_errors: of which failed.
    """

    chain_id: int
    chain: str = ""
    head_block: int | None = None
    target_block: int | None = None
    lag_seconds: float | None = None
    poll_seconds: float | None = None
    started_at: datetime | None = None
    last_success_at: datetime | None = None
    last_cycle_seconds: float | None = None
    cycles: int | None = None
    cycle_seconds_total: float | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    rpc_calls: int | None = None
    rpc_errors: int | None = None


ChainsStatusProvider = Callable[[], Iterable[ChainStatus | Mapping[str, Any] | object]]
"""What the daemon passes to ``make_app(chains_status=...)``."""

_FIELDS = tuple(f.name for f in fields(ChainStatus))
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


def scrub_error(message: str | None) -> str | None:
    """Replace anything URL-shaped in an error message with ``<url>``.

    The chains layer already masks secrets, but no route returns an RPC URL at
    all, masked or not.
    """
    if message is None:
        return None
    return _URL.sub("<url>", message)


def _as_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return _as_utc(datetime.fromisoformat(str(value)))


def _normalise(record: object) -> ChainStatus:
    if isinstance(record, ChainStatus):
        raw = {name: getattr(record, name) for name in _FIELDS}
    elif isinstance(record, Mapping):
        raw = {name: record.get(name) for name in _FIELDS}
    else:
        raw = {name: getattr(record, name, None) for name in _FIELDS}
    for name in ("started_at", "last_success_at", "last_error_at"):
        raw[name] = _as_utc(raw[name])
    for name in ("lag_seconds", "poll_seconds", "last_cycle_seconds", "cycle_seconds_total"):
        raw[name] = None if raw[name] is None else float(raw[name])
    for name in ("chain_id", "head_block", "target_block", "cycles", "rpc_calls", "rpc_errors"):
        raw[name] = None if raw[name] is None else int(raw[name])
    raw["chain"] = str(raw["chain"] or "")
    raw["last_error"] = scrub_error(None if raw["last_error"] is None else str(raw["last_error"]))
    return ChainStatus(**raw)


def chain_name(chain_id: int, status: ChainStatus | None, names: Mapping[int, str]) -> str:
    """The live status's name of a chain, else the configured one, else ``""``."""
    if status is not None and status.chain:
        return status.chain
    return names.get(chain_id, "")


def read_chains_status(provider: ChainsStatusProvider | None) -> dict[int, ChainStatus]:
    """Call the provider and normalise its records, keyed by chain id.

    Args:
        provider: the daemon's callable, or ``None``.

    Returns:
        ``{chain_id: ChainStatus}``; empty with no provider, or when the provider
        failed or returned records that cannot be read (logged, never raised).
    """
    if provider is None:
        return {}
    try:
        statuses = [_normalise(record) for record in provider()]
    except Exception:  # the provider is the daemon's code: its failure is not our 500
        log.exception("chains_status_failed")
        return {}
    return {status.chain_id: status for status in statuses}
