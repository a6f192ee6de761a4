"""The ``Scanner`` interface: what a squad's wallets did in a block range.

Two strategies sit behind it. :class:`~aoineco_ledger.chains.scanning.blocks.BlockScanner`
reads every block (simple, the reference).
:class:`~aoineco_ledger.chains.scanning.probe.ProbeScanner` (the daemon's default)
asks only for balances, nonces and logs and bisects to the blocks where something
happened; it returns the same :class:`Activity`, plus ``internal`` inflows
(ETH that contracts forwarded) that block reading alone cannot see.

Ranges are half-open on the left: ``scan(from_block=a, to_block=b)`` covers
blocks ``a+1 .. b``, so consecutive scans ``(a, b]``, ``(b, c]`` neither skip
nor repeat a block. Closing balances are at ``to_block``; opening balances at
``from_block`` for the wallets in ``opening_for`` (wallets new to the ledger).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from aoineco_ledger.chains._observations import Activity
from aoineco_ledger.chains._registry import ChainSpec
from aoineco_ledger.errors import ChainError

__all__ = ["Scanner", "check_range"]


@runtime_checkable
class Scanner(Protocol):
    """Reads a squad's activity on one chain; implementations differ in cost, not in answer."""

    @property
    def chain(self) -> ChainSpec:
        """The chain this scanner reads."""
        ...

    def scan(
        self,
        *,
        from_block: int,
        to_block: int,
        wallets: Iterable[str],
        opening_for: Iterable[str] = (),
    ) -> Activity:
        """Everything the wallets did in blocks ``(from_block, to_block]``.

        Args:
            from_block: the last block already booked (exclusive).
            to_block: the last block to book (inclusive); must not be beyond head.
            wallets: watched addresses (any case; validated).
            opening_for: wallets whose balances at ``from_block`` are wanted too.

        Raises:
            InvalidAddressError: a wallet is not a valid address.
            ChainError: a bad range, a range beyond head, or a reorg seen mid-scan.
            RpcError: the chain could not be read.
        """
        ...


def check_range(chain: ChainSpec, from_block: int, to_block: int, head: int, where: str) -> None:
    """Refuse a range that is negative, backwards or beyond ``head``.

    Raises:
        ChainError: the range cannot be scanned (names the chain and the endpoint).
    """
    name = f"{chain.name} ({chain.chain_id})"
    for label, value in (("from_block", from_block), ("to_block", to_block)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ChainError(f"{name}: {label} {value!r} is not a block number")
    if to_block < from_block:
        raise ChainError(f"{name}: to_block {to_block} is before from_block {from_block}")
    if to_block > head:
        raise ChainError(
            f"{name}: to_block {to_block} is beyond the head {head} of {where}; "
            "wait for the chain or lower the target"
        )
