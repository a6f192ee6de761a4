"""Configuration: a TOML file plus ``AOINECO_`` environment overrides, validated once.

>>> from aoineco_ledger.config import load_config
>>> config = load_config("aoineco.toml")          # doctest: +SKIP
>>> config.ledger.store, [c.chain_id for c in config.chains]  # doctest: +SKIP

Invalid input raises :class:`~aoineco_ledger.errors.ConfigError` with one line
naming the key (``agents[1].wallets[0]: ...``). See ``README.md`` here.
"""

from __future__ import annotations

from aoineco_ledger.config._app import DEFAULT_CATEGORY_KINDS, AppConfig, Settings
from aoineco_ledger.config._fields import (
    KNOWN_CHAIN_IDS,
    chain_id_for,
    mask_password,
    mask_url,
    parse_address,
)
from aoineco_ledger.config._load import (
    CONFIG_ENV,
    example_config,
    format_validation_error,
    load_config,
)
from aoineco_ledger.config._models import (
    AgentConfig,
    ApiConfig,
    BudgetConfig,
    CategoryConfig,
    ChainConfig,
    CounterpartyConfig,
    Finality,
    LedgerConfig,
    LogConfig,
    TokenConfig,
)

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CATEGORY_KINDS",
    "KNOWN_CHAIN_IDS",
    "AgentConfig",
    "ApiConfig",
    "AppConfig",
    "BudgetConfig",
    "CategoryConfig",
    "ChainConfig",
    "CounterpartyConfig",
    "Finality",
    "LedgerConfig",
    "LogConfig",
    "Settings",
    "TokenConfig",
    "chain_id_for",
    "example_config",
    "format_validation_error",
    "load_config",
    "mask_password",
    "mask_url",
    "parse_address",
]
