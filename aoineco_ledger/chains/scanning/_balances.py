"""Balances of many wallets (native and allow-listed tokens) at one block, batched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aoineco_ledger.chains._abi import balance_of_data, decode_uint
from aoineco_ledger.chains._observations import Balance
from aoineco_ledger.chains._tokens import TokenSpec
from aoineco_ledger.chains.scanning._probe_calls import code_request
from aoineco_ledger.typing import Address, BlockNumber

if TYPE_CHECKING:
    from aoineco_ledger.chains.rpc import RpcClient

__all__ = ["read_balances"]


def _token_amount(data: bytes, token: TokenSpec, wallet: Address, no_code: bool) -> int:
    # No return data: no code at that block yet (a history that starts before the
    # token was deployed; check_token has made sure there is code at the head).
    # A node answering 0x for a token that is there is refused, not read as 0.
    if not data and no_code:
        return 0
    return decode_uint(data, what=f"{token.symbol}.balanceOf({wallet})")


def read_balances(
    client: RpcClient,
    wallets: Sequence[Address],
    tokens: Sequence[TokenSpec],
    block: int,
) -> tuple[Balance, ...]:
    """Each wallet's native balance, then its balance of each token, at ``block``.

    Raises:
        HistoricalStateError: the endpoints keep no state that old.
        CallRevertedError: a token's ``balanceOf`` reverted.
        RpcError: the chain could not be read.
    """
    if not wallets:
        return ()
    spec = client.chain
    number = BlockNumber(block)
    native = client.balances(wallets, block)
    out = [
        Balance(
            chain_id=spec.chain_id,
            wallet=wallet,
            asset=spec.native_symbol,
            token=None,
            decimals=spec.native_decimals,
            block_number=number,
            amount=amount,
        )
        for wallet, amount in zip(wallets, native, strict=True)
    ]
    pairs = [(token, wallet) for wallet in wallets for token in tokens]
    if pairs:
        raw = client.eth_calls([(t.address, balance_of_data(w)) for t, w in pairs], block)
        silent = sorted({t.address for (t, _), data in zip(pairs, raw, strict=True) if not data})
        codes = client.call_many("eth_getCode", [code_request(a, block) for a in silent])
        no_code = {a for a, code in zip(silent, codes, strict=True) if not bytes(code)}
        out.extend(
            Balance(
                chain_id=spec.chain_id,
                wallet=wallet,
                asset=token.symbol,
                token=token.address,
                decimals=token.decimals,
                block_number=number,
                amount=_token_amount(data, token, wallet, token.address in no_code),
            )
            for (token, wallet), data in zip(pairs, raw, strict=True)
        )
    return tuple(out)
