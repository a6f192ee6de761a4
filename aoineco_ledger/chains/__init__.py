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
from aoineco_ledger.chains._prices import (
    PRICE_CONTEXT,
    AggregatorPrice,
    MissingPrice,
    PriceSource,
    StaticPrice,
    missing_price,
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
from aoineco_ledger.chains._tokens import TokenSpec, check_token, read_token
from aoineco_ledger.chains.rpc import RetryPolicy, RpcClient, RpcCounters, mask_url
from aoineco_ledger.chains.scanning import BlockScanner, ProbeScanner, ProbeStats, Scanner

__all__ = [
    "DEPOSIT_TX_TYPE",
    "KNOWN_CHAINS",
    "MULTICALL3",
    "PRICE_CONTEXT",
    "ZERO_ADDRESS",
    "Activity",
    "AggregatorPrice",
    "Balance",
    "BlockScanner",
    "ChainRegistry",
    "ChainSpec",
    "Fee",
    "FeeModel",
    "Finality",
    "InternalInflow",
    "Mint",
    "MissingPrice",
    "NativeTransfer",
    "Price",
    "PriceSource",
    "ProbeScanner",
    "ProbeStats",
    "RetryPolicy",
    "RpcClient",
    "RpcCounters",
    "Scanner",
    "SentTransaction",
    "StaticPrice",
    "TokenSpec",
    "TokenTransfer",
    "UserOperation",
    "address_topic",
    "chain_from_config",
    "check_token",
    "fee_of",
    "get_chain",
    "mask_url",
    "mint_of",
    "missing_price",
    "read_token",
    "register_chain",
    "same_address",
    "to_address",
    "to_addresses",
]
