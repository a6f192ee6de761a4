"""The exact fee a transaction's sender paid, from its receipt.

The rules (each checked on real receipts in ``shared/fixtures``):

- Every chain: ``gasUsed * effectiveGasPrice``, the receipt's price, never the
  transaction's bid. Reverted transactions pay it too.
- OP stack (Base, OP Mainnet): plus ``l1Fee`` exactly as the receipt gives it
  (never recomputed: the formula changed at Ecotone and at Fjord), plus the
  operator fee when the receipt carries ``operatorFeeScalar``/``operatorFeeConstant``:
  Isthmus ``gasUsed * scalar // 1_000_000 + constant`` (the spec's integer
  division), Jovian ``gasUsed * scalar * 100 + constant``. The era is read from
  the receipt itself: Jovian receipts carry ``daFootprintGasScalar`` and
  ``blobGasUsed``; without those, a chain's configured ``jovian_time`` and the
  block timestamp decide; else Isthmus. ``blobGasUsed`` on an OP-stack receipt is a
  data-availability footprint and is never priced. A receipt without ``l1Fee``
  gives ``Fee(complete=False)``: ask another node, never book the L2 part alone.
  Deposits (type ``0x7e``) cost nothing; their ``mint`` is credited to ``from``.
- Ethereum: type-3 (blob) transactions add ``blobGasUsed * blobGasPrice``.
- Arbitrum: ``gasUsed`` already includes the L1 part (``gasUsedForL1``).

Input may be web3's formatted ``AttributeDict`` (ints, ``HexBytes``) or a raw
JSON-RPC dict (hex strings), as a node serves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aoineco_ledger.chains._observations import Fee
from aoineco_ledger.chains._registry import ChainSpec, get_chain
from aoineco_ledger.errors import ChainError

__all__ = ["DEPOSIT_TX_TYPE", "Mint", "fee_of", "mint_of", "quantity", "tx_type_of"]

DEPOSIT_TX_TYPE = 0x7E
"""OP-stack deposit transactions (L1 to L2)."""

_BLOB_TX_TYPE = 3
_ISTHMUS_DIVISOR = 1_000_000
_JOVIAN_MULTIPLIER = 100
_JOVIAN_MARKERS = ("daFootprintGasScalar", "blobGasUsed")


def quantity(value: Any) -> int | None:
    """A JSON-RPC quantity as an int: hex string, decimal string, int or bytes; None stays None.

    Raises:
        ChainError: the value is not a quantity at all.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ChainError(f"not a quantity: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, bytes | bytearray):
        return int.from_bytes(value, "big")
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)
        except ValueError:
            raise ChainError(f"not a quantity: {value!r}") from None
    raise ChainError(f"not a quantity: {value!r}")


def tx_type_of(tx: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None = None) -> int:
    """The EIP-2718 type of a transaction (0 for legacy ones that do not say)."""
    for source in (receipt, tx):
        if source is not None and source.get("type") is not None:
            return quantity(source["type"]) or 0
    return 0


@dataclass(frozen=True, slots=True)
class Mint:
    """Wei a deposit credits to its ``from``; ``known`` is False when the API gave none."""

    amount: int
    known: bool


def mint_of(tx: Mapping[str, Any]) -> Mint:
    """The ``mint`` of a deposit transaction; a missing or null mint counts 0, flagged unknown."""
    value = quantity(tx.get("mint"))
    return Mint(amount=value or 0, known=value is not None)


def _hash_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def _check_pair(tx: Mapping[str, Any] | None, receipt: Mapping[str, Any]) -> None:
    if tx is None:
        return
    tx_hash, receipt_hash = _hash_text(tx.get("hash")), _hash_text(receipt.get("transactionHash"))
    if tx_hash and receipt_hash and tx_hash != receipt_hash:
        raise ChainError(f"receipt {receipt_hash} does not belong to transaction {tx_hash}")


