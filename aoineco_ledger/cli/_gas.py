"""What ``log gas`` accepts as ``--chain`` and ``--tx-hash``, normalised once at the edge.

A chain is a name the chains registry knows (any case, aliases included) or a
numeric chain id; it is stored under the registry's canonical name (``BASE``,
``base-mainnet`` and ``8453`` are all ``base``), so one chain is never counted
under two names. An unknown id is kept as its digits. A tx hash is ``0x`` and
64 hex digits, stored in lowercase.

The names are a copy of ``aoineco_ledger.chains.KNOWN_CHAINS``: importing the
chains layer loads web3 (seconds), and an agent logging a fee should not wait
for it. ``tests/unit/cli/test_cli_fresh_user.py`` pins the copy to the registry.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["CHAIN_NAMES", "chain_arg", "tx_hash_arg"]

CHAIN_NAMES: dict[int, tuple[str, ...]] = {
    8453: ("base", "base-mainnet"),
    84532: ("base-sepolia", "basesepolia"),
    10: ("optimism", "op", "op-mainnet"),
    1: ("ethereum", "mainnet", "eth"),
    42161: ("arbitrum", "arbitrum-one", "arb1"),
    137: ("polygon", "matic", "polygon-pos"),
    56: ("bnb", "bsc", "binance"),
    31337: ("anvil", "hardhat", "localhost"),
    131277322940537: ("eth-tester", "tester"),
}
"""Chain id to its canonical name, then its aliases (the registry's, as data)."""

_CANONICAL = {name: names[0] for names in CHAIN_NAMES.values() for name in names}
_BY_ID = {chain_id: names[0] for chain_id, names in CHAIN_NAMES.items()}
_TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}", re.ASCII)


def chain_arg(text: str) -> str:
    """argparse type for ``--chain``: a known chain name or a chain id, as its canonical name."""
    key = text.strip().lower()
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key.isascii() and key.isdigit() and int(key) > 0:
        return _BY_ID.get(int(key), str(int(key)))
    what = f"unknown chain {text!r}" if key else "the chain name is empty"
    raise argparse.ArgumentTypeError(
        f"{what}; use a chain id (8453) or one of {', '.join(_BY_ID.values())}"
    )


def tx_hash_arg(text: str) -> str:
    """argparse type for ``--tx-hash``: ``0x`` and 64 hex digits, in lowercase."""
    if _TX_HASH.fullmatch(text.strip()):
        return text.strip().lower()
    shown = f"got {text!r}" if text.strip() else "got an empty one"
    raise argparse.ArgumentTypeError(
        f"a transaction hash is 0x and 64 hex digits, {shown} (leave the option out for none)"
    )
