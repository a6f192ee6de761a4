"""The RPC client: web3.py 8 with failover, retries, batches, a monotonic head and counters."""

from __future__ import annotations

from aoineco_ledger.chains.rpc._client import RpcClient
from aoineco_ledger.chains.rpc._endpoint import NotFoundError
from aoineco_ledger.chains.rpc._errors import (
    BatchUnsupportedError,
    CallRevertedError,
    LogRangeRefusedError,
    RpcResponseError,
    classify_rpc_error,
    range_hint,
)
from aoineco_ledger.chains.rpc._mask import mask_url
from aoineco_ledger.chains.rpc._transport import (
    Counters,
    ResilientHTTPProvider,
    RetryPolicy,
    RpcCounters,
)

__all__ = [
    "BatchUnsupportedError",
    "CallRevertedError",
    "Counters",
    "LogRangeRefusedError",
    "NotFoundError",
    "ResilientHTTPProvider",
    "RetryPolicy",
    "RpcClient",
    "RpcCounters",
    "RpcResponseError",
    "classify_rpc_error",
    "mask_url",
    "range_hint",
]
