"""Small factories of chain observations and a squad, for the daemon's pure tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from aoineco_ledger.chains import (
    Activity,
    Balance,
    Fee,
    InternalInflow,
    NativeTransfer,
    Price,
    SentTransaction,
    TokenTransfer,
    UserOperation,
)
from aoineco_ledger.daemon import Counterparty, Member, Squad
from aoineco_ledger.typing import Address, BlockNumber, ChainId, TxHash

CHAIN_ID = ChainId(31337)
ORACLE = Address("0x1111111111111111111111111111111111111111")
BLUE = Address("0x2222222222222222222222222222222222222222")
CRITIC = Address("0x3333333333333333333333333333333333333333")
OUTSIDE = Address("0x9999999999999999999999999999999999999999")
VENDOR = Address("0x8888888888888888888888888888888888888888")
PAYER = Address("0x7777777777777777777777777777777777777777")
BRIDGE = Address("0x6666666666666666666666666666666666666666")
USDC = Address("0x5555555555555555555555555555555555555555")
ENTRY_POINT = Address("0x0000000071727De22E5E9d8BAf0edAc6f37da032")
ZERO = Address("0x0000000000000000000000000000000000000000")
GENESIS = datetime(2026, 1, 1, tzinfo=UTC)
ETH = 10**18

_hashes = count(1)


def tx_hash() -> TxHash:
    """A fresh, unique transaction hash."""
    return TxHash("0x" + f"{next(_hashes):064x}")


def ts(block: int) -> datetime:
    """The block's timestamp (2 s blocks, like Base)."""
    return GENESIS + timedelta(seconds=2 * block)


def price(usd: str | None = "2000", source: str = "static") -> Price:
    """A USD price (None for a missing one)."""
    return Price(Decimal(usd) if usd is not None else None, source)


def squad() -> Squad:
    """oracle, blue-sound (income in Revenue/Music) and critic; a vendor and a payer outside."""
    return Squad(
        chain_id=CHAIN_ID,
        chain="anvil",
        members={
            ORACLE: Member("oracle"),
            BLUE: Member("blue-sound", "Revenue/Music"),
            CRITIC: Member("critic"),
        },
        counterparties={
            VENDOR: Counterparty("x402 facilitator", "API/Services"),
            PAYER: Counterparty("MoltLaunch", "Revenue/Tips"),
            BRIDGE: Counterparty("own exchange account", "Transfer"),
        },
        tokens={"USDC": 6},
    )


def _where(block: int) -> dict[str, Any]:
    return {
        "chain_id": CHAIN_ID,
        "block_number": BlockNumber(block),
        "block_hash": "0x" + f"{block:064x}",
        "timestamp": ts(block),
    }


def sent(
    sender: Address = ORACLE,
    to: Address | None = OUTSIDE,
    *,
    value: int = 0,
    block: int = 5,
    fee: Fee | None = None,
    success: bool = True,
    usd: str | None = "2000",
    mint: int = 0,
    tx: TxHash | None = None,
) -> SentTransaction:
    """A transaction a squad wallet sent."""
    return SentTransaction(
        **_where(block),
        tx_hash=tx or tx_hash(),
        sender=sender,
        to=to,
        value=value,
        nonce=0,
        tx_type=2,
        success=success,
        fee=fee or Fee(21_000 * 10**9),
        native_price=price(usd),
        mint=mint,
    )


def received(
    sender: Address = OUTSIDE,
    to: Address = ORACLE,
    *,
    value: int = ETH,
    block: int = 5,
    tx: TxHash | None = None,
    usd: str | None = "2000",
) -> NativeTransfer:
    """Native coin that reached a squad wallet."""
    return NativeTransfer(
        **_where(block),
        tx_hash=tx or tx_hash(),
        sender=sender,
        to=to,
        value=value,
        native_price=price(usd),
    )


def token(
    sender: Address = OUTSIDE,
    to: Address = ORACLE,
    *,
    amount: int = 5_000_000,
    block: int = 6,
    log_index: int = 0,
    tx: TxHash | None = None,
    usd: str | None = "1",
) -> TokenTransfer:
    """A USDC Transfer log touching the squad."""
    return TokenTransfer(
        **_where(block),
        token=USDC,
        symbol="USDC",
        decimals=6,
        tx_hash=tx or tx_hash(),
        log_index=log_index,
        sender=sender,
        to=to,
        amount=amount,
        price=price(usd, "config"),
    )


def internal(wallet: Address = ORACLE, *, value: int = ETH // 10, block: int = 7) -> InternalInflow:
    """ETH a contract forwarded, with no trace naming the transaction."""
    return InternalInflow(**_where(block), wallet=wallet, value=value, native_price=price())


def user_operation(
    sender: Address = CRITIC, *, cost: int = 10**14, paymaster: Address = ZERO, block: int = 8
) -> UserOperation:
    """An ERC-4337 user operation of a squad smart account."""
    return UserOperation(
        **_where(block),
        entry_point=ENTRY_POINT,
        user_op_hash="0x" + "ab" * 32,
        sender=sender,
        paymaster=paymaster,
        nonce=0,
        success=True,
        actual_gas_cost=cost,
        actual_gas_used=100_000,
        tx_hash=tx_hash(),
        log_index=3,
        native_price=price(),
    )


def balance(wallet: Address, amount: int, *, block: int, asset: str = "ETH") -> Balance:
    """A wallet's balance of ETH (or USDC) at a block."""
    decimals, address = (18, None) if asset == "ETH" else (6, USDC)
    return Balance(
        chain_id=CHAIN_ID,
        wallet=wallet,
        asset=asset,
        token=address,
        decimals=decimals,
        block_number=BlockNumber(block),
        amount=amount,
    )


def activity(from_block: int = 0, to_block: int = 10, **found: Any) -> Activity:
    """A scan of (from_block, to_block] that found ``found`` (sent=..., tokens=..., ...)."""
    fields = {k: tuple(v) for k, v in found.items()}
    return Activity(
        chain_id=CHAIN_ID,
        from_block=BlockNumber(from_block),
        to_block=BlockNumber(to_block),
        to_block_hash="0x" + f"{to_block:064x}",
        to_block_timestamp=ts(to_block),
        **fields,
    )