def _execution(
    tx: Mapping[str, Any] | None, receipt: Mapping[str, Any], tx_type: int
) -> int | None:
    gas_used = quantity(receipt.get("gasUsed"))
    price = quantity(receipt.get("effectiveGasPrice"))
    if price is None and tx is not None and tx_type in (0, 1):
        # Receipts from before London lack effectiveGasPrice; for legacy and
        # access-list transactions the bid gasPrice is exactly what was paid.
        price = quantity(tx.get("gasPrice"))
    if gas_used is None or price is None:
        return None
    return gas_used * price


def _is_jovian(receipt: Mapping[str, Any], spec: ChainSpec, block_timestamp: int | None) -> bool:
    if any(receipt.get(marker) is not None for marker in _JOVIAN_MARKERS):
        return True
    return (
        spec.jovian_time is not None
        and block_timestamp is not None
        and block_timestamp >= spec.jovian_time
    )


def _operator_fee(receipt: Mapping[str, Any], spec: ChainSpec, block_timestamp: int | None) -> int:
    scalar = quantity(receipt.get("operatorFeeScalar"))
    constant = quantity(receipt.get("operatorFeeConstant"))
    if scalar is None and constant is None:
        return 0
    gas_used = quantity(receipt.get("gasUsed")) or 0
    scalar, constant = scalar or 0, constant or 0
    if _is_jovian(receipt, spec, block_timestamp):
        return gas_used * scalar * _JOVIAN_MULTIPLIER + constant
    return gas_used * scalar // _ISTHMUS_DIVISOR + constant


def _op_stack_fee(
    receipt: Mapping[str, Any], execution: int, spec: ChainSpec, block_timestamp: int | None
) -> Fee:
    l1_fee = quantity(receipt.get("l1Fee"))
    operator = _operator_fee(receipt, spec, block_timestamp)
    if l1_fee is None:
        return Fee(l2_execution=execution, operator=operator, complete=False)
    return Fee(l2_execution=execution, l1_data=l1_fee, operator=operator)


def _blob_fee(receipt: Mapping[str, Any], execution: int) -> Fee:
    blob_gas = quantity(receipt.get("blobGasUsed"))
    blob_price = quantity(receipt.get("blobGasPrice"))
    if blob_gas is None or blob_price is None:
        return Fee(l2_execution=execution, complete=False)
    return Fee(l2_execution=execution, blob=blob_gas * blob_price)


def fee_of(
    tx: Mapping[str, Any] | None,
    receipt: Mapping[str, Any],
    *,
    chain_id: int,
    chain: ChainSpec | None = None,
    block_timestamp: int | None = None,
) -> Fee:
    """The exact fee the sender of ``tx`` paid, by part, in wei.

    Args:
        tx: the transaction (web3 or raw JSON-RPC form); may be None when the
            receipt carries ``type`` (only legacy receipts from before London need it).
        receipt: its receipt.
        chain_id: the chain the receipt is from; picks the fee model.
        chain: a ChainSpec to use instead of looking ``chain_id`` up (chains from config).
        block_timestamp: the block's unix time; only consulted to tell Isthmus from
            Jovian when the receipt does not show it and the chain has ``jovian_time``.

    Returns:
        The fee; ``complete`` is False when the receipt cannot give all of it.

    Raises:
        ConfigError: ``chain_id`` is unknown and no ``chain`` was given.
        ChainError: the receipt is not the transaction's, or a field is not a number.
    """
    spec = chain if chain is not None else get_chain(chain_id)
    _check_pair(tx, receipt)
    tx_type = tx_type_of(tx, receipt)
    if spec.is_op_stack and tx_type == DEPOSIT_TX_TYPE:
        return Fee(l2_execution=0)
    execution = _execution(tx, receipt, tx_type)
    if execution is None:
        return Fee(l2_execution=0, complete=False)
    if spec.is_op_stack:
        return _op_stack_fee(receipt, execution, spec, block_timestamp)
    if spec.fee_model == "l1-blob" and tx_type == _BLOB_TX_TYPE:
        return _blob_fee(receipt, execution)
    return Fee(l2_execution=execution)
