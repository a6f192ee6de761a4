"""The configuration's sections, one pydantic model each, as DESIGN.md's TOML shows them.

Every model forbids unknown keys, so a typo (``pol_seconds``) stops the program
instead of being ignored. Values are normalised once here: addresses to their
checksum form, money to exact ``Decimal``, RPC URLs to ``SecretStr`` (masked in
every repr). Rules that need more than one section (a wallet under two agents,
an unknown category) live on :class:`~aoineco_ledger.config.AppConfig`.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from aoineco_ledger.config._fields import (
    chain_id_for,
    mask_password,
    parse_address,
    parse_money,
    parse_rpc_url,
)
from aoineco_ledger.errors import LedgerError
from aoineco_ledger.ledger import Budget, Category
from aoineco_ledger.ledger._text import check_name
from aoineco_ledger.typing import Address

__all__ = [
    "MAX_BLOCKS_PER_CYCLE",
    "MAX_BLOCK_NUMBER",
    "MAX_CHAIN_ID",
    "MAX_CONFIRMATIONS",
    "POLL_SECONDS_RANGE",
    "AgentConfig",
    "ApiConfig",
    "BudgetConfig",
    "CategoryConfig",
    "ChainConfig",
    "ConfigAddress",
    "CounterpartyConfig",
    "Finality",
    "LedgerConfig",
    "LogConfig",
    "Money",
    "TokenConfig",
]

ConfigAddress = Annotated[Address, BeforeValidator(parse_address)]
"""An address in any case, validated and stored in EIP-55 checksum form."""

Money = Annotated[Decimal, BeforeValidator(parse_money)]
"""A non-negative USD amount, exact (floats go through ``str()``)."""

Finality = Literal["latest", "safe", "finalized"] | int
"""How far behind the head the reconciler stays: a block tag or N confirmations."""

POLL_SECONDS_RANGE = (0.1, 86_400.0)
"""Seconds between cycles: at least a tenth of a second (faster only floods the log
with skipped runs, since a cycle takes longer; local test chains poll at 0.1-0.2 s),
at most a day (inf or 1e300 would overflow the scheduler)."""

MAX_BLOCKS_PER_CYCLE = 100_000
"""The most blocks one cycle may scan (about 2.3 days of Base at 2 s a block)."""

MAX_CONFIRMATIONS = 100_000
"""The most confirmations ``finality`` may ask for (about 2 weeks of Ethereum blocks)."""

MAX_BLOCK_NUMBER = 2**63 - 1
"""The largest block number a store can hold (a signed 64-bit column)."""

MAX_CHAIN_ID = 2**63 - 37
"""EIP-2294's bound on chain ids (``floor(MAX_UINT64 / 2) - 36``)."""

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _secret_url(value: object) -> SecretStr:
    return SecretStr(
        parse_rpc_url(value.get_secret_value() if isinstance(value, SecretStr) else value)
    )


RpcUrl = Annotated[SecretStr, BeforeValidator(_secret_url)]


def _name(value: object) -> object:
    """A name by the ledger's own rule (``check_name``): what entries refuse, we refuse.

    The daemon writes these names into entries (an agent's name as ``agent``, a
    counterparty's as ``vendor``, a chain's as ``chain``); one the ledger would
    refuse would fail every cycle instead of ``config check``.
    """
    if isinstance(value, str):
        try:
            check_name("the name", value.strip())
        except LedgerError as exc:
            raise ValueError(str(exc).removeprefix("the name ")) from None
    return value


Name = Annotated[str, BeforeValidator(_name), Field(min_length=1)]
"""A non-empty name of at most 1,000 characters with no control character."""


