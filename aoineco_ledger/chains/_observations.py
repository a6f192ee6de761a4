"""What the chains layer reports: plain, frozen observations of wallet activity.

Nothing here knows about the ledger. The daemon turns these into entries.
All amounts are integers in base units (wei, token units); prices are exact
``Decimal`` USD per whole unit, or missing (never a silent zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from aoineco_ledger.typing import Address, BlockNumber, ChainId, TxHash

__all__ = [
    "Activity",
    "Balance",
    "Fee",
    "InternalInflow",
    "NativeTransfer",
    "Price",
    "SentTransaction",
    "TokenTransfer",
    "UserOperation",
]


@dataclass(frozen=True, slots=True)
class Fee:
    """The exact fee a transaction's sender paid, in wei, by part.

    ``complete`` is False when the receipt could not give the whole fee (an
    OP-stack receipt without ``l1Fee``): such a fee must be fetched again, never
    booked as its L2 part alone.
    """

    l2_execution: int
    l1_data: int = 0
    operator: int = 0
    blob: int = 0
    complete: bool = True

    @property
    def total(self) -> int:
        """All parts added up, in wei."""
        return self.l2_execution + self.l1_data + self.operator + self.blob


@dataclass(frozen=True, slots=True)
class Price:
    """USD per whole unit of an asset, with where it came from.

    ``usd`` is None when no price could be had (``source`` then says why);
    ``stale`` is True when a feed's ``updatedAt`` was older than allowed.
    """

    usd: Decimal | None
    source: str
    block_number: int | None = None
    updated_at: datetime | None = None
    stale: bool = False

    @property
    def missing(self) -> bool:
        """True when there is no usable price."""
        return self.usd is None


@dataclass(frozen=True, slots=True, kw_only=True)
class SentTransaction:
    """A transaction a watched wallet sent (its gas, and the value it moved).

    ``success`` False means it reverted: the fee was paid, the value did not move.
    For a deposit (type 0x7e) the fee is zero and ``mint`` wei was credited to
    ``sender`` whatever the outcome. ``mint_known`` is False when the endpoint
    gave no ``mint`` (missing or null): then ``mint`` reads 0 but is not a fact.
    """

    chain_id: ChainId
    tx_hash: TxHash
    block_number: BlockNumber
    block_hash: str
    timestamp: datetime
    sender: Address
    to: Address | None
    value: int
    nonce: int
    tx_type: int
    success: bool
    fee: Fee
    native_price: Price
    mint: int = 0
    mint_known: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class NativeTransfer:
    """Native coin that reached a watched wallet in a top-level transaction."""

    chain_id: ChainId
    tx_hash: TxHash
    block_number: BlockNumber
    block_hash: str
    timestamp: datetime
    sender: Address
    to: Address
    value: int
    native_price: Price


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalInflow:
    """Native coin that reached a wallet through a contract (no top-level transfer).

    ``tx_hash`` is set only when a trace API could name the transaction.
    """

    chain_id: ChainId
    wallet: Address
    block_number: BlockNumber
    block_hash: str
    timestamp: datetime
    value: int
    native_price: Price
    tx_hash: TxHash | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenTransfer:
    """An ERC-20 ``Transfer`` log of an allow-listed token touching a watched wallet."""

    chain_id: ChainId
    token: Address
    symbol: str
    decimals: int
    tx_hash: TxHash
    log_index: int
    block_number: BlockNumber
    block_hash: str
    timestamp: datetime
    sender: Address
    to: Address
    amount: int
    price: Price


@dataclass(frozen=True, slots=True, kw_only=True)
class UserOperation:
    """An ERC-4337 ``UserOperationEvent`` naming a watched smart account.

    ``actual_gas_cost`` is what the account paid when ``paymaster`` is the zero
    address; when a paymaster is set the account paid nothing (``sponsored``).
    """

    chain_id: ChainId
    entry_point: Address
    user_op_hash: str
    sender: Address
    paymaster: Address
    nonce: int
    success: bool
    actual_gas_cost: int
    actual_gas_used: int
    tx_hash: TxHash
    log_index: int
    block_number: BlockNumber
    block_hash: str
    timestamp: datetime
    native_price: Price

    @property
    def sponsored(self) -> bool:
        """True when a paymaster paid the gas."""
        return int(self.paymaster, 16) != 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """A wallet's balance of one asset at a block (``asset`` is the symbol)."""

    chain_id: ChainId
    wallet: Address
    asset: str
    token: Address | None
    decimals: int
    block_number: BlockNumber
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """Everything a scan of blocks ``(from_block, to_block]`` found for the squad.

    ``balances`` are at ``to_block`` (and, for wallets new to the scan, also at
    ``from_block``, so an opening balance can be recorded).
    """

    chain_id: ChainId
    from_block: BlockNumber
    to_block: BlockNumber
    to_block_hash: str
    to_block_timestamp: datetime
    sent: tuple[SentTransaction, ...] = ()
    received: tuple[NativeTransfer, ...] = ()
    internal: tuple[InternalInflow, ...] = ()
    tokens: tuple[TokenTransfer, ...] = ()
    user_operations: tuple[UserOperation, ...] = ()
    opening_balances: tuple[Balance, ...] = ()
    closing_balances: tuple[Balance, ...] = ()
