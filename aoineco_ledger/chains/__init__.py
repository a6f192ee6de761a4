"""EVM facts for the ledger: RPC client, exact fees, scanning, token transfers, prices.

Nothing here imports the ledger; scans yield the plain frozen observations of
:mod:`aoineco_ledger.chains._observations`. See ``README.md`` beside this file.
"""

from __future__ import annotations

from aoineco_ledger.chains._addresses import (
    ZERO_ADDRESS,
    address_topic,
    same_address,
    to_address,
    to_addresses,
)
from aoineco_ledger.chains._fees import DEPOSIT_TX_TYPE, Mint, fee_of, mint_of
from aoineco_ledger.chains._observations import (
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
from aoineco_ledger.chains._registry import (
    KNOWN_CHAINS,
    MULTICALL3,
    ChainRegistry,
    ChainSpec,
    FeeModel,
    Finality,
    chain_from_config,
    get_chain,
    register_chain,
)

__all__ = [
    "DEPOSIT_TX_TYPE",
    "KNOWN_CHAINS",
    "MULTICALL3",
    "ZERO_ADDRESS",
    "Activity",
    "Balance",
    "ChainRegistry",
    "ChainSpec",
    "Fee",
    "FeeModel",
    "Finality",
    "InternalInflow",
    "Mint",
    "NativeTransfer",
    "Price",
    "SentTransaction",
    "TokenTransfer",
    "UserOperation",
    "address_topic",
    "chain_from_config",
    "fee_of",
    "get_chain",
    "mint_of",
    "register_chain",
    "same_address",
    "to_address",
    "to_addresses",
]