def _digits_to_int(value: object) -> object:
    """``"12"`` (from an environment variable) means the number 12."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


class LedgerConfig(BaseModel):
    """``[ledger]``: where the ledger lives and how it counts.

    Attributes:
        store: store URL (``jsonl:///DIR``, ``sqlite:///PATH``, ``postgresql://...``,
            ``memory://``) or a directory; None means the library's default directory.
        seed_amount: the bootstrap seed in USD; None keeps the ledger's own (7.00).
        timezone: IANA zone in which calendar periods are evaluated.
    """

    model_config = _STRICT

    store: str | None = None
    seed_amount: Money | None = None
    timezone: str = "UTC"

    @field_validator("store")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        # ``AOINECO_LEDGER__STORE=`` (set but empty) reads as "": refuse it here, where
        # ``config check`` sees it, not at the daemon's first open.
        if value is not None and not value:
            raise ValueError(
                "is empty: give a store URL or directory, or leave ledger.store out "
                "for the default directory"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like UTC)") from None
        return value

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            yield key, (mask_password(value) if key == "store" and value else value)


class TokenConfig(BaseModel):
    """``[[chains.tokens]]``: an allow-listed ERC-20 (nothing else ever counts)."""

    model_config = _STRICT

    symbol: Name
    address: ConfigAddress
    decimals: int = Field(ge=0, le=77)
    price_usd: Money | None = None


class ChainConfig(BaseModel):
    """``[[chains]]``: one EVM chain the squad's wallets live on.

    Attributes:
        name: a label; a known name (``base``) also supplies ``chain_id``.
        chain_id: EIP-155 id, required for chains the registry does not know.
        rpc_urls: endpoints in failover order; secret, masked everywhere.
        poll_seconds: seconds between cycles, finite, 0.1 to 86,400.
        finality: ``latest``, ``safe``, ``finalized`` or a number of confirmations
            (0 to 100,000); None means the chain's default from the registry
            (``latest`` when unknown).
        start_block: where a new wallet's history begins (a block number >= 0,
            or ``latest``).
        price_feed: a Chainlink-style ETH/USD aggregator on this chain.
        price_usd: a static USD price of the native coin (fallback after the feed).
        scan: ``probe`` (the default: balances and nonces first, then bisection to
            the blocks where something happened; cost follows the squad's activity)
            or ``blocks`` (read every block).
        probe_mode: how much the probe asks each poll: ``thorough`` (the default:
            every wallet's nonce and the squad's token logs, no blind spot),
            ``standard`` (nonces only where a balance moved: blind to a poll whose
            ETH in exactly restores what the wallet's own transactions spent, as a
            top-up bot does) or ``lean`` (token logs only where a token balance
            moved, too). See the probe scanner's module docstring.
        max_blocks_per_cycle: how many blocks one cycle scans at most (1 to
            100,000), so a long catch-up proceeds (and checkpoints) in bounded steps.
        native_symbol: the native coin's symbol when the registry does not know it.
        tokens: the allow-listed ERC-20 tokens.
    """

    model_config = _STRICT

    name: Name
    chain_id: int = Field(default=0, validate_default=True)
    rpc_urls: list[RpcUrl] = Field(min_length=1)
    poll_seconds: float = 30.0
    finality: Annotated[Finality | None, BeforeValidator(_digits_to_int)] = None
    start_block: Annotated[int | Literal["latest"], BeforeValidator(_digits_to_int)] = "latest"
    price_feed: ConfigAddress | None = None
    price_usd: Money | None = None
    scan: Literal["probe", "blocks"] = "probe"
    probe_mode: Literal["thorough", "standard", "lean"] = "thorough"
    max_blocks_per_cycle: int = Field(default=2000, ge=1, le=MAX_BLOCKS_PER_CYCLE)
    native_symbol: Name | None = None
    tokens: list[TokenConfig] = Field(default_factory=list)

    @field_validator("chain_id", mode="before")
    @classmethod
    def _resolve_chain_id(cls, value: object, info: ValidationInfo) -> object:
        name = str(info.data.get("name", ""))
        known = chain_id_for(name) if name else None
        if value in (None, 0, "", "0"):
            if known is None:
                raise ValueError(f"chain {name!r} is not a known chain: set its chain_id")
            return known
        value = _digits_to_int(value)
        if known is not None and isinstance(value, int) and value != known:
            raise ValueError(f"{value} is not the id of {name!r} ({known}): fix one of them")
        return value

    @field_validator("chain_id")
    @classmethod
    def _positive_id(cls, value: int) -> int:
        if not 0 < value <= MAX_CHAIN_ID:
            raise ValueError(f"a chain id is a positive integer of at most {MAX_CHAIN_ID}")
        return value

    @field_validator("poll_seconds")
    @classmethod
    def _sane_poll(cls, value: float) -> float:
        low, high = POLL_SECONDS_RANGE
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(
                f"must be a finite number of seconds from {low:g} to {high:g} (got {value!r})"
            )
        return value

    @field_validator("finality")
    @classmethod
    def _confirmations(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, int) and not 0 <= value <= MAX_CONFIRMATIONS:
            raise ValueError(
                f"a number of confirmations is from 0 to {MAX_CONFIRMATIONS} (got {value})"
            )
        return value

    @field_validator("start_block")
    @classmethod
    def _block_number(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 0 <= value <= MAX_BLOCK_NUMBER:
            raise ValueError(f"a block number is from 0 to {MAX_BLOCK_NUMBER} (got {value})")
        return value

    @model_validator(mode="after")
    def _unique_tokens(self) -> ChainConfig:
        seen: set[str] = set()
        for index, token in enumerate(self.tokens):
            for key in (token.address, token.symbol.upper()):
                if key in seen:
                    raise ValueError(f"@tokens[{index}]: {key} is listed twice on this chain")
                seen.add(key)
        return self


class AgentConfig(BaseModel):
    """``[[agents]]``: a squad member and the wallets it owns.

    Attributes:
        name: the agent's name, as the ledger shows it (``oracle``).
        wallets: its addresses (checksum form); one wallet belongs to one agent.
        revenue_category: where value from outside the squad is booked.
        kind: ``eoa`` (ordinary wallets) or ``smart-account`` (ERC-4337; ``erc4337``
            is accepted as the same).
    """

    model_config = _STRICT

    name: Name
    wallets: list[ConfigAddress] = Field(default_factory=list)
    revenue_category: str = "Revenue/Gig"
    kind: Literal["eoa", "smart-account", "erc4337"] = "eoa"

    @field_validator("wallets")
    @classmethod
    def _no_repeats(cls, wallets: list[Address]) -> list[Address]:
        for index, wallet in enumerate(wallets):
            if wallet in wallets[:index]:
                raise ValueError(f"@[{index}]: {wallet} is listed twice")
        return wallets


class CounterpartyConfig(BaseModel):
    """``[[counterparties]]``: a known address outside the squad.

    Value sent to it is an expense in ``category``; when ``category`` is a
    revenue category, value from it is booked there instead of the agent's
    default; a ``Transfer`` category makes both directions transfers.
    """

    model_config = _STRICT

    name: Name
    address: ConfigAddress
    category: str = "Other"


def _budget_limit(value: object) -> Decimal:
    """A budget limit by the ledger's own rule (``Budget.create``): what it refuses, we refuse."""
    parse_money(value)  # the config's wording for a negative or non-numeric amount
    try:
        return Budget.create(limit=value).limit
    except LedgerError as exc:
        raise ValueError(str(exc)) from None


def _budget_warn_at(value: object) -> Decimal:
    """A budget's ``warn_at`` by the ledger's own rule (``Budget.create``)."""
    parse_money(value)
    try:
        return Budget.create(limit=1, warn_at=value).warn_at
    except LedgerError as exc:
        raise ValueError(str(exc)) from None


class BudgetConfig(BaseModel):
    """``[[budgets]]``: a spending limit the daemon installs in the ledger.

    ``limit`` and ``warn_at`` are checked by the ledger's ``Budget.create`` itself
    (a limit above 0, not absurdly large or finely divided; ``0 < warn_at <= 1``),
    so ``config check`` accepts exactly what the daemon can install.
    """

    model_config = _STRICT

    category: str | None = None
    agent: Annotated[str | None, BeforeValidator(_name)] = None  # "" means any agent
    limit: Annotated[Decimal, BeforeValidator(_budget_limit)]
    period: Literal["daily", "weekly", "monthly", "yearly", "total"] = "monthly"
    warn_at: Annotated[Decimal, BeforeValidator(_budget_warn_at)] = Decimal("0.8")


class CategoryConfig(BaseModel):
    """``[[categories]]``: a custom category, added to the pre-configured ones."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    kind: Literal["expense", "revenue", "transfer"]

    @model_validator(mode="after")
    def _ledger_accepts(self) -> CategoryConfig:
        """The ledger's own rule for category names (``Category``), so the daemon can add it."""
        try:
            Category(self.name, self.kind)
        except LedgerError as exc:
            raise ValueError(f"@name: {exc}") from None
        return self


class ApiConfig(BaseModel):
    """``[api]``: the read-only metrics HTTP API."""

    model_config = _STRICT

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)  # 0: any free port (tests use it)
    token: SecretStr | None = None


class LogConfig(BaseModel):
    """``[log]``: how much the programs say, and how."""

    model_config = _STRICT

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"

    @field_validator("level", "format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value
