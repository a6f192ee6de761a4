"""The ledger's one record type: :class:`Entry`, and its JSON form.

An entry is immutable. Changing one means writing another (a reversing entry for
a reorg, say); the log itself is append-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from aoineco_ledger.typing import Direction, Source

__all__ = ["CHAIN_FIELDS", "FEE_FIELDS", "Entry"]

FEE_FIELDS = ("l2_fee_wei", "l1_fee_wei", "operator_fee_wei", "blob_fee_wei")
"""Gas fee parts in wei that an on-chain gas entry carries."""

CHAIN_FIELDS = (
    "chain_id",
    "chain",
    "wallet",
    "counterparty",
    "tx_hash",
    "log_index",
    "block_number",
    "block_hash",
    "asset",
    "asset_amount",
    "asset_decimals",
    "price_usd",
    "price_source",
    *FEE_FIELDS,
)
"""Fields only on-chain entries fill."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One line of the ledger.

    Attributes:
        id: unique across processes (a UUID4 hex string).
        ts: when it happened, timezone-aware UTC (the block time for chain entries).
        direction: ``expense``, ``revenue`` or ``transfer``.
        amount: USD, exact, never negative, except on a reversing entry (one with
            ``reverses`` set and flag ``reversal``), whose amount is the exact
            negation of the entry it cancels, so every sum nets to zero.
        category: one of the ledger's categories; its kind matches ``direction``.
        ref: idempotency key; a second append with the same ref is a no-op.
        flags: markers such as ``over-budget`` and ``forced`` (budget overrides),
            ``sponsored`` (a paymaster paid), ``reversal`` (a reorg correction),
            ``price-missing`` (no USD price could be found; amount is 0 until repriced).
        reverses: for a reversing entry, the ``id`` of the entry it cancels.
        meta: free-form string pairs (model, tokens_used, ...), kept in order.
        asset_amount: base units (wei, token units) as an int; stored as a string.
    """

    id: str
    ts: datetime
    direction: Direction
    amount: Decimal
    category: str
    currency: str = "USD"
    agent: str = ""
    vendor: str = ""
    description: str = ""
    account: str = ""
    context: str = ""
    receipt_url: str = ""
    tags: tuple[str, ...] = ()
    source: Source = "manual"
    ref: str | None = None
    flags: tuple[str, ...] = ()
    reverses: str | None = None
    meta: tuple[tuple[str, str], ...] = field(default=())
    # On-chain entries only.
    chain_id: int | None = None
    chain: str | None = None
    wallet: str | None = None
    counterparty: str | None = None
    tx_hash: str | None = None
    log_index: int | None = None
    block_number: int | None = None
    block_hash: str | None = None
    asset: str | None = None
    asset_amount: int | None = None
    asset_decimals: int | None = None
    price_usd: Decimal | None = None
    price_source: str | None = None
    l2_fee_wei: int | None = None
    l1_fee_wei: int | None = None
    operator_fee_wei: int | None = None
    blob_fee_wei: int | None = None
