"""Turning a scan's :class:`~aoineco_ledger.chains.Activity` into ledger entries.

The rules (DESIGN.md, "Daemon"):

- a squad wallet's own transaction costs gas: a ``Gas/Blockchain`` expense for its
  agent, with the fee parts in wei, whether the transaction succeeded or not;
- value from outside the squad into a squad wallet is revenue in the agent's
  ``revenue_category`` (or in a revenue category configured for that counterparty);
- value from a squad wallet to outside is an expense in the counterparty's category,
  else ``Other``;
- value between two squad wallets is one ``transfer`` entry (wallet = sender,
  counterparty = recipient), in neither revenue nor expenses; a counterparty whose
  category is a transfer category makes its flows transfers too.

USD is exact (``base_units * price / 10**decimals``); a missing price gives an
amount of 0 with the flag ``price-missing`` and a ``price_source`` saying so.
Everything here is pure: the same activity always gives entries with the same refs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aoineco_ledger.chains import (
    Activity,
    InternalInflow,
    NativeTransfer,
    Price,
    SentTransaction,
    TokenTransfer,
    UserOperation,
)
from aoineco_ledger.daemon._refs import internal_ref, tx_ref
from aoineco_ledger.daemon._squad import Squad
from aoineco_ledger.errors import IncompleteReceiptError, InvalidAmountError
from aoineco_ledger.ledger import ZERO, Entry, new_entry, to_usd, usd_value

__all__ = ["GAS_CATEGORY", "classify"]

GAS_CATEGORY = "Gas/Blockchain"
"""Where every fee a squad wallet pays is booked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Movement:
    """Value moving between two addresses, with what is needed to book it."""

    sender: str | None
    to: str | None
    asset: str
    units: int
    decimals: int
    price: Price
    ts: datetime
    tx_hash: str
    block_number: int
    block_hash: str
    log_index: int | None = None
    token: str | None = None


def classify(activity: Activity, squad: Squad) -> list[Entry]:
    """The ledger entries for everything a scan found, in block order.

    Args:
        activity: what a scan of ``(from_block, to_block]`` reported.
        squad: the squad on that chain.

    Returns:
        Entries with deterministic refs (see :mod:`aoineco_ledger.daemon._refs`).

    Raises:
        IncompleteReceiptError: a fee could not be had in full (booking only its
            L2 part would be wrong; the cycle fails and the next one retries).
    """
    entries: list[Entry] = []
    internal_hashes = {s.tx_hash.lower() for s in activity.sent}
    for sent in activity.sent:
        entries.extend(_from_sent(sent, squad))
    for received in activity.received:
        if squad.member(received.sender) is None or received.tx_hash.lower() not in internal_hashes:
            entries.extend(_from_received(received, squad))
    for inflow in activity.internal:
        entries.extend(_from_internal(inflow, squad))
    for transfer in activity.tokens:
        entries.extend(_from_token(transfer, squad))
    for operation in activity.user_operations:
        entries.extend(_from_user_operation(operation, squad))
    unique = {entry.ref: entry for entry in reversed(entries)}  # one entry per ref, first wins
    return sorted(
        unique.values(), key=lambda e: (e.block_number or 0, e.log_index or -1, e.ref or "")
    )


def _from_sent(sent: SentTransaction, squad: Squad) -> list[Entry]:
    member = squad.member(sent.sender)
    if member is None:
        return []
    out: list[Entry] = []
    if not sent.fee.complete:
        raise IncompleteReceiptError(
            f"chain {squad.chain_id}: the fee of {sent.tx_hash} is incomplete (no l1Fee); "
            "not booking it until a node gives the whole receipt"
        )
    if sent.fee.total > 0:
        out.append(_gas_entry(sent, squad, member.agent))
    if sent.mint > 0:
        out.append(_mint_entry(sent, squad, member.agent))
    if sent.success and sent.value > 0:
        movement = _Movement(
            sender=sent.sender,
            to=sent.to,
            asset=squad.native_symbol,
            units=sent.value,
            decimals=squad.native_decimals,
            price=sent.native_price,
            ts=sent.timestamp,
            tx_hash=sent.tx_hash,
            block_number=sent.block_number,
            block_hash=sent.block_hash,
        )
        out.append(_movement_entry(movement, squad, kind="native"))
    return out


def _from_received(received: NativeTransfer, squad: Squad) -> list[Entry]:
    if squad.member(received.to) is None or received.value <= 0:
        return []
    movement = _Movement(
        sender=received.sender,
        to=received.to,
        asset=squad.native_symbol,
        units=received.value,
        decimals=squad.native_decimals,
        price=received.native_price,
        ts=received.timestamp,
        tx_hash=received.tx_hash,
        block_number=received.block_number,
        block_hash=received.block_hash,
    )
    return [_movement_entry(movement, squad, kind="native")]


