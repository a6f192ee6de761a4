"""How each chain's reconciler is doing, for ``/v1/chains``, ``/readyz`` and ``/metrics``.

The service updates one :class:`ChainHealth` per chain after every cycle; the
API reads :meth:`ChainHealth.as_dict` records (the field names of the API's
``ChainStatus``) through the provider the command line hands it. Plain data,
guarded by a lock, since the API reads from its own thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aoineco_ledger.chains import RpcClient
from aoineco_ledger.daemon._cycle import CycleResult

__all__ = ["ChainHealth"]


@dataclass
class ChainHealth:
    """One chain's live state since the process started."""

    chain_id: int
    chain: str
    poll_seconds: float
    started_at: datetime
    client: RpcClient | None = None
    target_block: int | None = None
    checkpoint_block: int | None = None
    last_success_at: datetime | None = None
    last_cycle_seconds: float | None = None
    cycles: int = 0
    cycle_seconds_total: float = 0.0
    last_error: str | None = None
    last_error_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def succeeded(self, result: CycleResult, *, now: datetime) -> None:
        """Record a finished cycle."""
        with self._lock:
            self._count(result.seconds)
            if result.status != "lease-held":
                self.target_block = result.target
                self.checkpoint_block = result.to_block
            self.last_success_at = now
            self.last_error = None

    def failed(self, error: str, *, seconds: float, now: datetime) -> None:
        """Record a cycle that raised (the error text is already scrubbed)."""
        with self._lock:
            self._count(seconds)
            self.last_error, self.last_error_at = error, now

    def _count(self, seconds: float) -> None:
        self.cycles += 1
        self.cycle_seconds_total += seconds
        self.last_cycle_seconds = seconds

    def as_dict(self) -> dict[str, Any]:
        """The record the API's ``ChainStatus`` reads (RPC counters included)."""
        with self._lock:
            record: dict[str, Any] = {
                "chain_id": self.chain_id,
                "chain": self.chain,
                "target_block": self.target_block,
                "poll_seconds": self.poll_seconds,
                "started_at": self.started_at,
                "last_success_at": self.last_success_at,
                "last_cycle_seconds": self.last_cycle_seconds,
                "cycles": self.cycles,
                "cycle_seconds_total": self.cycle_seconds_total,
                "last_error": self.last_error,
                "last_error_at": self.last_error_at,
            }
        if self.client is not None:
            counters = self.client.counters()
            record.update(rpc_calls=counters.calls, rpc_errors=counters.errors)
        return record
