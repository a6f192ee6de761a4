"""Deterministic idempotency keys for on-chain entries, and reading them back.

One movement of value has one ref, whoever looks at it: scanning the same
blocks twice, or from two replicas, appends nothing new.

- ``evm:{chain_id}:{tx_hash}:{kind}`` for a transaction's gas (``gas``) and its
  top-level value (``native-out`` from a squad wallet, ``native-in`` to one from
  outside, or an OP-stack deposit's mint);
- ``evm:{chain_id}:{tx_hash}:{kind}:{log_index}`` for a log: ``token-in``,
  ``token-out`` (also squad-internal token transfers), ``userop-gas``;
- ``evm:{chain_id}:block:{n}:internal-in:{wallet}`` for ETH a contract forwarded
  to a wallet where no trace names the transaction, and
  ``evm:{chain_id}:{tx_hash}:internal-in:{wallet}`` where one does.

Transaction hashes are lowercase hex; wallets checksum form.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["REF_KINDS", "RefParts", "internal_ref", "parse_ref", "tx_ref"]

REF_KINDS = ("gas", "native-in", "native-out", "token-in", "token-out", "userop-gas", "internal-in")
"""Every kind of movement a chain ref names."""


@dataclass(frozen=True, slots=True)
class RefParts:
    """A chain ref taken apart.

    Attributes:
        chain_id: the chain.
        kind: one of :data:`REF_KINDS`.
        tx_hash: the transaction, when the ref names one.
        block_number: the block, for a block-level ``internal-in`` ref.
        log_index: the log, for token and user-operation refs.
        wallet: the wallet, for ``internal-in`` refs.
    """

    chain_id: int
    kind: str
    tx_hash: str | None = None
    block_number: int | None = None
    log_index: int | None = None
    wallet: str | None = None


def tx_ref(chain_id: int, tx_hash: str, kind: str, log_index: int | None = None) -> str:
    """``evm:{chain_id}:{tx_hash}:{kind}[:{log_index}]``.

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in REF_KINDS or kind == "internal-in":
        raise ValueError(f"not a transaction ref kind: {kind!r}")
    base = f"evm:{chain_id}:{tx_hash.lower()}:{kind}"
    return base if log_index is None else f"{base}:{log_index}"


def internal_ref(chain_id: int, wallet: str, *, block_number: int, tx_hash: str | None) -> str:
    """The ref of ETH a contract forwarded to ``wallet`` (by block, or by tx when known)."""
    where = f"block:{block_number}" if tx_hash is None else tx_hash.lower()
    return f"evm:{chain_id}:{where}:internal-in:{wallet}"


def parse_ref(ref: str | None) -> RefParts | None:
    """Take a chain ref apart; None for anything that is not one (a manual entry's ref)."""
    if not ref or not ref.startswith("evm:"):
        return None
    parts = ref.split(":")
    try:
        chain_id = int(parts[1])
        if parts[2] == "block" and len(parts) == 6 and parts[4] == "internal-in":
            return RefParts(chain_id, "internal-in", block_number=int(parts[3]), wallet=parts[5])
        kind = parts[3]
        if kind == "internal-in" and len(parts) == 5:
            return RefParts(chain_id, kind, tx_hash=parts[2], wallet=parts[4])
        if kind not in REF_KINDS or len(parts) > 5:
            return None
        log_index = int(parts[4]) if len(parts) == 5 else None
    except (IndexError, ValueError):
        return None
    return RefParts(chain_id, kind, tx_hash=parts[2], log_index=log_index)