def _from_internal(inflow: InternalInflow, squad: Squad) -> list[Entry]:
    member = squad.member(inflow.wallet)
    if member is None or inflow.value <= 0:
        return []
    ref = internal_ref(
        squad.chain_id, inflow.wallet, block_number=inflow.block_number, tx_hash=inflow.tx_hash
    )
    amount, price_fields = _priced(inflow.value, squad.native_decimals, inflow.native_price)
    return [
        _entry(
            squad,
            direction="revenue",
            category=member.revenue_category,
            amount=amount,
            ts=inflow.timestamp,
            ref=ref,
            agent=member.agent,
            wallet=inflow.wallet,
            tx_hash=inflow.tx_hash.lower() if inflow.tx_hash else None,
            block_number=inflow.block_number,
            block_hash=inflow.block_hash,
            asset=squad.native_symbol,
            asset_amount=inflow.value,
            asset_decimals=squad.native_decimals,
            description=f"{squad.native_symbol} forwarded by a contract",
            **price_fields,
        )
    ]


def _from_token(transfer: TokenTransfer, squad: Squad) -> list[Entry]:
    if transfer.amount <= 0:
        return []
    if squad.member(transfer.sender) is None and squad.member(transfer.to) is None:
        return []
    movement = _Movement(
        sender=transfer.sender,
        to=transfer.to,
        asset=transfer.symbol,
        units=transfer.amount,
        decimals=transfer.decimals,
        price=transfer.price,
        ts=transfer.timestamp,
        tx_hash=transfer.tx_hash,
        block_number=transfer.block_number,
        block_hash=transfer.block_hash,
        log_index=transfer.log_index,
        token=transfer.token,
    )
    return [_movement_entry(movement, squad, kind="token")]


def _from_user_operation(operation: UserOperation, squad: Squad) -> list[Entry]:
    member = squad.member(operation.sender)
    if member is None:
        return []
    paid = 0 if operation.sponsored else operation.actual_gas_cost
    amount, price_fields = _priced(paid, squad.native_decimals, operation.native_price)
    flags = list(price_fields.pop("flags"))
    if operation.sponsored:
        flags.append("sponsored")
    if not operation.success:
        flags.append("reverted")
    return [
        _entry(
            squad,
            direction="expense",
            category=GAS_CATEGORY,
            amount=amount,
            ts=operation.timestamp,
            ref=tx_ref(squad.chain_id, operation.tx_hash, "userop-gas", operation.log_index),
            agent=member.agent,
            wallet=operation.sender,
            counterparty=operation.paymaster if operation.sponsored else operation.entry_point,
            tx_hash=operation.tx_hash.lower(),
            log_index=operation.log_index,
            block_number=operation.block_number,
            block_hash=operation.block_hash,
            asset=squad.native_symbol,
            asset_amount=paid,
            asset_decimals=squad.native_decimals,
            description="user operation gas" + (" (paymaster paid)" if paid == 0 else ""),
            flags=tuple(flags),
            meta={"user_op_hash": operation.user_op_hash},
            **price_fields,
        )
    ]


def _gas_entry(sent: SentTransaction, squad: Squad, agent: str) -> Entry:
    fee = sent.fee
    amount, price_fields = _priced(fee.total, squad.native_decimals, sent.native_price)
    flags = tuple(price_fields.pop("flags")) + (() if sent.success else ("reverted",))
    target = sent.to or "a new contract"
    return _entry(
        squad,
        direction="expense",
        category=GAS_CATEGORY,
        amount=amount,
        ts=sent.timestamp,
        ref=tx_ref(squad.chain_id, sent.tx_hash, "gas"),
        agent=agent,
        vendor=squad.chain,
        wallet=sent.sender,
        counterparty=sent.to,
        tx_hash=sent.tx_hash.lower(),
        block_number=sent.block_number,
        block_hash=sent.block_hash,
        asset=squad.native_symbol,
        asset_amount=fee.total,
        asset_decimals=squad.native_decimals,
        l2_fee_wei=fee.l2_execution,
        l1_fee_wei=fee.l1_data,
        operator_fee_wei=fee.operator,
        blob_fee_wei=fee.blob,
        description=f"gas: tx to {target}" + ("" if sent.success else " (reverted)"),
        flags=flags,
        **price_fields,
    )


