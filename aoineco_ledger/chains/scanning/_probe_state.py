"""What the probe scanner reads of every wallet each poll: one snapshot, one batch.

A snapshot is each wallet's native balance, its balance of every allow-listed
token and, for a smart account, its deposit at each EntryPoint, all at one
block. With Multicall3 (or a contract with the same ``aggregate3`` /
``getEthBalance`` ABI) that is one ``eth_call`` per 500 balances, whatever
the squad's size; without it, one ``eth_getBalance`` or ``eth_call`` per
balance, still in one JSON-RPC batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aoineco_ledger.chains._abi import balance_of_data, decode_uint
from aoineco_ledger.chains.rpc._endpoint import Request
from aoineco_ledger.chains.scanning._probe_calls import (
    aggregate3_data,
    balance_request,
    call_request,
    decode_aggregate3,
    get_eth_balance_data,
)
from aoineco_ledger.errors import ChainError
from aoineco_ledger.typing import Address

__all__ = ["CALLS_PER_AGGREGATE", "Holding", "SnapshotPlan", "WalletState"]

CALLS_PER_AGGREGATE = 1000
"""Balances per ``aggregate3`` call: 5-8M gas, inside the usual 50M eth_call gas cap."""


@dataclass(frozen=True, slots=True)
class Holding:
    """One wallet's balances at one block (``deposit``: EntryPoint deposits, smart accounts)."""

    eth: int
    tokens: tuple[int, ...]
    deposit: int = 0

    @property
    def native(self) -> int:
        """The economic native balance: ETH plus EntryPoint deposits."""
        return self.eth + self.deposit


@dataclass(frozen=True, slots=True)
class WalletState:
    """What the scanner remembers of a wallet between polls (``nonce`` None: not read)."""

    block: int
    holding: Holding
    nonce: int | None = None


@dataclass(frozen=True, slots=True)
class _Read:
    wallet: Address
    what: str  # "eth", "token", "deposit"
    index: int
    to: str
    data: bytes


def _amount(read: _Read, data: bytes, no_code: Callable[[str], bool]) -> int:
    """A balance read's answer as an int.

    A token or EntryPoint read that returns no data at all is a call to an
    address with no code at that block: a token deployed after the range's
    start holds nothing for anyone yet (the block scanner reads it the same
    way). ``no_code`` confirms it, so that a node answering ``0x`` for a
    contract that is there is refused, not read as a zero balance. Any other
    short answer is garbage and refused too.
    """
    if not data and read.what != "eth" and no_code(read.to):
        return 0
    return decode_uint(data, what=f"balance of {read.wallet} at {read.to}")


class SnapshotPlan:
    """The balance reads of one snapshot, as requests, and how to read the answers back."""

    def __init__(
        self,
        wallets: Sequence[Address],
        *,
        tokens: Sequence[str],
        smart: frozenset[Address],
        entry_points: Sequence[str],
        multicall: str | None,
    ) -> None:
        """Args:
        wallets: the wallets to read.
        tokens: allow-listed token addresses, in the scanner's order.
        smart: the wallets that are smart accounts (their deposits are read too).
        entry_points: EntryPoint addresses that have code on this chain.
        multicall: a Multicall3-compatible address, or None for plain batched calls.
        """
        self.wallets = tuple(wallets)
        self.multicall = multicall
        self.token_count = len(tokens)
        reads: list[_Read] = []
        for wallet in self.wallets:
            reads.append(_Read(wallet, "eth", 0, multicall or "", get_eth_balance_data(wallet)))
            reads.extend(
                _Read(wallet, "token", i, token, balance_of_data(wallet))
                for i, token in enumerate(tokens)
            )
            if wallet in smart:
                reads.extend(
                    _Read(wallet, "deposit", i, ep, balance_of_data(wallet))
                    for i, ep in enumerate(entry_points)
                )
        self._reads = reads

    def requests(self, block: int) -> list[Request]:
        """The requests reading this snapshot at ``block`` (put them in any batch)."""
        if self.multicall is not None:
            return [
                call_request(
                    self.multicall, aggregate3_data([(r.to, r.data) for r in chunk]), block
                )
                for chunk in self._chunks()
            ]
        return [
            balance_request(r.wallet, block)
            if r.what == "eth"
            else call_request(r.to, r.data, block)
            for r in self._reads
        ]

    def _chunks(self) -> list[list[_Read]]:
        size = CALLS_PER_AGGREGATE
        return [self._reads[i : i + size] for i in range(0, len(self._reads), size)]

    @property
    def request_count(self) -> int:
        """How many requests :meth:`requests` makes."""
        return len(self._chunks()) if self.multicall is not None else len(self._reads)

    def decode(
        self, answers: Sequence[Any], *, no_code: Callable[[str], bool] = lambda _: False
    ) -> dict[Address, Holding]:
        """Each wallet's holding from the answers to :meth:`requests`, in order.

        ``no_code(address)`` tells whether a contract that answered no data has
        no code at the snapshot's block (default: never, so no data is refused).

        Raises:
            ChainError: a balance call failed or answered garbage.
        """
        values: list[int] = []
        if self.multicall is not None:
            for chunk, answer in zip(self._chunks(), answers, strict=True):
                for read, data in zip(
                    chunk, decode_aggregate3(bytes(answer), len(chunk)), strict=True
                ):
                    if data is None:
                        raise ChainError(f"{read.to}: balance call for {read.wallet} failed")
                    values.append(_amount(read, data, no_code))
        else:
            for read, answer in zip(self._reads, answers, strict=True):
                if read.what == "eth":
                    values.append(int(answer))
                else:
                    values.append(_amount(read, bytes(answer), no_code))
        return self._holdings(values)

    def _holdings(self, values: Sequence[int]) -> dict[Address, Holding]:
        eth: dict[Address, int] = {}
        tokens: dict[Address, list[int]] = {w: [0] * self.token_count for w in self.wallets}
        deposit: dict[Address, int] = {}
        for read, value in zip(self._reads, values, strict=True):
            if read.what == "eth":
                eth[read.wallet] = value
            elif read.what == "token":
                tokens[read.wallet][read.index] = value
            else:
                deposit[read.wallet] = deposit.get(read.wallet, 0) + value
        return {
            w: Holding(eth=eth[w], tokens=tuple(tokens[w]), deposit=deposit.get(w, 0))
            for w in self.wallets
        }
