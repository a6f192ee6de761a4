"""Allow-listed ERC-20 tokens: only these are ever read as money.

Spam airdrops exist (a look-alike token with the same symbol is a classic), so
a token counts only when its contract address is on the list. :func:`check_token`
makes sure a configured token answers ``decimals()`` sanely, and as configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aoineco_ledger.chains._abi import DECIMALS, SYMBOL, decode_string, decode_uint
from aoineco_ledger.chains._addresses import to_address
from aoineco_ledger.chains._prices import MAX_DECIMALS, MissingPrice, PriceSource
from aoineco_ledger.chains.rpc._errors import CallRevertedError
from aoineco_ledger.errors import ChainError, ConfigError
from aoineco_ledger.typing import Address

if TYPE_CHECKING:
    from aoineco_ledger.chains.rpc import RpcClient

__all__ = ["TokenSpec", "check_token", "read_token"]


@dataclass(frozen=True, slots=True)
class TokenSpec:
    """An allow-listed ERC-20: its address, symbol, decimals and price source.

    The address is validated and kept in checksum form; ``price`` defaults to a
    missing price (never $0).

    Raises:
        InvalidAddressError: the address is not valid.
        ConfigError: decimals are not 0..77.
    """

    address: Address
    symbol: str
    decimals: int
    price: PriceSource = field(default_factory=lambda: MissingPrice("no price for this token"))

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", to_address(self.address))
        if isinstance(self.decimals, bool) or not isinstance(self.decimals, int):
            raise ConfigError(f"chains.tokens.decimals: {self.decimals!r} is not an integer")
        if not 0 <= self.decimals <= MAX_DECIMALS:
            raise ConfigError(
                f"chains.tokens.decimals: {self.decimals} for {self.symbol} is outside 0..77"
            )


def _where(client: RpcClient) -> str:
    return f"{client.chain.name} ({client.chain.chain_id}) at {client.endpoints[0]}"


def _read_decimals(client: RpcClient, address: Address, block: int | str) -> int:
    try:
        data = client.eth_calls([(address, DECIMALS)], block)[0]
    except CallRevertedError:
        raise ChainError(
            f"{_where(client)}: token {address} reverted on decimals(); "
            "is it an ERC-20 contract on this chain?"
        ) from None
    if not data:
        raise ChainError(f"{_where(client)}: token {address} has no decimals() (no code there?)")
    decimals = decode_uint(data, what=f"{address}.decimals()")
    if decimals > MAX_DECIMALS:
        raise ChainError(
            f"{_where(client)}: token {address} says decimals() = {decimals}, "
            f"more than {MAX_DECIMALS}: not a usable ERC-20"
        )
    return decimals


def check_token(client: RpcClient, token: TokenSpec, *, block: int | str = "latest") -> None:
    """Make sure the token answers ``decimals()`` and as configured.

    Raises:
        ChainError: ``decimals()`` reverts, is missing or is absurd (names chain and URL).
        ConfigError: the chain's decimals differ from the configured ones.
        RpcError: no endpoint could be asked.
    """
    on_chain = _read_decimals(client, token.address, block)
    if on_chain != token.decimals:
        raise ConfigError(
            f"chains.tokens.decimals: {token.symbol} ({token.address}) is configured with "
            f"{token.decimals} decimals, but the contract on {_where(client)} says {on_chain}"
        )


def read_token(
    client: RpcClient,
    address: str,
    *,
    price: PriceSource | None = None,
    block: int | str = "latest",
) -> TokenSpec:
    """A TokenSpec read from the contract itself (``decimals()`` and ``symbol()``).

    Raises:
        InvalidAddressError: the address is not valid.
        ChainError: ``decimals()`` reverts, is missing or is absurd.
        RpcError: no endpoint could be asked.
    """
    checked = to_address(address)
    decimals = _read_decimals(client, checked, block)
    try:
        symbol = decode_string(client.eth_calls([(checked, SYMBOL)], block)[0])
    except CallRevertedError:
        symbol = None
    spec = TokenSpec(checked, symbol or checked[:10], decimals)
    return spec if price is None else TokenSpec(spec.address, spec.symbol, decimals, price)