def _mint_entry(sent: SentTransaction, squad: Squad, agent: str) -> Entry:
    amount, price_fields = _priced(sent.mint, squad.native_decimals, sent.native_price)
    return _entry(
        squad,
        direction="transfer",
        category="Transfer",
        amount=amount,
        ts=sent.timestamp,
        ref=tx_ref(squad.chain_id, sent.tx_hash, "native-in"),
        agent=agent,
        wallet=sent.sender,
        tx_hash=sent.tx_hash.lower(),
        block_number=sent.block_number,
        block_hash=sent.block_hash,
        asset=squad.native_symbol,
        asset_amount=sent.mint,
        asset_decimals=squad.native_decimals,
        description=f"{squad.native_symbol} deposited from L1 (minted)",
        **price_fields,
    )


def _movement_entry(move: _Movement, squad: Squad, *, kind: str) -> Entry:
    """One entry for value moving from ``move.sender`` to ``move.to``."""
    sender, recipient = squad.member(move.sender), squad.member(move.to)
    outgoing = sender is not None
    direction, category = _direction_and_category(move, squad)
    owner = sender if sender is not None else recipient
    assert owner is not None  # the callers only pass movements touching the squad
    amount, price_fields = _priced(move.units, move.decimals, move.price)
    party = squad.counterparty(move.to if outgoing else move.sender)
    meta: dict[str, str] = {}
    if move.token is not None:
        meta["token"] = move.token
    if sender is not None and recipient is not None:
        meta["to_agent"] = recipient.agent
    ref_kind = f"{kind}-{'out' if outgoing else 'in'}"
    return _entry(
        squad,
        direction=direction,
        category=category,
        amount=amount,
        ts=move.ts,
        ref=tx_ref(squad.chain_id, move.tx_hash, ref_kind, move.log_index),
        agent=owner.agent,
        vendor=party.name if party is not None else "",
        wallet=move.sender if outgoing else move.to,
        counterparty=move.to if outgoing else move.sender,
        tx_hash=move.tx_hash.lower(),
        log_index=move.log_index,
        block_number=move.block_number,
        block_hash=move.block_hash,
        asset=move.asset,
        asset_amount=move.units,
        asset_decimals=move.decimals,
        description=_describe(move, squad, outgoing=outgoing),
        meta=meta,
        **price_fields,
    )


def _direction_and_category(move: _Movement, squad: Squad) -> tuple[str, str]:
    sender, recipient = squad.member(move.sender), squad.member(move.to)
    if sender is not None and recipient is not None:
        return "transfer", "Transfer"
    party = squad.counterparty(move.to if sender is not None else move.sender)
    party_kind = squad.kind_of(party.category) if party is not None else None
    if party is not None and party_kind == "transfer":
        return "transfer", party.category
    if sender is not None:
        return "expense", party.category if party and party_kind == "expense" else "Other"
    assert recipient is not None
    if party is not None and party_kind == "revenue":
        return "revenue", party.category
    return "revenue", recipient.revenue_category


def _describe(move: _Movement, squad: Squad, *, outgoing: bool) -> str:
    sender, recipient = squad.member(move.sender), squad.member(move.to)
    if sender is not None and recipient is not None:
        return f"{move.asset} {sender.agent} -> {recipient.agent}"
    other = move.to if outgoing else move.sender
    party = squad.counterparty(other)
    name = party.name if party is not None else (other or "a new contract")
    return f"{move.asset} {'to' if outgoing else 'from'} {name}"


def _priced(units: int, decimals: int, price: Price) -> tuple[Decimal, dict[str, Any]]:
    """The USD amount of ``units`` and the price fields (with flags) an entry carries."""
    flags: list[str] = []
    if price.usd is None:
        source = price.source if "missing" in price.source else f"missing: {price.source}"
        return ZERO, {"price_usd": None, "price_source": source, "flags": ("price-missing",)}
    if price.stale:
        flags.append("price-stale")
    amount = usd_value(units, price.usd, decimals)
    try:
        to_usd(amount)
    except InvalidAmountError as exc:  # 2**256-1 units at $1: the price or the token is wrong
        source = f"missing: {price.source} gives no usable USD value ({exc})"
        return ZERO, {"price_usd": price.usd, "price_source": source, "flags": ("price-missing",)}
    return amount, {"price_usd": price.usd, "price_source": price.source, "flags": tuple(flags)}


def _entry(squad: Squad, *, direction: str, category: str, amount: Decimal, **fields: Any) -> Entry:
    return new_entry(
        direction=direction,
        amount=amount,
        category=category,
        categories=squad.categories,
        source="chain",
        chain_id=squad.chain_id,
        chain=squad.chain,
        **fields,
    )
